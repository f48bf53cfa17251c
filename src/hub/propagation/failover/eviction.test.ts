// Failover's decisions by example: when a binding leaves a tainted member, what the eviction task
// says, when a graceful eviction is done, when an unhealthy workload moves, and what state a
// stateful failover carries.

import { describe, expect, it } from 'vitest';
import type { AnyBinding } from '../util.js';
import { unhealthyFor } from './application-failover.js';
import {
  applicationEviction,
  assessTasks,
  clusterPurgeMode,
  evictCluster,
  taintDecision,
} from './eviction.js';
import { preservedState } from './state.js';

const NOW = new Date('2026-01-01T00:01:00Z');
const unreachable = (added = '2026-01-01T00:00:00Z') => ({
  key: 'cluster.karmada.io/unreachable',
  effect: 'NoExecute',
  timeAdded: added,
});

describe('taintDecision', () => {
  it('evicts at once from a NoExecute taint nothing tolerates', () => {
    expect(taintDecision([unreachable()], [], NOW)).toEqual({ evict: true });
    expect(taintDecision([unreachable()], [{ key: 'other', operator: 'Exists' }], NOW)).toEqual({
      evict: true,
    });
  });

  it('ignores NoSchedule taints and members without taints', () => {
    expect(taintDecision([{ key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule' }], [], NOW)).toEqual({
      evict: false,
    });
    expect(taintDecision(undefined, undefined, NOW)).toEqual({ evict: false });
  });

  it('keeps a binding that tolerates the taint without tolerationSeconds, forever', () => {
    const tol = [{ key: 'cluster.karmada.io/unreachable', operator: 'Exists', effect: 'NoExecute' }];
    expect(taintDecision([unreachable()], tol, NOW)).toEqual({ evict: false });
  });

  it('counts tolerationSeconds from the taint timeAdded', () => {
    const tol = [{ key: 'cluster.karmada.io/unreachable', operator: 'Exists', tolerationSeconds: 90 }];
    // Added 60 s before NOW: 30 s left.
    expect(taintDecision([unreachable()], tol, NOW)).toEqual({ evict: false, afterMs: 30_000 });
    // Added 120 s before NOW: due.
    expect(taintDecision([unreachable('2025-12-31T23:59:00Z')], tol, NOW)).toEqual({ evict: true });
  });

  it('takes the earliest end among several tolerated taints', () => {
    const taints = [
      unreachable(),
      { key: 'maintenance', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:50Z' },
    ];
    const tol = [
      { key: 'cluster.karmada.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      { key: 'maintenance', operator: 'Exists', tolerationSeconds: 20 },
    ];
    expect(taintDecision(taints, tol, NOW)).toEqual({ evict: false, afterMs: 10_000 });
  });
});

describe('clusterPurgeMode', () => {
  it("is the policy's failover.cluster.purgeMode, Gracefully when empty, else the hub's default", () => {
    expect(clusterPurgeMode({ cluster: { purgeMode: 'Directly' } }, 'Gracefully')).toBe('Directly');
    expect(clusterPurgeMode({ cluster: {} }, 'Directly')).toBe('Gracefully');
    expect(clusterPurgeMode(undefined, 'Directly')).toBe('Directly');
    expect(clusterPurgeMode({ application: { decisionConditions: {} } }, 'Gracefully')).toBe('Gracefully');
  });
});

describe('evictCluster', () => {
  const spec = {
    resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' },
    replicas: 6,
    clusters: [
      { name: 'a', replicas: 2 },
      { name: 'b', replicas: 4 },
    ],
  };
  const opts = { reason: 'TaintUntolerated', producer: 'TaintManager', purgeMode: 'Gracefully' as const };

  it('moves the member from spec.clusters into a task with its replicas and creation time', () => {
    const out = evictCluster(spec, 'b', opts, NOW);
    expect(out.clusters).toEqual([{ name: 'a', replicas: 2 }]);
    expect(out.gracefulEvictionTasks).toEqual([
      {
        fromCluster: 'b',
        purgeMode: 'Gracefully',
        replicas: 4,
        reason: 'TaintUntolerated',
        producer: 'TaintManager',
        creationTimestamp: '2026-01-01T00:01:00Z',
      },
    ]);
  });

  it('leaves a binding not on the member as it is, and never adds a second task for a member', () => {
    expect(evictCluster(spec, 'z', opts, NOW)).toBe(spec);
    const once = evictCluster(spec, 'b', opts, NOW);
    const back = { ...once, clusters: [...once.clusters!, { name: 'b', replicas: 1 }] };
    const twice = evictCluster(back, 'b', { ...opts, reason: 'ApplicationFailure' }, NOW);
    expect(twice.clusters).toEqual([{ name: 'a', replicas: 2 }]);
    expect(twice.gracefulEvictionTasks).toHaveLength(1);
    expect(twice.gracefulEvictionTasks![0]!.reason).toBe('TaintUntolerated');
  });

  it('gives no replicas to the task of a binding without replicas', () => {
    const out = evictCluster({ ...spec, replicas: 0, clusters: [{ name: 'a' }] }, 'a', opts, NOW);
    expect(out.gracefulEvictionTasks![0]).not.toHaveProperty('replicas');
  });
});

describe('applicationEviction', () => {
  it('Gracefully carries the grace period, Never suppresses deletion, Directly neither', () => {
    const decision = { tolerationSeconds: 10 };
    expect(
      applicationEviction(
        { decisionConditions: decision, purgeMode: 'Gracefully', gracePeriodSeconds: 60 },
        'p',
        [],
        undefined,
      ),
    ).toEqual({
      reason: 'ApplicationFailure',
      producer: 'p',
      purgeMode: 'Gracefully',
      gracePeriodSeconds: 60,
    });
    expect(
      applicationEviction({ decisionConditions: decision, purgeMode: 'Never' }, 'p', [], undefined),
    ).toEqual({
      reason: 'ApplicationFailure',
      producer: 'p',
      purgeMode: 'Never',
      suppressDeletion: true,
    });
    expect(
      applicationEviction({ decisionConditions: decision, purgeMode: 'Directly' }, 'p', [], undefined),
    ).toEqual({
      reason: 'ApplicationFailure',
      producer: 'p',
      purgeMode: 'Directly',
    });
    expect(
      applicationEviction({ decisionConditions: decision }, 'p', ['a', 'b'], { 'app/id': '7' }),
    ).toMatchObject({
      purgeMode: 'Gracefully',
      preservedLabelState: { 'app/id': '7' },
      clustersBeforeFailover: ['a', 'b'],
    });
  });
});

describe('assessTasks', () => {
  const task = (extra = {}) => ({
    fromCluster: 'b',
    reason: 'TaintUntolerated',
    producer: 'TaintManager',
    creationTimestamp: '2026-01-01T00:00:30Z',
    ...extra,
  });
  const healthyA = [{ clusterName: 'a', health: 'Healthy' as const }];
  const base = { defaultTimeoutMs: 600_000, clusters: [{ name: 'a', replicas: 6 }], scheduled: true };

  it('keeps a task until the new placement reports Healthy, looking again when its time is up', () => {
    const waiting = assessTasks([task()], NOW, {
      ...base,
      aggregated: [{ clusterName: 'a', health: 'Unknown' }],
    });
    expect(waiting.kept).toHaveLength(1);
    expect(waiting.done).toEqual([]);
    // Created 30 s before NOW with 600 s: 570 s left.
    expect(waiting.retryAfterMs).toBe(570_001);
    const healthy = assessTasks([task()], NOW, { ...base, aggregated: healthyA });
    expect(healthy.kept).toEqual([]);
    expect(healthy.done).toEqual([{ task: task(), why: 'healthy' }]);
  });

  it('does not trust health the scheduler has not seen yet, nor an empty placement', () => {
    expect(assessTasks([task()], NOW, { ...base, aggregated: healthyA, scheduled: false }).kept).toHaveLength(
      1,
    );
    expect(assessTasks([task()], NOW, { ...base, clusters: [], aggregated: [] }).kept).toHaveLength(1);
  });

  it('ends a taint eviction of a binding placed nowhere once its member is back', () => {
    const opts = { ...base, clusters: [], aggregated: [], memberBack: (n: string) => n === 'b' };
    expect(assessTasks([task()], NOW, opts).done[0]!.why).toBe('recovered');
    expect(assessTasks([task({ fromCluster: 'c' })], NOW, opts).kept).toHaveLength(1);
    // An application failure is not a member's: the member being Ready says nothing of it.
    expect(assessTasks([task({ reason: 'ApplicationFailure' })], NOW, opts).kept).toHaveLength(1);
    // Placed elsewhere, the task waits for the new placement as usual.
    expect(assessTasks([task()], NOW, { ...opts, clusters: [{ name: 'a', replicas: 1 }] }).kept).toHaveLength(
      1,
    );
  });

  it('ends a task once its grace period (or the default timeout) has passed', () => {
    expect(
      assessTasks([task({ gracePeriodSeconds: 20 })], NOW, { ...base, aggregated: [] }).done[0]!.why,
    ).toBe('timeout');
    expect(
      assessTasks([task()], NOW, { ...base, defaultTimeoutMs: 10_000, aggregated: [] }).done[0]!.why,
    ).toBe('timeout');
  });

  it('follows suppressDeletion: true holds the task whatever the health, false ends it', () => {
    const held = assessTasks([task({ suppressDeletion: true })], NOW, { ...base, aggregated: healthyA });
    expect(held.kept).toHaveLength(1);
    expect(held.retryAfterMs).toBeUndefined();
    const confirmed = assessTasks([task({ suppressDeletion: false })], NOW, { ...base, aggregated: [] });
    expect(confirmed.done[0]!.why).toBe('confirmed');
  });

  it('gives a task without a creation time the current time', () => {
    const out = assessTasks([{ fromCluster: 'b', reason: 'X', producer: 'me' }], NOW, {
      ...base,
      aggregated: healthyA,
    });
    expect(out.kept).toEqual([
      { fromCluster: 'b', reason: 'X', producer: 'me', creationTimestamp: '2026-01-01T00:01:00Z' },
    ]);
  });
});

describe('unhealthyFor', () => {
  const binding = (health: Record<string, 'Healthy' | 'Unhealthy' | 'Unknown'>, evicting: string[] = []) =>
    ({
      metadata: { name: 'web-deployment', namespace: 'default' },
      spec: {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        clusters: Object.keys(health).map((name) => ({ name, replicas: 1 })),
        gracefulEvictionTasks: evicting.map((fromCluster) => ({ fromCluster, reason: 'X', producer: 'p' })),
      },
      status: {
        aggregatedStatus: Object.entries(health).map(([clusterName, h]) => ({ clusterName, health: h })),
      },
    }) as AnyBinding;

  it('moves a workload unhealthy on a member for tolerationSeconds, and only then', () => {
    const since = new Map<string, number>();
    const t0 = NOW.getTime();
    expect(unhealthyFor(binding({ a: 'Healthy', b: 'Unhealthy' }), since, t0, 30)).toEqual({
      evict: [],
      retryAfterMs: 30_000,
    });
    expect(unhealthyFor(binding({ a: 'Healthy', b: 'Unhealthy' }), since, t0 + 10_000, 30)).toEqual({
      evict: [],
      retryAfterMs: 20_000,
    });
    expect(unhealthyFor(binding({ a: 'Healthy', b: 'Unhealthy' }), since, t0 + 30_000, 30).evict).toEqual([
      'b',
    ]);
  });

  it('starts counting again when the workload recovers in between', () => {
    const since = new Map<string, number>();
    const t0 = NOW.getTime();
    unhealthyFor(binding({ b: 'Unhealthy' }), since, t0, 30);
    unhealthyFor(binding({ b: 'Healthy' }), since, t0 + 20_000, 30);
    expect(unhealthyFor(binding({ b: 'Unhealthy' }), since, t0 + 40_000, 30)).toEqual({
      evict: [],
      retryAfterMs: 30_000,
    });
  });

  it('leaves members already being evicted, and Unknown health, alone', () => {
    const since = new Map<string, number>();
    expect(unhealthyFor(binding({ a: 'Unknown', b: 'Unhealthy' }, ['b']), since, NOW.getTime(), 0)).toEqual({
      evict: [],
    });
  });
});

describe('preservedState', () => {
  const status = {
    aggregatedStatus: [{ clusterName: 'b', status: { jobStatus: { id: 'job-7', attempts: 3 } } }],
  };
  const rules = { rules: [{ aliasLabelName: 'failover.example/job-id', jsonPath: '{ .jobStatus.id }' }] };

  it('reads each rule from the status the member reported', () => {
    expect(preservedState(rules, status, 'b')).toEqual({
      preservedLabelState: { 'failover.example/job-id': 'job-7' },
    });
  });

  it('carries nothing when the member never reported or the path finds nothing', () => {
    expect(preservedState(rules, status, 'a')).toEqual({});
    expect(preservedState({ rules: [{ aliasLabelName: 'x', jsonPath: '{.nothing}' }] }, status, 'b')).toEqual(
      {},
    );
    expect(preservedState(undefined, status, 'b')).toEqual({});
  });
});
