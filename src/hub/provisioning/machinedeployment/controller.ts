// The MachineDeployment controller, as Cluster API's: one MachineSet per version of the template
// (named after the template's hash, labelled machine-template-hash), rolled by the strategy
// (rollout.ts: RollingUpdate within maxSurge and maxUnavailable, or OnDelete), revisions kept on
// the sets and the deployment (machinedeployment.clusters.x-k8s.io/revision), old empty sets
// beyond revisionHistoryLimit deleted, and the status (status.ts) that the scale subresource
// reads. A deleted MachineDeployment deletes its MachineSets before its finalizer goes.

import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { newControllerRef } from '../../../controller/controller-ref.js';
import { updateStatus } from '../../../controller/status.js';
import { canonicalJson, computeHash } from '../../../machinery/hash.js';
import { fromLabelSelector, selectorToString } from '../../../machinery/labels.js';
import { isAlreadyExists, isNotFound } from '../../../machinery/status.js';
import {
  Annotations,
  CLUSTER_API_VERSION,
  type Cluster,
  clusterApiResources,
  Defaults,
  Finalizers,
  Labels,
  type MachineDeployment,
  type MachineSet,
  type MachineTemplateSpec,
} from '../../apis/cluster-api/index.js';
import { ofCluster } from '../cluster-index.js';
import { isPaused } from '../cluster-state.js';
import { plan } from './rollout.js';
import { machineDeploymentStatus } from './status.js';

export const MACHINE_DEPLOYMENT_CONTROLLER = 'machinedeployment-controller';

/** The template a MachineSet of this deployment carries, without the hash label. */
function desiredTemplate(md: MachineDeployment): MachineTemplateSpec {
  const t = md.spec.template;
  return {
    ...t,
    metadata: {
      ...(t.metadata ?? {}),
      labels: { ...(t.metadata?.labels ?? {}), [Labels.deploymentName]: md.metadata.name ?? '' },
    },
  };
}

function withoutHash(t: MachineTemplateSpec | undefined): unknown {
  if (!t) return undefined;
  const labels = { ...(t.metadata?.labels ?? {}) };
  delete labels[Labels.machineTemplateHash];
  return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
}

export function revisionOf(ms: MachineSet): number {
  const v = Number(ms.metadata.annotations?.[Annotations.revision]);
  return Number.isFinite(v) ? v : 0;
}

