// The scheduler: watches ResourceBindings, ClusterResourceBindings and Clusters, and writes each
// binding's decision: spec.clusters and the applied-placement annotation, then in status the
// Scheduled condition, the affinity group in use, the generation it saw and when it scheduled.
// A binding is scheduled when decision.ts says so; a member's change wakes the bindings it may
// concern (a change of capacity only those still short of replicas or rebalancing).

import type { Informer } from '../../../client/informer.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { setCondition } from '../../../machinery/conditions.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isConflict, isNotFound } from '../../../machinery/status.js';
import { metaTime } from '../../../machinery/time.js';
import {
  BINDING_SCHEDULED,
  CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
  CLUSTER_CONDITION_READY,
  type Cluster,
  DEFAULT_SCHEDULER_NAME,
  karmadaResources,
  POLICY_PLACEMENT_ANNOTATION,
  type ResourceBindingStatus,
} from '../../apis/karmada/index.js';
import { type AnyBinding, bindingKey, bindingRef, parseBindingKey, sameConditions } from '../util.js';
import { Assumptions } from './assume.js';
import { rebalances, rescheduleRequired, scheduledCondition, scheduleReason } from './decision.js';
import { type ClusterRefusal, refusalOf, type SchedulerFilter } from './plugins.js';
import { type ScheduleResult, schedule } from './schedule.js';

export interface SchedulerOptions {
  /** Bindings naming another scheduler are left alone (default: default-scheduler). */
  schedulerName?: string;
  recorder?: EventRecorder;
  /**
   * Called after each decision with the algorithm's time and the whole decision's (with the
   * writes of spec.clusters and status), in ms: the benchmark's probe.
   */
  onScheduled?: (timing: { algorithmMs: number; totalMs: number }, key: string) => void;
  /** Filters besides Karmada's (e.g. residency); see plugins.ts. */
  filters?: readonly SchedulerFilter[];
}

/** Why the binding must move: a member it is on is refused by a filter now. */
function refusedTarget(
  b: AnyBinding,
  members: ReadonlyMap<string, Cluster>,
  refuse: ClusterRefusal | undefined,
): string | undefined {
  if (!refuse) return undefined;
  for (const t of b.spec.clusters ?? []) {
    const c = members.get(t.name);
    const why = c ? refuse(c) : undefined;
    if (why) return `cluster ${t.name} is refused: ${why}`;
  }
  return undefined;
}

/** How much a member's change matters to bindings. */
function clusterChange(old: Cluster, cur: Cluster): 'all' | 'capacity' | 'none' {
  if ((old.metadata.generation ?? 0) !== (cur.metadata.generation ?? 0)) return 'all';
  if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})) return 'all';
  if (!!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp) return 'all';
  const cond = (c: Cluster, type: string) => c.status?.conditions?.find((x) => x.type === type)?.status;
  for (const type of [CLUSTER_CONDITION_READY, CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS]) {
    if (cond(old, type) !== cond(cur, type)) return 'all';
  }
  if (JSON.stringify(old.status?.apiEnablements ?? []) !== JSON.stringify(cur.status?.apiEnablements ?? [])) {
    return 'all';
  }
  const summary = (c: Cluster) => JSON.stringify(c.status?.resourceSummary ?? {});
  return summary(old) !== summary(cur) ? 'capacity' : 'none';
}

function incomplete(b: AnyBinding): boolean {
  return b.status?.conditions?.find((c) => c.type === BINDING_SCHEDULED)?.status !== 'True';
}

