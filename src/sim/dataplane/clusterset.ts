// The clusterset side of a simulated cluster's data plane (what Submariner's Lighthouse or a
// CoreDNS multicluster plugin do in a real cluster), for clusters that serve the MCS API: every
// ServiceImport of type ClusterSetIP gets an address of this cluster's own, from its gateway range
// (127.B.224.0/19), where the service proxy forwards to the ready endpoints of the import's
// EndpointSlices — this cluster's own first (the slices whose source-cluster is this cluster's id,
// its ClusterProperty cluster.clusterset.k8s.io), the other clusters' only when it has none ready.
// The cluster's DNS answers <svc>.<ns>.svc.clusterset.local with that address (headless: every
// ready endpoint), as the multicluster DNS specification says.
//
// All clusters of a machine share its loopback, so one clusterset IP cannot be bound by each of
// them: each cluster reaches an import at an address of its own, which the specification allows
// ("a single IP used clusterset-wide or assigned on a per-cluster basis"). The hub's DNS answers
// the clusterset-wide IP that the hub itself forwards.

import type { Logger } from 'pino';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { resourceRef, resources } from '../../client/resources.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Ipv4Cidr } from '../kubelet/addresses.js';
import { ClustersetRecords, type ImportedEndpoint, type ImportedPort } from './dns/clusterset-records.js';
import type { Zone } from './dns/zone.js';
import type { Backend, TcpProxy } from './proxy/tcp-proxy.js';
import type { EndpointSlice } from './service-endpoints.js';

export const SERVICE_IMPORTS = resourceRef(
  'multicluster.x-k8s.io',
  'v1beta1',
  'serviceimports',
  'ServiceImport',
  true,
);
export const CLUSTER_PROPERTIES = resourceRef(
  'about.k8s.io',
  'v1alpha1',
  'clusterproperties',
  'ClusterProperty',
  false,
);
const LABEL_SERVICE_NAME = 'multicluster.kubernetes.io/service-name';
const LABEL_SOURCE_CLUSTER = 'multicluster.kubernetes.io/source-cluster';
const CLUSTER_ID_PROPERTY = 'cluster.clusterset.k8s.io';
const SLICES_BY_IMPORT = 'dataplane.importKey';

interface ServiceImport extends KubeObject {
  spec?: { type?: string; ports?: ImportedPort[]; ips?: string[] };
}

