// Namespace sync (Karmada's namespace-sync-controller): every namespace of the hub, but the
// hub's own (default, kube-*, karmada-*) and those labelled
// namespace.karmada.io/skip-auto-propagation=true, goes to every member as a Work owned by the
// Namespace, with the ClusterOverridePolicies that select it applied. So a namespaced resource
// finds its namespace wherever it is placed. A namespace that goes takes its Works with it.

import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isNotFound } from '../../../machinery/status.js';
import {
  APPLIED_CLUSTER_OVERRIDES_ANNOTATION,
  type Cluster,
  EXECUTION_CONTROLLER_FINALIZER,
  executionSpaceName,
  karmadaResources,
  MANAGED_BY_KARMADA_LABEL,
  NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL,
  RESOURCE_TEMPLATE_UID_ANNOTATION,
  WORK_API_VERSION,
  WORK_NAME_ANNOTATION,
  WORK_NAMESPACE_ANNOTATION,
  type Work,
} from '../../apis/karmada/index.js';
import { workUpToDate } from '../binding/controller.js';
import { isReservedNamespace } from '../detector/controller.js';
import { workName } from '../names.js';
import {
  appliedOverridesAnnotation,
  applyOverridePolicies,
  type OverridePolicyLike,
} from '../override/overrides.js';
import type { TemplateInformers } from '../templates.js';

export interface NamespaceSyncOptions {
  recorder?: EventRecorder;
  templates?: TemplateInformers;
}

export function namespaceShouldBeSynced(ns: KubeObject): boolean {
  const name = ns.metadata.name ?? '';
  if (name === 'default' || name.startsWith('kube-') || isReservedNamespace(name)) return false;
  return (ns.metadata.labels?.[NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL] ?? '').toLowerCase() !== 'true';
}

/** The Work carrying a namespace to one member. */
export function namespaceWork(
  ns: KubeObject,
  cluster: Cluster,
  clusterOverrides: readonly OverridePolicyLike[],
): Work {
  const name = workName('Namespace', ns.metadata.name ?? '');
  const namespace = executionSpaceName(cluster.metadata.name ?? '');
  const manifest: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns.metadata.name,
      ...(ns.metadata.labels ? { labels: ns.metadata.labels } : {}),
      ...(ns.metadata.annotations ? { annotations: ns.metadata.annotations } : {}),
    },
  };
  const result = applyOverridePolicies(manifest, cluster, clusterOverrides, []);
  const m = result.object;
  m.metadata = {
    ...m.metadata,
    labels: { ...(m.metadata.labels ?? {}), [MANAGED_BY_KARMADA_LABEL]: 'true' },
    annotations: {
      ...(m.metadata.annotations ?? {}),
      [RESOURCE_TEMPLATE_UID_ANNOTATION]: ns.metadata.uid ?? '',
      [WORK_NAME_ANNOTATION]: name,
      [WORK_NAMESPACE_ANNOTATION]: namespace,
    },
  };
  const applied = appliedOverridesAnnotation(result.cluster);
  return {
    apiVersion: WORK_API_VERSION,
    kind: 'Work',
    metadata: {
      name,
      namespace,
      finalizers: [EXECUTION_CONTROLLER_FINALIZER],
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          name: ns.metadata.name ?? '',
          uid: ns.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      ...(applied ? { annotations: { [APPLIED_CLUSTER_OVERRIDES_ANNOTATION]: applied } } : {}),
    },
    spec: { workload: { manifests: [m] } },
  };
}

/** Works by the Namespace that owns them (the namespace's name), so one needs no walk of every member. */
const WORKS_BY_OWNING_NAMESPACE = 'namespace-sync.owner';
const byOwningNamespace = (w: Work): string[] => {
  const owner = w.metadata.ownerReferences?.[0];
  return owner?.kind === 'Namespace' && owner.name ? [owner.name] : [];
};

/** Queue key of one namespace on one member (a namespace's name holds no '/'). */
const memberKey = (namespace: string, cluster: string) => `${namespace}/${cluster}`;

