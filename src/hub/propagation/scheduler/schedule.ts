// One scheduling decision for a binding, from the binding and a snapshot of the members, with no
// I/O: filter the members, score them, choose among them by spread constraints, hand out the
// replicas. With ordered clusterAffinities the groups are tried from the one in use (the first
// after a fresh reschedule) until one takes every replica; when none does, the group that took
// the most keeps them (Karmada would fail the binding instead).

import type {
  Cluster,
  ResourceBindingSpec,
  ResourceBindingStatus,
  TargetCluster,
} from '../../apis/karmada/index.js';
import { replicaSchedulingType } from '../../apis/karmada/index.js';
import { clusterMatches } from '../match/cluster-affinity.js';
import { assignReplicas, assignStrategy } from './assign.js';
import { sumReplicas } from './division.js';
import { type Allocating, maxAvailableReplicas } from './estimate.js';
import { findClustersThatFit, isWorkload, noClusterFitMessage } from './filter.js';
import type { ClusterRefusal } from './plugins.js';
import {
  appendTo,
  type Candidate,
  compareCandidates,
  SpreadError,
  selectBySpreadConstraints,
} from './spread.js';

export type ScheduleOutcome = 'Success' | 'NoClusterFit' | 'Unschedulable';

export interface ScheduleResult {
  outcome: ScheduleOutcome;
  /** The new spec.clusters; undefined leaves the binding's as they are. */
  clusters: TargetCluster[] | undefined;
  /** The affinity group in use (placements with clusterAffinities). */
  affinityName?: string;
  /** Replicas that could not be placed. */
  missing: number;
  message: string;
}

export interface ScheduleOptions {
  /** Divide everything anew instead of changing as little as possible. */
  fresh?: boolean;
  /** The scheduler's further filters for this binding (see plugins.ts). */
  refuse?: ClusterRefusal;
  /** Room handed out on a member that its summary does not show yet (assume.ts). */
  assumed?: (cluster: Cluster) => Allocating | undefined;
}

const MAX_CLUSTER_SCORE = 100;

function overflowOrder(
  cluster: Cluster,
  spec: ResourceBindingSpec,
  affinityName: string | undefined,
): number {
  const terms = spec.placement?.clusterAffinities;
  if (spec.placement?.clusterAffinity || !terms?.length) return 0;
  const term = terms.find((t) => t.affinityName === affinityName);
  if (!term) return 0;
  if (clusterMatches(cluster, term)) return 0;
  const i = (term.overflowAffinities ?? []).findIndex((a) => clusterMatches(cluster, a));
  return i >= 0 ? i + 1 : 1000;
}

