// Node taints as the node lifecycle and taint eviction controllers use them: the taints the node
// controller owns and adding/removing taints on a Node under optimistic concurrency
// (SwapNodeControllerTaint). Matching tolerations is machinery/taints.ts's.

import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { KubeObject } from '../../machinery/object.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import {
  sameTaint,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Taint,
} from '../../machinery/taints.js';
import { metaTime } from '../../machinery/time.js';

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

export function taintExists(taints: Taint[] | undefined, t: Taint): boolean {
  return (taints ?? []).some((x) => sameTaint(x, t));
}

export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
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
