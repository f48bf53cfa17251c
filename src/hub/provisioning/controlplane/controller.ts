// The KubeadmControlPlane controller, as Cluster API's kubeadm control plane provider: once the
// Cluster's infrastructure is ready it creates the first control plane Machine (kubeadm init),
// waits for it to have a Node (initialized), then adds Machines one at a time, each once the ones
// before are ready, up to spec.replicas; removes Machines when scaled down; replaces outdated
// Machines (version, infrastructure template, kubeadm configuration, rolloutAfter) within
// rolloutStrategy.rollingUpdate.maxSurge; and deletes the Machines a MachineHealthCheck marked
// (OwnerRemediated=False), one at a time and never the last one of an initialized control plane,
// so that the steps above replace them. One change at a time: nothing new while a Machine is
// being deleted or is not ready yet. Deleting it deletes its Machines once the workers are gone.

import type { Logger } from 'pino';
import type { InProcessClient } from '../../../client/in-process.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  CLUSTER_API_GROUP,
  type Cluster,
  CONTROL_PLANE_GROUP,
  ConditionReason,
  ConditionType,
  ControlPlaneConditionReason,
  clusterApiResources,
  KUBEADM_CONTROL_PLANE_FINALIZER,
  type KubeadmConfig,
  type KubeadmControlPlane,
  type KubeadmControlPlaneStatus,
  Labels,
  type Machine,
} from '../../apis/cluster-api/index.js';
import { isPaused, ownerOfKind } from '../cluster-state.js';
import { Conditions, timestamp } from '../conditions.js';
import { scaledValue } from '../healthcheck/checks.js';
import { References } from '../templates.js';
import {
  controlPlaneSelector,
  createControlPlaneMachine,
  machineUpToDate,
  pickFailureDomain,
  pickMachineToDelete,
} from './machines.js';
import { controlPlaneStatus, machineReady } from './status.js';

export const KUBEADM_CONTROL_PLANE_CONTROLLER = 'kubeadmcontrolplane-controller';

const WAIT_MS = 5_000;

