import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { serviceStrategy } from './service.js';

const now = new Date('2026-03-01T12:00:00Z');

/** `kubectl expose deployment web --port=80 --target-port=8080`, as sent. */
function kubectlExpose(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, ...spec },
  };
}

function admit(svc: KubeObject): string[] {
  serviceStrategy.applyDefaults!(svc);
  return serviceStrategy.validate!(svc).map((e) => fieldErrorMessage(e));
}

/** An update the way the machinery runs it: strategy preparation, defaults, then both validations. */
function update(next: KubeObject, old: KubeObject): string[] {
  serviceStrategy.prepareForUpdate!(next, old);
  serviceStrategy.applyDefaults!(next);
  return [...serviceStrategy.validate!(next), ...serviceStrategy.validateUpdate!(next, old)].map((e) =>
    fieldErrorMessage(e),
  );
}

describe('Service defaults', () => {
  it('make a single-stack ClusterIP service with session affinity off', () => {
    const svc = kubectlExpose({ ports: [{ port: 80 }] });
    expect(admit(svc)).toEqual([]);
    expect(svc.spec).toEqual({
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    });
  });

  it('give NodePort and LoadBalancer services an external traffic policy', () => {
    const svc = kubectlExpose({ type: 'LoadBalancer' });
    admit(svc);
    expect(svc.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
  });

  it('keep clusterIPs in step with clusterIP for older clients', () => {
    const svc = kubectlExpose({ clusterIP: 'None' });
    expect(admit(svc)).toEqual([]);
    expect(svc.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
  });
});

describe('Service validation', () => {
  it('requires ports unless headless or ExternalName', () => {
    expect(admit(kubectlExpose({ ports: [] }))).toEqual(['spec.ports: Required value']);
    expect(admit(kubectlExpose({ ports: [], clusterIP: 'None' }))).toEqual([]);
    expect(
      admit(
        kubectlExpose({
          ports: [],
          type: 'ExternalName',
          externalName: 'db.example.com',
          selector: undefined,
        }),
      ),
    ).toEqual([]);
  });

  it('names bad ports by index', () => {
    const errs = admit(
      kubectlExpose({
        ports: [
          { name: 'http', port: 0 },
          { name: 'http', port: 443, protocol: 'ICMP' },
          { port: 80, targetPort: 'Web_Port' },
        ],
      }),
    );
    expect(errs).toEqual([
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      // The target port defaults to the port, and is as wrong.
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].name: Duplicate value: "http"',
      'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.ports[2].name: Required value',
      'spec.ports[2].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]);
  });

  it('refuses unknown types and node ports on ClusterIP services', () => {
    expect(admit(kubectlExpose({ type: 'Internal' }))).toContain(
      'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
    expect(admit(kubectlExpose({ ports: [{ port: 80, nodePort: 30080 }] }))).toEqual([
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
  });

  it('checks cluster IPs', () => {
    expect(admit(kubectlExpose({ clusterIP: '10.96.0.300' }))).toEqual([
      'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });
});

describe('Service updates', () => {
  function allocated(): KubeObject {
    const svc = kubectlExpose({
      type: 'NodePort',
      clusterIP: '10.96.12.7',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    });
    admit(svc);
    return svc;
  }

  it('keep the allocated cluster IP and node ports when a re-applied manifest omits them', () => {
    const old = allocated();
    const next = kubectlExpose({ type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
    expect(update(next, old)).toEqual([]);
    expect(next.spec).toMatchObject({
      clusterIP: '10.96.12.7',
      clusterIPs: ['10.96.12.7'],
      ports: [{ nodePort: 30080 }],
    });
  });

  it('refuse a different cluster IP', () => {
    const old = allocated();
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).clusterIP = '10.96.12.8';
    expect(update(next, old)).toEqual([
      'spec.clusterIPs[0]: Invalid value: ["10.96.12.8"]: may not change once set',
    ]);
  });

  it('let the allocator set the cluster IP once', () => {
    const old = kubectlExpose();
    admit(old);
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).clusterIP = '10.96.0.10';
    expect(update(next, old)).toEqual([]);
    expect((next.spec as Record<string, unknown>).clusterIPs).toEqual(['10.96.0.10']);
  });

  it('drop the cluster IP and node ports when switching to ExternalName', () => {
    const old = allocated();
    const next = structuredClone(old);
    Object.assign(next.spec as object, { type: 'ExternalName', externalName: 'db.example.com' });
    expect(update(next, old)).toEqual([]);
    const spec = next.spec as Record<string, unknown>;
    expect(spec.clusterIP).toBeUndefined();
    expect(spec.ipFamilies).toBeUndefined();
    expect((spec.ports as Record<string, unknown>[])[0]!.nodePort).toBeUndefined();
  });
});

describe('Service table and field selectors', () => {
  it('prints TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) like kubectl', () => {
    const table = serviceStrategy.table!;
    const svc = kubectlExpose({ clusterIP: '10.96.12.7' });
    admit(svc);
    expect(table.cells(svc, now)).toEqual([
      'web',
      'ClusterIP',
      '10.96.12.7',
      '<none>',
      '80/TCP',
      '60m',
      'app=web',
    ]);
    const lb = kubectlExpose({
      type: 'LoadBalancer',
      clusterIP: '10.96.12.8',
      ports: [{ port: 443, nodePort: 31443 }],
    });
    admit(lb);
    expect(table.cells(lb, now).slice(1, 5)).toEqual([
      'LoadBalancer',
      '10.96.12.8',
      '<pending>',
      '443:31443/TCP',
    ]);
    lb.status = { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } };
    expect(table.cells(lb, now)[3]).toBe('203.0.113.10');
    const pending = kubectlExpose();
    admit(pending);
    expect(table.cells(pending, now)[2]).toBe('<none>');
  });

  it('is selectable by spec.clusterIP and spec.type', () => {
    const svc = kubectlExpose({ clusterIP: 'None' });
    admit(svc);
    expect(serviceStrategy.selectableFields!(svc)).toEqual({
      'spec.clusterIP': 'None',
      'spec.type': 'ClusterIP',
    });
  });

  it('requires names that start with a letter', () => {
    expect(serviceStrategy.nameRule).toBe('dns1035Label');
  });
});
