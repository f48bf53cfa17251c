// Inter-pod affinity and anti-affinity (the InterPodAffinity plugin), on any topology key
// (kubernetes.io/hostname: one node; topology.kubernetes.io/zone: a zone ...):
// - filter: the incoming pod's required affinity terms must each find a matching pod in the
//   node's topology domain (the first pod of a group that selects itself may go anywhere); its
//   required anti-affinity terms must find none; and no scheduled pod's required anti-affinity
//   may select the incoming pod within that pod's domain;
// - score: preferred terms of the incoming pod (+/- weight per matching pod in the domain), and
//   symmetrically the terms of scheduled pods that select the incoming pod (required affinity
//   counts with weight 1), normalized to 0..100 across the nodes.
// Counts are per (topology key, value) and come from the cache's namespace/label index.

import type { NodeInfo, SchedulerCache } from './cache.js';
import { type AffinityTerm, type PodInfo, termMatchesPod } from './pod-info.js';

/** topology key -> value -> count */
type TopologyCounts = Map<string, Map<string, number>>;

export interface InterPodAffinityState {
  existingAntiAffinity: TopologyCounts;
  affinity: TopologyCounts;
  antiAffinity: TopologyCounts;
  /** Entries in `affinity` (0: no pod anywhere matches all required affinity terms). */
  affinityPairs: number;
  /** Whether the incoming pod matches all of its own required affinity terms. */
  matchesOwnAffinity: boolean;
}

export type LabelsOfNamespace = (namespace: string) => Readonly<Record<string, string>> | undefined;

export const HARD_POD_AFFINITY_WEIGHT = 1;

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

function update(
  m: TopologyCounts,
  labels: Readonly<Record<string, string>>,
  key: string,
  delta: number,
): number {
  const value = labels[key];
  if (value === undefined) return 0;
  let byValue = m.get(key);
  if (!byValue) {
    byValue = new Map();
    m.set(key, byValue);
  }
  const before = byValue.get(value) ?? 0;
  const after = before + delta;
  if (after === 0) {
    byValue.delete(value);
    if (byValue.size === 0) m.delete(key);
  } else {
    byValue.set(value, after);
  }
  // Change in the number of (key, value) entries.
  return (before === 0 ? 1 : 0) - (after === 0 ? 1 : 0);
}

function count(m: TopologyCounts, key: string, value: string): number {
  return m.get(key)?.get(value) ?? 0;
}

/** Labels pinned by a selector (key=value, or key in (value)), for index lookups. */
function pinnedLabels(term: AffinityTerm): [string, string][] {
  const out: [string, string][] = [];
  for (const r of term.selector.requirements) {
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1)
      out.push([r.key, r.values[0]!]);
  }
  return out;
}

/** Scheduled pods a term of the incoming pod selects (its namespaceSelector resolved), with their nodes. */
function forEachPodSelectedBy(
  cache: SchedulerCache,
  term: AffinityTerm,
  labelsOf: LabelsOfNamespace,
  fn: (p: PodInfo, node: NodeInfo) => void,
): void {
  if (term.selector.matchesNothing) return;
  const namespaces = new Set(term.namespaces);
  if (!term.namespaceSelector.matchesNothing) {
    for (const ns of cache.namespacesWithPods()) {
      if (!namespaces.has(ns) && term.namespaceSelector.matches(labelsOf(ns) ?? {})) namespaces.add(ns);
    }
  }
  const pinned = pinnedLabels(term);
  for (const ns of namespaces) {
    const candidates = cache.candidatePods(ns, pinned);
    if (!candidates) continue;
    for (const p of candidates) {
      if (!term.selector.matches(p.labels)) continue;
      const node = cache.getNode(p.nodeName);
      if (node) fn(p, node);
    }
  }
}

function matchesAll(
  terms: readonly AffinityTerm[],
  p: PodInfo,
  nsLabels: Readonly<Record<string, string>> | undefined,
) {
  for (const t of terms) if (!termMatchesPod(t, p, nsLabels)) return false;
  return true;
}

