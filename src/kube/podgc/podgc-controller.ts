// The pod garbage collector, as kube-controller-manager's podgc controller. Every pass (20 s by
// default) it force-deletes:
// - the oldest terminated pods (Succeeded or Failed, evicted ones first) beyond a threshold;
// - terminating pods on a node that is not Ready and carries the out-of-service taint;
// - pods bound to a node that has been gone for the quarantine time (40 s), checked once more
//   against the API before they go, and marked with DisruptionTarget (DeletionByPodGC);
// - terminating pods that were never scheduled.
// A pod not yet in a terminal phase is marked Failed first, so that its controllers (Jobs) count
// it as a failure rather than seeing it vanish.

import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../../controller/context.js';
import { runController } from '../../controller/runner.js';
import type { Condition } from '../../machinery/object.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { Node } from '../node-lifecycle/taints.js';
import type { Pod } from '../workloads/types.js';

export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';
const FIELD_MANAGER = 'PodGC';
const PASS = 'pass';

export interface PodGCOptions {
  /**
   * Terminated pods kept before the oldest are deleted (kube-controller-manager's
   * --terminated-pod-gc-threshold, default 12,500); 0 or less keeps them all.
   */
  terminatedPodThreshold?: number;
  /** Time between passes (default 20 s). */
  periodMs?: number;
  /** How long a node must have been gone before its pods are deleted (default 40 s). */
  quarantineMs?: number;
}

const isTerminated = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Evicted pods go first, then the oldest, then by name so that a pass is deterministic. */
function deletionOrder(a: Pod, b: Pod): number {
  const evicted = (p: Pod) => (p.status?.reason === 'Evicted' ? 0 : 1);
  return (
    evicted(a) - evicted(b) ||
    Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
  );
}

function isNotReadyAndOutOfService(node: Node): boolean {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const outOfService = (node.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT);
  return ready?.status !== 'True' && outOfService;
}

export function startPodGCController(ctx: ControllerContext, opts: PodGCOptions = {}): RunningController {
  const threshold = opts.terminatedPodThreshold ?? 12_500;
  const periodMs = opts.periodMs ?? 20_000;
  const quarantineMs = opts.quarantineMs ?? 40_000;
  const pods: Informer<Pod> = ctx.informers.informerFor<Pod>(resources.pods);
  const nodes: Informer<Node> = ctx.informers.informerFor<Node>(resources.nodes);
  /** Nodes pods are bound to that the informer does not have, since when (ms). */
  const missingSince = new Map<string, number>();
  const log = ctx.logger.child({ controller: 'pod-garbage-collector' });

  /** Marks the pod Failed (with the condition) unless it has ended already, then deletes it now. */
  const markFailedAndDelete = async (pod: Pod, condition?: Condition): Promise<void> => {
    const { name, namespace } = pod.metadata;
    try {
      if (!isTerminated(pod)) {
        const status: Pod['status'] = {
          phase: 'Failed',
          ...(condition ? { conditions: [{ ...condition }] } : {}),
        };
        await ctx.client.apply(
          resources.pods,
          { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, status },
          { fieldManager: FIELD_MANAGER, force: true, subresource: 'status' },
        );
      }
      log.info({ pod: `${namespace}/${name}` }, 'force deleting pod');
      await ctx.client.delete(resources.pods, name!, {
        namespace,
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      // Gone already, or replaced by a pod of the same name: nothing to collect.
      if (!(isNotFound(err) || isConflict(err))) throw err;
    }
  };

  const gcTerminated = async (all: Pod[]) => {
    if (threshold <= 0) return;
    const terminated = all.filter(isTerminated);
    const excess = terminated.length - threshold;
    if (excess <= 0) return;
    for (const pod of terminated.sort(deletionOrder).slice(0, excess)) await markFailedAndDelete(pod);
  };

  const gcTerminatingOutOfService = async (all: Pod[]) => {
    for (const pod of all) {
      if (!pod.metadata.deletionTimestamp || !pod.spec?.nodeName) continue;
      const node = nodes.get(pod.spec.nodeName);
      if (node && isNotReadyAndOutOfService(node)) await markFailedAndDelete(pod);
    }
  };

  const gcOrphaned = async (all: Pod[], now: number) => {
    const bound = new Map<string, Pod[]>();
    for (const pod of all) {
      const node = pod.spec?.nodeName;
      if (!node || nodes.get(node)) continue;
      const list = bound.get(node);
      if (list) list.push(pod);
      else bound.set(node, [pod]);
    }
    for (const node of missingSince.keys()) if (!bound.has(node)) missingSince.delete(node);
    for (const [node, orphans] of bound) {
      const since = missingSince.get(node);
      if (since === undefined) {
        missingSince.set(node, now);
        continue;
      }
      if (now - since < quarantineMs) continue;
      // The informer may lag: ask the API before deleting anything.
      try {
        await ctx.client.get(resources.nodes, node);
        missingSince.delete(node);
        continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const condition: Condition = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
        lastTransitionTime: metaTime(now),
      };
      for (const pod of orphans) await markFailedAndDelete(pod, condition);
      missingSince.delete(node);
    }
  };

  const gcUnscheduledTerminating = async (all: Pod[]) => {
    for (const pod of all) {
      if (pod.metadata.deletionTimestamp && !pod.spec?.nodeName) await markFailedAndDelete(pod);
    }
  };

  const controller = reconcileLoop(ctx, {
    name: 'pod-garbage-collector',
    reconcile: async () => {
      const all = pods.list();
      await gcTerminated(all);
      await gcTerminatingOutOfService(all);
      await gcOrphaned(all, ctx.now().getTime());
      await gcUnscheduledTerminating(all);
      return { requeueAfter: periodMs };
    },
  });
  controller.enqueue(PASS);
  return runController({
    controllers: [controller],
    informers: [pods, nodes],
    unregister: [],
  });
}
