// How many more replicas of a workload a member can take, from the resource summary the registry
// writes on its Cluster (Karmada's general estimator): for each resource a replica requests,
// (allocatable - allocated - allocating) / request, and no more than the pods the member still
// allows. A member that reports no summary takes none.
//
// A decision asks this of every member, so the quantities are parsed once per summary (and per
// set of requests), not once per decision: the informer replaces a Cluster on every change and
// never edits one in place, so a summary object's figures never change.

import { Quantity } from '../../../machinery/quantity.js';
import type { Cluster, QuantityValue, ReplicaRequirements } from '../../apis/karmada/index.js';

type ResourceMap = Record<string, QuantityValue> | undefined;

/** Room the scheduler has handed out on a member that its summary does not show yet (assume.ts). */
export interface Allocating {
  pods: number;
  requests: ReadonlyMap<string, Quantity>;
}

/** A resource's room: the exact quantity, and its whole and milli values as the estimate divides them. */
interface Room {
  left: Quantity;
  value: number;
  milli: number;
}

/** A requested resource, parsed. */
interface Request {
  name: string;
  value: number;
  milli: number;
  quantity: Quantity;
}

const rooms = new WeakMap<object, Map<string, Room | null>>();
const requestsCache = new WeakMap<object, readonly Request[]>();

function quantity(map: ResourceMap, name: string): Quantity | undefined {
  const v = map?.[name];
  return v === undefined ? undefined : Quantity.tryParse(v);
}

const roomOf = (left: Quantity): Room => ({ left, value: left.value(), milli: left.milliValue() });

/** allocatable - allocated - allocating of one resource (null when it is not allocatable). */
function available(cluster: Cluster, name: string): Room | null {
  const summary = cluster.status?.resourceSummary;
  if (!summary) return null;
  let cached = rooms.get(summary);
  if (!cached) {
    cached = new Map();
    rooms.set(summary, cached);
  }
  const hit = cached.get(name);
  if (hit !== undefined) return hit;
  const allocatable = quantity(summary.allocatable, name);
  let room: Room | null = null;
  if (allocatable) {
    let left = allocatable;
    const allocated = quantity(summary.allocated, name);
    if (allocated) left = left.sub(allocated);
    const allocating = quantity(summary.allocating, name);
    if (allocating) left = left.sub(allocating);
    room = roomOf(left);
  }
  cached.set(name, room);
  return room;
}

/** The room of a resource less what is assumed on the member. */
function availableWith(cluster: Cluster, name: string, assumed: Allocating | undefined): Room | null {
  const room = available(cluster, name);
  if (!room || !assumed) return room;
  if (name === 'pods') {
    return assumed.pods === 0 ? room : roomOf(room.left.sub(Quantity.fromValue(assumed.pods)));
  }
  const more = assumed.requests.get(name);
  return more ? roomOf(room.left.sub(more)) : room;
}

function requestsOf(requirements: ReplicaRequirements): readonly Request[] {
  const map = requirements.resourceRequest!;
  let out = requestsCache.get(map);
  if (!out) {
    const parsed: Request[] = [];
    for (const [name, v] of Object.entries(map)) {
      const q = Quantity.tryParse(v);
      if (q) parsed.push({ name, value: q.value(), milli: q.milliValue(), quantity: q });
    }
    out = parsed;
    requestsCache.set(map, out);
  }
  return out;
}

/** The resources one replica requests, parsed (cached per requirements object). */
export function parsedRequests(
  requirements: ReplicaRequirements | undefined,
): readonly { name: string; quantity: Quantity }[] {
  return requirements?.resourceRequest ? requestsOf(requirements) : [];
}

/** The pods the member still allows (0 when it reports none). */
export function allowedPods(cluster: Cluster, assumed?: Allocating): number {
  const left = availableWith(cluster, 'pods', assumed);
  if (!left) return 0;
  return Math.max(0, left.value);
}

/** The most replicas with these requirements that fit on the member now. */
export function maxAvailableReplicas(
  cluster: Cluster,
  requirements: ReplicaRequirements | undefined,
  assumed?: Allocating,
): number {
  if (!cluster.status?.resourceSummary) return 0;
  let max = allowedPods(cluster, assumed);
  if (max <= 0 || !requirements?.resourceRequest) return max;
  for (const request of requestsOf(requirements)) {
    if (request.value <= 0) continue;
    const left = availableWith(cluster, request.name, assumed);
    if (!left || left.value <= 0) return 0;
    // CPU counts in millicores, everything else in whole units (as Kubernetes' Value() rounds up).
    const fits =
      request.name === 'cpu'
        ? Math.floor(left.milli / request.milli)
        : Math.floor(left.value / request.value);
    max = Math.min(max, fits);
  }
  return Math.max(0, max);
}
