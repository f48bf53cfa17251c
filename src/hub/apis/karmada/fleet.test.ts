import { describe, expect, it } from 'vitest';
import type { Cluster } from './cluster/types.js';
import {
  bindingPlacements,
  bindingReplicas,
  bindingUnplaced,
  clusterAlerts,
  clusterCapacity,
  clusterHealth,
  clusterZones,
} from './fleet.js';
import type { ResourceBinding } from './work/types.js';

function cluster(status: Cluster['status'], spec: Partial<Cluster['spec']> = {}): Cluster {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'm' },
    spec: { syncMode: 'Push', ...spec },
    ...(status ? { status } : {}),
  };
}

describe('a member read from its Cluster', () => {
  it('is Ready, NotReady or Unknown by its Ready condition; no condition is Unknown', () => {
    expect(clusterHealth(cluster({ conditions: [{ type: 'Ready', status: 'True' }] }))).toBe('Ready');
    expect(clusterHealth(cluster({ conditions: [{ type: 'Ready', status: 'False' }] }))).toBe('NotReady');
    expect(clusterHealth(cluster({ conditions: [{ type: 'Ready', status: 'Unknown' }] }))).toBe('Unknown');
    expect(clusterHealth(cluster(undefined))).toBe('Unknown');
  });

  it('has its capacity in base units from resourceSummary quantities', () => {
    const c = cluster({
      resourceSummary: {
        allocatable: { cpu: '8', memory: '16Gi', pods: 110 },
        allocated: { cpu: '1500m', memory: '512Mi' },
      },
    });
    expect(clusterCapacity(c)).toEqual({
      cpu: { allocatable: 8, allocated: 1.5 },
      memory: { allocatable: 16 * 2 ** 30, allocated: 512 * 2 ** 20 },
      pods: { allocatable: 110, allocated: 0 },
    });
  });

  it('has zones from spec.zones or the deprecated spec.zone', () => {
    expect(clusterZones(cluster(undefined, { zones: ['a', 'b'] }))).toEqual(['a', 'b']);
    expect(clusterZones(cluster(undefined, { zone: 'z' }))).toEqual(['z']);
  });

  it("alerts on not being Ready, on taints other than the registry's own, and on nodes down", () => {
    const c = cluster(
      {
        conditions: [{ type: 'Ready', status: 'False', reason: 'ClusterNotReachable' }],
        nodeSummary: { totalNum: 3, readyNum: 1 },
      },
      {
        taints: [
          { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule' },
          { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        ],
      },
    );
    expect(clusterAlerts(c)).toEqual([
      'not ready: ClusterNotReachable',
      'taint dedicated=gpu:NoSchedule',
      '2 of 3 nodes not ready',
    ]);
  });
});

function binding(
  spec: Partial<ResourceBinding['spec']>,
  status?: ResourceBinding['status'],
): ResourceBinding {
  return {
    apiVersion: 'work.karmada.io/v1alpha2',
    kind: 'ResourceBinding',
    metadata: { name: 'web-deployment', namespace: 'shop' },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

describe('a binding read from its spec and status', () => {
  it('has replicas desired, placed on clusters, and ready as members report them', () => {
    const b = binding(
      { replicas: 5, clusters: [{ name: 'a', replicas: 3 }, { name: 'b', replicas: 2 }, { name: 'c' }] },
      {
        aggregatedStatus: [
          { clusterName: 'a', applied: true, health: 'Healthy', status: { readyReplicas: 3 } },
          { clusterName: 'b', applied: false, appliedMessage: 'quota exceeded', status: {} },
        ],
      },
    );
    expect(bindingReplicas(b)).toEqual({ desired: 5, placed: 5, ready: 3 });
    expect(bindingPlacements(b)).toEqual([
      { cluster: 'a', replicas: 3, applied: true, health: 'Healthy', ready: 3, message: undefined },
      { cluster: 'b', replicas: 2, applied: false, health: undefined, ready: 0, message: 'quota exceeded' },
      {
        cluster: 'c',
        replicas: 0,
        applied: undefined,
        health: undefined,
        ready: undefined,
        message: undefined,
      },
    ]);
  });

  it('says why it is not placed: a Scheduled condition that is not True, or scheduled on no cluster', () => {
    const failed = binding(
      {},
      {
        conditions: [{ type: 'Scheduled', status: 'False', reason: 'NoClusterFit', message: '0/3 clusters' }],
      },
    );
    expect(bindingUnplaced(failed)).toEqual({ reason: 'NoClusterFit', message: '0/3 clusters' });
    const empty = binding(
      { clusters: [] },
      { conditions: [{ type: 'Scheduled', status: 'True', reason: 'Success' }] },
    );
    expect(bindingUnplaced(empty)).toEqual({ reason: 'Success', message: 'scheduled on no cluster' });
    const placed = binding(
      { clusters: [{ name: 'a', replicas: 1 }] },
      { conditions: [{ type: 'Scheduled', status: 'True' }] },
    );
    expect(bindingUnplaced(placed)).toBeUndefined();
    expect(bindingUnplaced(binding({}))).toBeUndefined();
  });
});
