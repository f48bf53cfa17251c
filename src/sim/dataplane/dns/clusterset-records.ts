// The records of the multicluster DNS specification (KEP-1645, schema 1.0.0) for one imported
// service, from what a reader of ServiceImports and their EndpointSlices knows of it. Pure: the
// hub's DNS server and each simulated cluster's DNS fill their clusterset.local zones with it.
//
//   ClusterSetIP:  <svc>.<ns>.svc.<zone>                    A    the clusterset IPs
//                  _<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV  each named port -> <svc>.<ns>.svc.<zone>
//                  <svc>.<ns>.svc.<zone>                    SRV  every named port (what `nslookup -type=SRV` asks)
//   Headless:      <svc>.<ns>.svc.<zone>                    A    every ready endpoint of every cluster
//                  <hostname>.<clusterid>.<svc>.<ns>.svc.<zone>  A  an endpoint with a hostname
//                  _<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV  per endpoint with a hostname and named port
//   the zone:      dns-version.<zone>                       TXT  "1.0.0"

import type { ZoneRecord } from './zone.js';

export const CLUSTERSET_DOMAIN = 'clusterset.local';
export const MULTICLUSTER_DNS_SCHEMA_VERSION = '1.0.0';

export interface ImportedPort {
  name?: string;
  protocol?: string;
  port: number;
}

export interface ImportedEndpoint {
  /** The cluster id of the endpoint's cluster (the slice's source-cluster label). */
  cluster: string;
  address: string;
  hostname?: string;
}

export interface ImportedService {
  namespace: string;
  name: string;
  type: 'ClusterSetIP' | 'Headless';
  /** The address the clusterset name answers with (ClusterSetIP). */
  ips: string[];
  ports: ImportedPort[];
  /** Ready endpoints (headless). */
  endpoints: ImportedEndpoint[];
}

/** Owner name -> records, for one imported service in the zone `domain`. */
export function clustersetRecords(
  svc: ImportedService,
  domain = CLUSTERSET_DOMAIN,
): Map<string, ZoneRecord[]> {
  const out = new Map<string, ZoneRecord[]>();
  const base = `${svc.name}.${svc.namespace}.svc.${domain}`;
  const add = (name: string, r: ZoneRecord) => {
    const list = out.get(name);
    if (list) list.push(r);
    else out.set(name, [r]);
  };
  const named = svc.ports.filter((p) => p.name);
  if (svc.type === 'ClusterSetIP') {
    const ips = svc.ips.filter((ip) => ip.includes('.'));
    if (ips.length === 0) return out;
    for (const ip of ips) add(base, { type: 'A', data: ip });
    for (const p of named) {
      const srv: ZoneRecord = { type: 'SRV', data: { priority: 0, weight: 50, port: p.port, target: base } };
      add(`_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`, srv);
      add(base, srv);
    }
    return out;
  }
  const seen = new Set<string>();
  for (const e of svc.endpoints) {
    if (!e.address.includes('.') || seen.has(`${e.cluster}/${e.address}`)) continue;
    seen.add(`${e.cluster}/${e.address}`);
    add(base, { type: 'A', data: e.address });
    if (!e.hostname) continue;
    const host = `${e.hostname}.${e.cluster}.${base}`;
    add(host, { type: 'A', data: e.address });
    for (const p of named) {
      const srv: ZoneRecord = { type: 'SRV', data: { priority: 0, weight: 50, port: p.port, target: host } };
      add(`_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`, srv);
      add(base, srv);
    }
  }
  return out;
}

/** The zone-wide record: the schema version. */
export function schemaVersionRecord(domain = CLUSTERSET_DOMAIN): [string, ZoneRecord[]] {
  return [`dns-version.${domain}`, [{ type: 'TXT', data: MULTICLUSTER_DNS_SCHEMA_VERSION }]];
}

/**
 * Keeps a zone's records of imported services: set(key, service) replaces what that service
 * had, set(key, undefined) removes it.
 */
export class ClustersetRecords {
  private readonly owned = new Map<string, string[]>();

  constructor(
    private readonly zone: { set(name: string, records: ZoneRecord[]): void; delete(name: string): void },
    private readonly domain = CLUSTERSET_DOMAIN,
  ) {
    const [name, records] = schemaVersionRecord(domain);
    zone.set(name, records);
  }

  set(key: string, svc: ImportedService | undefined): void {
    const records = svc ? clustersetRecords(svc, this.domain) : new Map<string, ZoneRecord[]>();
    for (const name of this.owned.get(key) ?? []) if (!records.has(name)) this.zone.delete(name);
    for (const [name, list] of records) this.zone.set(name, list);
    if (records.size > 0) this.owned.set(key, [...records.keys()]);
    else this.owned.delete(key);
  }
}
