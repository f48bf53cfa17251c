// The ClusterResourceSet controller, as Cluster API's: every Cluster in the set's namespace that
// its clusterSelector matches (an empty selector matches none) gets the objects of the set's
// ConfigMaps and Secrets created in its API, through the Cluster's kubeconfig Secret. ApplyOnce
// applies each resource once per cluster; Reconcile applies it again whenever its data changes
// (the hash in the ClusterResourceSetBinding differs). The binding `<cluster>` records per set
// and resource whether it was applied, the hash and when; the set's ResourcesApplied condition
// says whether everything reached every cluster, or why not. A deleted set leaves what it applied
// in the clusters and is removed from the bindings (an empty binding is deleted); a deleted
// Cluster's binding is deleted.

import type { Logger } from 'pino';
import type { Client } from '../../../client/client.js';
import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import { RESTMapper } from '../../../client/rest-mapper.js';
import type { ControllerContext, RunningController } from '../../../controller/context.js';
import { reconcileLoop } from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import { fromLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../machinery/status.js';
import {
  AddonsConditionReason,
  AddonsConditionType,
  CLUSTER_RESOURCE_SET_FINALIZER,
  CLUSTER_RESOURCE_SET_SECRET_TYPE,
  type Cluster,
  type ClusterResourceSet,
  type ClusterResourceSetBinding,
  ClusterResourceSetStrategy,
  clusterApiResources,
  type ResourceRef,
} from '../../apis/cluster-api/index.js';
import { Conditions, timestamp } from '../conditions.js';
import { type RemoteClusterError, WorkloadClusters } from '../remote.js';
import { entryFor, newBinding, resourceEntry, setResource, withOwner, withoutSet } from './binding.js';
import { resourceHash, resourceObjects } from './objects.js';

export const CLUSTER_RESOURCE_SET_CONTROLLER = 'clusterresourceset-controller';

/** How soon a set retries a cluster it could not reach. */
const RETRY_MS = 3_000;

type DataObject = KubeObject & { type?: string; data?: Record<string, string> };

interface Problem {
  reason: string;
  severity: 'Error' | 'Warning';
  message: string;
  retry: boolean;
}

export interface ClusterResourceSetControllerOptions {
  /** Clients of workload clusters (default: the controller's own). */
  clusters?: WorkloadClusters;
}

export function startClusterResourceSetController(
  ctx: ControllerContext,
  opts: ClusterResourceSetControllerOptions = {},
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: CLUSTER_RESOURCE_SET_CONTROLLER });
  const sets = ctx.informers.informerFor<ClusterResourceSet>(clusterApiResources.clusterresourcesets);
  const bindings = ctx.informers.informerFor<ClusterResourceSetBinding>(
    clusterApiResources.clusterresourcesetbindings,
  );
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const configMaps = ctx.informers.informerFor<DataObject>(resources.configmaps);
  const secrets = ctx.informers.informerFor<DataObject>(resources.secrets);
  const workload =
    opts.clusters ?? new WorkloadClusters(ctx.client, { userAgent: 'concord-hub/clusterresourceset' });
  const mappers = new WeakMap<Client, RESTMapper>();
  const loop = reconcileLoop(ctx, { name: CLUSTER_RESOURCE_SET_CONTROLLER, workers: 4, reconcile });

  function selectedClusters(crs: ClusterResourceSet): Cluster[] {
    let selector: ReturnType<typeof fromLabelSelector>;
    try {
      selector = fromLabelSelector(crs.spec.clusterSelector);
    } catch {
      return [];
    }
    if (selector.empty()) return [];
    return clusters
      .list({ namespace: crs.metadata.namespace ?? '' })
      .filter((c) => !c.metadata.deletionTimestamp && selector.matches(c.metadata.labels ?? {}));
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const crs = sets.get(name, namespace);
    if (!crs) return undefined;
    if (crs.metadata.deletionTimestamp) {
      await reconcileDelete(crs);
      return undefined;
    }
    if (!crs.metadata.finalizers?.includes(CLUSTER_RESOURCE_SET_FINALIZER)) {
      await ctx.client.patch(
        clusterApiResources.clusterresourcesets,
        name,
        {
          metadata: {
            resourceVersion: crs.metadata.resourceVersion,
            finalizers: [...(crs.metadata.finalizers ?? []), CLUSTER_RESOURCE_SET_FINALIZER],
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }

    const problems: Problem[] = [];
    let applied = true;
    let conflict = false;
    for (const cluster of selectedClusters(crs)) {
      try {
        const outcome = await applyToCluster(crs, cluster);
        problems.push(...outcome);
      } catch (err) {
        if (isConflict(err)) conflict = true;
        else throw err;
      }
    }
    if (problems.length > 0) applied = false;

    const conditions = new Conditions(crs.status?.conditions, ctx.now());
    const first = problems[0];
    if (first)
      conditions.markFalse(AddonsConditionType.ResourcesApplied, first.reason, first.severity, first.message);
    else if (!conflict) conditions.markTrue(AddonsConditionType.ResourcesApplied);
    const status = {
      ...crs.status,
      conditions: conditions.toArray(),
      ...(applied && !conflict ? { observedGeneration: crs.metadata.generation } : {}),
    };
    if (JSON.stringify(status) !== JSON.stringify(crs.status ?? {})) {
      await updateStatus(ctx.client, clusterApiResources.clusterresourcesets, crs, status);
    }
    // Two sets writing one binding at once conflict: retry soon rather than with a growing backoff.
    if (conflict) return { requeueAfter: 100 };
    return problems.some((p) => p.retry) ? { requeueAfter: RETRY_MS } : undefined;
  }

  function dataObject(ref: ResourceRef, namespace: string): DataObject | undefined {
    return (ref.kind === 'Secret' ? secrets : configMaps).get(ref.name, namespace);
  }

  async function ensureOwnedBySet(crs: ClusterResourceSet, ref: ResourceRef, obj: DataObject): Promise<void> {
    const owners = obj.metadata.ownerReferences ?? [];
    if (owners.some((o) => o.kind === 'ClusterResourceSet' && o.uid === crs.metadata.uid)) return;
    await ctx.client.patch(
      ref.kind === 'Secret' ? resources.secrets : resources.configmaps,
      ref.name,
      {
        metadata: {
          resourceVersion: obj.metadata.resourceVersion,
          ownerReferences: [
            ...owners,
            {
              apiVersion: crs.apiVersion ?? 'addons.cluster.x-k8s.io/v1beta1',
              kind: 'ClusterResourceSet',
              name: crs.metadata.name ?? '',
              uid: crs.metadata.uid ?? '',
            },
          ],
        },
      },
      'merge',
      { namespace: obj.metadata.namespace },
    );
  }

  async function applyToCluster(crs: ClusterResourceSet, cluster: Cluster): Promise<Problem[]> {
    const namespace = cluster.metadata.namespace ?? 'default';
    const clusterName = cluster.metadata.name ?? '';
    const problems: Problem[] = [];
    const found: { ref: ResourceRef; obj: DataObject }[] = [];
    for (const ref of crs.spec.resources ?? []) {
      const obj = dataObject(ref, namespace);
      if (!obj) {
        problems.push({
          reason: AddonsConditionReason.RetrievingResourceFailed,
          severity: 'Warning',
          message: `${ref.kind} ${namespace}/${ref.name} not found`,
          retry: false,
        });
        continue;
      }
      if (ref.kind === 'Secret' && obj.type !== CLUSTER_RESOURCE_SET_SECRET_TYPE) {
        problems.push({
          reason: AddonsConditionReason.WrongSecretType,
          severity: 'Warning',
          message: `unsupported secret type "${obj.type ?? ''}" of Secret ${namespace}/${ref.name}: only ${CLUSTER_RESOURCE_SET_SECRET_TYPE} is supported`,
          retry: false,
        });
        continue;
      }
      await ensureOwnedBySet(crs, ref, obj);
      found.push({ ref, obj });
    }

    let binding = bindings.get(clusterName, namespace);
    if (!binding) {
      try {
        binding = await ctx.client.create<ClusterResourceSetBinding>(
          clusterApiResources.clusterresourcesetbindings,
          newBinding(crs, clusterName),
          { namespace },
        );
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        binding = await ctx.client.get<ClusterResourceSetBinding>(
          clusterApiResources.clusterresourcesetbindings,
          clusterName,
          { namespace },
        );
      }
    }
    const original = binding;
    binding = withOwner(binding, crs);
    const strategy = crs.spec.strategy ?? ClusterResourceSetStrategy.ApplyOnce;

    const pending = found
      .map(({ ref, obj }) => ({ ref, obj, hash: resourceHash({ kind: ref.kind, data: obj.data }) }))
      .filter(({ ref, hash }) => {
        const record = resourceEntry(
          entryFor(binding as ClusterResourceSetBinding, crs.metadata.name ?? ''),
          ref,
        );
        if (strategy === ClusterResourceSetStrategy.Reconcile)
          return !record?.applied || record.hash !== hash;
        return !record?.applied;
      });

    if (pending.length > 0) {
      let remote: Client | undefined;
      try {
        remote = await workload.client(namespace, clusterName);
      } catch (err) {
        problems.push({
          reason: AddonsConditionReason.RemoteClusterClientFailed,
          severity: 'Error',
          message: (err as RemoteClusterError).message,
          retry: true,
        });
      }
      if (remote) {
        for (const { ref, obj, hash } of pending) {
          let ok = true;
          try {
            const objs = resourceObjects({ kind: ref.kind, data: obj.data });
            for (const o of objs) await applyObject(remote, o, strategy);
          } catch (err) {
            ok = false;
            problems.push({
              reason: AddonsConditionReason.ApplyFailed,
              severity: 'Warning',
              message: `${ref.kind} ${namespace}/${ref.name} to cluster ${clusterName}: ${(err as Error).message}`,
              retry: true,
            });
          }
          binding = setResource(binding, crs.metadata.name ?? '', {
            name: ref.name,
            kind: ref.kind,
            hash: ok ? hash : '',
            applied: ok,
            lastAppliedTime: timestamp(ctx.now()),
          });
        }
      }
    }
    if (!entryFor(binding, crs.metadata.name ?? '')) {
      binding = {
        ...binding,
        spec: {
          ...binding.spec,
          bindings: [
            ...(binding.spec.bindings ?? []),
            { clusterResourceSetName: crs.metadata.name ?? '', resources: [] },
          ],
        },
      };
    }
    if (JSON.stringify(binding) !== JSON.stringify(original)) {
      await ctx.client.update(clusterApiResources.clusterresourcesetbindings, binding, { namespace });
    }
    return problems;
  }

  async function applyObject(remote: Client, obj: KubeObject, strategy: string): Promise<void> {
    let mapper = mappers.get(remote);
    if (!mapper) {
      mapper = new RESTMapper(remote as Client & ConstructorParameters<typeof RESTMapper>[0]);
      mappers.set(remote, mapper);
    }
    const ref = await mapper.refFor(obj.apiVersion ?? '', obj.kind ?? '');
    const namespace = ref.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    const target = { ...obj, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } };
    if (strategy === ClusterResourceSetStrategy.Reconcile) {
      try {
        await remote.get(ref, obj.metadata.name ?? '', { namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await remote.create(ref, target, { namespace });
        return;
      }
      const { status: _status, ...patch } = target as KubeObject & { status?: unknown };
      await remote.patch(ref, obj.metadata.name ?? '', patch, 'merge', { namespace });
      return;
    }
    try {
      await remote.create(ref, target, { namespace });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async function reconcileDelete(crs: ClusterResourceSet): Promise<void> {
    const namespace = crs.metadata.namespace ?? 'default';
    const name = crs.metadata.name ?? '';
    for (const binding of bindings.list({ namespace })) {
      if (
        !entryFor(binding, name) &&
        !binding.metadata.ownerReferences?.some((r) => r.kind === 'ClusterResourceSet' && r.name === name)
      )
        continue;
      const next = withoutSet(binding, name);
      try {
        if ((next.spec.bindings ?? []).length === 0) {
          await ctx.client.delete(
            clusterApiResources.clusterresourcesetbindings,
            binding.metadata.name ?? '',
            { namespace },
          );
        } else {
          await ctx.client.update(clusterApiResources.clusterresourcesetbindings, next, { namespace });
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (!crs.metadata.finalizers?.includes(CLUSTER_RESOURCE_SET_FINALIZER)) return;
    await ctx.client.patch(
      clusterApiResources.clusterresourcesets,
      name,
      {
        metadata: {
          resourceVersion: crs.metadata.resourceVersion,
          finalizers: crs.metadata.finalizers.filter((f) => f !== CLUSTER_RESOURCE_SET_FINALIZER),
        },
      },
      'merge',
      { namespace },
    );
  }

  async function deleteBindingOf(cluster: Cluster): Promise<void> {
    const namespace = cluster.metadata.namespace ?? 'default';
    workload.forget(namespace, cluster.metadata.name ?? '');
    try {
      await ctx.client.delete(clusterApiResources.clusterresourcesetbindings, cluster.metadata.name ?? '', {
        namespace,
      });
    } catch (err) {
      if (!isNotFound(err))
        logger.warn({ err, cluster: cluster.metadata.name }, 'deleting the ClusterResourceSetBinding failed');
    }
  }

  function enqueueSetsSelecting(cluster: Cluster): void {
    for (const crs of sets.list({ namespace: cluster.metadata.namespace ?? '' })) {
      try {
        const selector = fromLabelSelector(crs.spec.clusterSelector);
        if (!selector.empty() && selector.matches(cluster.metadata.labels ?? {})) loop.enqueue(keyOf(crs));
      } catch {
        // An invalid selector selects nothing.
      }
    }
  }

  function enqueueSetsUsing(obj: DataObject, kind: 'ConfigMap' | 'Secret'): void {
    for (const crs of sets.list({ namespace: obj.metadata.namespace ?? '' })) {
      if (crs.spec.resources?.some((r) => r.kind === kind && r.name === obj.metadata.name))
        loop.enqueue(keyOf(crs));
    }
  }

  const dataHandler = (informer: Informer<DataObject>, kind: 'ConfigMap' | 'Secret') =>
    informer.addEventHandler({
      onAdd: (o) => enqueueSetsUsing(o, kind),
      onUpdate: (old, o) => {
        if (JSON.stringify(old.data) !== JSON.stringify(o.data) || old.type !== o.type)
          enqueueSetsUsing(o, kind);
      },
      onDelete: (o) => enqueueSetsUsing(o, kind),
    });

  const unregister = [
    sets.addEventHandler(loop.objectHandler()),
    clusters.addEventHandler({
      onAdd: enqueueSetsSelecting,
      onUpdate: (old, c) => {
        enqueueSetsSelecting(old);
        enqueueSetsSelecting(c);
      },
      onDelete: (c) => {
        void deleteBindingOf(c);
        enqueueSetsSelecting(c);
      },
    }),
    dataHandler(configMaps, 'ConfigMap'),
    dataHandler(secrets, 'Secret'),
  ];

  return runController({
    name: CLUSTER_RESOURCE_SET_CONTROLLER,
    controllers: [loop],
    informers: [sets, bindings, clusters, configMaps, secrets],
    unregister,
    onStop: () => {
      if (!opts.clusters) workload.close();
    },
  });
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
