import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { ingressClassStrategy, ingressStrategy, networkPolicyStrategy } from './networking.js';

const now = new Date('2026-03-01T12:00:00Z');
const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

function object(kind: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind,
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec,
  };
}

describe('NetworkPolicy', () => {
  it('defaults policyTypes from the rules given, and port protocols to TCP', () => {
    const ingressOnly = object('NetworkPolicy', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] });
    networkPolicyStrategy.applyDefaults!(ingressOnly);
    expect(ingressOnly.spec).toEqual({
      podSelector: {},
      ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    const both = object('NetworkPolicy', { podSelector: {}, egress: [{}] });
    networkPolicyStrategy.applyDefaults!(both);
    expect((both.spec as Record<string, unknown>).policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('validates peers, ports and CIDRs', () => {
    const np = object('NetworkPolicy', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            {},
            { ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16', '10.1.0.0/16'] } },
            { ipBlock: { cidr: '10.0.0.0/33' } },
          ],
          ports: [
            { port: 8080, endPort: 80 },
            { port: 'http', endPort: 90 },
          ],
        },
      ],
      policyTypes: ['Ingress', 'Sideways'],
    });
    expect(messages(networkPolicyStrategy.validate!(np))).toEqual([
      'spec.ingress[0].ports[0].endPort: Invalid value: 8080: must be greater than or equal to `port`',
      'spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
  });

  it('prints POD-SELECTOR', () => {
    const np = object('NetworkPolicy', { podSelector: { matchLabels: { app: 'web' } } });
    expect(networkPolicyStrategy.table!.cells(np, now)).toEqual(['web', 'app=web', '60m']);
    expect(networkPolicyStrategy.table!.cells(object('NetworkPolicy', { podSelector: {} }), now)[1]).toBe(
      '<none>',
    );
  });
});

describe('Ingress', () => {
  const path = (extra: Record<string, unknown>) => ({
    path: '/',
    pathType: 'Prefix',
    backend: { service: { name: 'web', port: { number: 80 } } },
    ...extra,
  });

  it('accepts a routed host', () => {
    const ing = object('Ingress', {
      ingressClassName: 'nginx',
      rules: [{ host: 'shop.example.com', http: { paths: [path({})] } }],
    });
    expect(ingressStrategy.validate!(ing)).toEqual([]);
  });

  it('requires a pathType and absolute paths, and a backend port', () => {
    const ing = object('Ingress', {
      rules: [
        {
          host: '10.0.0.1',
          http: {
            paths: [
              path({ pathType: undefined }),
              path({ path: 'api' }),
              path({ pathType: 'Regex' }),
              path({ backend: { service: { name: 'web', port: {} } } }),
            ],
          },
        },
      ],
    });
    expect(messages(ingressStrategy.validate!(ing))).toEqual([
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path',
      'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[3].backend: Required value: port name or number is required',
    ]);
  });

  it('needs rules or a default backend', () => {
    expect(messages(ingressStrategy.validate!(object('Ingress', {})))).toEqual([
      'spec: Invalid value: null: either `defaultBackend` or `rules` must be specified',
    ]);
  });

  it('prints CLASS, HOSTS, ADDRESS and PORTS', () => {
    const ing = object('Ingress', {
      ingressClassName: 'nginx',
      rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }],
      tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
    });
    ing.status = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
    expect(ingressStrategy.table!.cells(ing, now)).toEqual([
      'web',
      'nginx',
      'a.example.com,b.example.com',
      '203.0.113.7',
      '80, 443',
      '60m',
    ]);
    expect(ingressStrategy.table!.cells(object('Ingress', {}), now).slice(1, 5)).toEqual([
      '<none>',
      '*',
      '',
      '80',
    ]);
  });
});

describe('IngressClass', () => {
  it('defaults the parameters scope and prints CONTROLLER and PARAMETERS', () => {
    const ic = object('IngressClass', {
      controller: 'example.com/ingress-controller',
      parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' },
    });
    ingressClassStrategy.applyDefaults!(ic);
    expect((ic.spec as { parameters: Record<string, unknown> }).parameters.scope).toBe('Cluster');
    expect(ingressClassStrategy.validate!(ic)).toEqual([]);
    expect(ingressClassStrategy.table!.cells(ic, now)).toEqual([
      'web',
      'example.com/ingress-controller',
      'IngressParameters.k8s.example.com/external-lb',
      '60m',
    ]);
  });
});
