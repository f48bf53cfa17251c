// The binding controller: for each ResourceBinding and ClusterResourceBinding it keeps one Work
// per member the binding is on (work.ts), removes the Works of members it left, and when the
// binding goes, deletes its Works and lets the binding go (Karmada's binding-controller finalizer).
// Works are rendered again when the binding changes, when an override policy changes, when a
// member's labels or fields change (override targets) and when a Work disappears. The execution
// namespace karmada-es-<member> is made when it does not exist yet.

import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import { NoKindMatchError } from '../../../client/rest-mapper.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { cloneJson, deepEqual } from '../../../machinery/json.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../machinery/status.js';
import {
  APPLIED_CLUSTER_OVERRIDES_ANNOTATION,
  APPLIED_OVERRIDES_ANNOTATION,
  BINDING_CONTROLLER_FINALIZER,
  CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER,
  CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL,
  type Cluster,
  clusterOfExecutionSpace,
  executionSpaceName,
  karmadaResources,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  type TargetCluster,
  WORK_PERMANENT_ID_LABEL,
  type Work,
} from '../../apis/karmada/index.js';
import { prepareManifest } from '../../apis/karmada/work/strategy.js';
import type { OverridePolicyLike } from '../override/overrides.js';
import { templateOf } from '../scheduler/controller.js';
import { restMapperFor, TemplateInformers } from '../templates.js';
import { type AnyBinding, bindingKey, parseBindingKey, worksOfBinding } from '../util.js';
import { clustersKeepingWorks, jobCompletionsFor, renderWork, targetClusters } from './work.js';

/**
 * Works of one binding written at once: enough that a binding over a hundred members is one round
 * (the store commits writes that arrive together in one transaction), bounded for larger fleets.
 */
const WORK_WRITES_AT_ONCE = 128;

export interface BindingControllerOptions {
  recorder?: EventRecorder;
  templates?: TemplateInformers;
}

const idLabelOf = (b: KubeObject) =>
  b.metadata.namespace ? RESOURCE_BINDING_PERMANENT_ID_LABEL : CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL;

const APPLIED = [APPLIED_OVERRIDES_ANNOTATION, APPLIED_CLUSTER_OVERRIDES_ANNOTATION];

/** The annotations of `w` the binding controller writes (those of `desired`, and the applied overrides). */
function ownAnnotations(w: Work, desired: Work): Record<string, string> {
  const keys = new Set([...Object.keys(desired.metadata.annotations ?? {}), ...APPLIED]);
  const have = w.metadata.annotations ?? {};
  return Object.fromEntries([...keys].filter((k) => have[k] !== undefined).map((k) => [k, have[k]!]));
}

/** Whether the stored Work already says what `desired` says (after the server's manifest cleaning). */
export function workUpToDate(existing: Work, desired: Work): boolean {
  const manifests = (desired.spec.workload?.manifests ?? []).map((m) => {
    const copy = cloneJson(m) as Record<string, unknown>;
    prepareManifest(copy, existing.metadata.labels?.[WORK_PERMANENT_ID_LABEL]);
    return copy;
  });
  const spec = { ...desired.spec, workload: { manifests } };
  const contains = (have: Record<string, string> | undefined, want: Record<string, string> | undefined) =>
    Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  return (
    deepEqual(existing.spec, spec) &&
    contains(existing.metadata.labels, desired.metadata.labels) &&
    deepEqual(ownAnnotations(existing, desired), ownAnnotations(desired, desired)) &&
    (existing.metadata.finalizers ?? []).includes(desired.metadata.finalizers![0]!)
  );
}

