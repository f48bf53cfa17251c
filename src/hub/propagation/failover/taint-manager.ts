// The taint manager: cluster failover, on by default. A binding placed on a member with a NoExecute
// taint its placement does not tolerate (clusterTolerations, for tolerationSeconds when given)
// leaves that member: the member goes from spec.clusters into a graceful eviction task
// (TaintUntolerated, producer TaintManager, the policy's failover.cluster.purgeMode or the hub's
// default), and the scheduler places the replicas elsewhere. Tolerations are read from the
// placement the scheduler last applied, as Karmada does, or spec.placement before that.

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
import {
  type Cluster,
  EVICTION_PRODUCER_TAINT_MANAGER,
  EVICTION_REASON_TAINT_UNTOLERATED,
  karmadaResources,
  type Placement,
  POLICY_PLACEMENT_ANNOTATION,
  type PurgeMode,
  type Taint,
} from '../../apis/karmada/index.js';
import { templateOf } from '../scheduler/controller.js';
import { type AnyBinding, bindingKey, bindingRef, parseBindingKey } from '../util.js';
import { clusterPurgeMode, evictCluster, taintDecision } from './eviction.js';
import { preservedState } from './state.js';

export const TAINT_MANAGER_NAME = 'taint-manager';
/** Event reasons (Karmada's where it has them). */
export const EVENT_EVICTING = 'EvictingWorkloadFromCluster';
export const EVENT_EVICT_SUCCEED = 'EvictWorkloadFromClusterSucceed';
export const EVENT_EVICT_FAILED = 'EvictWorkloadFromClusterFailed';

export interface TaintManagerOptions {
  /** Purge mode when the policy has no failover.cluster (Karmada's flag; default Gracefully). */
  purgeMode?: PurgeMode;
  recorder?: EventRecorder;
}

/** The placement whose tolerations count: the one last applied, else the binding's. */
export function appliedPlacement(b: AnyBinding): Placement | undefined {
  const applied = b.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION];
  if (applied) {
    try {
      return JSON.parse(applied) as Placement;
    } catch {
      // A damaged annotation: the binding's own placement says the same once rescheduled.
    }
  }
  return b.spec.placement;
}

function noExecuteTaints(c: Cluster | undefined): string {
  return JSON.stringify((c?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute'));
}

function describe(taints: readonly Taint[]): string {
  return taints
    .filter((t) => t.effect === 'NoExecute')
    .map((t) => `${t.key}:${t.effect}`)
    .join(', ');
}

export function startTaintManager(ctx: ControllerContext, opts: TaintManagerOptions = {}): RunningController {
  const recorder = eventRecorder(ctx, TAINT_MANAGER_NAME, opts.recorder);
  const metrics = ctx.metrics ? FleetMetrics.for(ctx.metrics) : undefined;
  const fallbackPurge = opts.purgeMode ?? 'Gracefully';
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);

  const controller = reconcileLoop(ctx, {
    name: TAINT_MANAGER_NAME,
    workers: 2,
    reconcile: async (key) => {
      const { namespace, name } = parseBindingKey(key);
      const b = (namespace ? rbs : crbs).get(name, namespace);
      if (!b || b.metadata.deletionTimestamp) return undefined;
      const tolerations = appliedPlacement(b)?.clusterTolerations;
      const now = ctx.now();
      let spec = b.spec;
      const evicted: { cluster: string; taints: Taint[] }[] = [];
      let retry = Number.POSITIVE_INFINITY;
      for (const target of b.spec.clusters ?? []) {
        const cluster = clusters.get(target.name);
        const decision = taintDecision(cluster?.spec?.taints, tolerations, now);
        if (!decision.evict) {
          if (decision.afterMs !== undefined) retry = Math.min(retry, decision.afterMs);
          continue;
        }
        const taints = cluster?.spec?.taints ?? [];
        spec = evictCluster(
          spec,
          target.name,
          {
            reason: EVICTION_REASON_TAINT_UNTOLERATED,
            producer: EVICTION_PRODUCER_TAINT_MANAGER,
            purgeMode: clusterPurgeMode(b.spec.failover, fallbackPurge),
            message: `cluster ${target.name} has taints the placement does not tolerate: ${describe(taints)}`,
            ...preservedState(b.spec.failover?.cluster?.statePreservation, b.status, target.name),
          },
          now,
        );
        evicted.push({ cluster: target.name, taints });
      }
      if (evicted.length > 0) {
        try {
          await ctx.client.update(bindingRef(b), { ...b, spec }, { namespace: b.metadata.namespace });
        } catch (err) {
          if (isNotFound(err)) return undefined;
          if (isConflict(err)) return { requeue: true };
          for (const e of evicted) {
            const message = `Evict from cluster ${e.cluster} failed.`;
            recorder.event(b, 'Warning', EVENT_EVICT_FAILED, message);
            recorder.event(templateOf(b), 'Warning', EVENT_EVICT_FAILED, message);
          }
          throw err;
        }
        for (const e of evicted) {
          const purge = clusterPurgeMode(b.spec.failover, fallbackPurge);
          const message =
            `Evicting from cluster ${e.cluster} (purgeMode ${purge}): ` +
            `taints ${describe(e.taints)} are not tolerated.`;
          recorder.event(b, 'Normal', EVENT_EVICTING, message);
          recorder.event(templateOf(b), 'Normal', EVENT_EVICTING, message);
          metrics?.failovers.inc({ member_cluster: e.cluster, reason: EVICTION_REASON_TAINT_UNTOLERATED });
          ctx.logger.info({ binding: key, cluster: e.cluster }, 'evicted binding from tainted cluster');
        }
      }
      return retry === Number.POSITIVE_INFINITY ? undefined : { requeueAfter: Math.ceil(retry) };
    },
  });

  const enqueue = (b: AnyBinding) => controller.enqueue(bindingKey(b));
  const onBinding = {
    onAdd: enqueue,
    onUpdate: (old: AnyBinding, cur: AnyBinding) => {
      if (
        JSON.stringify(old.spec?.clusters ?? []) !== JSON.stringify(cur.spec?.clusters ?? []) ||
        old.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION] !==
          cur.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION]
      ) {
        enqueue(cur);
      }
    },
  };
  const offRbs = rbs.addEventHandler(onBinding);
  const offCrbs = crbs.addEventHandler(onBinding);
  const wake = (c: Cluster) => {
    if (!(c.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) return;
    const name = c.metadata.name;
    for (const b of [...rbs.list(), ...crbs.list()]) {
      if ((b.spec?.clusters ?? []).some((t) => t.name === name)) enqueue(b);
    }
  };
  const offClusters = clusters.addEventHandler({
    onAdd: (c, initial) => {
      if (!initial) wake(c);
    },
    onUpdate: (old, cur) => {
      if (noExecuteTaints(old) !== noExecuteTaints(cur)) wake(cur);
    },
  });

  let stopped = false;
  void Promise.all([clusters.waitForSync(), rbs.waitForSync(), crbs.waitForSync()]).then((synced) => {
    if (!stopped && synced.every(Boolean)) controller.start();
  });
  return {
    name: TAINT_MANAGER_NAME,
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
