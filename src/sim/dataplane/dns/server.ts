// An authoritative DNS server over UDP and TCP for zones held in memory (zone.ts). Queries are
// decoded by dns-packet; answers are assembled from record sets the zones keep in wire format, so
// the hot path decodes one packet and copies bytes (no encoding, few allocations).
//
// It answers as an authoritative server does: names of its zones with their records (AA set),
// NOERROR with no data or NXDOMAIN with the zone's SOA, REFUSED for names outside every zone,
// FORMERR for packets it cannot read, NOTIMP for opcodes other than QUERY. Over UDP, answers
// larger than the client's limit (512 bytes, or its EDNS buffer size up to 1232) are truncated
// (TC) so that the client asks again over TCP. Nothing a client sends crashes it.

import dgram from 'node:dgram';
import type net from 'node:net';
import dnsPacket from 'dns-packet';
import { isLoopbackIPv4 } from '../addresses.js';
import { type Reachability, TcpListener } from '../listener.js';
import { type DnsZone, type EncodedRRset, encodeRecords, normalizeName } from './zone.js';

export interface DnsServerOptions {
  address: string;
  port: number;
  zones?: DnsZone[];
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const RCODE_NAMES: string[] = [];
for (const [name, code] of Object.entries(RCODE)) RCODE_NAMES[code] = name;

const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const CLASS_IN = 1;
const CLASS_ANY = 255;
/** The EDNS buffer size this server offers and honours at most (the DNS flag day's 1232). */
const EDNS_MAX = 1232;
const TCP_IDLE_MS = 30_000;

const OPT_RECORD: EncodedRRset = encodeRecords([
  {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_MAX,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  },
]);

export interface DnsStats {
  queries: number;
  /** Answers by rcode name. */
  answers: Record<string, number>;
  /** Packets dropped unanswered (shorter than a header, responses, or while silent). */
  dropped: number;
  truncated: number;
}

/** Bytes of the question section starting at offset 12 (one question), or undefined when cut short. */
function questionLength(buf: Buffer): number | undefined {
  let i = 12;
  while (i < buf.length) {
    const len = buf[i]!;
    if (len === 0) {
      i += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      i += 2;
      break;
    }
    i += len + 1;
  }
  i += 4;
  return i <= buf.length ? i - 12 : undefined;
}

export class DnsServer {
  readonly address: string;
  private boundPort: number;
  private zones: DnsZone[] = [];
  private udp: dgram.Socket | undefined;
  private tcp: TcpListener | undefined;
  private state: Reachability = 'up';
  readonly stats: DnsStats = { queries: 0, answers: {}, dropped: 0, truncated: 0 };

  constructor(opts: DnsServerOptions) {
    if (!isLoopbackIPv4(opts.address)) {
      throw new Error(`the DNS server listens on 127.0.0.0/8 only, not ${opts.address}`);
    }
    this.address = opts.address;
    this.boundPort = opts.port;
    for (const z of opts.zones ?? []) this.addZone(z);
  }

  get port(): number {
    return this.boundPort;
  }

  addZone(zone: DnsZone): void {
    this.zones = [...this.zones, zone].sort((a, b) => b.origin.length - a.origin.length);
  }

  removeZone(zone: DnsZone): void {
    this.zones = this.zones.filter((z) => z !== zone);
  }

  /**
   * Binds UDP and TCP on the address and port; rejects (EADDRINUSE ...) when either is taken.
   * Port 0 picks a free UDP port and uses it for TCP too.
   */
  async listen(): Promise<void> {
    if (this.udp) return;
    await this.bindUdp();
    try {
      this.tcp ??= new TcpListener(this.address, this.boundPort, (socket) => this.serveTcp(socket));
      await this.tcp.listen();
    } catch (err) {
      await this.closeUdp();
      this.tcp = undefined;
      throw err;
    }
  }

  /** Down: nothing listens; silent: queries go unanswered; up: back to normal. */
  async setReachability(mode: Reachability): Promise<void> {
    if (mode === this.state) return;
    const previous = this.state;
    this.state = mode;
    if (mode === 'down') {
      await this.closeUdp();
      await this.tcp?.setReachability('down');
      return;
    }
    await this.tcp?.setReachability(mode);
    if (previous === 'down') await this.bindUdp();
  }

  async close(): Promise<void> {
    await this.closeUdp();
    await this.tcp?.close();
  }

