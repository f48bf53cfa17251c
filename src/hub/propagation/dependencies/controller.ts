// The dependencies distributor: a ResourceBinding with propagateDeps records what its workload
// references (resourcebinding.karmada.io/dependencies) and makes each of those objects follow it:
// an attached ResourceBinding <name>-<kind> for the object, whose spec.requiredBy holds a snapshot
// of the workload binding and the members it is on, labelled
// resourcebinding.karmada.io/depended-by-<key> with the workload binding's permanent id. The
// binding controller sends the object wherever the bindings that require it are. When the
// workload stops needing an object (or its binding goes, or stops propagating dependencies) the
// snapshot is taken out again.

import type { Informer } from '../../../client/informer.js';
import { NoKindMatchError } from '../../../client/rest-mapper.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../machinery/status.js';
import {
  BINDING_API_VERSION,
  BINDING_CONTROLLER_FINALIZER,
  BINDING_DEPENDENCIES_ANNOTATION,
  type BindingSnapshot,
  bindingName,
  karmadaResources,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  type ResourceBinding,
} from '../../apis/karmada/index.js';
import { bindingReferenceKey } from '../names.js';
import type { TemplateInformers } from '../templates.js';
import { restMapperFor, TemplateInformers as Templates } from '../templates.js';
import { type DependentObjectReference, dependenciesOf } from './dependencies.js';

/** Karmada's finalizer on a workload binding whose dependencies are distributed. */
export const BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER = 'karmada.io/binding-dependencies-distributor';
const DEPENDED_BY_PREFIX = 'resourcebinding.karmada.io/depended-by-';

export const dependedByLabel = (b: KubeObject) =>
  DEPENDED_BY_PREFIX + bindingReferenceKey(b.metadata.namespace, b.metadata.name ?? '');

export interface DependenciesOptions {
  recorder?: EventRecorder;
  templates?: TemplateInformers;
}

