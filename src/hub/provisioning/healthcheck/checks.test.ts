// The MachineHealthCheck's judgement without I/O: each reason a Machine is unhealthy, the node
// startup clock, and maxUnhealthy / unhealthyRange as Cluster API's book describes them.

import { describe, expect, it } from 'vitest';
import type { Cluster, Machine, MachineHealthCheck } from '../../apis/cluster-api/index.js';
import { checkTarget, goDuration, remediationAllowed } from './checks.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

const cluster = {
  metadata: { name: 'c1' },
  spec: {},
  status: {
    infrastructureReady: true,
    conditions: [{ type: 'ControlPlaneInitialized', status: 'True', lastTransitionTime: at(0) }],
  },
} as unknown as Cluster;

function mhc(spec: Partial<MachineHealthCheck['spec']> = {}): MachineHealthCheck {
  return {
    metadata: { name: 'mhc' },
    spec: {
      clusterName: 'c1',
      selector: {},
      nodeStartupTimeout: '10m0s',
      unhealthyConditions: [
        { type: 'Ready', status: 'Unknown', timeout: '300s' },
        { type: 'Ready', status: 'False', timeout: '300s' },
      ],
      ...spec,
    },
  } as MachineHealthCheck;
}

function machine(extra: Partial<Machine> = {}, labels: Record<string, string> = {}): Machine {
  return {
    metadata: { name: 'm', creationTimestamp: at(0), labels },
    spec: { clusterName: 'c1', bootstrap: {}, infrastructureRef: {} },
    ...extra,
  } as Machine;
}

const nodeWith = (status: string, since: number) => ({
  status: { conditions: [{ type: 'Ready', status: status as 'True', lastTransitionTime: at(since) }] },
});

describe('checkTarget', () => {
  it('finds a Node condition unhealthy only past its timeout, and says when to look again', () => {
    const m = machine({ status: { nodeRef: { name: 'n1' } } });
    const early = checkTarget(
      mhc(),
      cluster,
      { machine: m, node: nodeWith('Unknown', 100), nodeMissing: false },
      T0 + 200_000,
    );
    expect(early).toEqual({ healthy: true, nextCheckMs: 201_000 });
    const late = checkTarget(
      mhc(),
      cluster,
      { machine: m, node: nodeWith('Unknown', 100), nodeMissing: false },
      T0 + 401_000,
    );
    expect(late).toEqual({
      healthy: false,
      reason: 'UnhealthyNode',
      message: 'Condition Ready on node is reporting status Unknown for more than 5m0s',
    });
    const fine = checkTarget(
      mhc(),
      cluster,
      { machine: m, node: nodeWith('True', 100), nodeMissing: false },
      T0 + 999_000,
    );
    expect(fine).toEqual({ healthy: true });
  });

  it('times out a Machine whose Node never shows up, counting from the latest readiness', () => {
    const m = machine();
    expect(checkTarget(mhc(), cluster, { machine: m, nodeMissing: false }, T0 + 599_000)).toEqual({
      healthy: true,
      nextCheckMs: 2_000,
    });
    expect(checkTarget(mhc(), cluster, { machine: m, nodeMissing: false }, T0 + 601_000)).toEqual({
      healthy: false,
      reason: 'NodeStartupTimeout',
      message: 'Node failed to report startup in 10m0s',
    });
    // Machine infrastructure ready later than its creation: the clock starts there.
    const late = machine({
      status: { conditions: [{ type: 'InfrastructureReady', status: 'True', lastTransitionTime: at(300) }] },
    });
    expect(checkTarget(mhc(), cluster, { machine: late, nodeMissing: false }, T0 + 601_000).healthy).toBe(
      true,
    );
    // nodeStartupTimeout 0 disables the check.
    expect(
      checkTarget(mhc({ nodeStartupTimeout: '0s' }), cluster, { machine: m, nodeMissing: false }, T0 + 9e9),
    ).toEqual({
      healthy: true,
    });
  });

  it('names a deleted Node, a failure and the remediate-machine annotation', () => {
    const m = machine({ status: { nodeRef: { name: 'gone' } } });
    expect(checkTarget(mhc(), cluster, { machine: m, nodeMissing: true }, T0)).toEqual({
      healthy: false,
      reason: 'NodeNotFound',
      message: '',
    });
    const failed = machine({ status: { failureReason: 'CreateError', failureMessage: 'no capacity' } });
    expect(checkTarget(mhc(), cluster, { machine: failed, nodeMissing: false }, T0).reason).toBe(
      'MachineHasFailure',
    );
    const marked = machine({
      metadata: { name: 'm', annotations: { 'cluster.x-k8s.io/remediate-machine': '' } },
    });
    expect(checkTarget(mhc(), cluster, { machine: marked, nodeMissing: false }, T0)).toMatchObject({
      healthy: false,
      reason: 'HasRemediateMachineAnnotation',
    });
  });

  it('judges no worker before the control plane is initialized, but does judge control plane Machines', () => {
    const fresh = { ...cluster, status: { infrastructureReady: true, conditions: [] } } as unknown as Cluster;
    const worker = machine({ status: { nodeRef: { name: 'n' } } });
    expect(checkTarget(mhc(), fresh, { machine: worker, nodeMissing: true }, T0).healthy).toBe(true);
    const cp = machine({ status: { nodeRef: { name: 'n' } } }, { 'cluster.x-k8s.io/control-plane': '' });
    expect(checkTarget(mhc(), fresh, { machine: cp, nodeMissing: true }, T0).healthy).toBe(false);
  });
});

describe('remediationAllowed', () => {
  it('allows up to maxUnhealthy, a percentage of the targets rounded down (the book: 40%)', () => {
    const book = mhc({ maxUnhealthy: '40%' });
    expect(remediationAllowed(book, 5, 2)).toEqual({ allowed: true, remaining: 0 });
    expect(remediationAllowed(book, 5, 1)).toEqual({ allowed: true, remaining: 1 });
    expect(remediationAllowed(book, 3, 2)).toEqual({
      allowed: false,
      remaining: 0,
      message:
        'Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 3, unhealthy: 2, maxUnhealthy: 40%)',
    });
    expect(remediationAllowed(mhc({ maxUnhealthy: 2 }), 10, 3).allowed).toBe(false);
    expect(remediationAllowed(mhc({}), 4, 4)).toEqual({ allowed: true, remaining: 0 });
  });

  it('allows only a count within unhealthyRange', () => {
    const ranged = mhc({ unhealthyRange: '[1-3]' });
    expect(remediationAllowed(ranged, 10, 0).allowed).toBe(false);
    expect(remediationAllowed(ranged, 10, 2)).toEqual({ allowed: true, remaining: 1 });
    expect(remediationAllowed(ranged, 10, 4).message).toBe(
      'Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: 10, unhealthy: 4, unhealthyRange: [1-3])',
    );
  });
});

describe('goDuration', () => {
  it("writes durations as Go's String() does", () => {
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(300_000)).toBe('5m0s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(90_500)).toBe('1m30.5s');
  });
});