function candidatesOf(
  feasible: readonly Cluster[],
  spec: ResourceBindingSpec,
  affinityName: string | undefined,
  assumed: ScheduleOptions['assumed'],
): Candidate[] {
  const workload = (spec.replicas ?? 0) > 0 || (spec.components?.length ?? 0) > 0;
  // Looked up once per member: a binding duplicated to every member has a target per member.
  const targets = new Map((spec.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
  const out = feasible.map((cluster): Candidate => {
    const name = cluster.metadata.name ?? '';
    // Non-workloads take no room: every member can hold them.
    const allocatable = workload
      ? maxAvailableReplicas(cluster, spec.replicaRequirements, assumed?.(cluster))
      : (spec.replicas ?? 0);
    const assigned = targets.get(name) ?? 0;
    return {
      name,
      cluster,
      score: targets.has(name) ? MAX_CLUSTER_SCORE : 0,
      overflowOrder: overflowOrder(cluster, spec, affinityName),
      available: allocatable + assigned,
      allocatable,
    };
  });
  return out.sort(compareCandidates);
}

/** Whether spread constraints choose among the members (static weights ignore them, as Karmada). */
function spreadApplies(spec: ResourceBindingSpec): boolean {
  const placement = spec.placement;
  if (!placement?.spreadConstraints?.length) return false;
  const rs = placement.replicaScheduling;
  if (
    rs &&
    replicaSchedulingType(placement) === 'Divided' &&
    rs.replicaDivisionPreference === 'Weighted' &&
    (!rs.weightPreference ||
      ((rs.weightPreference.staticWeightList?.length ?? 0) > 0 && !rs.weightPreference.dynamicWeight))
  ) {
    return false;
  }
  return true;
}

function roomMessage(candidates: readonly Candidate[]): string {
  const parts = candidates.map((c) => `${c.name}: ${c.allocatable}`);
  return parts.length ? ` (room for more replicas: ${parts.join(', ')})` : '';
}

function scheduleOnce(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
  clusters: readonly Cluster[],
  affinityName: string | undefined,
  opts: ScheduleOptions,
): ScheduleResult {
  const fresh = opts.fresh === true;
  const fit = findClustersThatFit(spec, status, clusters, affinityName, opts.refuse);
  if (fit.feasible.length === 0) {
    return {
      outcome: 'NoClusterFit',
      clusters: [],
      affinityName,
      missing: spec.replicas ?? 0,
      message: noClusterFitMessage(fit),
    };
  }
  const sorted = candidatesOf(fit.feasible, spec, affinityName, opts.assumed);
  let selected = sorted;
  if (spreadApplies(spec)) {
    const divided = replicaSchedulingType(spec.placement) === 'Divided';
    try {
      selected = selectBySpreadConstraints(spec.placement!.spreadConstraints!, sorted, {
        replicas: divided ? (spec.replicas ?? 0) : undefined,
        duplicated: !divided,
        totalReplicas: spec.replicas ?? 0,
      });
    } catch (err) {
      if (!(err instanceof SpreadError)) throw err;
      return {
        outcome: 'Unschedulable',
        clusters: undefined,
        affinityName,
        missing: spec.replicas ?? 0,
        message: err.message,
      };
    }
  }
  // Non-workloads go to every chosen member, without a replica count.
  if (!isWorkload(spec) || (spec.components?.length ?? 0) > 1) {
    return {
      outcome: 'Success',
      clusters: selected.map((c) => ({ name: c.name })),
      affinityName,
      missing: 0,
      message: 'Binding has been scheduled successfully.',
    };
  }
  const replicas = spec.replicas ?? 0;
  let clustersOut: TargetCluster[];
  const terms = spec.placement?.clusterAffinities;
  const term = terms?.find((t) => t.affinityName === affinityName);
  if (!spec.placement?.clusterAffinity && term?.overflowAffinities?.length) {
    // Overflow: fill the primary group, then each overflow group in order.
    clustersOut = [];
    let remaining = replicas;
    const tiers = new Map<number, Candidate[]>();
    for (const c of selected) appendTo(tiers, c.overflowOrder, c);
    for (const order of [...tiers.keys()].sort((a, b) => a - b)) {
      if (remaining <= 0) break;
      const tier = tiers.get(order)!;
      const room = tier.reduce((s, c) => s + c.available, 0);
      const share = Math.min(remaining, room);
      const a = assignReplicas(tier, spec, share, fresh);
      clustersOut.push(...a.clusters);
      remaining -= share - a.missing;
    }
  } else {
    clustersOut = assignReplicas(selected, spec, replicas, fresh).clusters;
  }
  // By name: the same placement always reads the same.
  clustersOut.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const missing =
    assignStrategy(spec) === 'Duplicated' ? 0 : Math.max(0, replicas - sumReplicas(clustersOut));
  if (missing > 0) {
    return {
      outcome: 'Unschedulable',
      clusters: clustersOut,
      affinityName,
      missing,
      message:
        `${missing} of ${replicas} replicas could not be placed: ` +
        `the selected clusters have room for ${replicas - missing}${roomMessage(selected)}.`,
    };
  }
  return {
    outcome: 'Success',
    clusters: clustersOut,
    affinityName,
    missing: 0,
    message: 'Binding has been scheduled successfully.',
  };
}

/** Schedules a binding over the members; see the file comment. */
export function schedule(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
  clusters: readonly Cluster[],
  opts: ScheduleOptions = {},
): ScheduleResult {
  const result = scheduleAll(spec, status, clusters, opts);
  if (result.clusters !== undefined || !opts.refuse) return result;
  // A result that keeps the placement as it is (unschedulable) still loses refused members.
  const byName = new Map(clusters.map((c) => [c.metadata.name ?? '', c]));
  const current = spec.clusters ?? [];
  const kept = current.filter((t) => {
    const c = byName.get(t.name);
    return !c || !opts.refuse!(c);
  });
  return kept.length === current.length ? result : { ...result, clusters: kept };
}

function scheduleAll(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
  clusters: readonly Cluster[],
  opts: ScheduleOptions,
): ScheduleResult {
  const fresh = opts.fresh === true;
  const terms = spec.placement?.clusterAffinity ? undefined : spec.placement?.clusterAffinities;
  if (!terms?.length) return scheduleOnce(spec, status, clusters, undefined, opts);

  const observed = status?.schedulerObservingAffinityName;
  let start = fresh ? 0 : terms.findIndex((t) => t.affinityName === observed);
  if (start < 0) start = 0;
  let first: ScheduleResult | undefined;
  let best: ScheduleResult | undefined;
  for (let i = start; i < terms.length; i++) {
    const r = scheduleOnce(spec, status, clusters, terms[i]!.affinityName, opts);
    if (r.outcome === 'Success') return r;
    first ??= r;
    if (r.clusters?.length && (!best || sumReplicas(r.clusters) > sumReplicas(best.clusters))) best = r;
  }
  if (best) return best;
  // No group has a member that fits: as Karmada, nothing stays placed and the group in use is kept.
  const result = first!;
  return {
    ...result,
    affinityName: terms[start]!.affinityName,
    clusters: result.outcome === 'NoClusterFit' ? [] : undefined,
    message: `no cluster affinity group can take the binding: ${result.message}`,
  };
}