export function startNamespaceSync(
  ctx: ControllerContext,
  _opts: NamespaceSyncOptions = {},
): RunningController {
  const namespaces: Informer = ctx.informers.informerFor(resources.namespaces);
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const works: Informer<Work> = ctx.informers.informerFor(karmadaResources.works);
  works.addIndexers({ [WORKS_BY_OWNING_NAMESPACE]: byOwningNamespace as (w: Work) => string[] });
  const cops: Informer<OverridePolicyLike & KubeObject> = ctx.informers.informerFor(
    karmadaResources.clusteroverridepolicies,
  );
  /** Names of the namespaces that go to every member: a new member needs only these. */
  const synced = new Set<string>();

  /** Creates or updates the Work of ns on one member; true when it must be tried again. */
  async function syncTo(ns: KubeObject, c: Cluster, overrides: readonly OverridePolicyLike[]) {
    if (c.metadata.deletionTimestamp) return false;
    const wName = workName('Namespace', ns.metadata.name ?? '');
    const desired = namespaceWork(ns, c, overrides);
    const existing = works.get(wName, desired.metadata.namespace);
    if (existing && workUpToDate(existing, desired)) return false;
    const space = desired.metadata.namespace!;
    if (!namespaces.get(space)) {
      try {
        await ctx.client.create(resources.namespaces, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: space },
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    if (!existing) {
      try {
        await ctx.client.create(karmadaResources.works, desired, { namespace: space });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return true;
      }
    } else {
      await ctx.client.update(
        karmadaResources.works,
        {
          ...existing,
          metadata: {
            ...existing.metadata,
            ...desired.metadata,
            resourceVersion: existing.metadata.resourceVersion,
          },
          spec: desired.spec,
        },
        { namespace: space },
      );
    }
    return false;
  }

  async function reconcile(key: string) {
    const slash = key.indexOf('/');
    const name = slash < 0 ? key : key.slice(0, slash);
    const ns = namespaces.get(name);
    const wanted = ns !== undefined && !ns.metadata.deletionTimestamp && namespaceShouldBeSynced(ns);
    if (slash >= 0) {
      // One member (it joined): the namespace's key covers removals.
      const c = clusters.get(key.slice(slash + 1));
      if (!wanted || !ns || !c) return undefined;
      return (await syncTo(ns, c, cops.list())) ? { requeue: true } : undefined;
    }
    if (!wanted || !ns) {
      // Gone, going or no longer synced: its Works go (the hub may run no garbage collector).
      const wName = workName('Namespace', name);
      for (const w of works.byIndex(WORKS_BY_OWNING_NAMESPACE, name)) {
        if (w.metadata.name !== wName) continue;
        try {
          await ctx.client.delete(karmadaResources.works, wName, { namespace: w.metadata.namespace });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return undefined;
    }
    const overrides = cops.list();
    for (const c of clusters.list()) {
      if (await syncTo(ns, c, overrides)) return { requeue: true };
    }
    return undefined;
  }

  const controller = reconcileLoop(ctx, {
    name: 'namespace-sync',
    workers: 1,
    reconcile: (key) => reconcile(key),
  });
  const enqueue = (ns: KubeObject) => {
    const name = ns.metadata.name!;
    if (namespaces.get(name) && namespaceShouldBeSynced(ns)) synced.add(name);
    else synced.delete(name);
    controller.enqueue(name);
  };
  const enqueueAll = () => {
    for (const ns of namespaces.list()) controller.enqueue(ns.metadata.name!);
  };
  const offNs = namespaces.addEventHandler({
    onAdd: enqueue,
    onUpdate: (_o, n) => enqueue(n),
    onDelete: enqueue,
  });
  const offClusters = clusters.addEventHandler({
    onAdd: (c, initial) => {
      // A new member needs the synced namespaces, on it alone (not a walk of every member for
      // each of them, nor of every namespace: a fleet has a namespace per member).
      if (!initial) for (const name of synced) controller.enqueue(memberKey(name, c.metadata.name ?? ''));
    },
  });
  const offCops = cops.addEventHandler({
    onAdd: (_p, initial) => {
      if (!initial) enqueueAll();
    },
    onUpdate: enqueueAll,
    onDelete: enqueueAll,
  });
  let stopped = false;
  void Promise.all([namespaces, clusters, works, cops].map((i) => i.waitForSync())).then((ok) => {
    if (!stopped && ok.every(Boolean)) controller.start();
  });
  return {
    name: 'namespace-sync',
    async stop() {
      stopped = true;
      offNs();
      offClusters();
      offCops();
      await controller.stop();
    },
  };
}