/** Per value of the term's topology key, the scheduled pods the term selects. */
function selectedByTerm(
  cache: SchedulerCache,
  term: AffinityTerm,
  labelsOf: LabelsOfNamespace,
): ReadonlyMap<string, number> {
  const cached = cache.selectedCounts(term);
  if (cached) return cached;
  const counts = new Map<string, number>();
  forEachPodSelectedBy(cache, term, labelsOf, (_p, node) => {
    const value = node.labels[term.topologyKey];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  });
  return counts;
}

function addCounts(
  m: TopologyCounts,
  key: string,
  counts: ReadonlyMap<string, number>,
  factor: number,
): number {
  let pairs = 0;
  for (const [value, n] of counts) {
    if (n === 0 || factor === 0) continue;
    let byValue = m.get(key);
    if (!byValue) {
      byValue = new Map();
      m.set(key, byValue);
    }
    const before = byValue.get(value) ?? 0;
    const after = before + n * factor;
    if (after === 0) byValue.delete(value);
    else byValue.set(value, after);
    if (byValue.size === 0) m.delete(key);
    pairs += (before === 0 ? 1 : 0) - (after === 0 ? 1 : 0);
  }
  return pairs;
}

/** PreFilter: undefined when the plugin has nothing to check for this pod. */
export function preFilterInterPodAffinity(
  cache: SchedulerCache,
  pod: PodInfo,
  labelsOf: LabelsOfNamespace,
): InterPodAffinityState | undefined {
  const state: InterPodAffinityState = {
    existingAntiAffinity: new Map(),
    affinity: new Map(),
    antiAffinity: new Map(),
    affinityPairs: 0,
    matchesOwnAffinity: false,
  };
  const nsLabels = labelsOf(pod.namespace);
  for (const g of cache.groupedTerms()) {
    if (g.kind === 'requiredAntiAffinity' && termMatchesPod(g.term, pod, nsLabels))
      addCounts(state.existingAntiAffinity, g.term.topologyKey, g.counts, 1);
  }
  if (pod.requiredAffinity.length === 1) {
    const term = pod.requiredAffinity[0]!;
    state.matchesOwnAffinity = termMatchesPod(term, pod, nsLabels);
    state.affinityPairs += addCounts(
      state.affinity,
      term.topologyKey,
      selectedByTerm(cache, term, labelsOf),
      1,
    );
  } else if (pod.requiredAffinity.length > 1) {
    state.matchesOwnAffinity = matchesAll(pod.requiredAffinity, pod, nsLabels);
    // A pod counts when it matches every term; enumerating the first term's matches is enough.
    const seen = new Set<PodInfo>();
    forEachPodSelectedBy(cache, pod.requiredAffinity[0]!, labelsOf, (p, node) => {
      if (seen.has(p)) return;
      seen.add(p);
      if (!matchesAllResolved(pod.requiredAffinity, p, labelsOf)) return;
      for (const term of pod.requiredAffinity)
        state.affinityPairs += update(state.affinity, node.labels, term.topologyKey, 1);
    });
  }
  for (const term of pod.requiredAntiAffinity) {
    addCounts(state.antiAffinity, term.topologyKey, selectedByTerm(cache, term, labelsOf), 1);
  }
  if (
    state.existingAntiAffinity.size === 0 &&
    pod.requiredAffinity.length === 0 &&
    pod.requiredAntiAffinity.length === 0
  ) {
    return undefined;
  }
  return state;
}

function matchesAllResolved(
  terms: readonly AffinityTerm[],
  p: PodInfo,
  labelsOf: LabelsOfNamespace,
): boolean {
  const nsLabels = labelsOf(p.namespace);
  return matchesAll(terms, p, nsLabels);
}

