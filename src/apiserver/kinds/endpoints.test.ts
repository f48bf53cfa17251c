import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { endpointsStrategy } from './endpoints.js';
import { endpointSliceStrategy } from './endpointslice.js';

const now = new Date('2026-03-01T12:00:00Z');
const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

function endpoints(subsets: unknown): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    subsets,
  };
}

function slice(body: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    ...body,
  };
}

describe('Endpoints', () => {
  it('defaults ports to TCP and prints the first three addresses', () => {
    const ep = endpoints([
      {
        addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip })),
        ports: [{ port: 8080 }],
      },
    ]);
    endpointsStrategy.applyDefaults!(ep);
    expect((ep.subsets as { ports: unknown[] }[])[0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    expect(endpointsStrategy.validate!(ep)).toEqual([]);
    expect(endpointsStrategy.table!.cells(ep, now)).toEqual([
      'web',
      '10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...',
      '60m',
    ]);
    expect(endpointsStrategy.table!.cells(endpoints(undefined), now)[1]).toBe('<none>');
  });

  it('refuses addresses that are not IPs', () => {
    const ep = endpoints([{ addresses: [{ ip: 'web-1' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    expect(messages(endpointsStrategy.validate!(ep))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "web-1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });
});

describe('EndpointSlice', () => {
  it('defaults ports to TCP with an empty name', () => {
    const s = slice({ addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
    endpointSliceStrategy.applyDefaults!(s);
    expect(s.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }]);
    expect(endpointSliceStrategy.validate!(s)).toEqual([]);
  });

  it('only knows IPv4, IPv6 and FQDN addresses, each of its type', () => {
    expect(messages(endpointSliceStrategy.validate!(slice({ addressType: 'IPX' })))).toEqual([
      'addressType: Unsupported value: "IPX": supported values: "IPv4", "IPv6", "FQDN"',
    ]);
    const wrong = slice({ addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: [] }] });
    expect(messages(endpointSliceStrategy.validate!(wrong))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
    ]);
  });

  it('keeps its address type', () => {
    const old = slice({ addressType: 'IPv4' });
    expect(endpointSliceStrategy.validateUpdate!(slice({ addressType: 'IPv6' }), old)[0]).toMatchObject({
      field: 'addressType',
      detail: 'field is immutable',
    });
  });

  it('prints ADDRESSTYPE, PORTS and ENDPOINTS', () => {
    const s = slice({
      addressType: 'IPv4',
      ports: [{ port: 80 }, { port: 443 }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }],
    });
    expect(endpointSliceStrategy.table!.cells(s, now)).toEqual([
      'web-abc12',
      'IPv4',
      '80,443',
      '10.0.0.1,10.0.0.2',
      '60m',
    ]);
    expect(endpointSliceStrategy.table!.cells(slice({ addressType: 'IPv4' }), now).slice(2, 4)).toEqual([
      '<unset>',
      '<unset>',
    ]);
  });
});
