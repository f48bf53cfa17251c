// The topology controller, as Cluster API's: a Cluster with spec.topology gets its infrastructure
// cluster, control plane and MachineDeployments made and kept as its ClusterClass says
// (desired.ts), written with server-side apply as the field manager "capi-topology" so that
// fields others own (status, the autoscaler's replicas) stay theirs. A changed template is
// stamped into a new object (the old one is deleted once nothing points at it), which rolls the
// Machines. Its TopologyReconciled condition says whether all is in place, or what is pending
// or wrong (a missing ClusterClass or template is named there, never retried in a tight loop).

import type { Logger } from 'pino';
import type { InProcessClient } from '../../../client/in-process.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  type Cluster,
  type ClusterClass,
  ConditionReason,
  ConditionType,
  clusterApiResources,
  type KubeadmControlPlane,
  Labels,
  type MachineDeployment,
  type ObjectReference,
} from '../../apis/cluster-api/index.js';
import { Conditions, type Severity } from '../conditions.js';
import { References } from '../templates.js';
import { type Current, desiredState, TopologyError } from './desired.js';
import { VariableError } from './variables.js';

export const TOPOLOGY_CONTROLLER = 'topology/cluster-controller';
export const TOPOLOGY_FIELD_MANAGER = 'capi-topology';

const RETRY_MS = 10_000;

