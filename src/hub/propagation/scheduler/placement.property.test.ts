// Random sequences of member failures, recoveries, taints, capacity changes and policy changes,
// driven through the scheduler's decision (when to schedule) and its algorithm, the way the
// controller runs them, against a model written apart from the code:
// - a member gets new work only when it is Ready, untainted and in the affinity; a member the
//   binding is on keeps it through failures (taking it away is failover's job) but loses it when
//   it leaves the affinity; nothing is placed twice;
// - Duplicated: exactly the eligible members and those kept, each with every replica;
// - static weights: the Webster division (computed here by brute force) over those members;
// - dynamic weights and Aggregated: the replicas add up exactly to what was there plus what the
//   members' free room allows (the members report the binding's pods as allocated).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Cluster,
  type Placement,
  POLICY_PLACEMENT_ANNOTATION,
  type ResourceBinding,
  type TargetCluster,
} from '../../apis/karmada/index.js';
import { scheduleReason } from './decision.js';
import { schedule } from './schedule.js';

const NAMES = ['c0', 'c1', 'c2', 'c3'] as const;

interface Member {
  ready: boolean;
  tainted: boolean;
  /** Pods its nodes hold. */
  capacity: number;
}

type Kind = 'Duplicated' | 'Static' | 'Dynamic' | 'Aggregated';

interface Policy {
  kind: Kind;
  replicas: number;
  /** Members in the affinity. */
  affinity: boolean[];
  weights: number[];
}

type Event =
  | { type: 'ready'; member: number; ready: boolean }
  | { type: 'taint'; member: number; tainted: boolean }
  | { type: 'capacity'; member: number; capacity: number }
  | { type: 'policy'; policy: Policy };

const policyArb = fc.record<Policy>({
  kind: fc.constantFrom<Kind>('Duplicated', 'Static', 'Dynamic', 'Aggregated'),
  replicas: fc.integer({ min: 1, max: 12 }),
  affinity: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  weights: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }),
});
const member = fc.integer({ min: 0, max: 3 });
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ type: fc.constant('ready' as const), member, ready: fc.boolean() }),
  fc.record({ type: fc.constant('taint' as const), member, tainted: fc.boolean() }),
  fc.record({ type: fc.constant('capacity' as const), member, capacity: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ type: fc.constant('policy' as const), policy: policyArb }),
);

function placementOf(p: Policy): Placement {
  const clusterNames = NAMES.filter((_, i) => p.affinity[i]);
  const clusterAffinity = { clusterNames: clusterNames.length ? clusterNames : ['nowhere'] };
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
            staticWeightList: NAMES.map((n, i) => ({
              targetCluster: { clusterNames: [n] },
              weight: p.weights[i]!,
            })),
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
    case 'Aggregated':
      return {
        clusterAffinity,
        replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' },
      };
  }
}

/** The members as the registry reports them: the binding's own pods count as allocated. */
function clusters(members: Member[], placed: TargetCluster[]): Cluster[] {
  return members.map((m, i) => {
    const name = NAMES[i]!;
    const mine = placed.find((t) => t.name === name)?.replicas ?? 0;
    return {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: {
        syncMode: 'Push',
        ...(m.tainted ? { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } : {}),
      },
      status: {
        conditions: [{ type: 'Ready', status: m.ready ? 'True' : 'False' }],
        resourceSummary: { allocatable: { pods: String(m.capacity) }, allocated: { pods: String(mine) } },
      },
    } as Cluster;
  });
}

/** Webster by brute force: each replica to the highest weight / (2 × replicas + 1), ties to fewer replicas then name. */
function webster(replicas: number, weights: Map<string, number>): Map<string, number> {
  const seats = new Map([...weights.keys()].map((n) => [n, 0]));
  const names = [...weights.keys()];
  for (let r = 0; r < replicas && names.length > 0; r++) {
    let best = names[0]!;
    for (const n of names.slice(1)) {
      const a = weights.get(n)! / (2 * seats.get(n)! + 1);
      const b = weights.get(best)! / (2 * seats.get(best)! + 1);
      if (
        a > b ||
        (a === b && (seats.get(n)! < seats.get(best)! || (seats.get(n) === seats.get(best) && n < best)))
      ) {
        best = n;
      }
    }
    seats.set(best, seats.get(best)! + 1);
  }
  return seats;
}

const asMap = (ts: readonly TargetCluster[]) => new Map(ts.map((t) => [t.name, t.replicas ?? 0]));

