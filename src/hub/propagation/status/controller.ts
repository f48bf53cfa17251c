// The binding status controller (Karmada's rb/crb status controllers): a binding's Works' status
// becomes the binding's status.aggregatedStatus (clusterName, status, applied, appliedMessage,
// health; sorted by cluster) and its FullyApplied condition, and the aggregated status becomes
// the resource template's status (aggregate.ts), so that `kubectl get deploy` on the hub reads
// like a single cluster's. Run when a Work's status changes, a Work comes or goes, or a binding's
// placement changes.

import type { Informer } from '../../../client/informer.js';
import { NoKindMatchError } from '../../../client/rest-mapper.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { findCondition, setCondition } from '../../../machinery/conditions.js';
import { deepEqual } from '../../../machinery/json.js';
import type { Condition, KubeObject } from '../../../machinery/object.js';
import { isConflict, isNotFound } from '../../../machinery/status.js';
import {
  type AggregatedStatusItem,
  BINDING_FULLY_APPLIED,
  BINDING_REASON_FULLY_APPLIED_FAILED,
  BINDING_REASON_FULLY_APPLIED_SUCCESS,
  CLUSTER_RESOURCE_BINDING_ANNOTATION,
  clusterOfExecutionSpace,
  karmadaResources,
  RESOURCE_BINDING_NAME_ANNOTATION,
  RESOURCE_BINDING_NAMESPACE_ANNOTATION,
  type ResourceBindingSpec,
  WORK_APPLIED,
  type Work,
} from '../../apis/karmada/index.js';
import { restMapperFor, TemplateInformers } from '../templates.js';
import { type AnyBinding, bindingKey, bindingRef, parseBindingKey, worksOfBinding } from '../util.js';
import { aggregateStatus, aggregatesStatus } from './aggregate.js';

export const BINDING_STATUS_CONTROLLER = 'binding-status-controller';
/** How long Work status changes are gathered before a binding's status is written. */
const WORK_STATUS_BATCH_MS = 100;
export const FULLY_APPLIED_SUCCESS_MESSAGE = 'All works have been successfully applied';
export const FULLY_APPLIED_FAILED_MESSAGE =
  'Failed to apply all works, see status.aggregatedStatus for details';

export interface BindingStatusControllerOptions {
  templates?: TemplateInformers;
  recorder?: EventRecorder;
}

/** The members whose Work counts for FullyApplied (Karmada's ObtainBindingSpecExistingClusters). */
export function existingClusters(spec: ResourceBindingSpec): Set<string> {
  const names = new Set((spec.clusters ?? []).map((c) => c.name));
  for (const r of spec.requiredBy ?? []) for (const c of r.clusters ?? []) names.add(c.name);
  for (const t of spec.gracefulEvictionTasks ?? []) if (t.purgeMode !== 'Directly') names.add(t.fromCluster);
  return names;
}

/** Each Work's report on the binding's resource, by member. */
export function assembleWorkStatus(
  works: readonly Work[],
  resource: ResourceBindingSpec['resource'],
): AggregatedStatusItem[] {
  const items: AggregatedStatusItem[] = [];
  for (const w of works) {
    if (w.metadata.deletionTimestamp) continue;
    const clusterName = clusterOfExecutionSpace(w.metadata.namespace ?? '');
    if (clusterName === undefined) continue;
    const manifests = w.spec.workload?.manifests ?? [];
    const ordinal = manifests.findIndex(
      (m) =>
        m.apiVersion === resource.apiVersion &&
        m.kind === resource.kind &&
        (m.metadata.namespace ?? '') === (resource.namespace ?? '') &&
        m.metadata.name === resource.name,
    );
    if (ordinal < 0) continue;
    const applied = findCondition(w.status?.conditions, WORK_APPLIED);
    if (applied?.status !== 'True') {
      items.push({
        clusterName,
        applied: false,
        ...(applied?.message ? { appliedMessage: applied.message } : {}),
        health: 'Unknown',
      });
      continue;
    }
    const item: AggregatedStatusItem = { clusterName, applied: true, health: 'Unknown' };
    const ms = (w.status?.manifestStatuses ?? []).find(
      (s) =>
        s.identifier.ordinal === ordinal &&
        s.identifier.kind === resource.kind &&
        (s.identifier.namespace ?? '') === (resource.namespace ?? '') &&
        s.identifier.name === resource.name,
    );
    if (ms) {
      if (ms.status) item.status = ms.status;
      item.health = ms.health ?? 'Unknown';
    }
    items.push(item);
  }
  return items.sort((a, b) => (a.clusterName < b.clusterName ? -1 : a.clusterName > b.clusterName ? 1 : 0));
}

export function fullyAppliedCondition(
  spec: ResourceBindingSpec,
  items: readonly AggregatedStatusItem[],
): Condition {
  const targets = existingClusters(spec);
  const ok =
    targets.size > 0 &&
    targets.size === items.length &&
    items.every((i) => i.applied === true && targets.has(i.clusterName));
  return ok
    ? {
        type: BINDING_FULLY_APPLIED,
        status: 'True',
        reason: BINDING_REASON_FULLY_APPLIED_SUCCESS,
        message: FULLY_APPLIED_SUCCESS_MESSAGE,
      }
    : {
        type: BINDING_FULLY_APPLIED,
        status: 'False',
        reason: BINDING_REASON_FULLY_APPLIED_FAILED,
        message: FULLY_APPLIED_FAILED_MESSAGE,
      };
}

