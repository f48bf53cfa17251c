import { describe, expect, it } from 'vitest';
import type { MemberService, MemberSlice } from '../members.js';
import { isHubMirror, mirrorService, mirrorServiceName, mirrorSlice, mirrorSourceKey } from './names.js';

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('mirror names', () => {
  it('is <svc>-<cluster> when it fits a Service name', () => {
    expect(mirrorServiceName('web', 'west')).toBe('web-west');
    expect(mirrorServiceName('web', 'Prod.EU_1')).toBe('web-prod-eu-1');
    expect(mirrorServiceName('web', 'edge-')).toBe('web-edge');
  });

  it('shortens a name longer than 63 characters to 54 and a hash of the whole name', () => {
    const name = mirrorServiceName(
      'a-very-long-service-name-that-goes-on-and-on-and-on-for-ever',
      'prod-eu-west',
    );
    // sha256("a-very-long-service-name-that-goes-on-and-on-and-on-for-ever-prod-eu-west"), first 8 hex digits
    expect(name).toBe('a-very-long-service-name-that-goes-on-and-on-and-on-fo-2d3ec588');
    expect(name).toHaveLength(63);
    expect(name).toMatch(DNS_1035);
    // A cut that ends in '-' loses it.
    const x = 'x'.repeat(53);
    expect(mirrorServiceName(x, 'cluster-one')).toBe(`${x}-0ea66c0b`);
    // Two long names that start alike still differ.
    expect(mirrorServiceName(x, 'cluster-two')).not.toBe(mirrorServiceName(x, 'cluster-one'));
  });
});

describe('mirror objects', () => {
  const source: MemberService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', resourceVersion: '42', labels: { app: 'web' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '127.16.128.9',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  };

  it("carries Linkerd's labels and annotations and the hub's mark, with the ports and no selector", () => {
    const m = mirrorService(source, 'west');
    expect(m.metadata).toEqual({
      name: 'web-west',
      namespace: 'shop',
      labels: {
        'mirror.linkerd.io/mirrored-service': 'true',
        'mirror.linkerd.io/cluster-name': 'west',
        'app.kubernetes.io/managed-by': 'mirror-controller.concord.dev',
        'mirror.concord.dev/service-name': 'web',
      },
      annotations: {
        'mirror.linkerd.io/remote-svc-fq-name': 'web.shop.svc.cluster.local',
        'mirror.linkerd.io/remote-resource-version': '42',
      },
    });
    expect(m.spec).toEqual({ type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    expect(isHubMirror(m)).toBe(true);
    expect(isHubMirror(source)).toBe(false);
    expect(mirrorSourceKey(m)).toEqual(['shop/web']);
    expect(mirrorSourceKey(source)).toEqual([]);
  });

  it('keeps a headless Service headless and records a shortened name in full', () => {
    const long = 'b'.repeat(60);
    const m = mirrorService(
      {
        ...source,
        metadata: { ...source.metadata, name: long },
        spec: { ...source.spec, clusterIP: 'None' },
      },
      'west',
    );
    expect(m.spec?.clusterIP).toBe('None');
    expect(m.metadata.name).toHaveLength(63);
    expect(m.metadata.annotations?.['mirror.concord.dev/full-name']).toBe(`${long}-west`);
  });

  it("makes a slice of the cluster's endpoints under the mirror's name, for the member's proxy", () => {
    const own: MemberSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['127.17.1.3'], conditions: { ready: true } },
        { addresses: ['127.17.1.2'], conditions: { ready: false } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    };
    const s = mirrorSlice(mirrorService(source, 'west'), 'west', [own]);
    expect(s.metadata).toEqual({
      name: 'web-west',
      namespace: 'shop',
      labels: {
        'kubernetes.io/service-name': 'web-west',
        'endpointslice.kubernetes.io/managed-by': 'mirror-controller.concord.dev',
        'mirror.linkerd.io/mirrored-service': 'true',
        'mirror.linkerd.io/cluster-name': 'west',
        'mirror.concord.dev/service-name': 'web',
      },
    });
    expect(mirrorSourceKey(s)).toEqual(['shop/web']);
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints?.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
      ['127.17.1.2', false],
      ['127.17.1.3', true],
    ]);
    // No endpoints while the cluster is away.
    expect(mirrorSlice(mirrorService(source, 'west'), 'west', []).endpoints).toEqual([]);
  });
});
