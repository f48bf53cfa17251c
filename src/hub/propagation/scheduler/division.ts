// Dividing replicas among clusters by weight, as Karmada's scheduler does: the Webster
// (Sainte-Laguë) method hands out one replica at a time to the cluster with the highest
// weight / (2 × replicas so far + 1). Ties go to the cluster with fewer replicas, then by name,
// ascending or descending as a hash of the binding's resource uid decides, so that equal
// clusters are not always favoured in the same order across workloads.

import { IndexedHeap } from '../../../machinery/indexed-heap.js';
import type { TargetCluster } from '../../apis/karmada/index.js';
import { fnv32a } from '../names.js';

export interface Party {
  name: string;
  votes: number;
  seats: number;
}

/** Whether a wins a tie against b (same Webster priority). */
export type TieBreaker = (a: Party, b: Party) => boolean;

const fewerSeatsThenName =
  (ascending: boolean): TieBreaker =>
  (a, b) => {
    if (a.seats !== b.seats) return a.seats < b.seats;
    return ascending ? a.name < b.name : a.name > b.name;
  };

/** The tie-breaker of a binding whose resource has this uid (names ascending when there is none). */
export function tieBreakerByUid(uid: string | undefined): TieBreaker {
  if (!uid) return fewerSeatsThenName(true);
  return fewerSeatsThenName((fnv32a(uid) & 1) === 0);
}

interface Entry extends Party {
  heapIndex: number;
}

/**
 * Hands out `newSeats` seats by the Webster method, starting from `initial` seats. Parties with
 * initial seats but no votes take part with priority 0. Returns every party, sorted by name.
 */
export function allocateWebsterSeats(
  newSeats: number,
  votes: ReadonlyMap<string, number>,
  initial: ReadonlyMap<string, number> = new Map(),
  tieBreaker: TieBreaker = fewerSeatsThenName(true),
): Party[] {
  const parties = new Map<string, Entry>();
  for (const [name, seats] of initial) parties.set(name, { name, votes: 0, seats, heapIndex: -1 });
  for (const [name, v] of votes) {
    const p = parties.get(name);
    if (p) p.votes = v;
    else parties.set(name, { name, votes: v, seats: 0, heapIndex: -1 });
  }
  if (parties.size === 0) return [];
  const priority = (p: Party) => p.votes / (2 * p.seats + 1);
  const heap = new IndexedHeap<Entry>((a, b) => {
    const pa = priority(a);
    const pb = priority(b);
    return pa === pb ? tieBreaker(a, b) : pa > pb;
  });
  for (const p of parties.values()) heap.push(p);
  for (let left = newSeats; left > 0; left--) {
    const next = heap.peek()!;
    next.seats++;
    heap.fix(next);
  }
  return [...parties.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, votes: v, seats }) => ({ name, votes: v, seats }));
}

/** A cluster and its weight in a division. */
export interface ClusterWeight {
  name: string;
  weight: number;
}

/**
 * Divides `replicas` by weight (Webster) on top of `initial`; clusters end up sorted by name,
 * zero-replica ones included (callers drop them).
 */
export function divideByWeight(
  replicas: number,
  weights: readonly ClusterWeight[],
  uid: string | undefined,
  initial: readonly TargetCluster[] = [],
): TargetCluster[] {
  const sum = weights.reduce((s, w) => s + w.weight, 0);
  if (sum === 0) return initial.map((c) => ({ ...c }));
  const votes = new Map(weights.map((w) => [w.name, w.weight]));
  const start = new Map(initial.map((c) => [c.name, c.replicas ?? 0]));
  return allocateWebsterSeats(replicas, votes, start, tieBreakerByUid(uid)).map((p) => ({
    name: p.name,
    replicas: p.seats,
  }));
}

/** Adds the replicas of `added` to those of `base`, cluster by cluster. */
export function mergeTargetClusters(
  base: readonly TargetCluster[],
  added: readonly TargetCluster[],
): TargetCluster[] {
  if (base.length === 0) return added.map((c) => ({ ...c }));
  if (added.length === 0) return base.map((c) => ({ ...c }));
  const rest = new Map(base.map((c) => [c.name, c.replicas ?? 0]));
  const out: TargetCluster[] = added.map((c) => {
    const before = rest.get(c.name);
    rest.delete(c.name);
    return { name: c.name, replicas: (c.replicas ?? 0) + (before ?? 0) };
  });
  for (const [name, replicas] of rest) out.push({ name, replicas });
  return out;
}

export function sumReplicas(clusters: readonly TargetCluster[] | undefined): number {
  let n = 0;
  for (const c of clusters ?? []) n += c.replicas ?? 0;
  return n;
}
