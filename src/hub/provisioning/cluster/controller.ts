// The Cluster controller, as Cluster API's: it gives a Cluster the finalizer
// cluster.cluster.x-k8s.io, takes its infrastructure cluster and control plane on (owner
// references), follows them (phases.ts) and writes phase, conditions, infrastructureReady,
// controlPlaneReady, failureDomains and observedGeneration (status.ts). Deleting a Cluster
// deletes its objects in Cluster API's order before the finalizer goes.

import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { updateStatus } from '../../../controller/status.js';
import { canonicalJson } from '../../../machinery/hash.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type Cluster,
  type ClusterStatus,
  ConditionReason,
  ConditionType,
  clusterApiResources,
  Finalizers,
  Labels,
  type Machine,
  type MachineDeployment,
  type MachineSet,
} from '../../apis/cluster-api/index.js';
import { infrastructureResources } from '../../apis/infrastructure/index.js';
import { isPaused } from '../cluster-state.js';
import { falseCondition, timestamp } from '../conditions.js';
import { ExternalObjects } from '../external.js';
import {
  type ClusterScope,
  reconcileControlPlane,
  reconcileDelete,
  reconcileInfrastructure,
} from './phases.js';
import { clusterPhase, withConditions } from './status.js';

export const CLUSTER_CONTROLLER = 'cluster-api-cluster-controller';

export function startClusterController(ctx: ControllerContext): RunningController {
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const machineDeployments = ctx.informers.informerFor<MachineDeployment>(
    clusterApiResources.machinedeployments,
  );
  const machineSets = ctx.informers.informerFor<MachineSet>(clusterApiResources.machinesets);
  const loop = reconcileLoop(ctx, {
    name: CLUSTER_CONTROLLER,
    workers: 8,
    reconcile: (key) => reconcile(key),
  });
  const external = new ExternalObjects(ctx, 'Cluster', (key) => loop.enqueue(key));
  external.watch([infrastructureResources.localclusters, infrastructureResources.dockerclusters]);

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (![clusters, machines, machineDeployments, machineSets].every((i) => i.hasSynced())) {
      return { requeueAfter: 100 };
    }
    const [namespace = '', name = ''] = key.split('/');
    const cluster = clusters.get(name, namespace);
    if (!cluster) return undefined;
    if (!external.synced(cluster.spec.infrastructureRef) || !external.synced(cluster.spec.controlPlaneRef)) {
      return { requeueAfter: 100 };
    }
    const now = timestamp(ctx.now());
    if (cluster.metadata.deletionTimestamp) {
      if (!cluster.metadata.finalizers?.includes(Finalizers.cluster)) return undefined;
      const waiting = await reconcileDelete(cluster, ctx.client, external, {
        machineDeployments,
        machineSets,
        machines,
      });
      await writeStatus(
        cluster,
        { ...(cluster.status ?? {}) },
        [],
        now,
        falseCondition(ConditionType.Ready, ConditionReason.Deleting, 'Info', waiting, now),
      );
      if (waiting) return { requeueAfter: 1000 };
      const fresh = clusters.get(name, namespace) ?? cluster;
      await ctx.client.patch(
        clusterApiResources.clusters,
        name,
        {
          metadata: {
            resourceVersion: fresh.metadata.resourceVersion,
            finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== Finalizers.cluster),
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }
    if (!cluster.metadata.finalizers?.includes(Finalizers.cluster)) {
      await ctx.client.patch(
        clusterApiResources.clusters,
        name,
        {
          metadata: {
            resourceVersion: cluster.metadata.resourceVersion,
            finalizers: [...(cluster.metadata.finalizers ?? []), Finalizers.cluster],
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }
    if (isPaused(cluster, cluster)) return undefined;
    const status = { ...(cluster.status ?? {}) };
    delete status.conditions;
    const scope: ClusterScope = { cluster, status, conditions: [], now };
    await reconcileInfrastructure(scope, external);
    await reconcileControlPlane(scope, external, machines);
    let current = cluster;
    if (scope.endpoint) {
      current = await ctx.client.patch<Cluster>(
        clusterApiResources.clusters,
        name,
        { spec: { controlPlaneEndpoint: scope.endpoint } },
        'merge',
        { namespace },
      );
    }
    await writeStatus(current, scope.status, scope.conditions, now);
    return undefined;
  }

  async function writeStatus(
    cluster: Cluster,
    next: ClusterStatus,
    conditions: ClusterScope['conditions'],
    now: string,
    ready?: ReturnType<typeof falseCondition>,
  ): Promise<void> {
    const status = withConditions(
      cluster.status,
      { ...next, observedGeneration: cluster.metadata.generation ?? 1 },
      conditions,
      now,
      ready,
    );
    status.phase = clusterPhase(cluster, status);
    if (canonicalJson(status) === canonicalJson(cluster.status ?? {})) return;
    await updateStatus(ctx.client, clusterApiResources.clusters, cluster, status);
  }

  const byClusterName = (o: KubeObject & { spec: { clusterName: string } }) =>
    loop.enqueue(`${o.metadata.namespace}/${o.spec.clusterName}`);
  clusters.addEventHandler(loop.objectHandler());
  for (const inf of [machines, machineDeployments, machineSets] as const) {
    inf.addEventHandler({
      onAdd: (o) => {
        if (o.metadata.labels?.[Labels.controlPlane] !== undefined) byClusterName(o);
      },
      onUpdate: (_old, o) => {
        if (o.metadata.labels?.[Labels.controlPlane] !== undefined) byClusterName(o);
      },
      onDelete: byClusterName,
    });
  }
  loop.start();
  return { name: CLUSTER_CONTROLLER, stop: () => loop.stop() };
}