describe('placement under random failures, recoveries and changes', () => {
  it('matches the model after every step', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ready: fc.boolean(),
            tainted: fc.constant(false),
            capacity: fc.integer({ min: 0, max: 8 }),
          }),
          {
            minLength: 4,
            maxLength: 4,
          },
        ),
        policyArb,
        fc.array(eventArb, { minLength: 1, maxLength: 25 }),
        (initial, firstPolicy, events) => {
          const members: Member[] = initial.map((m) => ({ ...m }));
          let policy = firstPolicy;
          let binding: ResourceBinding = {
            apiVersion: 'work.karmada.io/v1alpha2',
            kind: 'ResourceBinding',
            metadata: { name: 'app-deployment', namespace: 'default', annotations: {} },
            spec: {
              resource: {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                namespace: 'default',
                name: 'app',
                uid: 'u',
              },
              replicas: policy.replicas,
              placement: placementOf(policy),
            },
          };
          const step = () => {
            const prev = binding.spec.clusters ?? [];
            const cs = clusters(members, prev);
            const byName = new Map(cs.map((c) => [c.metadata.name!, c]));
            const reason = scheduleReason(binding, byName);
            if (reason) {
              const r = schedule(binding.spec, binding.status, cs);
              binding = {
                ...binding,
                metadata: {
                  ...binding.metadata,
                  annotations: { [POLICY_PLACEMENT_ANNOTATION]: JSON.stringify(binding.spec.placement) },
                },
                spec: { ...binding.spec, ...(r.clusters !== undefined ? { clusters: r.clusters } : {}) },
              };
            }
            check(prev, reason !== undefined);
          };
          const inAffinity = (i: number) => policy.affinity[i]!;
          const eligibleNew = (i: number) => inAffinity(i) && members[i]!.ready && !members[i]!.tainted;
          const check = (prev: TargetCluster[], scheduled: boolean) => {
            const now = binding.spec.clusters ?? [];
            const names = now.map((t) => t.name);
            // Nothing placed twice, no empty entries, nothing outside the affinity.
            expect(new Set(names).size).toBe(names.length);
            for (const t of now) expect(t.replicas).toBeGreaterThan(0);
            const prevNames = new Set(prev.map((t) => t.name));
            for (const t of now) {
              const i = NAMES.indexOf(t.name as (typeof NAMES)[number]);
              expect(inAffinity(i)).toBe(true);
              // New members only when eligible; the binding keeps members it is on.
              if (!prevNames.has(t.name)) expect(eligibleNew(i)).toBe(true);
            }
            const kept = NAMES.map((_, i) => i).filter(
              (i) => eligibleNew(i) || (prevNames.has(NAMES[i]!) && inAffinity(i)),
            );
            const replicas = policy.replicas;
            if (policy.kind === 'Duplicated') {
              expect(names.sort()).toEqual(kept.map((i) => NAMES[i]!));
              for (const t of now) expect(t.replicas).toBe(replicas);
            } else if (policy.kind === 'Static' && scheduled) {
              const expected = webster(replicas, new Map(kept.map((i) => [NAMES[i]!, policy.weights[i]!])));
              expect(asMap(now)).toEqual(new Map([...expected].filter(([, n]) => n > 0)));
            } else if (scheduled && kept.length > 0) {
              // Dynamic and Aggregated: what stays, plus what the free room allows, exactly.
              const before = asMap(prev);
              const assigned = kept.reduce((s, i) => s + (before.get(NAMES[i]!) ?? 0), 0);
              const room = kept.reduce(
                (s, i) => s + Math.max(0, members[i]!.capacity - (before.get(NAMES[i]!) ?? 0)),
                0,
              );
              const sum = now.reduce((s, t) => s + (t.replicas ?? 0), 0);
              expect(sum).toBe(
                assigned >= replicas ? replicas : assigned + Math.min(replicas - assigned, room),
              );
            }
          };
          step();
          for (const e of events) {
            switch (e.type) {
              case 'ready':
                members[e.member]!.ready = e.ready;
                break;
              case 'taint':
                members[e.member]!.tainted = e.tainted;
                break;
              case 'capacity':
                members[e.member]!.capacity = e.capacity;
                break;
              case 'policy':
                policy = e.policy;
                binding = {
                  ...binding,
                  spec: { ...binding.spec, replicas: policy.replicas, placement: placementOf(policy) },
                };
                break;
            }
            step();
            // Scheduling again without a change changes nothing.
            const settled = JSON.stringify(binding.spec.clusters);
            step();
            expect(JSON.stringify(binding.spec.clusters)).toBe(settled);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
