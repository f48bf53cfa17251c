// Random sequences of member deaths, partitions and recoveries, driven through failover's and the
// scheduler's decisions the way their controllers run them (taint manager, scheduler, members'
// health reports, graceful eviction) until nothing changes, against a model written apart from
// the code. A dead member is Ready Unknown and tainted unreachable, a partitioned one Ready False
// and tainted not-ready, both NoSchedule and NoExecute, as the registry leaves them. After every
// step:
// - nothing is placed twice, nor both placed on and being evicted from a member;
// - no replica stays on a failed member; divided replicas add up to the policy's whenever a healthy
//   member is in the affinity, and duplicated ones are on exactly the healthy members;
// - an old copy is removed only once its replacement is healthy: eviction tasks remain exactly
//   while the binding is placed nowhere;
// - a recovery moves nothing of a divided workload (no surprise moves);
// and once every member is back, the fleet holds exactly the policy's placement.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AggregatedStatusItem,
  type Cluster,
  type Placement,
  POLICY_PLACEMENT_ANNOTATION,
  type ResourceBinding,
} from '../../apis/karmada/index.js';
import { scheduleReason } from '../scheduler/decision.js';
import { schedule } from '../scheduler/schedule.js';
import { assessTasks, clusterPurgeMode, evictCluster, taintDecision } from './eviction.js';

const NAMES = ['m0', 'm1', 'm2', 'm3'] as const;
type State = 'up' | 'down' | 'partitioned';
type Kind = 'Duplicated' | 'Static' | 'Dynamic';

interface Policy {
  kind: Kind;
  replicas: number;
  affinity: boolean[];
}

type Event = { member: number; state: State };

const NOW = new Date('2026-01-01T00:00:00Z');
const ROOM = 20;

function placementOf(p: Policy): Placement {
  const names = NAMES.filter((_, i) => p.affinity[i]);
  const clusterAffinity = { clusterNames: names.length ? names : ['nowhere'] };
  switch (p.kind) {
    case 'Duplicated':
      return { clusterAffinity };
    case 'Static':
      return {
        clusterAffinity,
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: {
            staticWeightList: NAMES.map((n) => ({ targetCluster: { clusterNames: [n] }, weight: 1 })),
          },
        },
      };
    case 'Dynamic':
      return {
        clusterAffinity,
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
      };
  }
}

function clusters(states: State[], b: ResourceBinding): Cluster[] {
  return states.map((s, i) => {
    const name = NAMES[i]!;
    const mine = b.spec.clusters?.find((t) => t.name === name)?.replicas ?? 0;
    const key = s === 'down' ? 'cluster.karmada.io/unreachable' : 'cluster.karmada.io/not-ready';
    return {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: {
        syncMode: 'Push',
        ...(s === 'up'
          ? {}
          : {
              taints: [
                { key, effect: 'NoSchedule', timeAdded: NOW.toISOString() },
                { key, effect: 'NoExecute', timeAdded: NOW.toISOString() },
              ],
            }),
      },
      status: {
        conditions: [{ type: 'Ready', status: s === 'up' ? 'True' : s === 'down' ? 'Unknown' : 'False' }],
        resourceSummary: { allocatable: { pods: String(ROOM) }, allocated: { pods: String(mine) } },
      },
    } as Cluster;
  });
}

/** One round of every controller; returns the binding after it. */
function round(b: ResourceBinding, states: State[]): ResourceBinding {
  let cur = b;
  // Taint manager.
  const cs = clusters(states, cur);
  const byName = new Map(cs.map((c) => [c.metadata.name!, c]));
  let spec = cur.spec;
  for (const t of cur.spec.clusters ?? []) {
    const d = taintDecision(byName.get(t.name)?.spec.taints, cur.spec.placement?.clusterTolerations, NOW);
    if (d.evict) {
      spec = evictCluster(
        spec,
        t.name,
        {
          reason: 'TaintUntolerated',
          producer: 'TaintManager',
          purgeMode: clusterPurgeMode(spec.failover, 'Gracefully'),
        },
        NOW,
      );
    }
  }
  cur = { ...cur, spec };
  // Scheduler.
  const cs2 = clusters(states, cur);
  if (scheduleReason(cur, new Map(cs2.map((c) => [c.metadata.name!, c])))) {
    const r = schedule(cur.spec, cur.status, cs2);
    cur = {
      ...cur,
      metadata: {
        ...cur.metadata,
        annotations: { [POLICY_PLACEMENT_ANNOTATION]: JSON.stringify(cur.spec.placement) },
      },
      spec: { ...cur.spec, ...(r.clusters !== undefined ? { clusters: r.clusters } : {}) },
      status: {
        ...cur.status,
        ...(r.affinityName ? { schedulerObservingAffinityName: r.affinityName } : {}),
      },
    };
  }
  // Members report: Healthy where up, nothing from the others.
  const aggregatedStatus: AggregatedStatusItem[] = (cur.spec.clusters ?? [])
    .filter((t) => states[NAMES.indexOf(t.name as (typeof NAMES)[number])] === 'up')
    .map((t) => ({ clusterName: t.name, applied: true, health: 'Healthy' }));
  cur = { ...cur, status: { ...cur.status, aggregatedStatus } };
  // Graceful eviction.
  const tasks = cur.spec.gracefulEvictionTasks ?? [];
  if (tasks.length > 0) {
    const a = assessTasks(tasks, NOW, {
      defaultTimeoutMs: 600_000,
      clusters: cur.spec.clusters,
      aggregated: cur.status?.aggregatedStatus,
      scheduled: true,
      memberBack: (n) => states[NAMES.indexOf(n as (typeof NAMES)[number])] === 'up',
    });
    const next = { ...cur.spec };
    if (a.kept.length) next.gracefulEvictionTasks = a.kept;
    else delete next.gracefulEvictionTasks;
    cur = { ...cur, spec: next };
  }
  return cur;
}

