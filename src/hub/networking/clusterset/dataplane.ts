// The hub's side of the clusterset data plane: each ClusterSetIP import's clusterset IP listens
// on the hub's machine and forwards every connection to the next ready endpoint of that port in
// any exporting cluster that is Ready (round robin over all of them: the hub is in no cluster, so
// none is local), and the clusterset.local zone that the hub's DNS server answers from. Inside a
// member, the member's own data plane serves the import, local endpoints first.

import type { Logger } from 'pino';
import type { ClustersetRecords, ImportedService } from '../../../sim/dataplane/dns/clusterset-records.js';
import type { Backend, TcpProxy } from '../../../sim/dataplane/proxy/tcp-proxy.js';

export interface ImportDataPlane {
  service: ImportedService;
  /** Backends per import port (by the port's number). */
  backends: Map<number, Backend[]>;
}

export class ClustersetDataPlane {
  /** Frontends ("ip:port") each import holds. */
  private readonly frontends = new Map<string, { host: string; port: number }[]>();
  private chain: Promise<void> = Promise.resolve();
  /** Addresses another process holds (EADDRINUSE): the controller gives such imports another IP. */
  readonly taken = new Set<string>();

  constructor(
    private readonly proxy: TcpProxy,
    private readonly records: ClustersetRecords,
    private readonly logger: Logger,
    private readonly onTaken: (key: string) => void,
  ) {}

  /** Serves an import (undefined: stops serving it). Listeners change in order, one after the other. */
  set(key: string, state: ImportDataPlane | undefined): void {
    this.records.set(key, state?.service);
    const wanted: { host: string; port: number; backends: Backend[] }[] = [];
    if (state && state.service.type === 'ClusterSetIP') {
      for (const ip of state.service.ips) {
        for (const p of state.service.ports) {
          if ((p.protocol ?? 'TCP') !== 'TCP') continue;
          wanted.push({ host: ip, port: p.port, backends: state.backends.get(p.port) ?? [] });
        }
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
        await this.proxy.set(f.host, f.port, f.backends).catch((err: NodeJS.ErrnoException) => {
          if (err?.code === 'EADDRINUSE') {
            this.taken.add(f.host);
            this.onTaken(key);
            return;
          }
          this.logger.warn(
            { err, import: key, frontend: `${f.host}:${f.port}` },
            'cannot listen on the clusterset IP',
          );
        });
      }
    });
  }

  /** Resolves once every change so far is in effect. */
  settled(): Promise<void> {
    return this.chain;
  }
}
