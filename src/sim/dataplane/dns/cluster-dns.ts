// The cluster DNS of a simulated cluster (CoreDNS's kubernetes plugin, its Service part), kept in
// a zone (default cluster.local) from Services and EndpointSlices:
//   <svc>.<ns>.svc.<domain>                       A: the ClusterIP; headless: the ready endpoints' IPs
//   <hostname>.<svc>.<ns>.svc.<domain>            A: a headless Service's endpoint that has a hostname
//                                                 (StatefulSet pods)
//   _<port>._<protocol>.<svc>.<ns>.svc.<domain>   SRV: each named port of a ClusterIP Service
//   ExternalName Services                          CNAME to their external name

import type { ServiceEndpoints } from '../service-endpoints.js';
import type { Zone, ZoneRecord } from './zone.js';

export class ClusterDns {
  /** Names each Service holds. */
  private readonly owned = new Map<string, string[]>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly view: ServiceEndpoints,
    readonly zone: Zone,
  ) {
    this.unsubscribe = view.subscribe((key) => this.sync(key));
  }

  stop(): void {
    this.unsubscribe();
  }

  private sync(key: string): void {
    const records = this.recordsOf(key);
    for (const name of this.owned.get(key) ?? []) if (!records.has(name)) this.zone.delete(name);
    for (const [name, list] of records) this.zone.set(name, list);
    if (records.size > 0) this.owned.set(key, [...records.keys()]);
    else this.owned.delete(key);
  }

  private recordsOf(key: string): Map<string, ZoneRecord[]> {
    const out = new Map<string, ZoneRecord[]>();
    const svc = this.view.service(key);
    const spec = svc?.spec;
    if (!svc || !spec) return out;
    const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone.origin}`;
    if (spec.type === 'ExternalName') {
      if (spec.externalName) out.set(base, [{ type: 'CNAME', data: spec.externalName }]);
      return out;
    }
    const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) =>
      ip.includes('.'),
    );
    if (spec.clusterIP === 'None') {
      const ready = this.view.readyAddresses(key);
      if (ready.length > 0)
        out.set(
          base,
          ready.map((e) => ({ type: 'A', data: e.address })),
        );
      for (const e of ready) {
        if (e.hostname) out.set(`${e.hostname}.${base}`, [{ type: 'A', data: e.address }]);
      }
      return out;
    }
    if (ips.length === 0) return out;
    out.set(
      base,
      ips.map((ip) => ({ type: 'A', data: ip })),
    );
    for (const p of spec.ports ?? []) {
      if (!p.name) continue;
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      out.set(`_${p.name}._${proto}.${base}`, [
        { type: 'SRV', data: { priority: 0, weight: 100, port: p.port, target: base } },
      ]);
    }
    return out;
  }
}
