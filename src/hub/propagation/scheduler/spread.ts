// Choosing members under spread constraints. Karmada honours only two shapes: by cluster alone,
// and by region (with cluster); a constraint by zone, provider or label is accepted and then
// ignored. Here every constraint counts:
// - the outermost grouping constraint (provider, then region, then zone, then labels in the order
//   written) picks its groups as Karmada picks regions: the best-scoring set of at least
//   minGroups and at most maxGroups groups that holds the cluster constraint's minGroups clusters;
// - the best member of each chosen group is taken, then members are added while an inner
//   constraint (a region's zones, say) has fewer groups than its minGroups;
// - the rest is filled up to the cluster constraint's maxGroups (0: no limit) from the chosen
//   groups, never taking an inner constraint past its maxGroups.
// By cluster alone, the best maxGroups members are taken, swapping in members with more room
// when a divided workload would not fit (Karmada's selection by available resource).

import type { Cluster, SpreadConstraint } from '../../apis/karmada/index.js';
import { clusterZones } from '../match/cluster-affinity.js';

/** A feasible member as the selection sees it. */
export interface Candidate {
  name: string;
  cluster: Cluster;
  /** Sum of the score plugins (100 when the binding is already there). */
  score: number;
  /** 0 for the primary affinity group, 1.. for its overflow groups. */
  overflowOrder: number;
  /** Replicas it could hold: what fits now plus what the binding already has there. */
  available: number;
  /** Replicas that fit now. */
  allocatable: number;
}

/** Best first: primary groups before overflow, higher score, more room, then by name. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.overflowOrder !== b.overflowOrder) return a.overflowOrder - b.overflowOrder;
  if (a.score !== b.score) return b.score - a.score;
  if (a.available !== b.available) return b.available - a.available;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class SpreadError extends Error {}

/** Adds v to the list under key, making the list when there is none. */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, v: V): void {
  const list = map.get(key);
  if (list) list.push(v);
  else map.set(key, [v]);
}

interface GroupConstraint {
  constraint: SpreadConstraint;
  /** What it is called in messages: "region", "zone", "label app". */
  what: string;
  values(c: Candidate): string[];
}

const FIELD_ORDER = ['provider', 'region', 'zone'] as const;

function groupConstraints(constraints: readonly SpreadConstraint[]): GroupConstraint[] {
  const out: GroupConstraint[] = [];
  for (const field of FIELD_ORDER) {
    const constraint = constraints.find((c) => c.spreadByField === field);
    if (!constraint) continue;
    out.push({
      constraint,
      what: field,
      values:
        field === 'zone'
          ? (c) => clusterZones(c.cluster)
          : (c) => {
              const v = field === 'provider' ? c.cluster.spec?.provider : c.cluster.spec?.region;
              return v ? [v] : [];
            },
    });
  }
  for (const constraint of constraints) {
    const label = constraint.spreadByLabel;
    if (!label) continue;
    out.push({
      constraint,
      what: `label ${label}`,
      values: (c) => {
        const v = c.cluster.metadata.labels?.[label];
        return v === undefined ? [] : [v];
      },
    });
  }
  return out;
}

const minGroups = (c: SpreadConstraint | undefined) => c?.minGroups ?? 1;
const maxGroups = (c: SpreadConstraint | undefined) =>
  c?.maxGroups && c.maxGroups > 0 ? c.maxGroups : Number.POSITIVE_INFINITY;

/** What the selection is for: how many replicas (undefined: room does not matter) and how they are scheduled. */
export interface SpreadNeeds {
  replicas: number | undefined;
  duplicated: boolean;
  /** The binding's total replicas, for group scores. */
  totalReplicas: number;
}

// Group scores (Karmada's calcGroupScore): replicas the group can take count in thousands, the
// average member score breaks ties.
const WEIGHT_UNIT = 1000;

