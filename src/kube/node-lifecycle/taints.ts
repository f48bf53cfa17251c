// Taints and tolerations as the node lifecycle and taint eviction controllers use them: the
// taints the node controller owns, toleration matching (v1 Toleration.ToleratesTaint), and
// adding/removing taints on a Node under optimistic concurrency (SwapNodeControllerTaint).

import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { KubeObject } from '../../machinery/object.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: TaintEffect | '';
  tolerationSeconds?: number;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: { conditions?: NodeCondition[] };
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };

/** nodeConditionToTaintKeyStatusMap: conditions whose status calls for a NoSchedule taint. */
export const CONDITION_TAINTS: Record<string, Partial<Record<NodeCondition['status'], string>>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

/** Taint keys the NoSchedule pass owns (and so may remove). */
export const NO_SCHEDULE_KEYS = new Set([
  TAINT_UNSCHEDULABLE,
  ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m) as string[]),
]);

export function condition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** Same key and effect: the identity Kubernetes matches taints by. */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: Taint[] | undefined, t: Taint): boolean {
  return (taints ?? []).some((x) => sameTaint(x, t));
}

export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  switch (tol.operator ?? 'Equal') {
    case 'Equal':
      return (tol.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** GetMatchingTolerations: whether every taint is tolerated, and the tolerations used. */
export function matchingTolerations(
  taints: Taint[],
  tolerations: Toleration[],
): { allTolerated: boolean; used: Toleration[] } {
  if (taints.length === 0) return { allTolerated: true, used: [] };
  const used: Toleration[] = [];
  for (const taint of taints) {
    const tol = tolerations.find((t) => toleratesTaint(t, taint));
    if (!tol) return { allTolerated: false, used: [] };
    used.push(tol);
  }
  return { allTolerated: true, used };
}

/** getMinTolerationTime in ms: 0 at once, -1 forever. */
export function minTolerationMs(used: Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Number.POSITIVE_INFINITY ? -1 : min * 1000;
}

/**
 * Adds and removes taints on a node (matched by key and effect; added ones carry timeAdded),
 * guarded by resourceVersion and retried on conflicts. True when the node ends up as wanted.
 */
export async function swapNodeTaints(
  client: Client,
  node: Node,
  add: Taint[],
  remove: Taint[],
  now: Date,
): Promise<boolean> {
  let current: Node | undefined = node;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const before = current.spec?.taints ?? [];
    let after = before.filter((t) => !remove.some((r) => sameTaint(r, t)));
    for (const t of add) {
      if (!after.some((x) => sameTaint(x, t))) after = [...after, { ...t, timeAdded: metaTime(now) }];
    }
    if (after.length === before.length && after.every((t, i) => sameTaint(t, before[i]!))) return true;
    try {
      await client.patch(
        resources.nodes,
        current.metadata.name!,
        {
          metadata: { resourceVersion: current.metadata.resourceVersion },
          spec: { taints: after.length > 0 ? after : null },
        },
        'merge',
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err)) throw err;
    }
    try {
      current = await client.get<Node>(resources.nodes, node.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
  return false;
}