export function startKubeadmControlPlaneController(ctx: ControllerContext): RunningController {
  const logger: Logger = ctx.logger.child({ controller: KUBEADM_CONTROL_PLANE_CONTROLLER });
  const recorder = eventRecorder(ctx, KUBEADM_CONTROL_PLANE_CONTROLLER);
  const kcps = ctx.informers.informerFor<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const configs = ctx.informers.informerFor<KubeadmConfig>(clusterApiResources.kubeadmconfigs);
  const refs = new References(ctx.client as InProcessClient);
  const loop = reconcileLoop(ctx, { name: KUBEADM_CONTROL_PLANE_CONTROLLER, workers: 4, reconcile });

  function clusterOf(kcp: KubeadmControlPlane): Cluster | undefined {
    const namespace = kcp.metadata.namespace ?? '';
    const owner = ownerOfKind(kcp, CLUSTER_API_GROUP, 'Cluster');
    if (owner) return clusters.get(owner.name, namespace);
    // Until the Cluster controller sets itself as the owner, the Cluster that names this one.
    return clusters
      .list({ namespace })
      .find(
        (c) =>
          c.spec.controlPlaneRef?.kind === 'KubeadmControlPlane' &&
          c.spec.controlPlaneRef.name === kcp.metadata.name &&
          c.spec.controlPlaneRef.apiVersion?.startsWith(`${CONTROL_PLANE_GROUP}/`),
      );
  }

  function machinesOf(kcp: KubeadmControlPlane, cluster: Cluster): Machine[] {
    return machines
      .list({ namespace: kcp.metadata.namespace ?? '' })
      .filter(
        (m) =>
          m.metadata.labels?.[Labels.clusterName] === cluster.metadata.name &&
          m.metadata.labels?.[Labels.controlPlane] !== undefined &&
          (m.metadata.ownerReferences ?? []).some(
            (o) => o.kind === 'KubeadmControlPlane' && o.uid === kcp.metadata.uid,
          ),
      );
  }

  async function writeStatus(kcp: KubeadmControlPlane, status: KubeadmControlPlaneStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(kcp.status ?? {})) return;
    await updateStatus(ctx.client, clusterApiResources.kubeadmcontrolplanes, kcp, status);
  }

  async function patchFinalizers(kcp: KubeadmControlPlane, finalizers: string[]): Promise<void> {
    await ctx.client.patch(
      clusterApiResources.kubeadmcontrolplanes,
      kcp.metadata.name ?? '',
      { metadata: { resourceVersion: kcp.metadata.resourceVersion, finalizers } },
      'merge',
      { namespace: kcp.metadata.namespace },
    );
  }

  async function deleteMachine(m: Machine): Promise<void> {
    try {
      await ctx.client.delete(clusterApiResources.machines, m.metadata.name ?? '', {
        namespace: m.metadata.namespace,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function reconcileDelete(
    kcp: KubeadmControlPlane,
    cluster: Cluster | undefined,
  ): Promise<{ requeueAfter: number } | undefined> {
    if (!kcp.metadata.finalizers?.includes(KUBEADM_CONTROL_PLANE_FINALIZER)) return undefined;
    if (cluster) {
      const all = machines
        .list({ namespace: kcp.metadata.namespace ?? '' })
        .filter((m) => m.spec.clusterName === cluster.metadata.name);
      const workers = all.filter((m) => m.metadata.labels?.[Labels.controlPlane] === undefined);
      if (workers.length > 0) return { requeueAfter: WAIT_MS };
      const own = machinesOf(kcp, cluster);
      if (own.length > 0) {
        for (const m of own) if (!m.metadata.deletionTimestamp) await deleteMachine(m);
        return { requeueAfter: WAIT_MS };
      }
    }
    await patchFinalizers(
      kcp,
      (kcp.metadata.finalizers ?? []).filter((f) => f !== KUBEADM_CONTROL_PLANE_FINALIZER),
    );
    return undefined;
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const kcp = kcps.get(name, namespace);
    if (!kcp) return undefined;
    const cluster = clusterOf(kcp);
    if (kcp.metadata.deletionTimestamp) return reconcileDelete(kcp, cluster);
    if (!cluster || isPaused(cluster, kcp)) return undefined;
    if (!kcp.metadata.finalizers?.includes(KUBEADM_CONTROL_PLANE_FINALIZER)) {
      await patchFinalizers(kcp, [...(kcp.metadata.finalizers ?? []), KUBEADM_CONTROL_PLANE_FINALIZER]);
      return undefined;
    }

    const own = machinesOf(kcp, cluster);
    const live = own.filter((m) => !m.metadata.deletionTimestamp);
    const outdated = new Set(
      live
        .filter(
          (m) => !machineUpToDate(kcp, m, configs.get(m.metadata.name ?? '', namespace), ctx.now()).upToDate,
        )
        .map((m) => m.metadata.name ?? ''),
    );
    const initialized = kcp.status?.initialized === true || own.some((m) => m.status?.nodeRef);
    const selector = controlPlaneSelector(cluster.metadata.name ?? '');
    const status = (createFailure?: { reason: string; message: string }) =>
      controlPlaneStatus({
        kcp,
        machines: own,
        outdated,
        selector,
        initialized,
        now: ctx.now(),
        ...(createFailure ? { createFailure } : {}),
      });

    if (!cluster.status?.infrastructureReady) {
      await writeStatus(kcp, status());
      return undefined;
    }

    const result = await act();
    await writeStatus(kcp, status(result.failure));
    return result.failure ? { requeueAfter: WAIT_MS } : undefined;

    async function create(init: boolean): Promise<{ failure?: { reason: string; message: string } }> {
      try {
        const created = await createControlPlaneMachine(ctx.client, refs, {
          kcp: kcp as KubeadmControlPlane,
          cluster: cluster as Cluster,
          init,
          ...(() => {
            const fd = pickFailureDomain(cluster as Cluster, live);
            return fd ? { failureDomain: fd } : {};
          })(),
        });
        logger.info({ kcp: key, machine: created, init }, 'control plane Machine created');
        return {};
      } catch (err) {
        const message = `${(err as Error).message}`;
        const missing = isNotFound(err) || /no matches for kind/.test(message);
        recorder.event(
          kcp as KubeObject,
          'Warning',
          'FailedCreate',
          `creating a control plane Machine: ${message}`,
        );
        return {
          failure: {
            reason: missing
              ? ControlPlaneConditionReason.InfrastructureTemplateCloningFailed
              : ControlPlaneConditionReason.MachineGenerationFailed,
            message: missing
              ? `infrastructure template ${kcp?.spec.machineTemplate.infrastructureRef.kind}/${kcp?.spec.machineTemplate.infrastructureRef.name}: ${message}`
              : message,
          },
        };
      }
    }

    async function act(): Promise<{ failure?: { reason: string; message: string } }> {
      const k = kcp as KubeadmControlPlane;
      // One change at a time.
      if (own.some((m) => m.metadata.deletionTimestamp)) return {};

      const marked = live.filter((m) =>
        m.status?.conditions?.some((c) => c.type === ConditionType.OwnerRemediated && c.status === 'False'),
      );
      const victim = marked[0];
      if (victim && (!initialized || live.length > 1)) {
        await remediate(k, victim);
        return {};
      }

      const desired = k.spec.replicas ?? 1;
      if (live.length === 0) return create(true);
      if (!initialized) return {};
      if (live.some((m) => !machineReady(m))) return {};
      const surge = scaledValue(k.spec.rolloutStrategy?.rollingUpdate?.maxSurge ?? 1, desired, true);
      if (outdated.size > 0) {
        if (live.length < desired + surge) return create(false);
        const m = pickMachineToDelete(live, outdated);
        if (m) await deleteMachine(m);
        return {};
      }
      if (live.length < desired) return create(false);
      if (live.length > desired) {
        const m = pickMachineToDelete(live, outdated);
        if (m) await deleteMachine(m);
      }
      return {};
    }
  }

  async function remediate(kcp: KubeadmControlPlane, machine: Machine): Promise<void> {
    const retryCount =
      kcp.status?.lastRemediation && kcp.status.lastRemediation.machine !== machine.metadata.name
        ? kcp.status.lastRemediation.retryCount + 1
        : 0;
    const conditions = new Conditions(machine.status?.conditions, ctx.now()).markFalse(
      ConditionType.OwnerRemediated,
      ConditionReason.RemediationInProgress,
      'Warning',
    );
    await updateStatus(ctx.client, clusterApiResources.machines, machine, {
      ...machine.status,
      conditions: conditions.toArray(),
    });
    await deleteMachine(machine);
    recorder.event(
      kcp,
      'Normal',
      'ControlPlaneRemediation',
      `Machine ${machine.metadata.name} deleted: remediating an unhealthy control plane Machine`,
    );
    await updateStatus(ctx.client, clusterApiResources.kubeadmcontrolplanes, kcp, {
      ...kcp.status,
      lastRemediation: { machine: machine.metadata.name ?? '', timestamp: timestamp(ctx.now()), retryCount },
    });
  }

  function enqueueOwnerOf(m: Machine): void {
    const owner = ownerOfKind(m, CONTROL_PLANE_GROUP, 'KubeadmControlPlane');
    if (owner) loop.enqueue(`${m.metadata.namespace}/${owner.name}`);
  }

  const unregister = [
    kcps.addEventHandler(loop.objectHandler()),
    machines.addEventHandler({
      onAdd: enqueueOwnerOf,
      onUpdate: (_o, m) => enqueueOwnerOf(m),
      onDelete: enqueueOwnerOf,
    }),
    clusters.addEventHandler({
      onAdd: (c) => enqueueControlPlaneOf(c),
      onUpdate: (_o, c) => enqueueControlPlaneOf(c),
    }),
  ];

  function enqueueControlPlaneOf(c: Cluster): void {
    const ref = c.spec?.controlPlaneRef;
    if (ref?.kind === 'KubeadmControlPlane' && ref.name) loop.enqueue(`${c.metadata.namespace}/${ref.name}`);
  }

  return runController({
    name: KUBEADM_CONTROL_PLANE_CONTROLLER,
    controllers: [loop],
    informers: [kcps, machines, clusters, configs],
    unregister,
    recorder,
  });
}