/** Runs rounds until nothing changes (at most 10). */
function settle(b: ResourceBinding, states: State[]): ResourceBinding {
  let cur = b;
  for (let i = 0; i < 10; i++) {
    const next = round(cur, states);
    if (JSON.stringify(next.spec) === JSON.stringify(cur.spec)) return next;
    cur = next;
  }
  throw new Error(`no fixed point: ${JSON.stringify(cur.spec)}`);
}

function check(b: ResourceBinding, states: State[], policy: Policy): void {
  const placed = (b.spec.clusters ?? []).map((t) => t.name);
  const evicting = (b.spec.gracefulEvictionTasks ?? []).map((t) => t.fromCluster);
  expect(new Set(placed).size).toBe(placed.length);
  expect(new Set(evicting).size).toBe(evicting.length);
  for (const n of placed) expect(evicting).not.toContain(n);
  const healthy = NAMES.filter((_, i) => policy.affinity[i] && states[i] === 'up');
  for (const n of placed) expect(healthy).toContain(n);
  if (policy.kind === 'Duplicated') {
    expect([...placed].sort()).toEqual(healthy);
    for (const t of b.spec.clusters ?? []) expect(t.replicas).toBe(policy.replicas);
  } else {
    const sum = (b.spec.clusters ?? []).reduce((s, t) => s + (t.replicas ?? 0), 0);
    expect(sum).toBe(healthy.length > 0 ? policy.replicas : 0);
  }
  // The old copies stay exactly while nothing healthy replaces them.
  if (placed.length > 0) expect(evicting).toEqual([]);
  for (const n of evicting) expect(states[NAMES.indexOf(n as (typeof NAMES)[number])]).not.toBe('up');
}

describe('failover under random deaths, partitions and recoveries', () => {
  it('matches the model after every step and converges to the policy once every member is back', () => {
    fc.assert(
      fc.property(
        fc.record<Policy>({
          kind: fc.constantFrom<Kind>('Duplicated', 'Static', 'Dynamic'),
          replicas: fc.integer({ min: 1, max: 12 }),
          affinity: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        }),
        fc.array(
          fc.record<Event>({
            member: fc.integer({ min: 0, max: 3 }),
            state: fc.constantFrom<State>('up', 'down', 'partitioned'),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (policy, events) => {
          const states: State[] = ['up', 'up', 'up', 'up'];
          let b: ResourceBinding = {
            apiVersion: 'work.karmada.io/v1alpha2',
            kind: 'ResourceBinding',
            metadata: { name: 'app-deployment', namespace: 'default', annotations: {} },
            spec: {
              resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'app' },
              replicas: policy.replicas,
              placement: placementOf(policy),
            },
          };
          b = settle(b, states);
          check(b, states, policy);
          for (const e of events) {
            const before = JSON.stringify(b.spec.clusters ?? []);
            const wasPlaced = (b.spec.clusters ?? []).length > 0;
            const recovery = states[e.member] !== 'up' && e.state === 'up';
            states[e.member] = e.state;
            b = settle(b, states);
            check(b, states, policy);
            // A member coming back takes nothing from a divided workload that is placed.
            if (recovery && policy.kind !== 'Duplicated' && wasPlaced) {
              expect(JSON.stringify(b.spec.clusters ?? [])).toBe(before);
            }
          }
          for (let i = 0; i < NAMES.length; i++) states[i] = 'up';
          b = settle(b, states);
          check(b, states, policy);
          expect(b.spec.gracefulEvictionTasks ?? []).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