function groupScore(
  members: readonly Candidate[],
  needs: SpreadNeeds,
  groupMin: number,
  clusterMin: number,
): number {
  if (needs.duplicated) {
    let valid = 0;
    let sum = 0;
    for (const m of members) {
      if (m.available >= needs.totalReplicas) {
        valid++;
        sum += m.score;
      }
    }
    return valid === 0 ? 0 : valid * WEIGHT_UNIT + Math.trunc(sum / valid);
  }
  const target = Math.ceil(needs.totalReplicas / Math.max(1, groupMin));
  const wanted = Math.max(clusterMin, groupMin);
  let available = 0;
  let score = 0;
  let counted = 0;
  for (const m of members) {
    available += m.available;
    score += m.score;
    counted++;
    if (counted >= wanted && available >= target) break;
  }
  if (available < target) return available * WEIGHT_UNIT + Math.trunc(score / Math.max(1, members.length));
  return target * WEIGHT_UNIT + Math.trunc(score / counted);
}

interface GroupInfo {
  name: string;
  /** Members in the group. */
  value: number;
  weight: number;
}

interface Path {
  id: number;
  groups: GroupInfo[];
  weight: number;
  value: number;
}

/**
 * Karmada's selectGroups: every combination of between min and max groups holding at least
 * `target` members (a depth-first search over groups ordered by size), then the heaviest, the
 * largest, the first found; a shorter path that is a prefix of the best wins.
 */
