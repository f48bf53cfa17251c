import { describe, expect, it } from 'vitest';
import { exposition, parseExposition } from './exposition.js';

const MEMBER = `# HELP req_total Requests.
# TYPE req_total counter
req_total{verb="GET",path="/a,b{c}",note="say \\"hi\\"\\\\"} 3
req_total{verb="PUT"} 1 1700000000000
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1"} 1
lat_seconds_bucket{le="+Inf"} 2
lat_seconds_sum 0.3
lat_seconds_count 2
# TYPE depth gauge
depth{name="q",cluster="self"} 4
untyped_thing 7
broken{x="y 5
`;

describe('federation exposition', () => {
  it('reads families with their samples, labels with escapes, histograms by their suffixes', () => {
    const families = parseExposition(MEMBER);
    expect([...families.keys()]).toEqual(['req_total', 'lat_seconds', 'depth', 'untyped_thing']);
    expect(families.get('req_total')!.samples[0]).toEqual({
      name: 'req_total',
      labels: [
        ['verb', 'GET'],
        ['path', '/a,b{c}'],
        ['note', 'say "hi"\\'],
      ],
      rest: '3',
    });
    expect(families.get('req_total')!.samples[1]!.rest).toBe('1 1700000000000');
    expect(families.get('lat_seconds')!.samples.map((s) => s.name)).toEqual([
      'lat_seconds_bucket',
      'lat_seconds_bucket',
      'lat_seconds_sum',
      'lat_seconds_count',
    ]);
  });

  it("writes the chosen families once for all members, each sample with its member's cluster label", () => {
    const samples = parseExposition(MEMBER);
    const out = exposition(
      [
        { cluster: 'a', samples, seconds: 0.01 },
        { cluster: 'b', error: 'connect ECONNREFUSED', seconds: 0.002 },
        { cluster: 'c', samples, seconds: 0.02 },
      ],
      new Set(['req_total', 'depth', 'missing']),
    );
    expect(out.split('\n')).toEqual([
      '# HELP req_total Requests.',
      '# TYPE req_total counter',
      'req_total{cluster="a",verb="GET",path="/a,b{c}",note="say \\"hi\\"\\\\"} 3',
      'req_total{cluster="a",verb="PUT"} 1 1700000000000',
      'req_total{cluster="c",verb="GET",path="/a,b{c}",note="say \\"hi\\"\\\\"} 3',
      'req_total{cluster="c",verb="PUT"} 1 1700000000000',
      '# TYPE depth gauge',
      'depth{cluster="a",name="q",exported_cluster="self"} 4',
      'depth{cluster="c",name="q",exported_cluster="self"} 4',
      "# HELP concord_federation_member_up Whether the member's /metrics answered (1) or not (0).",
      '# TYPE concord_federation_member_up gauge',
      'concord_federation_member_up{cluster="a"} 1',
      'concord_federation_member_up{cluster="b"} 0',
      'concord_federation_member_up{cluster="c"} 1',
      "# HELP concord_federation_member_scrape_duration_seconds How long scraping the member's /metrics took.",
      '# TYPE concord_federation_member_scrape_duration_seconds gauge',
      'concord_federation_member_scrape_duration_seconds{cluster="a"} 0.010000',
      'concord_federation_member_scrape_duration_seconds{cluster="b"} 0.002000',
      'concord_federation_member_scrape_duration_seconds{cluster="c"} 0.020000',
      '',
    ]);
  });
});
