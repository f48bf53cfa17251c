// The taint eviction controller, as Kubernetes' (pkg/controller/tainteviction, once the
// NoExecuteTaintManager): pods on a node with NoExecute taints they do not tolerate are deleted at
// once; pods that tolerate them for tolerationSeconds are deleted when that runs out (counted from
// when the controller saw the taint); pods that tolerate them without a limit stay. A pod is
// marked with the DisruptionTarget condition before it is deleted. A taint removed in time
// cancels the eviction. The pending evictions share the work queue's single timer.

import { objectKey, splitKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { ReconcileResult } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import { runController } from '../../controller/runner.js';
import type { Condition } from '../../machinery/object.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import { matchingTolerations, minTolerationMs, type Taint } from '../../machinery/taints.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from '../workloads/types.js';
import { podsByNode } from './pods-by-node.js';
import { type Node, noExecuteTaints } from './taints.js';

export interface TaintEvictionOptions {
  workers?: number;
  recorder?: EventRecorder;
}

function taintsKey(taints: Taint[]): string {
  return taints
    .map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`)
    .sort()
    .join(',');
}

function tolerationsKey(pod: Pod | undefined): string {
  return JSON.stringify(pod?.spec?.tolerations ?? []);
}

export function startTaintEvictionController(
  ctx: ControllerContext,
  opts: TaintEvictionOptions = {},
): RunningController {
  const pods: Informer<Pod> = ctx.informers.informerFor<Pod>(resources.pods);
  const nodes: Informer<Node> = ctx.informers.informerFor<Node>(resources.nodes);
  const podsOn = podsByNode(pods);
  const ownRecorder = !opts.recorder;
  const recorder = eventRecorder(ctx, 'taint-eviction-controller', opts.recorder);
  /** Pods scheduled for eviction: since when, and when it fires. */
  const scheduled = new Map<string, { createdAt: number; triggerAt: number }>();
  const now = () => ctx.now().getTime();

  const cancel = (key: string, pod: Pod | undefined) => {
    if (!scheduled.delete(key)) return;
    if (pod) recorder.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  };

  const evict = async (key: string, pod: Pod): Promise<void> => {
    scheduled.delete(key);
    const { namespace, name } = splitKey(key);
    recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    let fresh: Pod;
    try {
      fresh = await ctx.client.get<Pod>(resources.pods, name, { namespace });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (fresh.metadata.uid !== pod.metadata.uid) return;
    const conditions = fresh.status?.conditions ?? [];
    const existing = conditions.find((c) => c.type === 'DisruptionTarget');
    if (existing?.status !== 'True' || existing.reason !== 'DeletionByTaintManager') {
      const condition: Condition = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
        lastTransitionTime: metaTime(now()),
      };
      fresh.status = {
        ...(fresh.status ?? {}),
        conditions: [...conditions.filter((c) => c !== existing), condition],
      };
      try {
        await ctx.client.update(resources.pods, fresh, { namespace, subresource: 'status' });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    try {
      await ctx.client.delete(resources.pods, name, { namespace, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!(isNotFound(err) || isConflict(err))) throw err;
    }
  };

  /** processPodOnNode, and the eviction itself once its time has come. */
  const reconcile = async (key: string): Promise<ReconcileResult | undefined> => {
    const { namespace, name } = splitKey(key);
    const pod = pods.get(name, namespace);
    if (!pod || pod.metadata.deletionTimestamp) {
      scheduled.delete(key);
      return undefined;
    }
    const node = pod.spec?.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
    const taints = noExecuteTaints(node);
    if (taints.length === 0) {
      cancel(key, pod);
      return undefined;
    }
    const { allTolerated, used } = matchingTolerations(taints, pod.spec?.tolerations ?? []);
    if (!allTolerated) {
      await evict(key, pod);
      return undefined;
    }
    const min = minTolerationMs(used);
    if (min < 0) {
      cancel(key, pod);
      return undefined;
    }
    const t = now();
    const entry = scheduled.get(key);
    const createdAt = entry?.createdAt ?? t;
    const triggerAt = createdAt + min;
    if (t >= triggerAt) {
      await evict(key, pod);
      return undefined;
    }
    scheduled.set(key, { createdAt, triggerAt });
    return { requeueAfter: triggerAt - t };
  };

  const controller = reconcileLoop(ctx, {
    name: 'taint-eviction',
    workers: opts.workers ?? 4,
    reconcile,
  });

  /** Only pods that may have something to do are queued: most pod changes cost a lookup. */
  const podChanged = (old: Pod | undefined, pod: Pod) => {
    const key = objectKey(pod);
    if (scheduled.has(key)) {
      controller.enqueue(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || noExecuteTaints(nodes.get(nodeName)).length === 0) return;
    if (old && old.spec?.nodeName === nodeName && tolerationsKey(old) === tolerationsKey(pod)) return;
    controller.enqueue(key);
  };
  const nodeChanged = (old: Node | undefined, node: Node) => {
    if (old && taintsKey(noExecuteTaints(old)) === taintsKey(noExecuteTaints(node))) return;
    for (const p of podsOn(node.metadata.name!)) controller.enqueue(objectKey(p));
  };
  const offs = [
    pods.addEventHandler({
      onAdd: (pod) => podChanged(undefined, pod),
      onUpdate: (old, pod) => podChanged(old, pod),
      onDelete: (pod) => scheduled.delete(objectKey(pod)),
    }),
    nodes.addEventHandler({
      onAdd: (node) => nodeChanged(undefined, node),
      onUpdate: (old, node) => nodeChanged(old, node),
    }),
  ];
  return runController({
    name: 'taint-eviction',
    controllers: [controller],
    informers: [pods, nodes],
    unregister: offs,
    ...(ownRecorder ? { recorder } : {}),
  });
}