export function startBindingController(
  ctx: ControllerContext,
  opts: BindingControllerOptions = {},
): RunningController {
  const recorder = eventRecorder(ctx, 'binding-controller', opts.recorder);
  const templates = opts.templates ?? new TemplateInformers(ctx.informers, restMapperFor(ctx.client));
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);
  const works: Informer<Work> = ctx.informers.informerFor(karmadaResources.works);
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const ops: Informer<OverridePolicyLike & KubeObject> = ctx.informers.informerFor(
    karmadaResources.overridepolicies,
  );
  const cops: Informer<OverridePolicyLike & KubeObject> = ctx.informers.informerFor(
    karmadaResources.clusteroverridepolicies,
  );
  const namespaces: Informer = ctx.informers.informerFor(resources.namespaces);

  const worksOf = (b: AnyBinding) => worksOfBinding(works, b);

  async function deleteWork(w: Work): Promise<void> {
    try {
      await ctx.client.delete(karmadaResources.works, w.metadata.name!, { namespace: w.metadata.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function ensureExecutionSpace(cluster: string): Promise<void> {
    const name = executionSpaceName(cluster);
    if (namespaces.get(name)) return;
    try {
      await ctx.client.create(resources.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async function writeWork(desired: Work): Promise<void> {
    const existing = works.get(desired.metadata.name!, desired.metadata.namespace);
    if (!existing) {
      try {
        await ctx.client.create(karmadaResources.works, desired, { namespace: desired.metadata.namespace });
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        throw Object.assign(new Error('work appeared meanwhile'), { retry: true });
      }
    }
    if (existing.metadata.deletionTimestamp) {
      throw Object.assign(
        new Error(`work ${existing.metadata.namespace}/${existing.metadata.name} is being deleted`),
        {
          retry: true,
        },
      );
    }
    if (workUpToDate(existing, desired)) return;
    const next: Work = {
      ...existing,
      metadata: {
        ...existing.metadata,
        labels: { ...(existing.metadata.labels ?? {}), ...desired.metadata.labels },
        annotations: {
          ...withoutAppliedOverrides(existing.metadata.annotations),
          ...desired.metadata.annotations,
        },
        finalizers: [
          ...new Set([...(existing.metadata.finalizers ?? []), ...(desired.metadata.finalizers ?? [])]),
        ],
      },
      spec: desired.spec,
    };
    await ctx.client.update(karmadaResources.works, next, { namespace: next.metadata.namespace });
  }

  async function reconcile(key: string) {
    const { namespace, name } = parseBindingKey(key);
    const b = (namespace ? rbs : crbs).get(name, namespace);
    if (!b) return undefined;
    const finalizer = namespace
      ? BINDING_CONTROLLER_FINALIZER
      : CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER;
    if (b.metadata.deletionTimestamp) {
      for (const w of worksOf(b)) await deleteWork(w);
      const finalizers = b.metadata.finalizers ?? [];
      if (finalizers.includes(finalizer)) {
        await ctx.client.update(
          namespace ? karmadaResources.resourcebindings : karmadaResources.clusterresourcebindings,
          { ...b, metadata: { ...b.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } },
          { namespace },
        );
      }
      return undefined;
    }
    // Works on members the binding left go.
    const keep = clustersKeepingWorks(b.spec);
    for (const w of worksOf(b)) {
      const member = clusterOfExecutionSpace(w.metadata.namespace ?? '');
      if (member !== undefined && !keep.has(member)) await deleteWork(w);
    }
    const template = await templates.get(b.spec.resource);
    if (!template) return undefined;
    const completions = jobCompletionsFor(b, template);
    const errors: string[] = [];
    // Members' Works are written side by side (a few at a time), so that a binding over a hundred
    // members does not wait for a hundred writes in a row.
    let retry = false;
    const writeFor = async (target: TargetCluster) => {
      const cluster = clusters.get(target.name);
      if (!cluster || cluster.metadata.deletionTimestamp) return;
      try {
        const work = renderWork({
          binding: b,
          template,
          cluster,
          target,
          clusterOverrides: cops.list(),
          overrides: template.metadata.namespace ? ops.list({ namespace: template.metadata.namespace }) : [],
          ...(completions.has(target.name) ? { completions: completions.get(target.name)! } : {}),
        });
        await ensureExecutionSpace(target.name);
        await writeWork(work);
      } catch (err) {
        if ((err as { retry?: boolean }).retry || isConflict(err)) retry = true;
        else errors.push(`${target.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const targets = targetClusters(b.spec);
    for (let i = 0; i < targets.length; i += WORK_WRITES_AT_ONCE) {
      await Promise.all(targets.slice(i, i + WORK_WRITES_AT_ONCE).map(writeFor));
    }
    if (retry) return { requeue: true };
    if (errors.length > 0) {
      const message = `Failed to sync works: ${errors.join('; ')}`;
      recorder.event(b, 'Warning', 'SyncWorkFailed', message);
      recorder.event(templateOf(b), 'Warning', 'SyncWorkFailed', message);
      return { requeueAfter: 5000 };
    }
    return undefined;
  }

  const controller = reconcileLoop(ctx, {
    name: 'binding-controller',
    workers: 2,
    reconcile: async (key) => {
      try {
        return await reconcile(key);
      } catch (err) {
        if (err instanceof NoKindMatchError) return { requeueAfter: 5000 };
        throw err;
      }
    },
  });

  const enqueue = (b: AnyBinding) => controller.enqueue(bindingKey(b));
  const allBindings = () => [...rbs.list(), ...crbs.list()];
  const bindingHandler = {
    onAdd: enqueue,
    onUpdate: (old: AnyBinding, cur: AnyBinding) => {
      if (
        old.metadata.generation !== cur.metadata.generation ||
        !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp ||
        JSON.stringify(old.metadata.labels) !== JSON.stringify(cur.metadata.labels)
      ) {
        enqueue(cur);
      }
    },
  };
  const offRbs = rbs.addEventHandler(bindingHandler);
  const offCrbs = crbs.addEventHandler(bindingHandler);
  // Override policies: every binding they may concern is rendered again.
  const onOverride = (p: KubeObject) => {
    for (const b of allBindings())
      if (!p.metadata.namespace || b.metadata.namespace === p.metadata.namespace) enqueue(b);
  };
  const overrideHandler = {
    onAdd: (p: KubeObject, initial: boolean) => {
      if (!initial) onOverride(p);
    },
    onUpdate: (_o: KubeObject, p: KubeObject) => onOverride(p),
    onDelete: onOverride,
  };
  const offOps = ops.addEventHandler(overrideHandler);
  const offCops = cops.addEventHandler(overrideHandler);
  const offClusters = clusters.addEventHandler({
    onUpdate: (old, cur) => {
      if (
        JSON.stringify(old.metadata.labels ?? {}) === JSON.stringify(cur.metadata.labels ?? {}) &&
        old.metadata.generation === cur.metadata.generation
      ) {
        return;
      }
      const name = cur.metadata.name ?? '';
      for (const b of allBindings()) if (targetClusters(b.spec).some((t) => t.name === name)) enqueue(b);
    },
  });
  // A Work deleted by someone else comes back; one of a binding being deleted lets it finish.
  const offWorks = works.addEventHandler({
    onDelete: (w) => {
      for (const b of allBindings()) {
        const id = b.metadata.labels?.[idLabelOf(b)];
        if (id && w.metadata.labels?.[idLabelOf(b)] === id) enqueue(b);
      }
    },
  });
  // A template's change reaches its binding through the detector (resourceVersion in spec.resource).

  let stopped = false;
  void Promise.all([rbs, crbs, works, clusters, ops, cops, namespaces].map((i) => i.waitForSync())).then(
    (ok) => {
      if (!stopped && ok.every(Boolean)) controller.start();
    },
  );
  return {
    name: 'binding-controller',
    async stop() {
      stopped = true;
      for (const off of [offRbs, offCrbs, offOps, offCops, offClusters, offWorks]) off();
      await controller.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}

function withoutAppliedOverrides(annotations: Record<string, string> | undefined): Record<string, string> {
  const out = { ...(annotations ?? {}) };
  for (const k of APPLIED) delete out[k];
  return out;
}
