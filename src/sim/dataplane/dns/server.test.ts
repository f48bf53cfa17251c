import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsServer } from './server.js';
import { Zone } from './zone.js';

const zone = new Zone('cluster.local');
let server: DnsServer;

function query(
  name: string,
  type: dnsPacket.RecordType,
  opts: { edns?: boolean; opcode?: number } = {},
): Buffer {
  const q = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    ...(opts.edns
      ? {
          additionals: [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: 4096,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
        }
      : {}),
  });
  if (opts.opcode !== undefined) q.writeUInt16BE((q.readUInt16BE(2) & ~0x7800) | (opts.opcode << 11), 2);
  return q;
}

function overUdp(packet: Buffer): Promise<dnsPacket.DecodedPacket> {
  const socket = dgram.createSocket('udp4');
  return new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
    socket.once('message', (msg) => resolve(dnsPacket.decode(msg)));
    socket.once('error', reject);
    socket.send(packet, server.port, server.address);
  }).finally(() => socket.close());
}

function overTcp(packet: Buffer): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, server.address);
    let data = Buffer.alloc(0);
    socket.on('data', (c) => {
      data = Buffer.concat([data, c]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.destroy();
        resolve(dnsPacket.decode(data.subarray(2)));
      }
    });
    socket.on('error', reject);
    const framed = Buffer.alloc(2 + packet.length);
    framed.writeUInt16BE(packet.length, 0);
    packet.copy(framed, 2);
    // In two pieces: the server must put the message together.
    socket.write(framed.subarray(0, 5));
    setTimeout(() => socket.write(framed.subarray(5)), 20);
  });
}

const rcode = (p: dnsPacket.DecodedPacket) => (p.flags ?? 0) & 0xf;

beforeAll(async () => {
  zone.set('web.shop.svc.cluster.local', [{ type: 'A', data: '127.16.128.7' }]);
  zone.set(
    'many.shop.svc.cluster.local',
    Array.from({ length: 70 }, (_, i) => ({ type: 'A' as const, data: `127.16.0.${i + 2}` })),
  );
  server = new DnsServer({ address: '127.0.0.1', port: 0, zones: [zone] });
  await server.listen();
});

afterAll(async () => {
  await server?.close();
});

describe('the DNS server', () => {
  it('answers names of its zone authoritatively, whatever their case', async () => {
    const r = await overUdp(query('Web.Shop.svc.cluster.LOCAL', 'A'));
    expect(r.id).toBe(4242);
    expect(r.flag_aa).toBe(true);
    expect(r.flag_rd).toBe(true);
    expect(r.questions?.[0]?.name).toBe('Web.Shop.svc.cluster.LOCAL');
    // The answer's owner points at the question: it reads as the client spelt it.
    expect(r.answers).toMatchObject([
      { type: 'A', name: 'Web.Shop.svc.cluster.LOCAL', ttl: 5, data: '127.16.128.7' },
    ]);
  });

  it('says NOERROR with no data for other types and for names between the apex and a record', async () => {
    for (const [name, type] of [
      ['web.shop.svc.cluster.local', 'AAAA'],
      ['shop.svc.cluster.local', 'A'],
    ] as const) {
      const r = await overUdp(query(name, type));
      expect(rcode(r)).toBe(0);
      expect(r.answers).toEqual([]);
      expect(r.authorities?.[0]?.type).toBe('SOA');
    }
  });

  it('truncates an answer too large for UDP, and gives it whole over TCP', async () => {
    const udp = await overUdp(query('many.shop.svc.cluster.local', 'A'));
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    const tcp = await overTcp(query('many.shop.svc.cluster.local', 'A'));
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(70);
    // EDNS raises the limit to 1232 bytes, which 70 addresses fit (16 bytes each).
    const edns = await overUdp(query('many.shop.svc.cluster.local', 'A', { edns: true }));
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(70);
    expect(edns.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });

  it('answers NOTIMP for opcodes other than QUERY, and follows record changes', async () => {
    expect(rcode(await overUdp(query('web.shop.svc.cluster.local', 'A', { opcode: 2 })))).toBe(4);
    zone.set('web.shop.svc.cluster.local', [{ type: 'A', data: '127.16.128.9' }]);
    expect((await overUdp(query('web.shop.svc.cluster.local', 'A'))).answers?.[0]).toMatchObject({
      data: '127.16.128.9',
    });
    zone.delete('web.shop.svc.cluster.local');
    expect(rcode(await overUdp(query('web.shop.svc.cluster.local', 'A')))).toBe(3);
    expect(rcode(await overUdp(query('shop.svc.cluster.local', 'A')))).toBe(0);
  });

  it('never crashes on arbitrary bytes: a reply is FORMERR or a well-formed answer, responses are ignored', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const msg = Buffer.from(bytes);
        const reply = server.answer(msg, true);
        if (msg.length < 12 || (msg[2]! & 0x80) !== 0) expect(reply).toBeUndefined();
        else {
          expect(reply).toBeDefined();
          const decoded = dnsPacket.decode(reply!);
          expect(decoded.id).toBe(msg.readUInt16BE(0));
          expect(decoded.flag_qr).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
