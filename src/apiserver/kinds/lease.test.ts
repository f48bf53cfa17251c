import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { leaseStrategy } from './lease.js';
import { serviceAccountStrategy } from './serviceaccount.js';

const now = new Date('2026-03-01T12:00:00Z');

describe('Lease', () => {
  const lease = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'worker-1', namespace: 'kube-node-lease', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec,
  });

  it('accepts a node heartbeat and prints its holder', () => {
    const l = lease({
      holderIdentity: 'worker-1',
      leaseDurationSeconds: 40,
      renewTime: '2026-03-01T11:59:50.000000Z',
    });
    expect(leaseStrategy.validate!(l)).toEqual([]);
    expect(leaseStrategy.table!.cells(l, now)).toEqual(['worker-1', 'worker-1', '60m']);
  });

  it('refuses a zero duration and negative transitions', () => {
    expect(
      leaseStrategy.validate!(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 })).map((e) =>
        fieldErrorMessage(e),
      ),
    ).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});

describe('ServiceAccount', () => {
  it('prints the number of secrets', () => {
    const sa: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: 'default', creationTimestamp: '2026-03-01T11:59:30Z' },
    };
    expect(serviceAccountStrategy.table!.cells(sa, now)).toEqual(['default', 0, '30s']);
  });
});