export function selectGroups(groups: GroupInfo[], min: number, max: number, target: number): GroupInfo[] {
  if (groups.length === 0) return [];
  const sorted = [...groups].sort((a, b) => {
    if (a.value !== b.value) return a.value - b.value;
    if (a.weight !== b.weight) return b.weight - a.weight;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const paths: Path[] = [];
  const current: GroupInfo[] = [];
  let nextId = 0;
  const byWeightThenName = (a: GroupInfo, b: GroupInfo) =>
    a.weight !== b.weight ? b.weight - a.weight : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const dfs = (sum: number, begin: number) => {
    if (sum >= target && current.length >= min && current.length <= max) {
      const chosen = [...current].sort(byWeightThenName);
      paths.push({
        id: nextId++,
        groups: chosen,
        weight: chosen.reduce((s, g) => s + g.weight, 0),
        value: chosen.reduce((s, g) => s + g.value, 0),
      });
      return;
    }
    if (current.length >= max) return;
    for (let i = begin; i < sorted.length; i++) {
      current.push(sorted[i]!);
      dfs(sum + sorted[i]!.value, i + 1);
      if (sorted.length === min) break;
      current.pop();
    }
  };
  dfs(0, 0);
  if (paths.length === 0) return [];
  if (paths.length === 1) return paths[0]!.groups;
  paths.sort((a, b) => {
    if (a.weight !== b.weight) return b.weight - a.weight;
    if (a.value !== b.value) return b.value - a.value;
    return a.id - b.id;
  });
  let best = paths[0]!;
  for (const p of paths.slice(1)) {
    if (p.groups.length < best.groups.length && p.groups.every((g, i) => best.groups[i]!.name === g.name))
      best = p;
  }
  return best.groups;
}

function totalAvailable(cs: readonly Candidate[]): number {
  return cs.reduce((s, c) => s + c.available, 0);
}

/**
 * Karmada's selectClustersByAvailableResource: the first `count` candidates, with the weakest
 * swapped for those with more room while the total is short of `replicas`. Concord keeps the
 * best it found when even that falls short: the assignment places what fits.
 */
function selectByAvailableResource(
  sorted: readonly Candidate[],
  count: number,
  replicas: number,
): Candidate[] {
  const chosen = sorted.slice(0, count);
  const rest = sorted.slice(count);
  for (let i = chosen.length - 1; i >= 0 && totalAvailable(chosen) < replicas; i--) {
    let best = -1;
    let most = chosen[i]!.available;
    rest.forEach((c, j) => {
      if (c.available > most) {
        best = j;
        most = c.available;
      }
    });
    if (best < 0) continue;
    const out = chosen[i]!;
    chosen[i] = rest[best]!;
    rest[best] = out;
  }
  return chosen;
}

/** Distinct values of a grouping constraint among chosen members. */
function groupCount(gc: GroupConstraint, chosen: readonly Candidate[]): number {
  const seen = new Set<string>();
  for (const c of chosen) for (const v of gc.values(c)) seen.add(v);
  return seen.size;
}

function withinMax(
  inner: readonly GroupConstraint[],
  chosen: readonly Candidate[],
  extra: Candidate,
): boolean {
  const next = [...chosen, extra];
  return inner.every((gc) => groupCount(gc, next) <= maxGroups(gc.constraint));
}

/** The members chosen under the constraints (sorted best first); SpreadError when none can satisfy them. */
export function selectBySpreadConstraints(
  constraints: readonly SpreadConstraint[],
  sorted: readonly Candidate[],
  needs: SpreadNeeds,
): Candidate[] {
  const clusterConstraint = constraints.find((c) => c.spreadByField === 'cluster');
  const grouping = groupConstraints(constraints);
  const clusterMin = minGroups(clusterConstraint);
  const clusterMax = maxGroups(clusterConstraint);
  if (grouping.length === 0) {
    if (sorted.length < clusterMin) {
      throw new SpreadError('the number of feasible clusters is less than spreadConstraint.MinGroups');
    }
    const count = Math.min(sorted.length, clusterMax);
    if (needs.replicas === undefined) return sorted.slice(0, count);
    return selectByAvailableResource(sorted, count, needs.replicas);
  }

  const [primary, ...inner] = grouping as [GroupConstraint, ...GroupConstraint[]];
  const members = new Map<string, Candidate[]>();
  for (const c of sorted) {
    for (const v of primary.values(c)) {
      appendTo(members, v, c);
    }
  }
  const pMin = minGroups(primary.constraint);
  if (members.size < pMin) {
    throw new SpreadError(`the number of feasible ${primary.what} is less than spreadConstraint.MinGroups`);
  }
  const groups: GroupInfo[] = [...members].map(([name, list]) => ({
    name,
    value: list.length,
    weight: groupScore(list, needs, pMin, clusterMin),
  }));
  const chosenGroups = selectGroups(groups, pMin, maxGroups(primary.constraint), clusterMin);
  if (chosenGroups.length === 0) {
    throw new SpreadError('the number of clusters is less than the cluster spreadConstraint.MinGroups');
  }

  const chosen: Candidate[] = [];
  const taken = new Set<string>();
  const take = (c: Candidate) => {
    chosen.push(c);
    taken.add(c.name);
  };
  // The best member of each chosen group first.
  for (const g of chosenGroups) {
    const best = members.get(g.name)!.find((c) => !taken.has(c.name));
    if (best) take(best);
  }
  const pool: Candidate[] = [];
  for (const g of chosenGroups) for (const c of members.get(g.name)!) if (!taken.has(c.name)) pool.push(c);
  const seen = new Set<string>();
  const rest = pool.filter((c) => !seen.has(c.name) && seen.add(c.name)).sort(compareCandidates);

  // Inner constraints up to their minimum.
  for (const gc of inner) {
    while (groupCount(gc, chosen) < minGroups(gc.constraint)) {
      const have = new Set(chosen.flatMap((c) => gc.values(c)));
      const next = rest.find(
        (c) => !taken.has(c.name) && gc.values(c).some((v) => !have.has(v)) && withinMax(inner, chosen, c),
      );
      if (!next) {
        throw new SpreadError(`the number of feasible ${gc.what} is less than spreadConstraint.MinGroups`);
      }
      take(next);
    }
  }
  // Then up to the cluster constraint's maximum.
  for (const c of rest) {
    if (chosen.length >= clusterMax) break;
    if (!taken.has(c.name) && withinMax(inner, chosen, c)) take(c);
  }
  if (chosen.length < clusterMin) {
    throw new SpreadError('the number of clusters is less than the cluster spreadConstraint.MinGroups');
  }
  return chosen.sort(compareCandidates);
}
