import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsServer } from '../../../sim/dataplane/dns/server.js';
import { GlobalNameZone } from './zone.js';

const HOST = 'app.global.example';

/** The addresses of one answer of `server` to a client at `client`. */
function ask(
  server: DnsServer,
  client = '127.0.0.1',
  name = HOST,
): { rcode: number; addresses: string[]; ttl?: number } {
  const reply = dnsPacket.decode(
    server.answer(
      dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] }),
      true,
      client,
    )!,
  );
  return {
    rcode: (reply.flags ?? 0) & 0xf,
    addresses: (reply.answers ?? []).map((a) => (a as { data: string }).data),
    ...(reply.answers?.[0] ? { ttl: (reply.answers[0] as { ttl?: number }).ttl } : {}),
  };
}

function setUp() {
  const zone = new GlobalNameZone(HOST);
  const server = new DnsServer({ address: '127.0.0.1', port: 0, zones: [zone] });
  return { zone, server };
}

const regions = [
  { region: 'eu', addresses: ['127.16.128.2'] },
  { region: 'us', addresses: ['127.17.128.2'] },
];
const blocks = new Map([
  ['127.16', 'eu'],
  ['127.17', 'us'],
]);

describe('a global name', () => {
  it('fails over from the primary region, and answers nothing when no cluster is healthy', () => {
    const { zone, server } = setUp();
    zone.setPlan({ strategy: 'failover', primaryGeoTag: 'eu', ttl: 5, regions, blocks });
    expect(ask(server)).toEqual({ rcode: 0, addresses: ['127.16.128.2'], ttl: 5 });
    zone.setPlan({ strategy: 'failover', primaryGeoTag: 'eu', ttl: 5, regions: [regions[1]!], blocks });
    expect(ask(server).addresses).toEqual(['127.17.128.2']);
    zone.setPlan({ strategy: 'failover', primaryGeoTag: 'eu', ttl: 5, regions: [], blocks });
    expect(ask(server)).toEqual({ rcode: 0, addresses: [] });
    expect(ask(server, '127.0.0.1', `www.${HOST}`).rcode).toBe(3);
  });

  it('rotates round robin, and follows weights exactly over many queries', () => {
    const { zone, server } = setUp();
    zone.setPlan({ strategy: 'roundRobin', ttl: 30, regions, blocks });
    expect([ask(server).addresses, ask(server).addresses]).toEqual([
      ['127.16.128.2', '127.17.128.2'],
      ['127.17.128.2', '127.16.128.2'],
    ]);
    zone.setPlan({ strategy: 'roundRobin', ttl: 30, weights: { eu: 80, us: 20 }, regions, blocks });
    let eu = 0;
    for (let i = 0; i < 1000; i++) if (ask(server).addresses[0] === '127.16.128.2') eu++;
    expect(eu).toBe(800);
  });

  it('answers a client with its own region by geoip, and with all when its region has none healthy', () => {
    const { zone, server } = setUp();
    zone.setPlan({ strategy: 'geoip', ttl: 30, regions, blocks });
    expect(ask(server, '127.17.0.9').addresses).toEqual(['127.17.128.2']);
    expect(ask(server, '127.16.3.4').addresses).toEqual(['127.16.128.2']);
    expect(ask(server, '127.0.0.1').addresses).toHaveLength(2);
  });
});