export function startScheduler(ctx: ControllerContext, opts: SchedulerOptions = {}): RunningController {
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const filters = opts.filters ?? [];
  const recorder = eventRecorder(ctx, schedulerName, opts.recorder);
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const bindings: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const clusterBindings: Informer<AnyBinding> = ctx.informers.informerFor(
    karmadaResources.clusterresourcebindings,
  );

  const assumptions = new Assumptions();
  // The members by name, built again only after a Cluster changes rather than for each decision.
  let memberSnapshot: { byName: Map<string, Cluster>; list: Cluster[] } | undefined;
  const membersNow = () => {
    if (!memberSnapshot) {
      const list = clusters.list();
      memberSnapshot = { byName: new Map(list.map((c) => [c.metadata.name ?? '', c])), list };
    }
    return memberSnapshot;
  };

  const ours = (b: AnyBinding) =>
    (b.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === schedulerName &&
    b.spec?.suspension?.scheduling !== true;

  const controller = reconcileLoop(ctx, {
    name: 'scheduler',
    workers: 2,
    reconcile: async (key) => {
      const { namespace, name } = parseBindingKey(key);
      const informer = namespace ? bindings : clusterBindings;
      const b = informer.get(name, namespace);
      if (!b || b.metadata.deletionTimestamp || !b.spec?.placement || !ours(b)) return undefined;
      const { byName: members, list: memberList } = membersNow();
      const refuse = filters.length > 0 ? await refusalOf(filters, b) : undefined;
      const reason = scheduleReason(b, members) ?? refusedTarget(b, members, refuse);
      if (!reason) {
        if (b.status?.schedulerObservedGeneration !== b.metadata.generation) {
          await writeStatus(b, { ...(b.status ?? {}), schedulerObservedGeneration: b.metadata.generation });
        }
        return undefined;
      }
      const started = performance.now();
      const fresh = rebalances(b) || rescheduleRequired(b.spec, b.status);
      const result = schedule(b.spec, b.status, memberList, {
        fresh,
        refuse,
        assumed: (c) => assumptions.on(c),
      });
      const algorithmMs = performance.now() - started;
      ctx.logger.debug({ binding: key, reason, outcome: result.outcome }, 'scheduled');
      await record(b, result);
      if (result.clusters) assumptions.assume(b.spec, result.clusters, members);
      opts.onScheduled?.({ algorithmMs, totalMs: performance.now() - started }, key);
      return undefined;
    },
  });

  /** Writes spec.clusters (when the result places anything) and then the status. */
  async function record(b: AnyBinding, result: ScheduleResult): Promise<void> {
    const ref = bindingRef(b);
    let current = b;
    if (result.clusters !== undefined) {
      const placement = JSON.stringify(b.spec.placement ?? {});
      const sameClusters = JSON.stringify(b.spec.clusters ?? []) === JSON.stringify(result.clusters);
      if (!sameClusters || b.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION] !== placement) {
        current = await ctx.client.patch<AnyBinding>(
          ref,
          b.metadata.name!,
          {
            metadata: { annotations: { [POLICY_PLACEMENT_ANNOTATION]: placement } },
            spec: { clusters: result.clusters },
          },
          'merge',
          { namespace: b.metadata.namespace, fieldManager: schedulerName },
        );
      }
    }
    const now = metaTime(ctx.now());
    const condition = scheduledCondition(result);
    const status: ResourceBindingStatus = {
      ...(current.status ?? {}),
      conditions: setCondition(current.status?.conditions, condition, now),
      schedulerObservedGeneration: current.metadata.generation,
    };
    if (result.affinityName) status.schedulerObservingAffinityName = result.affinityName;
    if (result.clusters !== undefined && result.outcome !== 'NoClusterFit') status.lastScheduledTime = now;
    await writeStatus(current, status);
    const placed = (result.clusters ?? []).map((c) =>
      c.replicas === undefined ? c.name : `${c.name}:${c.replicas}`,
    );
    const ok = result.outcome === 'Success';
    const message = ok ? `${result.message} Result: {${placed.join(', ')}}` : result.message;
    const changed =
      !sameConditions(b.status?.conditions, status.conditions) ||
      JSON.stringify(b.spec.clusters ?? []) !== JSON.stringify(result.clusters ?? b.spec.clusters ?? []);
    if (changed) {
      const type = ok ? 'Normal' : 'Warning';
      const reason = ok ? 'ScheduleBindingSucceed' : 'ScheduleBindingFailed';
      recorder.event(current, type, reason, message);
      recorder.event(templateOf(current), type, reason, message);
    }
  }

  /** Replaces the status, reading the binding again when it changed meanwhile. */
  async function writeStatus(b: AnyBinding, status: ResourceBindingStatus): Promise<void> {
    const ref = bindingRef(b);
    const same =
      sameConditions(b.status?.conditions, status.conditions) &&
      JSON.stringify({ ...b.status, conditions: undefined, lastScheduledTime: undefined }) ===
        JSON.stringify({ ...status, conditions: undefined, lastScheduledTime: undefined });
    if (same) return;
    let target: AnyBinding = { ...b, status };
    for (let attempt = 0; ; attempt++) {
      try {
        await ctx.client.update(ref, target, { subresource: 'status', namespace: b.metadata.namespace });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 3) throw err;
        const fresh = await ctx.client.get<AnyBinding>(ref, b.metadata.name!, {
          namespace: b.metadata.namespace,
        });
        // Keep what others wrote (FullyApplied, aggregated status); replace what the scheduler owns.
        const conditions = setCondition(
          fresh.status?.conditions,
          status.conditions!.find((c) => c.type === BINDING_SCHEDULED)!,
          metaTime(ctx.now()),
        );
        target = {
          ...fresh,
          status: {
            ...(fresh.status ?? {}),
            conditions,
            schedulerObservedGeneration: status.schedulerObservedGeneration,
            ...(status.schedulerObservingAffinityName
              ? { schedulerObservingAffinityName: status.schedulerObservingAffinityName }
              : {}),
            ...(status.lastScheduledTime ? { lastScheduledTime: status.lastScheduledTime } : {}),
          },
        };
      }
    }
  }

  const enqueue = (b: AnyBinding) => controller.enqueue(bindingKey(b));
  // The bindings a change of a member's capacity concerns (short of replicas, or rebalancing),
  // kept as they change so that a member's status update does not look at every binding.
  const wanting = new Set<string>();
  const track = (b: AnyBinding) => {
    if (incomplete(b) || rebalances(b)) wanting.add(bindingKey(b));
    else wanting.delete(bindingKey(b));
  };
  const onBinding = {
    onAdd: (b: AnyBinding) => {
      track(b);
      enqueue(b);
    },
    onDelete: (b: AnyBinding) => wanting.delete(bindingKey(b)),
    onUpdate: (old: AnyBinding, cur: AnyBinding) => {
      track(cur);
      if (
        old.metadata.generation !== cur.metadata.generation ||
        old.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION] !==
          cur.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION] ||
        rebalances(old) !== rebalances(cur)
      ) {
        enqueue(cur);
      }
    },
  };
  const offBindings = bindings.addEventHandler(onBinding);
  const offClusterBindings = clusterBindings.addEventHandler(onBinding);
  const wakeAll = () => {
    for (const b of [...bindings.list(), ...clusterBindings.list()]) enqueue(b);
  };
  const offClusters = clusters.addEventHandler({
    onAdd: (_c, initial) => {
      memberSnapshot = undefined;
      if (!initial) wakeAll();
    },
    onUpdate: (old, cur) => {
      memberSnapshot = undefined;
      const change = clusterChange(old, cur);
      if (change === 'all') wakeAll();
      else if (change === 'capacity') for (const key of wanting) controller.enqueue(key);
    },
    onDelete: () => {
      memberSnapshot = undefined;
      wakeAll();
    },
  });
  const offFilters = filters.map((f) => f.onChange(() => wakeAll()));

  let stopped = false;
  void Promise.all([
    clusters.waitForSync(),
    bindings.waitForSync(),
    clusterBindings.waitForSync(),
    ...filters.map((f) => f.waitForSync()),
  ]).then((synced) => {
    if (stopped || !synced.every(Boolean)) return;
    controller.start();
  });
  return {
    name: 'scheduler',
    async stop() {
      stopped = true;
      offBindings();
      offClusterBindings();
      offClusters();
      for (const off of offFilters) off();
      await controller.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}

/** The resource template a binding is for, as an object events can refer to. */
export function templateOf(b: AnyBinding): KubeObject {
  const r = b.spec.resource;
  return {
    apiVersion: r.apiVersion,
    kind: r.kind,
    metadata: {
      name: r.name,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      ...(r.uid ? { uid: r.uid } : {}),
    },
  };
}