export function startBindingStatusController(
  ctx: ControllerContext,
  opts: BindingStatusControllerOptions = {},
): RunningController {
  const recorder = eventRecorder(ctx, BINDING_STATUS_CONTROLLER, opts.recorder);
  const templates = opts.templates ?? new TemplateInformers(ctx.informers, restMapperFor(ctx.client));
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);
  const works: Informer<Work> = ctx.informers.informerFor(karmadaResources.works);

  async function writeBindingStatus(b: AnyBinding, items: AggregatedStatusItem[]): Promise<void> {
    const conditions = setCondition(
      b.status?.conditions,
      fullyAppliedCondition(b.spec, items),
      ctx.now().toISOString(),
    );
    const before = b.status ?? {};
    if (deepEqual(before.aggregatedStatus ?? [], items) && deepEqual(before.conditions ?? [], conditions))
      return;
    await ctx.client.update(
      bindingRef(b),
      { ...b, status: { ...before, aggregatedStatus: items, conditions } },
      { namespace: b.metadata.namespace, subresource: 'status' },
    );
  }

  async function writeTemplateStatus(b: AnyBinding, items: AggregatedStatusItem[]): Promise<void> {
    const { resource } = b.spec;
    if (!aggregatesStatus(resource.apiVersion, resource.kind)) return;
    const template = await templates.get(resource);
    if (!template || (resource.uid && template.metadata.uid !== resource.uid)) return;
    const status = aggregateStatus(template, items, ctx.now);
    if (!status || deepEqual(template.status ?? {}, status)) return;
    const ref = await templates.refFor(resource.apiVersion, resource.kind);
    await ctx.client.update(ref, { ...template, status } as KubeObject, {
      namespace: template.metadata.namespace,
      subresource: 'status',
    });
  }

  async function reconcile(key: string) {
    const { namespace, name } = parseBindingKey(key);
    const b = (namespace ? rbs : crbs).get(name, namespace);
    if (!b || b.metadata.deletionTimestamp) return undefined;
    const items = assembleWorkStatus(worksOfBinding(works, b), b.spec.resource);
    try {
      await writeBindingStatus(b, items);
      await writeTemplateStatus(b, items);
    } catch (err) {
      if (isConflict(err)) return { requeue: true };
      if (isNotFound(err) || err instanceof NoKindMatchError) return undefined;
      recorder.event(b, 'Warning', 'AggregateStatusFailed', err instanceof Error ? err.message : String(err));
      throw err;
    }
    return undefined;
  }

  const controller = reconcileLoop(ctx, { name: BINDING_STATUS_CONTROLLER, workers: 2, reconcile });

  // A binding over many members hears from each of its Works in a burst: their changes within a
  // short window make one write of the binding's status, not one per Work.
  const enqueueOfWork = (w: Work) => {
    const a = w.metadata.annotations ?? {};
    if (a[RESOURCE_BINDING_NAME_ANNOTATION] && a[RESOURCE_BINDING_NAMESPACE_ANNOTATION]) {
      controller.enqueueAfter(
        `ResourceBinding/${a[RESOURCE_BINDING_NAMESPACE_ANNOTATION]}/${a[RESOURCE_BINDING_NAME_ANNOTATION]}`,
        WORK_STATUS_BATCH_MS,
      );
    } else if (a[CLUSTER_RESOURCE_BINDING_ANNOTATION]) {
      controller.enqueueAfter(
        `ClusterResourceBinding/${a[CLUSTER_RESOURCE_BINDING_ANNOTATION]}`,
        WORK_STATUS_BATCH_MS,
      );
    }
  };
  const offWorks = works.addEventHandler({
    onAdd: enqueueOfWork,
    onUpdate: (old, cur) => {
      if (
        !deepEqual(old.status, cur.status) ||
        !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp
      )
        enqueueOfWork(cur);
    },
    onDelete: enqueueOfWork,
  });
  const bindingHandler = {
    onAdd: (b: AnyBinding) => controller.enqueue(bindingKey(b)),
    onUpdate: (old: AnyBinding, cur: AnyBinding) => {
      if (old.metadata.generation !== cur.metadata.generation) controller.enqueue(bindingKey(cur));
    },
  };
  const offRbs = rbs.addEventHandler(bindingHandler);
  const offCrbs = crbs.addEventHandler(bindingHandler);

  let stopped = false;
  void Promise.all([rbs, crbs, works].map((i) => i.waitForSync())).then((ok) => {
    if (!stopped && ok.every(Boolean)) controller.start();
  });
  return {
    name: BINDING_STATUS_CONTROLLER,
    async stop() {
      stopped = true;
      for (const off of [offWorks, offRbs, offCrbs]) off();
      await controller.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}
