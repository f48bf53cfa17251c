// Application failover (spec.failover.application): a workload its members report Unhealthy
// (aggregatedStatus) for decisionConditions.tolerationSeconds leaves that member, as a graceful
// eviction task (ApplicationFailure) with the policy's purgeMode: Gracefully waits for the new
// placement up to gracePeriodSeconds, Directly removes the old copy at once, Never keeps it
// (suppressDeletion) until the user says otherwise. When a member first looked unhealthy is kept
// in memory, as Karmada does: a restarted hub starts counting again.

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
import { EVICTION_REASON_APPLICATION_FAILURE, karmadaResources } from '../../apis/karmada/index.js';
import { templateOf } from '../scheduler/controller.js';
import { type AnyBinding, bindingKey, bindingRef, parseBindingKey } from '../util.js';
import { applicationEviction, evictCluster } from './eviction.js';
import { preservedState } from './state.js';
import { EVENT_EVICT_FAILED, EVENT_EVICTING } from './taint-manager.js';

export const APPLICATION_FAILOVER_NAME = 'application-failover-controller';
/** The producer of its eviction tasks, Karmada's controller names. */
export const RB_APPLICATION_FAILOVER_PRODUCER = 'resource-binding-application-failover-controller';
export const CRB_APPLICATION_FAILOVER_PRODUCER = 'cluster-resource-binding-application-failover-controller';
/** decisionConditions.tolerationSeconds when the policy leaves it out. */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface ApplicationFailoverOptions {
  recorder?: EventRecorder;
}

/**
 * Members where the workload has been unhealthy for `tolerationSeconds` at `now`, and how long until
 * the next one may be; `since` (member -> first seen unhealthy, ms) is updated in place.
 */
export function unhealthyFor(
  b: AnyBinding,
  since: Map<string, number>,
  now: number,
  tolerationSeconds: number,
): { evict: string[]; retryAfterMs?: number } {
  const evicting = new Set((b.spec.gracefulEvictionTasks ?? []).map((t) => t.fromCluster));
  const placed = new Set((b.spec.clusters ?? []).map((c) => c.name));
  const unhealthy = new Set<string>();
  for (const item of b.status?.aggregatedStatus ?? []) {
    if (item.health === 'Unhealthy' && placed.has(item.clusterName) && !evicting.has(item.clusterName)) {
      unhealthy.add(item.clusterName);
    }
  }
  for (const c of [...since.keys()]) if (!unhealthy.has(c)) since.delete(c);
  const evict: string[] = [];
  let retry = Number.POSITIVE_INFINITY;
  for (const c of unhealthy) {
    const first = since.get(c) ?? now;
    since.set(c, first);
    const left = first + tolerationSeconds * 1000 - now;
    if (left <= 0) evict.push(c);
    else retry = Math.min(retry, left);
  }
  return retry === Number.POSITIVE_INFINITY ? { evict } : { evict, retryAfterMs: retry };
}

export function startApplicationFailoverController(
  ctx: ControllerContext,
  opts: ApplicationFailoverOptions = {},
): RunningController {
  const recorder = eventRecorder(ctx, APPLICATION_FAILOVER_NAME, opts.recorder);
  const metrics = ctx.metrics ? FleetMetrics.for(ctx.metrics) : undefined;
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);
  const unhealthySince = new Map<string, Map<string, number>>();

  const controller = reconcileLoop(ctx, {
    name: APPLICATION_FAILOVER_NAME,
    workers: 2,
    reconcile: async (key) => {
      const { namespace, name } = parseBindingKey(key);
      const b = (namespace ? rbs : crbs).get(name, namespace);
      const behavior = b?.spec.failover?.application;
      if (!b || b.metadata.deletionTimestamp || !behavior || !b.spec.propagateDeps) {
        unhealthySince.delete(key);
        return undefined;
      }
      const since = unhealthySince.get(key) ?? new Map<string, number>();
      unhealthySince.set(key, since);
      const now = ctx.now();
      const toleration = behavior.decisionConditions?.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
      const { evict, retryAfterMs } = unhealthyFor(b, since, now.getTime(), toleration);
      const next = retryAfterMs !== undefined ? { requeueAfter: Math.ceil(retryAfterMs) } : undefined;
      if (evict.length === 0) return next;
      const before = (b.spec.clusters ?? []).map((c) => c.name);
      const producer = b.metadata.namespace
        ? RB_APPLICATION_FAILOVER_PRODUCER
        : CRB_APPLICATION_FAILOVER_PRODUCER;
      let spec = b.spec;
      for (const cluster of evict) {
        const state = preservedState(behavior.statePreservation, b.status, cluster).preservedLabelState;
        spec = evictCluster(
          spec,
          cluster,
          {
            ...applicationEviction(behavior, producer, before, state),
            message: `the workload has been unhealthy on cluster ${cluster} for ${toleration}s`,
          },
          now,
        );
      }
      try {
        await ctx.client.update(bindingRef(b), { ...b, spec }, { namespace: b.metadata.namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (isConflict(err)) return { requeue: true };
        for (const cluster of evict) {
          recorder.event(b, 'Warning', EVENT_EVICT_FAILED, `Evict from cluster ${cluster} failed.`);
          recorder.event(
            templateOf(b),
            'Warning',
            EVENT_EVICT_FAILED,
            `Evict from cluster ${cluster} failed.`,
          );
        }
        throw err;
      }
      for (const cluster of evict) {
        since.delete(cluster);
        const message =
          `Evicting from cluster ${cluster} (purgeMode ${behavior.purgeMode || 'Gracefully'}): ` +
          `the workload has been unhealthy there for ${toleration}s.`;
        recorder.event(b, 'Normal', EVENT_EVICTING, message);
        recorder.event(templateOf(b), 'Normal', EVENT_EVICTING, message);
        metrics?.failovers.inc({ member_cluster: cluster, reason: EVICTION_REASON_APPLICATION_FAILURE });
        ctx.logger.info({ binding: key, cluster }, 'evicted binding from cluster where it is unhealthy');
      }
      return next;
    },
  });

  const enqueue = (b: AnyBinding) => controller.enqueue(bindingKey(b));
  const handler = {
    onAdd: (b: AnyBinding) => {
      if (b.spec?.failover?.application) enqueue(b);
    },
    onUpdate: (old: AnyBinding, cur: AnyBinding) => {
      if (old.spec?.failover?.application || cur.spec?.failover?.application) enqueue(cur);
    },
    onDelete: (b: AnyBinding) => {
      unhealthySince.delete(bindingKey(b));
    },
  };
  const offRbs = rbs.addEventHandler(handler);
  const offCrbs = crbs.addEventHandler(handler);

  let stopped = false;
  void Promise.all([rbs.waitForSync(), crbs.waitForSync()]).then((synced) => {
    if (!stopped && synced.every(Boolean)) controller.start();
  });
  return {
    name: APPLICATION_FAILOVER_NAME,
    async stop() {
      stopped = true;
      offRbs();
      offCrbs();
      await controller.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}
