// The hub's side of the clusterset data plane: each ClusterSetIP import's clusterset IP listens
// on the hub's machine and forwards every connection to the next ready endpoint of that port in
// any exporting cluster that is Ready (round robin over all of them: the hub is in no cluster, so
// none is local), and the clusterset.local zone that the hub's DNS server answers from. Inside a
// member, the member's own data plane serves the import, local endpoints first.

import type { Logger } from 'pino';
import type { ClustersetRecords, ImportedService } from '../../../sim/dataplane/dns/clusterset-records.js';
import { type Frontend, FrontendSet } from '../../../sim/dataplane/proxy/frontends.js';
import type { Backend, TcpProxy } from '../../../sim/dataplane/proxy/tcp-proxy.js';

export interface ImportDataPlane {
  service: ImportedService;
  /** Backends per import port (by the port's number). */
  backends: Map<number, Backend[]>;
}

export class ClustersetDataPlane {
  private readonly frontends: FrontendSet;
  /** Addresses another process holds (EADDRINUSE): the controller gives such imports another IP. */
  readonly taken = new Set<string>();

  constructor(
    proxy: TcpProxy,
    private readonly records: ClustersetRecords,
    logger: Logger,
    onTaken: (key: string) => void,
  ) {
    this.frontends = new FrontendSet(proxy, (key, f, err) => {
      if (err?.code === 'EADDRINUSE') {
        this.taken.add(f.host);
        onTaken(key);
        return;
      }
      logger.warn(
        { err, import: key, frontend: `${f.host}:${f.port}` },
        'cannot listen on the clusterset IP',
      );
    });
  }

  /** Serves an import (undefined: stops serving it). Listeners change in order, one after the other. */
  set(key: string, state: ImportDataPlane | undefined): void {
    this.records.set(key, state?.service);
    const wanted: Frontend[] = [];
    if (state && state.service.type === 'ClusterSetIP') {
      for (const ip of state.service.ips) {
        for (const p of state.service.ports) {
          if ((p.protocol ?? 'TCP') !== 'TCP') continue;
          wanted.push({ host: ip, port: p.port, backends: state.backends.get(p.port) ?? [] });
        }
      }
    }
    this.frontends.set(key, wanted);
  }

  /** Resolves once every change so far is in effect. */
  settled(): Promise<void> {
    return this.frontends.settled();
  }
}
