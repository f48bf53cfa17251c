// An authoritative DNS zone held in memory: record sets by owner name, kept in wire format
// (encoded once, when they change, by dns-packet) so that answering a query copies bytes and
// encodes nothing. Names between the apex and an owner name exist too (empty non-terminals:
// "svc.cluster.local" answers NOERROR with no data, not NXDOMAIN). Nothing here knows Kubernetes:
// the cluster DNS fills one zone, the hub fills others.

import dnsPacket from 'dns-packet';

export type ZoneRecord =
  | { type: 'A'; data: string }
  | { type: 'AAAA'; data: string }
  | { type: 'CNAME'; data: string }
  | { type: 'TXT'; data: string }
  | { type: 'SRV'; data: { priority: number; weight: number; port: number; target: string } };

/**
 * Record sets of one type at one name, in wire format. Their owner name is a pointer to the
 * question's name (offset 12 of the message, where every answer of the server has it), which is
 * the name they are looked up by: 2 bytes instead of the whole name.
 */
export interface EncodedRRset {
  bytes: Buffer;
  count: number;
}

export interface ZoneOptions {
  /** TTL of the records (default 5 s, as the cluster DNS of Kubernetes answers). */
  ttl?: number;
  /** Name of the primary server in the SOA (default ns.dns.<origin>). */
  primary?: string;
  /** Mailbox in the SOA (default hostmaster.<origin>). */
  hostmaster?: string;
}

/** What a zone says about one name and type. */
export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  /** Answer section (undefined: no data). */
  answer?: EncodedRRset;
}

/**
 * What the DNS server asks of a zone. Zone holds static records; a zone may also choose its
 * answer per query (global names answered by strategy and by the client's address).
 */
export interface DnsZone {
  readonly origin: string;
  /** The SOA record, for the authority section of negative answers. */
  readonly soaRecord: EncodedRRset;
  contains(name: string): boolean;
  /** The answer for a normalized name inside the zone, a query type code and the client's address. */
  lookup(name: string, type: number, client?: string): ZoneAnswer;
}

/** Record types by their code, for the queries a zone understands. */
export const TYPE_ANY = 255;
export const TYPE_CODES: Record<string, number> = { A: 1, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, SRV: 33 };

export function normalizeName(name: string): string {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** Encodes resource records with dns-packet: the bytes after an empty response's header. */
export function encodeRecords(answers: dnsPacket.Answer[]): EncodedRRset {
  const packet = dnsPacket.encode({ type: 'response', answers });
  return { bytes: Buffer.from(packet.subarray(12)), count: answers.length };
}

/** A compression pointer to offset 12: the question's name. */
const AT_QUESTION = Buffer.from([0xc0, 0x0c]);

/** Encodes records whose owner is the question's name (see EncodedRRset). */
export function encodeAtQuestion(answers: dnsPacket.Answer[]): EncodedRRset {
  // Each record is encoded with the root name (one zero byte), which the pointer replaces.
  const parts = answers.flatMap((a) => [AT_QUESTION, encodeRecords([{ ...a, name: '.' }]).bytes.subarray(1)]);
  return { bytes: Buffer.concat(parts), count: answers.length };
}

interface Node {
  /** Record sets by type code. */
  sets: Map<number, EncodedRRset>;
  /** Every record of the name, for ANY. */
  all?: EncodedRRset;
  /** How many owner names at or below this one hold records (an empty non-terminal has 0 sets). */
  refs: number;
}

export class Zone implements DnsZone {
  readonly origin: string;
  readonly ttl: number;
  private readonly nodes = new Map<string, Node>();
  private readonly soa: EncodedRRset;
  private readonly owners = new Set<string>();
  /** Bumped on every change (caches keyed on it). */
  version = 0;

  constructor(origin: string, opts: ZoneOptions = {}) {
    this.origin = normalizeName(origin);
    this.ttl = opts.ttl ?? 5;
    const soa: dnsPacket.Answer = {
      type: 'SOA',
      name: this.origin,
      ttl: this.ttl,
      data: {
        mname: opts.primary ?? `ns.dns.${this.origin}`,
        rname: opts.hostmaster ?? `hostmaster.${this.origin}`,
        serial: Math.floor(Date.now() / 1000) >>> 0,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
    this.soa = encodeRecords([soa]);
    const apex = encodeAtQuestion([soa]);
    this.nodes.set(this.origin, { sets: new Map([[6, apex]]), all: apex, refs: 1 });
  }

  /** The SOA record, for the authority section of negative answers. */
  get soaRecord(): EncodedRRset {
    return this.soa;
  }

  /** Whether a (normalized) name is the apex or below it. */
  contains(name: string): boolean {
    return (
      name === this.origin ||
      (name.endsWith(this.origin) && name[name.length - this.origin.length - 1] === '.')
    );
  }

  /** Replaces every record at `name` (an empty list removes the name). */
  set(name: string, records: ZoneRecord[]): void {
    const owner = normalizeName(name);
    if (!this.contains(owner) || owner === this.origin) {
      throw new Error(`${name} is not a name below ${this.origin}`);
    }
    if (records.length === 0) {
      this.delete(owner);
      return;
    }
    const byType = new Map<number, dnsPacket.Answer[]>();
    const all: dnsPacket.Answer[] = [];
    for (const r of records) {
      const code = TYPE_CODES[r.type]!;
      const rr = { type: r.type, name: owner, ttl: this.ttl, data: r.data } as dnsPacket.Answer;
      all.push(rr);
      const list = byType.get(code) ?? [];
      list.push(rr);
      byType.set(code, list);
    }
    const sets = new Map<number, EncodedRRset>();
    for (const [code, list] of byType) sets.set(code, encodeAtQuestion(list));
    if (!this.owners.has(owner)) {
      this.owners.add(owner);
      this.forEachAncestor(owner, (n) => {
        const node = this.nodes.get(n);
        if (node) node.refs++;
        else this.nodes.set(n, { sets: new Map(), refs: 1 });
      });
    }
    const node = this.nodes.get(owner)!;
    node.sets = sets;
    node.all = encodeAtQuestion(all);
    this.version++;
  }

  delete(name: string): void {
    const owner = normalizeName(name);
    if (!this.owners.delete(owner)) return;
    this.forEachAncestor(owner, (n) => {
      const node = this.nodes.get(n)!;
      if (--node.refs === 0) this.nodes.delete(n);
      else if (n === owner) {
        node.sets = new Map();
        node.all = undefined;
      }
    });
    this.version++;
  }

  /** What the zone answers for a normalized name inside it and a query type code. */
  lookup(name: string, type: number): ZoneAnswer {
    const node = this.nodes.get(name);
    if (!node) return { rcode: 'NXDOMAIN' };
    if (type === TYPE_ANY) return node.all ? { rcode: 'NOERROR', answer: node.all } : { rcode: 'NOERROR' };
    const set = node.sets.get(type) ?? node.sets.get(TYPE_CODES.CNAME!);
    return set ? { rcode: 'NOERROR', answer: set } : { rcode: 'NOERROR' };
  }

  /** The name itself and every name above it down to (not including) the apex. */
  private forEachAncestor(owner: string, fn: (name: string) => void): void {
    let n = owner;
    while (n !== this.origin) {
      fn(n);
      n = n.slice(n.indexOf('.') + 1);
    }
  }
}
