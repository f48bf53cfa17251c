// One global name (a Gslb host) as the hub's DNS server answers it: A records of the healthy
// clusters' addresses chosen per query by the Gslb's strategy, k8gb's way:
//   roundRobin   every healthy address, the order rotating from query to query; with weights, the
//                region answered first follows the weights exactly over any run of queries
//                (smooth weighted round robin), its addresses first and the others after;
//   failover     the primary region's addresses while it has any healthy, else every other's;
//   geoip        the addresses of the client's own region when it has healthy ones, else all. A
//                client's region is the region of the cluster whose data plane block (a /16 of
//                127.0.0.0/8) its address lies in: the loopback stands in for a GeoIP database.
// No healthy address: NOERROR with no data (k8gb answers nothing). Other types: no data; names
// below the host: NXDOMAIN. Answers are encoded when the health changes, never per query.

import type dnsPacket from 'dns-packet';
import {
  type DnsZone,
  type EncodedRRset,
  encodeAtQuestion,
  encodeRecords,
  normalizeName,
  type ZoneAnswer,
} from '../../../sim/dataplane/dns/zone.js';
import { STRATEGY_FAILOVER, STRATEGY_GEOIP } from '../../apis/k8gb/index.js';

const TYPE_A = 1;
const TYPE_ANY = 255;

export interface RegionTargets {
  region: string;
  /** Healthy addresses of the region's clusters. */
  addresses: string[];
}

export interface GlobalAnswerPlan {
  strategy: string;
  ttl: number;
  primaryGeoTag?: string;
  weights?: Record<string, number>;
  /** Healthy targets by region, in a stable order. */
  regions: RegionTargets[];
  /** Client /16 block ("127.17") -> region. */
  blocks: Map<string, string>;
}

interface Weighted {
  region: string;
  weight: number;
  current: number;
  answer: EncodedRRset;
}

export class GlobalNameZone implements DnsZone {
  readonly origin: string;
  readonly soaRecord: EncodedRRset;
  private plan: GlobalAnswerPlan = { strategy: 'roundRobin', ttl: 30, regions: [], blocks: new Map() };
  /** Round robin: rotations of every address; failover: the one answer. */
  private rotations: EncodedRRset[] = [];
  private next = 0;
  private weighted: Weighted[] = [];
  private weightTotal = 0;
  private byRegion = new Map<string, EncodedRRset>();

  constructor(host: string) {
    this.origin = normalizeName(host);
    this.soaRecord = encodeRecords([
      {
        type: 'SOA',
        name: this.origin,
        ttl: 30,
        data: {
          mname: `ns.${this.origin}`,
          rname: `hostmaster.${this.origin}`,
          serial: Math.floor(Date.now() / 1000) >>> 0,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 30,
        },
      },
    ]);
  }

  contains(name: string): boolean {
    return (
      name === this.origin ||
      (name.endsWith(this.origin) && name[name.length - this.origin.length - 1] === '.')
    );
  }

  /** What the name answers from now on. */
  setPlan(plan: GlobalAnswerPlan): void {
    this.plan = plan;
    const encode = (addresses: string[]): EncodedRRset =>
      encodeAtQuestion(
        addresses.map((a) => ({ type: 'A', name: '.', ttl: plan.ttl, data: a }) as dnsPacket.Answer),
      );
    const all = plan.regions.flatMap((r) => r.addresses);
    this.byRegion = new Map(
      plan.regions.filter((r) => r.addresses.length > 0).map((r) => [r.region, encode(r.addresses)]),
    );
    this.weighted = [];
    this.weightTotal = 0;
    this.rotations = [];
    if (plan.strategy === STRATEGY_FAILOVER) {
      const primary = plan.regions.find((r) => r.region === plan.primaryGeoTag && r.addresses.length > 0);
      const answer = primary
        ? primary.addresses
        : plan.regions.filter((r) => r !== primary).flatMap((r) => r.addresses);
      this.rotations = rotations(answer).map(encode);
      return;
    }
    const weights = plan.weights && Object.keys(plan.weights).length > 0 ? plan.weights : undefined;
    if (weights && plan.strategy !== STRATEGY_GEOIP) {
      for (const r of plan.regions) {
        const w = weights[r.region] ?? 0;
        if (w <= 0 || r.addresses.length === 0) continue;
        const others = plan.regions.filter((o) => o !== r).flatMap((o) => o.addresses);
        this.weighted.push({
          region: r.region,
          weight: w,
          current: 0,
          answer: encode([...r.addresses, ...others]),
        });
        this.weightTotal += w;
      }
      if (this.weighted.length > 0) return;
    }
    this.rotations = rotations(all).map(encode);
  }

  /** The addresses answered now, without the per-query choice (for Gslb status). */
  healthyRecords(): string[] {
    const p = this.plan;
    if (p.strategy === STRATEGY_FAILOVER) {
      const primary = p.regions.find((r) => r.region === p.primaryGeoTag && r.addresses.length > 0);
      return primary ? [...primary.addresses] : p.regions.flatMap((r) => r.addresses);
    }
    return p.regions.flatMap((r) => r.addresses);
  }

  lookup(name: string, type: number, client?: string): ZoneAnswer {
    if (name !== this.origin) return { rcode: 'NXDOMAIN' };
    if (type !== TYPE_A && type !== TYPE_ANY) return { rcode: 'NOERROR' };
    if (this.plan.strategy === STRATEGY_GEOIP && client) {
      const region = this.plan.blocks.get(blockOf(client));
      const local = region ? this.byRegion.get(region) : undefined;
      if (local) return { rcode: 'NOERROR', answer: local };
    }
    if (this.weighted.length > 0) return { rcode: 'NOERROR', answer: this.pickWeighted() };
    if (this.rotations.length === 0) return { rcode: 'NOERROR' };
    const answer = this.rotations[this.next++ % this.rotations.length]!;
    if (this.next >= this.rotations.length) this.next = 0;
    return { rcode: 'NOERROR', answer };
  }

  /** Smooth weighted round robin (nginx's): exact proportions, evenly spread. */
  private pickWeighted(): EncodedRRset {
    let best = this.weighted[0]!;
    for (const w of this.weighted) {
      w.current += w.weight;
      if (w.current > best.current) best = w;
    }
    best.current -= this.weightTotal;
    return best.answer;
  }
}

function rotations(list: string[]): string[][] {
  if (list.length === 0) return [];
  return list.map((_, i) => [...list.slice(i), ...list.slice(0, i)]);
}

/** The /16 of an IPv4 address ("127.17"), by which a client is placed in a cluster's region. */
export function blockOf(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  const parts = v4.split('.');
  return parts.length === 4 ? `${parts[0]}.${parts[1]}` : '';
}
