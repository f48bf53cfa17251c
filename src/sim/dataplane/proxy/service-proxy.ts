// The service proxy of a simulated cluster (kube-proxy's job): every TCP port of every Service
// with a ClusterIP in the cluster's service range listens on ClusterIP:port and forwards to the
// ready endpoints of that port, round robin, following EndpointSlices live.

import type { Logger } from 'pino';
import type { Ipv4Cidr } from '../../kubelet/addresses.js';
import { cidrContains } from '../addresses.js';
import type { ServiceEndpoints } from '../service-endpoints.js';
import type { Backend, TcpProxy } from './tcp-proxy.js';

export class ServiceProxy {
  /** Frontends ("ip:port") each Service holds. */
  private readonly owned = new Map<string, Map<string, { host: string; port: number }>>();
  /** Changes are applied one after the other (a frontend removed is closed before it is bound again). */
  private chain: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly view: ServiceEndpoints,
    private readonly proxy: TcpProxy,
    private readonly serviceCIDR: Ipv4Cidr,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = view.subscribe((key) => this.sync(key));
  }

  /** Resolves once every change seen so far is in effect. */
  settled(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.unsubscribe();
  }

  private sync(key: string): void {
    const svc = this.view.service(key);
    const wanted = new Map<string, { host: string; port: number; backends: Backend[] }>();
    const spec = svc?.spec;
    if (spec && spec.type !== 'ExternalName') {
      const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) =>
        cidrContains(this.serviceCIDR, ip),
      );
      for (const port of spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue;
        const backends = this.view.readyEndpoints(key, port).map((e) => ({ host: e.address, port: e.port }));
        for (const ip of ips) wanted.set(`${ip}:${port.port}`, { host: ip, port: port.port, backends });
      }
    }
    const before = this.owned.get(key) ?? new Map();
    const gone = [...before].filter(([k]) => !wanted.has(k)).map(([, f]) => f);
    if (wanted.size > 0)
      this.owned.set(key, new Map([...wanted].map(([k, f]) => [k, { host: f.host, port: f.port }])));
    else this.owned.delete(key);
    this.chain = this.chain.then(async () => {
      for (const f of gone) await this.proxy.remove(f.host, f.port);
      for (const f of wanted.values()) {
        await this.proxy.set(f.host, f.port, f.backends).catch((err: unknown) => {
          this.logger.warn(
            { err, service: key, frontend: `${f.host}:${f.port}` },
            'the service proxy cannot listen',
          );
        });
      }
    });
  }
}