export function startMachineDeploymentController(ctx: ControllerContext): RunningController {
  const deployments = ctx.informers.informerFor<MachineDeployment>(clusterApiResources.machinedeployments);
  const sets = ctx.informers.informerFor<MachineSet>(clusterApiResources.machinesets);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const loop = reconcileLoop(ctx, {
    name: MACHINE_DEPLOYMENT_CONTROLLER,
    workers: 8,
    reconcile: (key) => reconcile(key),
  });

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!deployments.hasSynced() || !sets.hasSynced() || !clusters.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', name = ''] = key.split('/');
    const md = deployments.get(name, namespace);
    if (!md) return undefined;
    const selector = fromLabelSelector(md.spec.selector);
    let owned = ofCluster(sets, namespace, md.spec.clusterName).filter((ms) =>
      ms.metadata.ownerReferences?.some((r) => r.uid === md.metadata.uid && r.controller),
    );
    if (md.metadata.deletionTimestamp) {
      if (!md.metadata.finalizers?.includes(Finalizers.machineDeployment)) return undefined;
      await Promise.all(owned.filter((ms) => !ms.metadata.deletionTimestamp).map((ms) => remove(ms)));
      if (owned.length > 0) return undefined;
      await patchMeta(md, {
        finalizers: (md.metadata.finalizers ?? []).filter((f) => f !== Finalizers.machineDeployment),
      });
      return undefined;
    }
    const cluster = clusters.get(md.spec.clusterName, namespace);
    if (!cluster || isPaused(cluster, md)) return undefined;
    if (await ensureMetadata(md, cluster)) return undefined;
    // Orphan MachineSets the selector matches are adopted.
    const orphans = ofCluster(sets, namespace, md.spec.clusterName).filter(
      (ms) =>
        !ms.metadata.ownerReferences?.some((r) => r.controller) &&
        !ms.metadata.deletionTimestamp &&
        selector.matches(ms.metadata.labels ?? {}),
    );
    for (const ms of orphans) {
      await ctx.client.patch(
        clusterApiResources.machinesets,
        ms.metadata.name ?? '',
        {
          metadata: {
            resourceVersion: ms.metadata.resourceVersion,
            ownerReferences: [...(ms.metadata.ownerReferences ?? []), newControllerRef(md)],
          },
        },
        'merge',
        { namespace },
      );
    }
    if (orphans.length > 0) return undefined;
    owned = owned.filter((ms) => !ms.metadata.deletionTimestamp);

    const desired = desiredTemplate(md);
    const wanted = canonicalJson(withoutHash(desired));
    let newMS = owned.find((ms) => canonicalJson(withoutHash(ms.spec.template)) === wanted);
    const oldMSs = owned.filter((ms) => ms !== newMS);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    if (!newMS) {
      if (md.spec.paused) return writeStatus(md, undefined, owned, selectorToString(selector));
      newMS = await createMachineSet(md, desired, maxRevision + 1, oldMSs);
      if (!newMS) return undefined; // created: its informer event brings us back
    } else if (revisionOf(newMS) < maxRevision) {
      // A rollback to an older template: the set becomes the newest revision again.
      await patchSet(newMS, newMS.spec.replicas ?? 0, md, maxRevision + 1);
      return undefined;
    }
    const revision = String(revisionOf(newMS));
    if (md.metadata.annotations?.[Annotations.revision] !== revision) {
      await patchMeta(md, {
        annotations: { ...(md.metadata.annotations ?? {}), [Annotations.revision]: revision },
      });
      return undefined;
    }
    if (!md.spec.paused) {
      const target = plan(md, newMS, oldMSs);
      for (const ms of [newMS, ...oldMSs]) {
        const n = target.get(ms.metadata.name ?? '') ?? 0;
        if (n !== (ms.spec.replicas ?? 0) || needsReplicaAnnotations(ms, md)) await patchSet(ms, n, md);
      }
      await cleanup(md, oldMSs);
    }
    return writeStatus(md, newMS, owned, selectorToString(selector));
  }

  function needsReplicaAnnotations(ms: MachineSet, md: MachineDeployment): boolean {
    const a = ms.metadata.annotations ?? {};
    return a[Annotations.desiredReplicas] !== String(md.spec.replicas ?? 1);
  }

  async function createMachineSet(
    md: MachineDeployment,
    template: MachineTemplateSpec,
    revision: number,
    oldMSs: MachineSet[],
  ): Promise<MachineSet | undefined> {
    const namespace = md.metadata.namespace ?? '';
    // The hash of the template (and a collision count as Kubernetes': a name taken by another
    // template moves on to the next).
    for (let collision = 0; collision < 10; collision++) {
      const hash = computeHash(template, collision || undefined);
      const name = `${md.metadata.name}-${hash}`.slice(0, 253);
      const labels = {
        ...(template.metadata?.labels ?? {}),
        [Labels.machineTemplateHash]: hash,
        [Labels.clusterName]: md.spec.clusterName,
      };
      const replicas = md.spec.replicas ?? 1;
      const oldTotal = oldMSs.reduce((n, ms) => n + (ms.spec.replicas ?? 0), 0);
      // The first set of a deployment gets all replicas; a new one during a rollout starts at
      // zero and is scaled by the rollout.
      const initial = oldTotal === 0 ? replicas : 0;
      const ms: MachineSet = {
        apiVersion: CLUSTER_API_VERSION,
        kind: 'MachineSet',
        metadata: {
          name,
          namespace,
          labels,
          annotations: {
            [Annotations.revision]: String(revision),
            [Annotations.desiredReplicas]: String(replicas),
            [Annotations.maxReplicas]: String(replicas),
          },
          ownerReferences: [newControllerRef(md)],
        },
        spec: {
          clusterName: md.spec.clusterName,
          replicas: initial,
          ...(md.spec.minReadySeconds !== undefined ? { minReadySeconds: md.spec.minReadySeconds } : {}),
          deletePolicy: md.spec.strategy?.rollingUpdate?.deletePolicy ?? 'Random',
          selector: {
            ...md.spec.selector,
            matchLabels: { ...(md.spec.selector.matchLabels ?? {}), [Labels.machineTemplateHash]: hash },
          },
          template: {
            ...template,
            metadata: {
              ...(template.metadata ?? {}),
              labels: { ...(template.metadata?.labels ?? {}), [Labels.machineTemplateHash]: hash },
            },
          },
          ...(md.spec.machineNamingStrategy ? { machineNamingStrategy: md.spec.machineNamingStrategy } : {}),
        },
      };
      try {
        await ctx.client.create(clusterApiResources.machinesets, ms, { namespace });
        return undefined;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = sets.get(name, namespace);
        // Ours and of this template (the informer had not seen it yet): nothing to do.
        if (!existing || existing.metadata.ownerReferences?.some((r) => r.uid === md.metadata.uid))
          return undefined;
      }
    }
    throw new Error(`no free MachineSet name for MachineDeployment ${namespace}/${md.metadata.name}`);
  }

  async function patchSet(
    ms: MachineSet,
    replicas: number,
    md: MachineDeployment,
    revision?: number,
  ): Promise<void> {
    const desired = String(md.spec.replicas ?? 1);
    await ctx.client.patch(
      clusterApiResources.machinesets,
      ms.metadata.name ?? '',
      {
        metadata: {
          resourceVersion: ms.metadata.resourceVersion,
          annotations: {
            ...(ms.metadata.annotations ?? {}),
            [Annotations.desiredReplicas]: desired,
            [Annotations.maxReplicas]: desired,
            ...(revision !== undefined ? { [Annotations.revision]: String(revision) } : {}),
          },
        },
        spec: { replicas },
      },
      'merge',
      { namespace: ms.metadata.namespace },
    );
  }

  /** Old sets scaled to zero beyond revisionHistoryLimit go, oldest revision first. */
  async function cleanup(md: MachineDeployment, oldMSs: MachineSet[]): Promise<void> {
    const limit = md.spec.revisionHistoryLimit ?? Defaults.machineDeploymentRevisionHistoryLimit;
    const empty = oldMSs
      .filter((ms) => (ms.spec.replicas ?? 0) === 0 && (ms.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const ms of empty.slice(0, Math.max(0, empty.length - limit))) await remove(ms);
  }

  async function remove(ms: MachineSet): Promise<void> {
    await ctx.client
      .delete(clusterApiResources.machinesets, ms.metadata.name ?? '', { namespace: ms.metadata.namespace })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }

  async function writeStatus(
    md: MachineDeployment,
    newMS: MachineSet | undefined,
    all: MachineSet[],
    selector: string,
  ): Promise<undefined> {
    const status = machineDeploymentStatus(md, newMS, all, selector, ctx.now());
    if (canonicalJson(status) !== canonicalJson(md.status ?? {})) {
      await updateStatus(ctx.client, clusterApiResources.machinedeployments, md, status);
    }
    return undefined;
  }

  async function ensureMetadata(md: MachineDeployment, cluster: Cluster): Promise<boolean> {
    const needsLabel = md.metadata.labels?.[Labels.clusterName] !== cluster.metadata.name;
    const needsFinalizer = !md.metadata.finalizers?.includes(Finalizers.machineDeployment);
    const needsOwner = !(md.metadata.ownerReferences ?? []).some((r) => r.kind === 'Cluster');
    if (!needsLabel && !needsFinalizer && !needsOwner) return false;
    await patchMeta(md, {
      ...(needsLabel
        ? { labels: { ...(md.metadata.labels ?? {}), [Labels.clusterName]: cluster.metadata.name } }
        : {}),
      ...(needsFinalizer
        ? { finalizers: [...(md.metadata.finalizers ?? []), Finalizers.machineDeployment] }
        : {}),
      ...(needsOwner
        ? {
            ownerReferences: [
              ...(md.metadata.ownerReferences ?? []),
              {
                apiVersion: cluster.apiVersion,
                kind: 'Cluster',
                name: cluster.metadata.name,
                uid: cluster.metadata.uid,
              },
            ],
          }
        : {}),
    });
    return true;
  }

  async function patchMeta(md: MachineDeployment, metadata: Record<string, unknown>): Promise<void> {
    await ctx.client.patch(
      clusterApiResources.machinedeployments,
      md.metadata.name ?? '',
      { metadata: { resourceVersion: md.metadata.resourceVersion, ...metadata } },
      'merge',
      { namespace: md.metadata.namespace },
    );
  }

  deployments.addEventHandler(loop.objectHandler());
  sets.addEventHandler(loop.ownerHandler(clusterApiResources.machinedeployments));
  clusters.addEventHandler({
    onUpdate: (old, c) => {
      if (old.spec.paused === c.spec.paused) return;
      for (const md of ofCluster(deployments, c.metadata.namespace ?? '', c.metadata.name ?? ''))
        loop.enqueue(`${md.metadata.namespace}/${md.metadata.name}`);
    },
  });
  loop.start();
  return { name: MACHINE_DEPLOYMENT_CONTROLLER, stop: () => loop.stop() };
}
