// PodTopologySpread: pods spread over topology domains (nodes, zones ...) per their
// topologySpreadConstraints. DoNotSchedule constraints filter: on a node, the matching pods of
// its domain plus the pod itself may exceed the least loaded eligible domain by at most maxSkew
// (the least counts as 0 while fewer than minDomains domains exist). ScheduleAnyway constraints
// score: fewer matching pods in the node's domain is better. Pods without constraints of their
// own get the cluster defaults (ScheduleAnyway: hostname maxSkew 3, zone maxSkew 5) over the
// pods that share their Services, ReplicaSet or StatefulSet.
// Eligible nodes carry every constraint's topology key and, per the inclusion policies, match
// the pod's required node affinity (Honor by default) and tolerate its taints (Ignore by default).
// Pods being deleted do not count.

import { requiredNodeAffinityMatches } from '../../machinery/node-affinity.js';
import { findUntoleratedTaint } from '../../machinery/taints.js';
import type { NodeInfo, SchedulerCache } from './cache.js';
import type { PodInfo } from './pod-info.js';
import { LABEL_HOSTNAME, type SpreadConstraint } from './spread-constraints.js';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_LABEL = `${ERR_SPREAD} (missing required label)`;

function hasAllKeys(node: NodeInfo, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (node.labels[c.topologyKey] === undefined) return false;
  return true;
}

function included(c: SpreadConstraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorNodeAffinity && !requiredNodeAffinityMatches(pod.nodeAffinity, node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.hardTaints, pod.tolerations)) return false;
  return true;
}

/** Per node, the pods a constraint counts (an empty selector, or none, counts nothing, as in Kubernetes). */
function countsFor(cache: SchedulerCache, pod: PodInfo, c: SpreadConstraint): ReadonlyMap<string, number> {
  if (c.selector.matchesNothing || c.selector.empty()) return EMPTY;
  return cache.spreadCounts(pod.namespace, c.selector);
}

const EMPTY: ReadonlyMap<string, number> = new Map();

export interface SpreadFilterState {
  constraints: SpreadConstraint[];
  /** Per constraint: topology value -> matching pods in that eligible domain. */
  counts: Map<string, number>[];
  /** Per constraint: the global minimum the skew is measured from. */
  mins: number[];
}

function minOf(c: SpreadConstraint, counts: Map<string, number>): number {
  // Fewer eligible domains than minDomains: the missing ones count as empty.
  if (counts.size < c.minDomains) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const n of counts.values()) if (n < min) min = n;
  return min;
}

/** PreFilter for the DoNotSchedule constraints; undefined when the pod has none. */
export function preFilterSpread(cache: SchedulerCache, pod: PodInfo): SpreadFilterState | undefined {
  const constraints = pod.spreadHard;
  if (constraints.length === 0) return undefined;
  const counts = constraints.map(() => new Map<string, number>());
  const byNode = constraints.map((c) => countsFor(cache, pod, c));
  for (const node of cache.nodeInfos()) {
    if (!hasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!included(c, pod, node)) return;
      const value = node.labels[c.topologyKey]!;
      counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + (byNode[i]!.get(node.name) ?? 0));
    });
  }
  return { constraints, counts, mins: constraints.map((c, i) => minOf(c, counts[i]!)) };
}

export function filterSpread(
  state: SpreadFilterState,
  pod: PodInfo,
  node: NodeInfo,
): { reason: string; unresolvable: boolean } | undefined {
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i]!;
    const value = node.labels[c.topologyKey];
    if (value === undefined) return { reason: ERR_SPREAD_LABEL, unresolvable: true };
    const self = c.selector.matches(pod.labels) ? 1 : 0;
    if ((state.counts[i]!.get(value) ?? 0) + self - state.mins[i]! > c.maxSkew)
      return { reason: ERR_SPREAD, unresolvable: false };
  }
  return undefined;
}

/** The state as if `other` were added (+1) to or removed (-1) from `node` (preemption, nominated pods). */
export function updateSpreadWithPod(
  state: SpreadFilterState,
  pod: PodInfo,
  other: PodInfo,
  node: NodeInfo,
  delta: 1 | -1,
): void {
  if (other.namespace !== pod.namespace || other.pod.metadata.deletionTimestamp) return;
  if (!hasAllKeys(node, state.constraints)) return;
  state.constraints.forEach((c, i) => {
    if (!c.selector.matches(other.labels) || !included(c, pod, node)) return;
    const value = node.labels[c.topologyKey]!;
    state.counts[i]!.set(value, (state.counts[i]!.get(value) ?? 0) + delta);
    state.mins[i] = minOf(c, state.counts[i]!);
  });
}

export function cloneSpreadState(s: SpreadFilterState): SpreadFilterState {
  return { constraints: s.constraints, counts: s.counts.map((m) => new Map(m)), mins: [...s.mins] };
}

/**
 * Normalized spread scores (0..100, higher is better) for the feasible nodes, or undefined when
 * the pod has no soft constraints.
 */
export function scoreSpread(
  cache: SchedulerCache,
  pod: PodInfo,
  constraints: readonly SpreadConstraint[],
  systemDefaulted: boolean,
  nodes: readonly NodeInfo[],
): number[] | undefined {
  if (constraints.length === 0) return undefined;
  // System defaults also score nodes without a zone label (by hostname).
  const requireAll = !systemDefaulted;
  const ignored = new Set<string>();
  const domainCounts = constraints.map(() => new Map<string, number>());
  for (const node of nodes) {
    if (requireAll && !hasAllKeys(node, constraints)) {
      ignored.add(node.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const value = node.labels[c.topologyKey];
      if (value !== undefined && !domainCounts[i]!.has(value)) domainCounts[i]!.set(value, 0);
    });
  }
  const byNode = constraints.map((c) => countsFor(cache, pod, c));
  const weights = constraints.map((c, i) =>
    Math.log((c.topologyKey === LABEL_HOSTNAME ? nodes.length - ignored.size : domainCounts[i]!.size) + 2),
  );
  for (const node of cache.nodeInfos()) {
    if (requireAll && !hasAllKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME || !included(c, pod, node)) return;
      const value = node.labels[c.topologyKey];
      if (value === undefined || !domainCounts[i]!.has(value)) return;
      domainCounts[i]!.set(value, domainCounts[i]!.get(value)! + (byNode[i]!.get(node.name) ?? 0));
    });
  }
  const raw = nodes.map((node) => {
    if (ignored.has(node.name)) return -1;
    let score = 0;
    constraints.forEach((c, i) => {
      const value = node.labels[c.topologyKey];
      if (value === undefined) return;
      const count =
        c.topologyKey === LABEL_HOSTNAME
          ? (byNode[i]!.get(node.name) ?? 0)
          : (domainCounts[i]!.get(value) ?? 0);
      score += count * weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  });
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const s of raw) {
    if (s < 0) continue;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  return raw.map((s) => {
    if (s < 0) return 0;
    if (max === 0) return 100;
    return Math.trunc((100 * (max + min - s)) / max);
  });
}