/** Filter: the reason the node fails, or undefined. */
export function filterInterPodAffinity(
  state: InterPodAffinityState,
  pod: PodInfo,
  node: NodeInfo,
): { reason: string; unresolvable: boolean } | undefined {
  if (pod.requiredAffinity.length > 0) {
    let podsExist = true;
    for (const term of pod.requiredAffinity) {
      const value = node.labels[term.topologyKey];
      // Every topology key must exist on the node.
      if (value === undefined) return { reason: ERR_AFFINITY, unresolvable: true };
      if (count(state.affinity, term.topologyKey, value) <= 0) podsExist = false;
    }
    // The first pod of a group with affinity to itself may go anywhere with the topology keys.
    if (!podsExist && !(state.affinityPairs === 0 && state.matchesOwnAffinity)) {
      return { reason: ERR_AFFINITY, unresolvable: true };
    }
  }
  for (const term of pod.requiredAntiAffinity) {
    const value = node.labels[term.topologyKey];
    if (value !== undefined && count(state.antiAffinity, term.topologyKey, value) > 0)
      return { reason: ERR_ANTI_AFFINITY, unresolvable: false };
  }
  for (const [key, byValue] of state.existingAntiAffinity) {
    const value = node.labels[key];
    if (value !== undefined && (byValue.get(value) ?? 0) > 0)
      return { reason: ERR_EXISTING_ANTI_AFFINITY, unresolvable: false };
  }
  return undefined;
}

/** The state as if `other` were added (+1) to or removed (-1) from `node` (preemption, nominated pods). */
export function updateStateWithPod(
  state: InterPodAffinityState,
  pod: PodInfo,
  other: PodInfo,
  node: NodeInfo,
  labelsOf: LabelsOfNamespace,
  delta: 1 | -1,
): void {
  const podNsLabels = labelsOf(pod.namespace);
  for (const term of other.requiredAntiAffinity) {
    if (termMatchesPod(term, pod, podNsLabels))
      update(state.existingAntiAffinity, node.labels, term.topologyKey, delta);
  }
  const otherNsLabels = labelsOf(other.namespace);
  if (pod.requiredAffinity.length > 0 && matchesAll(pod.requiredAffinity, other, otherNsLabels)) {
    for (const term of pod.requiredAffinity)
      state.affinityPairs += update(state.affinity, node.labels, term.topologyKey, delta);
  }
  for (const term of pod.requiredAntiAffinity) {
    if (termMatchesPod(term, other, otherNsLabels))
      update(state.antiAffinity, node.labels, term.topologyKey, delta);
  }
}

export function cloneState(s: InterPodAffinityState): InterPodAffinityState {
  const copy = (m: TopologyCounts): TopologyCounts => new Map([...m].map(([k, v]) => [k, new Map(v)]));
  return {
    existingAntiAffinity: copy(s.existingAntiAffinity),
    affinity: copy(s.affinity),
    antiAffinity: copy(s.antiAffinity),
    affinityPairs: s.affinityPairs,
    matchesOwnAffinity: s.matchesOwnAffinity,
  };
}

/** PreScore: topology scores, or undefined when no term concerns this pod. */
export function preScoreInterPodAffinity(
  cache: SchedulerCache,
  pod: PodInfo,
  labelsOf: LabelsOfNamespace,
): TopologyCounts | undefined {
  const scores: TopologyCounts = new Map();
  for (const term of pod.preferredAffinity)
    addCounts(scores, term.topologyKey, selectedByTerm(cache, term, labelsOf), term.weight);
  for (const term of pod.preferredAntiAffinity)
    addCounts(scores, term.topologyKey, selectedByTerm(cache, term, labelsOf), -term.weight);
  const nsLabels = labelsOf(pod.namespace);
  for (const g of cache.groupedTerms()) {
    if (g.kind === 'requiredAntiAffinity' || !termMatchesPod(g.term, pod, nsLabels)) continue;
    const weight =
      g.kind === 'requiredAffinity'
        ? HARD_POD_AFFINITY_WEIGHT
        : g.kind === 'preferredAffinity'
          ? g.weight
          : -g.weight;
    addCounts(scores, g.term.topologyKey, g.counts, weight);
  }
  return scores.size > 0 ? scores : undefined;
}

export function interPodAffinityScore(scores: TopologyCounts, node: NodeInfo): number {
  let total = 0;
  for (const [key, byValue] of scores) {
    const value = node.labels[key];
    if (value !== undefined) total += byValue.get(value) ?? 0;
  }
  return total;
}