export function startDependenciesDistributor(
  ctx: ControllerContext,
  opts: DependenciesOptions = {},
): RunningController {
  const templates = opts.templates ?? new Templates(ctx.informers, restMapperFor(ctx.client));
  const rbs: Informer<ResourceBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const ref = karmadaResources.resourcebindings;

  const attachedTo = (b: ResourceBinding) => {
    const id = b.metadata.labels?.[RESOURCE_BINDING_PERMANENT_ID_LABEL];
    return id
      ? rbs.list({ namespace: b.metadata.namespace, labelSelector: `${dependedByLabel(b)}=${id}` })
      : [];
  };

  /** Takes the workload binding's snapshot (and label) out of an attached binding. */
  async function detach(independent: KubeObject, attached: ResourceBinding): Promise<void> {
    const labels: Record<string, string> = { ...(attached.metadata.labels ?? {}) };
    delete labels[dependedByLabel(independent)];
    const requiredBy = (attached.spec.requiredBy ?? []).filter(
      (s) => !(s.namespace === independent.metadata.namespace && s.name === independent.metadata.name),
    );
    const { requiredBy: _old, ...rest } = attached.spec;
    const spec = requiredBy.length > 0 ? { ...rest, requiredBy } : rest;
    try {
      await ctx.client.update(
        ref,
        { ...attached, metadata: { ...attached.metadata, labels }, spec },
        {
          namespace: attached.metadata.namespace,
        },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function attach(independent: ResourceBinding, obj: KubeObject): Promise<void> {
    const id = independent.metadata.labels?.[RESOURCE_BINDING_PERMANENT_ID_LABEL] ?? '';
    const snapshot: BindingSnapshot = {
      namespace: independent.metadata.namespace,
      name: independent.metadata.name!,
      clusters: independent.spec.clusters ?? [],
    };
    const name = bindingName(obj.kind, obj.metadata.name ?? '');
    const resource = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name ?? '',
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    };
    const existing = rbs.get(name, obj.metadata.namespace);
    if (!existing) {
      const attached: ResourceBinding = {
        apiVersion: BINDING_API_VERSION,
        kind: 'ResourceBinding',
        metadata: {
          name,
          namespace: obj.metadata.namespace,
          labels: { [dependedByLabel(independent)]: id },
          ownerReferences: [
            {
              apiVersion: obj.apiVersion,
              kind: obj.kind,
              name: obj.metadata.name ?? '',
              uid: obj.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
          finalizers: [BINDING_CONTROLLER_FINALIZER],
        },
        spec: {
          resource,
          requiredBy: [snapshot],
          ...(independent.spec.conflictResolution
            ? { conflictResolution: independent.spec.conflictResolution }
            : {}),
          ...(independent.spec.preserveResourcesOnDeletion !== undefined
            ? { preserveResourcesOnDeletion: independent.spec.preserveResourcesOnDeletion }
            : {}),
        },
      };
      try {
        await ctx.client.create(ref, attached, { namespace: obj.metadata.namespace });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        throw Object.assign(new Error('attached binding appeared meanwhile'), { retry: true });
      }
      return;
    }
    const requiredBy = [...(existing.spec.requiredBy ?? [])];
    const i = requiredBy.findIndex((s) => s.namespace === snapshot.namespace && s.name === snapshot.name);
    if (i >= 0) requiredBy[i] = snapshot;
    else requiredBy.push(snapshot);
    const labels = { ...(existing.metadata.labels ?? {}), [dependedByLabel(independent)]: id };
    const spec = { ...existing.spec, resource: { ...existing.spec.resource, ...resource }, requiredBy };
    if (!existing.spec.placement) {
      // Not propagated by a policy of its own: it follows the policies of the workloads needing it.
      const needing = requiredBy
        .map((s) => rbs.get(s.name, s.namespace))
        .filter((x): x is ResourceBinding => !!x);
      spec.conflictResolution = needing.some((b) => b.spec.conflictResolution === 'Overwrite')
        ? 'Overwrite'
        : 'Abort';
      spec.preserveResourcesOnDeletion = needing.some((b) => b.spec.preserveResourcesOnDeletion === true);
    }
    const next = { ...existing, metadata: { ...existing.metadata, labels }, spec };
    if (JSON.stringify(next) === JSON.stringify(existing)) return;
    await ctx.client.update(ref, next, { namespace: existing.metadata.namespace });
  }

  async function reconcile(namespace: string, name: string) {
    const b = rbs.get(name, namespace);
    if (!b) return undefined;
    const finalizers = b.metadata.finalizers ?? [];
    if (!b.spec.propagateDeps || b.metadata.deletionTimestamp) {
      for (const a of attachedTo(b)) await detach(b, a);
      if (finalizers.includes(BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER)) {
        await ctx.client.update(
          ref,
          {
            ...b,
            metadata: {
              ...b.metadata,
              finalizers: finalizers.filter((f) => f !== BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER),
            },
          },
          { namespace },
        );
      }
      return undefined;
    }
    const template = await templates.get(b.spec.resource);
    if (!template) return undefined;
    const deps = dependenciesOf(template);
    const annotation = JSON.stringify(deps);
    if (
      !finalizers.includes(BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER) ||
      b.metadata.annotations?.[BINDING_DEPENDENCIES_ANNOTATION] !== annotation
    ) {
      await ctx.client.update(
        ref,
        {
          ...b,
          metadata: {
            ...b.metadata,
            annotations: { ...(b.metadata.annotations ?? {}), [BINDING_DEPENDENCIES_ANNOTATION]: annotation },
            finalizers: [...new Set([...finalizers, BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER])],
          },
        },
        { namespace },
      );
      return undefined; // the update brings the binding back with the annotation
    }
    const wanted = new Set(deps.map((d) => `${d.kind}/${d.name}`));
    for (const a of attachedTo(b)) {
      if (!wanted.has(`${a.spec.resource.kind}/${a.spec.resource.name}`)) await detach(b, a);
    }
    for (const d of deps) {
      const obj = await templates.get(d);
      if (obj && !obj.metadata.deletionTimestamp) await attach(b, obj);
    }
    return undefined;
  }

  const controller = reconcileLoop(ctx, {
    name: 'dependencies-distributor',
    workers: 1,
    reconcile: async (key) => {
      const [namespace, name] = key.split('/') as [string, string];
      try {
        return await reconcile(namespace, name);
      } catch (err) {
        if ((err as { retry?: boolean }).retry || isConflict(err)) return { requeue: true };
        if (err instanceof NoKindMatchError) return { requeueAfter: 5000 };
        throw err;
      }
    },
  });

  const enqueue = (b: ResourceBinding) => controller.enqueue(`${b.metadata.namespace}/${b.metadata.name}`);
  const offRbs = rbs.addEventHandler({
    onAdd: (b) => {
      if (b.spec.propagateDeps || b.metadata.finalizers?.includes(BINDING_DEPENDENCIES_DISTRIBUTOR_FINALIZER))
        enqueue(b);
    },
    onUpdate: (old, cur) => {
      const involved = old.spec.propagateDeps || cur.spec.propagateDeps;
      if (!involved) return;
      if (
        old.metadata.generation !== cur.metadata.generation ||
        !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp ||
        old.metadata.annotations?.[BINDING_DEPENDENCIES_ANNOTATION] !==
          cur.metadata.annotations?.[BINDING_DEPENDENCIES_ANNOTATION]
      ) {
        enqueue(cur);
      }
    },
  });
  // A dependency that appears or changes: the workload bindings that list it run again.
  const onDependency = (obj: KubeObject) => {
    if (obj.apiVersion !== 'v1' || !obj.metadata.namespace) return;
    for (const b of rbs.list({ namespace: obj.metadata.namespace })) {
      const deps = b.metadata.annotations?.[BINDING_DEPENDENCIES_ANNOTATION];
      if (!deps || !b.spec.propagateDeps) continue;
      try {
        const list = JSON.parse(deps) as DependentObjectReference[];
        if (list.some((d) => d.kind === obj.kind && d.name === obj.metadata.name)) enqueue(b);
      } catch {
        // The API server refuses an annotation that is not a JSON list.
      }
    }
  };
  const offTemplates = templates.addEventHandler({
    onAdd: onDependency,
    onUpdate: (_o, cur) => onDependency(cur),
  });

  let stopped = false;
  void rbs.waitForSync().then((ok) => {
    if (!stopped && ok) controller.start();
  });
  return {
    name: 'dependencies-distributor',
    async stop() {
      stopped = true;
      offRbs();
      offTemplates();
      await controller.stop();
    },
  };
}