  private async bindUdp(): Promise<void> {
    const udp = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: this.address, port: this.boundPort, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => {
      // Send errors (a client's port gone ...) concern one answer; the socket stays.
    });
    udp.on('message', (msg, rinfo) => this.serveUdp(udp, msg, rinfo));
    this.boundPort = udp.address().port;
    this.udp = udp;
  }

  private async closeUdp(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private serveUdp(udp: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.state !== 'up') {
      this.stats.dropped++;
      return;
    }
    const reply = this.answer(msg, true, rinfo.address);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  }

  private serveTcp(socket: net.Socket): void {
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        const reply = this.answer(msg, false, socket.remoteAddress);
        if (!reply) {
          socket.destroy();
          return;
        }
        const framed = Buffer.allocUnsafe(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  }

  /** The reply to one message from `client` (its address; undefined: drop it). */
  answer(msg: Buffer, udp: boolean, client?: string): Buffer | undefined {
    this.stats.queries++;
    if (msg.length < 12 || (msg.readUInt16BE(2) & FLAG_QR) !== 0) {
      this.stats.dropped++;
      return undefined;
    }
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    const opcode = (flags >> 11) & 0xf;
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return this.bare(id, flags, RCODE.FORMERR);
    }
    if (opcode !== 0) return this.bare(id, flags, RCODE.NOTIMP);
    const qlen = query.questions?.length === 1 ? questionLength(msg) : undefined;
    if (qlen === undefined) return this.bare(id, flags, RCODE.FORMERR);
    const qtype = msg.readUInt16BE(12 + qlen - 4);
    const qclass = msg.readUInt16BE(12 + qlen - 2);
    const opt = query.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    const name = normalizeName(query.questions![0]!.name);
    const zone = qclass === CLASS_IN || qclass === CLASS_ANY ? this.zoneOf(name) : undefined;
    if (!zone) return this.reply(msg, id, flags, qlen, RCODE.REFUSED, 0, undefined, undefined, opt, udp);
    const found = zone.lookup(name, qtype, client);
    const rcode = found.rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR;
    return this.reply(
      msg,
      id,
      flags,
      qlen,
      rcode,
      FLAG_AA,
      found.answer,
      found.answer ? undefined : zone.soaRecord,
      opt,
      udp,
    );
  }

  private zoneOf(name: string): DnsZone | undefined {
    for (const z of this.zones) if (z.contains(name)) return z;
    return undefined;
  }

  /** A header-only reply (the question could not be read). */
  private bare(id: number, flags: number, rcode: number): Buffer {
    this.count(rcode);
    const out = Buffer.alloc(12);
    out.writeUInt16BE(id, 0);
    out.writeUInt16BE(FLAG_QR | (flags & 0x7800) | (flags & FLAG_RD) | rcode, 2);
    return out;
  }

  private reply(
    msg: Buffer,
    id: number,
    flags: number,
    qlen: number,
    rcode: number,
    aa: number,
    answer: EncodedRRset | undefined,
    authority: EncodedRRset | undefined,
    opt: dnsPacket.OptAnswer | undefined,
    udp: boolean,
  ): Buffer {
    this.count(rcode);
    const extra = opt ? OPT_RECORD : undefined;
    let size =
      12 + qlen + (answer?.bytes.length ?? 0) + (authority?.bytes.length ?? 0) + (extra?.bytes.length ?? 0);
    let tc = 0;
    if (udp) {
      const limit = opt ? Math.min(Math.max(opt.udpPayloadSize ?? 512, 512), EDNS_MAX) : 512;
      if (size > limit) {
        tc = FLAG_TC;
        answer = undefined;
        authority = undefined;
        size = 12 + qlen + (extra?.bytes.length ?? 0);
        this.stats.truncated++;
      }
    }
    const out = Buffer.allocUnsafe(size);
    out.writeUInt16BE(id, 0);
    out.writeUInt16BE(FLAG_QR | aa | tc | (flags & FLAG_RD) | rcode, 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(answer?.count ?? 0, 6);
    out.writeUInt16BE(authority?.count ?? 0, 8);
    out.writeUInt16BE(extra ? 1 : 0, 10);
    let at = 12 + msg.copy(out, 12, 12, 12 + qlen);
    if (answer) at += answer.bytes.copy(out, at);
    if (authority) at += authority.bytes.copy(out, at);
    if (extra) extra.bytes.copy(out, at);
    return out;
  }

  private count(rcode: number): void {
    const name = RCODE_NAMES[rcode] ?? String(rcode);
    this.stats.answers[name] = (this.stats.answers[name] ?? 0) + 1;
  }
}