export function startTopologyController(ctx: ControllerContext): RunningController {
  const logger: Logger = ctx.logger.child({ controller: TOPOLOGY_CONTROLLER });
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const classes = ctx.informers.informerFor<ClusterClass>(clusterApiResources.clusterclasses);
  const kcps = ctx.informers.informerFor<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes);
  const mds = ctx.informers.informerFor<MachineDeployment>(clusterApiResources.machinedeployments);
  const refs = new References(ctx.client as InProcessClient);
  const loop = reconcileLoop(ctx, { name: TOPOLOGY_CONTROLLER, workers: 4, reconcile });

  async function getOrUndefined(
    ref: ObjectReference | undefined,
    namespace: string,
  ): Promise<KubeObject | undefined> {
    if (!ref?.name) return undefined;
    try {
      return await refs.get(ref, namespace);
    } catch (err) {
      if (isNotFound(err) || /no matches for kind/.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  async function setCondition(cluster: Cluster, mark: (c: Conditions) => void): Promise<void> {
    const compute = (fresh: Cluster) => {
      const c = new Conditions(fresh.status?.conditions, ctx.now());
      mark(c);
      return { ...fresh.status, conditions: c.toArray() };
    };
    const next = compute(cluster);
    if (JSON.stringify(next.conditions) === JSON.stringify(cluster.status?.conditions ?? [])) return;
    await updateStatus(ctx.client, clusterApiResources.clusters, cluster, next, compute);
  }

  const fail = (cluster: Cluster, reason: string, severity: Severity, message: string) =>
    setCondition(cluster, (c) => c.markFalse(ConditionType.TopologyReconciled, reason, severity, message));

  async function apply(obj: KubeObject): Promise<void> {
    await ctx.client.apply(await refs.resourceOf(obj), obj, {
      fieldManager: TOPOLOGY_FIELD_MANAGER,
      force: true,
    });
  }

  async function remove(obj: KubeObject | undefined): Promise<void> {
    if (!obj) return;
    try {
      await ctx.client.delete(await refs.resourceOf(obj), obj.metadata.name ?? '', {
        namespace: obj.metadata.namespace,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const cluster = clusters.get(name, namespace);
    const topology = cluster?.spec.topology;
    if (!cluster || !topology || cluster.metadata.deletionTimestamp || cluster.spec.paused) return undefined;
    const classNamespace = topology.classNamespace || namespace;
    const cc = classes.get(topology.class, classNamespace);
    if (!cc) {
      await fail(
        cluster,
        ConditionReason.TopologyReconcileFailed,
        'Error',
        `ClusterClass ${classNamespace}/${topology.class} not found`,
      );
      return undefined;
    }
    const reconciled = cc.status?.conditions?.some(
      (c) => c.type === ConditionType.VariablesReconciled && c.status === 'True',
    );
    if (cc.status?.observedGeneration !== cc.metadata.generation || !reconciled) {
      await fail(
        cluster,
        ConditionReason.ClusterClassNotReconciled,
        'Info',
        `ClusterClass ${cc.metadata.name} is not reconciled yet`,
      );
      return undefined;
    }

    // What the class's templates are now.
    const classRefs: (ObjectReference | undefined)[] = [
      cc.spec.infrastructure?.ref,
      cc.spec.controlPlane?.ref,
      cc.spec.controlPlane?.machineInfrastructure?.ref,
      ...(cc.spec.workers?.machineDeployments ?? []).flatMap((m) => [
        m.template.bootstrap.ref,
        m.template.infrastructure.ref,
      ]),
    ];
    const fetched = new Map<string, KubeObject>();
    const refKey = (r: { apiVersion?: string; kind?: string; name?: string }) =>
      `${r.apiVersion}/${r.kind}/${r.name}`;
    for (const r of classRefs) {
      if (!r) continue;
      const t = await getOrUndefined(r, classNamespace);
      if (t) fetched.set(refKey(r), t);
    }

    // What the topology is made of now.
    const kcp = cluster.spec.controlPlaneRef?.name
      ? kcps.get(cluster.spec.controlPlaneRef.name, namespace)
      : undefined;
    const current: Current = {
      ...(await getOrUndefined(cluster.spec.infrastructureRef, namespace).then((o) =>
        o ? { infrastructureCluster: o } : {},
      )),
      ...(kcp ? { controlPlane: kcp } : {}),
      machineDeployments: new Map(),
      mdTemplates: new Map(),
    };
    const cpTemplate = await getOrUndefined(
      (kcp?.spec.machineTemplate?.infrastructureRef as ObjectReference | undefined) ?? undefined,
      namespace,
    );
    if (cpTemplate) current.controlPlaneMachineTemplate = cpTemplate;
    for (const md of mds.list({ namespace })) {
      const labels = md.metadata.labels ?? {};
      const topologyName = labels[Labels.topologyDeploymentName];
      if (labels[Labels.clusterName] !== name || labels[Labels.topologyOwned] === undefined || !topologyName)
        continue;
      current.machineDeployments.set(topologyName, md);
      const bootstrap = await getOrUndefined(md.spec.template.spec.bootstrap.configRef, namespace);
      const infrastructure = await getOrUndefined(md.spec.template.spec.infrastructureRef, namespace);
      current.mdTemplates.set(topologyName, {
        ...(bootstrap ? { bootstrap } : {}),
        ...(infrastructure ? { infrastructure } : {}),
      });
    }

    let desired: ReturnType<typeof desiredState>;
    try {
      desired = desiredState(cluster, cc, { get: (r) => (r ? fetched.get(refKey(r)) : undefined) }, current);
    } catch (err) {
      if (
        err instanceof TopologyError ||
        err instanceof VariableError ||
        /^patch "/.test((err as Error).message)
      ) {
        await fail(cluster, ConditionReason.TopologyReconcileFailed, 'Error', (err as Error).message);
        return { requeueAfter: RETRY_MS };
      }
      throw err;
    }

    try {
      if (desired.infrastructureCluster) await apply(desired.infrastructureCluster);
      if (desired.controlPlaneMachineTemplate?.changed)
        await apply(desired.controlPlaneMachineTemplate.object);
      if (desired.controlPlane) await apply(desired.controlPlane);
      const wantRefs: Record<string, ObjectReference> = {};
      const refOf = (o: KubeObject): ObjectReference => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        namespace,
      });
      if (
        desired.infrastructureCluster &&
        cluster.spec.infrastructureRef?.name !== desired.infrastructureCluster.metadata.name
      ) {
        wantRefs.infrastructureRef = refOf(desired.infrastructureCluster);
      }
      if (desired.controlPlane && cluster.spec.controlPlaneRef?.name !== desired.controlPlane.metadata.name) {
        wantRefs.controlPlaneRef = refOf(desired.controlPlane);
      }
      if (Object.keys(wantRefs).length > 0) {
        await ctx.client.patch(clusterApiResources.clusters, name, { spec: wantRefs }, 'merge', {
          namespace,
        });
      }
      if (desired.controlPlaneMachineTemplate?.changed && current.controlPlaneMachineTemplate) {
        await remove(current.controlPlaneMachineTemplate);
      }
      for (const md of desired.machineDeployments) {
        if (md.bootstrap.changed) await apply(md.bootstrap.object);
        if (md.infrastructure.changed) await apply(md.infrastructure.object);
        await apply(md.object);
        const old = current.mdTemplates.get(md.name);
        if (md.bootstrap.changed) await remove(old?.bootstrap);
        if (md.infrastructure.changed) await remove(old?.infrastructure);
      }
      for (const [topologyName, md] of current.machineDeployments) {
        if (!desired.machineDeployments.some((d) => d.name === topologyName)) {
          await remove(md);
          logger.info(
            { cluster: key, machineDeployment: md.metadata.name },
            'MachineDeployment no longer in the topology deleted',
          );
        }
      }
    } catch (err) {
      await fail(cluster, ConditionReason.TopologyReconcileFailed, 'Error', (err as Error).message);
      throw err;
    }

    const fresh = clusters.get(name, namespace) ?? cluster;
    if (desired.pending) {
      await fail(fresh, desired.pending.reason, 'Info', desired.pending.message);
    } else {
      await setCondition(fresh, (c) => c.markTrue(ConditionType.TopologyReconciled));
    }
    return undefined;
  }

  const enqueueClusterOf = (o: KubeObject) => {
    const cluster = o.metadata.labels?.[Labels.clusterName];
    if (cluster && o.metadata.labels?.[Labels.topologyOwned] !== undefined)
      loop.enqueue(`${o.metadata.namespace}/${cluster}`);
  };
  const enqueueUsersOf = (cc: ClusterClass) => {
    for (const c of clusters.list()) {
      const t = c.spec.topology;
      if (
        t &&
        t.class === cc.metadata.name &&
        (t.classNamespace || c.metadata.namespace) === cc.metadata.namespace
      ) {
        loop.enqueue(`${c.metadata.namespace}/${c.metadata.name}`);
      }
    }
  };
  const unregister = [
    clusters.addEventHandler(loop.objectHandler()),
    classes.addEventHandler({ onAdd: enqueueUsersOf, onUpdate: (_o, c) => enqueueUsersOf(c) }),
    kcps.addEventHandler({
      onAdd: enqueueClusterOf,
      onUpdate: (_o, k) => enqueueClusterOf(k),
      onDelete: enqueueClusterOf,
    }),
    mds.addEventHandler({
      onAdd: enqueueClusterOf,
      onUpdate: (_o, m) => enqueueClusterOf(m),
      onDelete: enqueueClusterOf,
    }),
  ];

  return runController({
    name: TOPOLOGY_CONTROLLER,
    controllers: [loop],
    informers: [clusters, classes, kcps, mds],
    unregister,
  });
}
