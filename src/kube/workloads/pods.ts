// What the pod controllers ask about pods (active, ready, available), how they make a pod from a
// template, and the order in which a controller picks pods to delete (Kubernetes'
// ActivePodsWithRanks): unscheduled < scheduled, Pending < Unknown < Running, not ready < ready,
// lower pod-deletion-cost first, pods doubled up on a node first, ready for less time first, more
// restarts first, newer first.

import type { Condition, KubeObject, OwnerReference } from '../../machinery/object.js';
import type { Pod, PodTemplateSpec } from './types.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Not finished (Succeeded/Failed) and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function podCondition(pod: Pod, type: string): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/**
 * When the pod became ready (ms since the epoch; NaN if it does not say), or -1 when it is not
 * ready. Remembered per pod object: informer caches hold immutable snapshots, so a controller
 * recounting 10,000 pods reads each condition list once per change, not once per recount.
 */
const readyMemo = new WeakMap<Pod, number>();

export function podReadySince(pod: Pod): number {
  let v = readyMemo.get(pod);
  if (v === undefined) {
    const ready = podCondition(pod, 'Ready');
    if (ready?.status !== 'True') v = -1;
    else v = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
    readyMemo.set(pod, v);
  }
  return v;
}

export function isPodReady(pod: Pod): boolean {
  return podReadySince(pod) !== -1;
}

/** Ready for at least minReadySeconds (measured from the Ready condition's lastTransitionTime). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const since = podReadySince(pod);
  if (since === -1) return false;
  if (!minReadySeconds) return true;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < now.getTime();
}

/** Ms until a ready pod becomes available (0 when it is, undefined when it is not ready). */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  const since = podReadySince(pod);
  if (since === -1) return undefined;
  if (!minReadySeconds) return 0;
  if (Number.isNaN(since)) return undefined;
  return Math.max(0, since + minReadySeconds * 1000 - now.getTime() + 1);
}

/** "<name>-" as generateName, unless that would not be a valid pod name prefix. */
export function podNamePrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  return /^[a-z0-9]([-a-z0-9.]*)?$/.test(prefix) ? prefix : controllerName;
}

/**
 * controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template. The
 * spec's nested values are shared with the template (clients copy what they send): callers
 * replace rather than change them.
 */
export function podFromTemplate(
  template: PodTemplateSpec,
  parent: KubeObject,
  controllerRef: OwnerReference | undefined,
): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: podNamePrefix(parent.metadata.name ?? '') },
    spec: { ...template.spec },
  };
  if (meta.labels && Object.keys(meta.labels).length > 0) pod.metadata.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) {
    pod.metadata.annotations = { ...meta.annotations };
  }
  if (meta.finalizers && meta.finalizers.length > 0) pod.metadata.finalizers = [...meta.finalizers];
  if (controllerRef) pod.metadata.ownerReferences = [controllerRef];
  if (parent.metadata.namespace) pod.metadata.namespace = parent.metadata.namespace;
  return pod;
}

function phaseOrdinal(pod: Pod): number {
  switch (pod.status?.phase) {
    case 'Pending':
      return 0;
    case 'Unknown':
      return 1;
    case 'Running':
      return 2;
    default:
      return 3;
  }
}

function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

function readyTime(pod: Pod): number | undefined {
  const since = podReadySince(pod);
  return since === -1 || Number.isNaN(since) ? undefined : since;
}

export function maxContainerRestarts(pod: Pod): number {
  let max = 0;
  for (const c of pod.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  for (const c of pod.status?.initContainerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

/** Log2 "age bucket" of a timestamp (Kubernetes' LogarithmicScaleDown), -1 for none or the future. */
function ageRank(t: number | undefined, now: number): number {
  if (t === undefined || Number.isNaN(t)) return -1;
  const d = (now - t) * 1e6; // nanoseconds, as the original compares durations
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** Whether t1 is "after or zero" compared with t2 (undefined is zero and sorts first). */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** A pod with its rank (related active pods on its node) for deletion ordering. */
export interface RankedPod {
  pod: Pod;
  rank: number;
}

function timeCompare(t1: number | undefined, t2: number | undefined, a: Pod, b: Pod, now: number): number {
  if (t1 === undefined || t2 === undefined || Number.isNaN(t1) || Number.isNaN(t2)) {
    return afterOrZero(t1, t2) ? -1 : 1;
  }
  const diff = ageRank(t1, now) - ageRank(t2, now);
  if (diff === 0) {
    const ua = a.metadata.uid ?? '';
    const ub = b.metadata.uid ?? '';
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  }
  return diff < 0 ? -1 : 1;
}

/**
 * Negative when `a` should be deleted before `b` (ActivePodsWithRanks.Less, with
 * LogarithmicScaleDown and PodDeletionCost on, as they are by default).
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: Date): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  // 1. Unassigned < assigned.
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  // 2. Pending < Unknown < Running.
  const oa = phaseOrdinal(pa);
  const ob = phaseOrdinal(pb);
  if (oa !== ob) return oa - ob;
  // 3. Not ready < ready.
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  // 4. Lower pod-deletion-cost < higher.
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  // 5. Doubled up (more related pods on the node) < not.
  if (a.rank !== b.rank) return b.rank - a.rank;
  const nowMs = now.getTime();
  // 6. Ready for a shorter time < longer.
  if (ra && rb) {
    const ta = readyTime(pa);
    const tb = readyTime(pb);
    if (ta !== tb) {
      const c = timeCompare(ta, tb, pa, pb, nowMs);
      if (c !== 0) return c;
    }
  }
  // 7. More restarts < fewer.
  const rsa = maxContainerRestarts(pa);
  const rsb = maxContainerRestarts(pb);
  if (rsa !== rsb) return rsb - rsa;
  // 8. Newer < older.
  const ta = pa.metadata.creationTimestamp ? Date.parse(pa.metadata.creationTimestamp) : undefined;
  const tb = pb.metadata.creationTimestamp ? Date.parse(pb.metadata.creationTimestamp) : undefined;
  if (ta !== tb) return timeCompare(ta, tb, pa, pb, nowMs);
  return 0;
}

/**
 * The `count` pods to delete first: ranked by how many of `related` (active) pods share their
 * node, then ordered by compareForDeletion.
 */
export function podsToDelete(pods: Pod[], related: Pod[], count: number, now: Date): Pod[] {
  if (count >= pods.length) return pods.slice();
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, now));
  return ranked.slice(0, count).map((r) => r.pod);
}

/** Pods ordered so the most preferable to keep come first: the reverse of deletion order (ActivePods). */
export function comparePodsActiveFirst(a: Pod, b: Pod, now: Date): number {
  return compareForDeletion({ pod: b, rank: 0 }, { pod: a, rank: 0 }, now);
}
