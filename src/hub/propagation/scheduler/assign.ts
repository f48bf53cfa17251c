// Handing a binding's replicas to the chosen members (Karmada's assignment strategies):
// - Duplicated: every member runs all replicas;
// - Divided by static weights: Webster's division by the weights of the staticWeightList rules a
//   member matches (the largest), all members alike when no rule matches or none is given;
// - Divided by dynamic weight (AvailableReplicas) or Aggregated: by the replicas each member can
//   still take, in Karmada's steady mode: a scale-up places only the new replicas (Aggregated
//   packs them onto as few members as possible, those already used first), a scale-down takes
//   replicas away in proportion to what each member has, and otherwise nothing moves. A fresh
//   schedule (asked for by rescheduleTriggeredAt or the policy) divides everything anew.
// Where Karmada fails the whole binding when the members cannot take every replica, this places
// the replicas that fit and reports how many are missing.

import type { ResourceBindingSpec, StaticClusterWeight, TargetCluster } from '../../apis/karmada/index.js';
import { clusterMatches } from '../match/cluster-affinity.js';
import { type ClusterWeight, divideByWeight, mergeTargetClusters, sumReplicas } from './division.js';
import type { Candidate } from './spread.js';

export type AssignStrategy = 'Duplicated' | 'Aggregated' | 'StaticWeight' | 'DynamicWeight';

export function assignStrategy(spec: ResourceBindingSpec): AssignStrategy {
  const rs = spec.placement?.replicaScheduling;
  if (!rs || (rs.replicaSchedulingType ?? 'Divided') === 'Duplicated') return 'Duplicated';
  if (rs.replicaDivisionPreference === 'Aggregated') return 'Aggregated';
  return rs.weightPreference?.dynamicWeight ? 'DynamicWeight' : 'StaticWeight';
}

export interface Assignment {
  clusters: TargetCluster[];
  /** Replicas that no member could take. */
  missing: number;
}

/** Weights by static rules: the largest weight of the rules a member matches; equal when none matches. */
export function staticWeights(
  candidates: readonly Candidate[],
  rules: readonly StaticClusterWeight[] | undefined,
): ClusterWeight[] {
  const list: ClusterWeight[] = [];
  if (rules !== undefined) {
    for (const c of candidates) {
      let weight = 0;
      for (const r of rules)
        if (clusterMatches(c.cluster, r.targetCluster)) weight = Math.max(weight, r.weight);
      if (weight > 0) list.push({ name: c.name, weight });
    }
  }
  if (list.length === 0) return candidates.map((c) => ({ name: c.name, weight: 1 }));
  return list;
}

function byReplicasDesc(a: TargetCluster, b: TargetCluster): number {
  return (b.replicas ?? 0) - (a.replicas ?? 0);
}

/** Dynamic division of `target` replicas by the room listed in `available`, on top of `scheduled`. */
function divideDynamically(
  strategy: AssignStrategy,
  target: number,
  available: TargetCluster[],
  scheduled: TargetCluster[],
  uid: string | undefined,
): Assignment {
  const room = sumReplicas(available);
  const placed = Math.min(target, room);
  let list = available;
  if (strategy === 'Aggregated') {
    // Members already used first, then as few as hold the replicas.
    const used = new Set(scheduled.filter((c) => (c.replicas ?? 0) > 0).map((c) => c.name));
    list = [...available.filter((c) => used.has(c.name)), ...available.filter((c) => !used.has(c.name))];
    let sum = 0;
    for (let i = 0; i < list.length; i++) {
      sum += list[i]!.replicas ?? 0;
      if (sum >= placed) {
        list = list.slice(0, i + 1);
        break;
      }
    }
  }
  const weights = list.map((c) => ({ name: c.name, weight: c.replicas ?? 0 }));
  const added = divideByWeight(placed, weights, uid);
  return { clusters: mergeTargetClusters(scheduled, added), missing: target - placed };
}

/** Assigns replicas to candidates of one overflow tier (or of all, without overflow). */
export function assignReplicas(
  candidates: readonly Candidate[],
  spec: ResourceBindingSpec,
  replicas: number,
  fresh: boolean,
): Assignment {
  const strategy = assignStrategy(spec);
  const uid = spec.resource.uid;
  let result: Assignment;
  switch (strategy) {
    case 'Duplicated':
      result = { clusters: candidates.map((c) => ({ name: c.name, replicas })), missing: 0 };
      break;
    case 'StaticWeight': {
      const rules = spec.placement?.replicaScheduling?.weightPreference?.staticWeightList;
      result = {
        clusters: divideByWeight(replicas, staticWeights(candidates, rules ?? undefined), uid),
        missing: 0,
      };
      break;
    }
    default: {
      const names = new Set(candidates.map((c) => c.name));
      const scheduled = fresh ? [] : (spec.clusters ?? []).filter((c) => names.has(c.name));
      const assigned = sumReplicas(scheduled);
      if (fresh) {
        const available = candidates
          .map((c) => ({ name: c.name, replicas: c.available }))
          .sort(byReplicasDesc);
        result = divideDynamically(strategy, replicas, available, [], uid);
      } else if (assigned > replicas) {
        // Scale down in proportion to what each member has.
        const weights = [...scheduled].sort(byReplicasDesc);
        result = divideDynamically(strategy, replicas, weights, [], uid);
      } else if (assigned < replicas) {
        const available = candidates
          .map((c) => ({ name: c.name, replicas: c.allocatable }))
          .sort(byReplicasDesc);
        result = divideDynamically(strategy, replicas - assigned, available, scheduled, uid);
      } else {
        result = { clusters: scheduled.map((c) => ({ ...c })), missing: 0 };
      }
    }
  }
  return { clusters: result.clusters.filter((c) => (c.replicas ?? 0) > 0), missing: result.missing };
}