function ipOf(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class ClustersetImports {
  private readonly imports: Informer<ServiceImport>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly properties: Informer<KubeObject>;
  private readonly records: ClustersetRecords;
  /** Import key -> its address in the gateway range. */
  private readonly addresses = new Map<string, string>();
  private nextAddress = 1;
  private readonly frontends = new Map<string, { host: string; port: number }[]>();
  private chain: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    informers: InformerFactory,
    zone: Zone,
    private readonly proxy: TcpProxy,
    private readonly gateways: Ipv4Cidr,
    private readonly clusterName: string,
    private readonly logger: Logger,
  ) {
    this.records = new ClustersetRecords(zone);
    this.imports = informers.informerFor<ServiceImport>(SERVICE_IMPORTS);
    this.slices = informers.informerFor<EndpointSlice>(resources.endpointslices);
    this.properties = informers.informerFor(CLUSTER_PROPERTIES);
    this.slices.addIndexers({
      [SLICES_BY_IMPORT]: (s) => {
        const name = s.metadata.labels?.[LABEL_SERVICE_NAME];
        return name ? [`${s.metadata.namespace}/${name}`] : [];
      },
    });
    const byKey = (o: KubeObject) => this.sync(`${o.metadata.namespace}/${o.metadata.name}`);
    const bySlice = (s: KubeObject) => {
      const name = s.metadata.labels?.[LABEL_SERVICE_NAME];
      if (name) this.sync(`${s.metadata.namespace}/${name}`);
    };
    const all = () => {
      for (const k of this.imports.keys()) this.sync(k);
    };
    this.unsubscribe.push(
      this.imports.addEventHandler({ onAdd: byKey, onUpdate: (_o, n) => byKey(n), onDelete: byKey }),
      this.slices.addEventHandler({
        onAdd: bySlice,
        onUpdate: (o, n) => {
          bySlice(o);
          bySlice(n);
        },
        onDelete: bySlice,
      }),
      this.properties.addEventHandler({ onAdd: all, onUpdate: all, onDelete: all }),
    );
  }

  /** This cluster's id in the clusterset (its ClusterProperty, else its name). */
  get clusterId(): string {
    const p = this.properties.get(CLUSTER_ID_PROPERTY) as
      | (KubeObject & { spec?: { value?: string } })
      | undefined;
    return p?.spec?.value ?? this.clusterName;
  }

  /** Where this cluster reaches an import (ClusterSetIP imports it serves). */
  addressOf(namespace: string, name: string): string | undefined {
    return this.addresses.get(`${namespace}/${name}`);
  }

  settled(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
  }

  private addressFor(key: string): string | undefined {
    let ip = this.addresses.get(key);
    if (ip) return ip;
    if (this.nextAddress >= this.gateways.size - 1) return undefined;
    ip = ipOf((this.gateways.base + this.nextAddress++) >>> 0);
    this.addresses.set(key, ip);
    return ip;
  }

  private sync(key: string): void {
    const imp = this.imports.getByKey(key);
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const slices = imp ? this.slices.byIndex(SLICES_BY_IMPORT, key) : [];
    const own = this.clusterId;
    const ports = imp?.spec?.ports ?? [];
    const type = imp?.spec?.type === 'Headless' ? 'Headless' : 'ClusterSetIP';
    const endpoints: ImportedEndpoint[] = [];
    for (const s of slices) {
      const cluster = s.metadata.labels?.[LABEL_SOURCE_CLUSTER] ?? '';
      for (const e of s.endpoints ?? []) {
        const address = e.addresses?.[0];
        if (address && e.conditions?.ready !== false) {
          endpoints.push({ cluster, address, ...(e.hostname ? { hostname: e.hostname } : {}) });
        }
      }
    }
    let ip: string | undefined;
    if (imp && type === 'ClusterSetIP') ip = this.addressFor(key);
    else if (!imp) this.addresses.delete(key);
    this.records.set(key, imp ? { namespace, name, type, ips: ip ? [ip] : [], ports, endpoints } : undefined);

    const wanted: { host: string; port: number; backends: Backend[] }[] = [];
    if (imp && ip) {
      for (const p of ports) {
        if ((p.protocol ?? 'TCP') !== 'TCP') continue;
        const local: Backend[] = [];
        const remote: Backend[] = [];
        for (const s of slices) {
          const sp = (s.ports ?? []).find(
            (q) => (q.name ?? '') === (p.name ?? '') && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
          );
          if (!sp || typeof sp.port !== 'number') continue;
          const list = s.metadata.labels?.[LABEL_SOURCE_CLUSTER] === own ? local : remote;
          for (const e of s.endpoints ?? []) {
            const address = e.addresses?.[0];
            if (address && e.conditions?.ready !== false) list.push({ host: address, port: sp.port });
          }
        }
        wanted.push({ host: ip, port: p.port, backends: local.length > 0 ? local : remote });
      }
    }
    const before = this.frontends.get(key) ?? [];
    const gone = before.filter((f) => !wanted.some((w) => w.host === f.host && w.port === f.port));
    if (wanted.length > 0)
      this.frontends.set(
        key,
        wanted.map(({ host, port }) => ({ host, port })),
      );
    else this.frontends.delete(key);
    this.chain = this.chain.then(async () => {
      for (const f of gone) await this.proxy.remove(f.host, f.port);
      for (const f of wanted) {
        await this.proxy.set(f.host, f.port, f.backends).catch((err: unknown) => {
          this.logger.warn(
            { err, import: key, frontend: `${f.host}:${f.port}` },
            'cannot listen for the import',
          );
        });
      }
    });
  }
}
