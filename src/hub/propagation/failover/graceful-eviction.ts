// The graceful eviction controller: a binding's graceful eviction tasks keep the resource on the
// member it is leaving (the binding controller keeps that Work) until the new placement is healthy
// (every scheduled member reports Healthy in aggregatedStatus, once the scheduler has seen the
// binding's latest spec), the task's grace period (gracePeriodSeconds, else the hub's timeout)
// passed, or the user set suppressDeletion to false. Then the task goes, and with it that Work. A
// binding placed nowhere keeps its old copies until their member is back (or time is up).

import type { Informer } from '../../../client/informer.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { FleetMetrics } from '../../../controller/fleet-metrics.js';
import { isConflict, isNotFound } from '../../../machinery/status.js';
import { CLUSTER_CONDITION_READY, type Cluster, karmadaResources } from '../../apis/karmada/index.js';
import { templateOf } from '../scheduler/controller.js';
import { type AnyBinding, bindingKey, bindingRef, parseBindingKey } from '../util.js';
import { assessTasks } from './eviction.js';
import { EVENT_EVICT_FAILED, EVENT_EVICT_SUCCEED } from './taint-manager.js';

export const GRACEFUL_EVICTION_NAME = 'graceful-eviction-controller';
/** Karmada's --graceful-eviction-timeout default. */
export const DEFAULT_GRACEFUL_EVICTION_TIMEOUT_MS = 10 * 60_000;

export interface GracefulEvictionOptions {
  /** How long a task without gracePeriodSeconds waits for the new placement (default 10 min). */
  timeoutMs?: number;
  recorder?: EventRecorder;
}

/** Ready, with no NoExecute taint. */
function back(c: Cluster | undefined): boolean {
  if (!c) return false;
  const ready = c.status?.conditions?.find((x) => x.type === CLUSTER_CONDITION_READY)?.status === 'True';
  return ready && !(c.spec?.taints ?? []).some((t) => t.effect === 'NoExecute');
}

export function startGracefulEvictionController(
  ctx: ControllerContext,
  opts: GracefulEvictionOptions = {},
): RunningController {
  const recorder = eventRecorder(ctx, GRACEFUL_EVICTION_NAME, opts.recorder);
  const metrics = ctx.metrics ? FleetMetrics.for(ctx.metrics) : undefined;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GRACEFUL_EVICTION_TIMEOUT_MS;
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const memberBack = (name: string) => back(clusters.get(name));

  const controller = reconcileLoop(ctx, {
    name: GRACEFUL_EVICTION_NAME,
    workers: 2,
    reconcile: async (key) => {
      const { namespace, name } = parseBindingKey(key);
      const b = (namespace ? rbs : crbs).get(name, namespace);
      const tasks = b?.spec.gracefulEvictionTasks ?? [];
      if (!b || b.metadata.deletionTimestamp || tasks.length === 0) return undefined;
      const now = ctx.now();
      const result = assessTasks(tasks, now, {
        defaultTimeoutMs: timeoutMs,
        clusters: b.spec.clusters,
        aggregated: b.status?.aggregatedStatus,
        scheduled: b.status?.schedulerObservedGeneration === b.metadata.generation,
        memberBack,
      });
      const next = result.retryAfterMs !== undefined ? { requeueAfter: result.retryAfterMs } : undefined;
      if (JSON.stringify(result.kept) === JSON.stringify(tasks)) return next;
      const spec = { ...b.spec };
      if (result.kept.length > 0) spec.gracefulEvictionTasks = result.kept;
      else delete spec.gracefulEvictionTasks;
      try {
        await ctx.client.update(bindingRef(b), { ...b, spec }, { namespace: b.metadata.namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (isConflict(err)) return { requeue: true };
        for (const { task } of result.done) {
          const message = `Evict from cluster ${task.fromCluster} failed.`;
          recorder.event(b, 'Warning', EVENT_EVICT_FAILED, message);
          recorder.event(templateOf(b), 'Warning', EVENT_EVICT_FAILED, message);
        }
        throw err;
      }
      for (const { task, why } of result.done) {
        const message = `Evict from cluster ${task.fromCluster} succeed.`;
        recorder.event(b, 'Normal', EVENT_EVICT_SUCCEED, message);
        recorder.event(templateOf(b), 'Normal', EVENT_EVICT_SUCCEED, message);
        const created = Date.parse(task.creationTimestamp ?? '');
        if (!Number.isNaN(created)) {
          metrics?.failoverDuration.observe(
            { reason: task.reason, result: why },
            Math.max(0, now.getTime() - created) / 1000,
          );
        }
        ctx.logger.info({ binding: key, cluster: task.fromCluster, why }, 'graceful eviction done');
      }
      return next;
    },
  });

  const enqueue = (b: AnyBinding) => {
    if ((b.spec?.gracefulEvictionTasks ?? []).length > 0) controller.enqueue(bindingKey(b));
  };
  // Any change may matter: new tasks, the scheduler's result, status from the members.
  const handler = { onAdd: enqueue, onUpdate: (_o: AnyBinding, cur: AnyBinding) => enqueue(cur) };
  const offRbs = rbs.addEventHandler(handler);
  const offCrbs = crbs.addEventHandler(handler);
  // A member back may end the evictions from it of bindings placed nowhere else.
  const offClusters = clusters.addEventHandler({
    onUpdate: (old, cur) => {
      if (back(old) || !back(cur)) return;
      for (const b of [...rbs.list(), ...crbs.list()]) {
        if ((b.spec?.gracefulEvictionTasks ?? []).some((t) => t.fromCluster === cur.metadata.name))
          enqueue(b);
      }
    },
  });

  let stopped = false;
  void Promise.all([rbs.waitForSync(), crbs.waitForSync(), clusters.waitForSync()]).then((synced) => {
    if (!stopped && synced.every(Boolean)) controller.start();
  });
  return {
    name: GRACEFUL_EVICTION_NAME,
    async stop() {
      stopped = true;
      offRbs();
      offCrbs();
      offClusters();
      await controller.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}
