// The MachineHealthCheck controller, as Cluster API's: its targets are the Machines of its Cluster
// that its selector matches; each is judged (checks.ts) from the Machine and its Node in the
// workload cluster (read through the Cluster's kubeconfig Secret); status.expectedMachines,
// currentHealthy, remediationsAllowed and targets say the outcome. An unhealthy Machine gets
// HealthCheckSucceeded=False and, when remediation is allowed, OwnerRemediated=False: its owner
// (MachineSet or KubeadmControlPlane) then deletes and replaces it. Too many unhealthy at once
// short-circuits remediation (RemediationAllowed=False, TooManyUnhealthy). Node conditions are
// read again every few seconds and at the moment a timeout would expire.

import type { Logger } from 'pino';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import { fromLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject, Condition as NodeCondition } from '../../../machinery/object.js';
import {
  Annotations,
  CLUSTER_API_VERSION,
  type Cluster,
  ConditionReason,
  ConditionType,
  clusterApiResources,
  Labels,
  type Machine,
  type MachineHealthCheck,
  type MachineHealthCheckStatus,
} from '../../apis/cluster-api/index.js';
import { controlPlaneInitialized, isPaused } from '../cluster-state.js';
import { Conditions } from '../conditions.js';
import { WorkloadClusters } from '../remote.js';
import { checkTarget, remediationAllowed, type Target, type Verdict } from './checks.js';

export const MACHINE_HEALTH_CHECK_CONTROLLER = 'machinehealthcheck-controller';

export const EVENT_MACHINE_MARKED_UNHEALTHY = 'MachineMarkedUnhealthy';
export const EVENT_REMEDIATION_RESTRICTED = 'RemediationRestricted';

export interface MachineHealthCheckControllerOptions {
  /** How often Nodes are read again while a check has targets (default 5 s). */
  nodePollMs?: number;
  clusters?: WorkloadClusters;
}

type WorkloadNode = KubeObject & { status?: { conditions?: NodeCondition[] } };

export function startMachineHealthCheckController(
  ctx: ControllerContext,
  opts: MachineHealthCheckControllerOptions = {},
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: MACHINE_HEALTH_CHECK_CONTROLLER });
  const recorder = eventRecorder(ctx, MACHINE_HEALTH_CHECK_CONTROLLER);
  const checks = ctx.informers.informerFor<MachineHealthCheck>(clusterApiResources.machinehealthchecks);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const workload =
    opts.clusters ?? new WorkloadClusters(ctx.client, { userAgent: 'concord-hub/machinehealthcheck' });
  const pollMs = opts.nodePollMs ?? 5_000;
  const loop = reconcileLoop(ctx, { name: MACHINE_HEALTH_CHECK_CONTROLLER, workers: 4, reconcile });

  function targetsOf(mhc: MachineHealthCheck): Machine[] {
    let selector: ReturnType<typeof fromLabelSelector>;
    try {
      selector = fromLabelSelector(mhc.spec.selector);
    } catch {
      return [];
    }
    return machines
      .list({ namespace: mhc.metadata.namespace ?? '' })
      .filter(
        (m) =>
          !m.metadata.deletionTimestamp &&
          m.spec.clusterName === mhc.spec.clusterName &&
          m.metadata.labels?.[Labels.clusterName] === mhc.spec.clusterName &&
          selector.matches(m.metadata.labels ?? {}),
      );
  }

  async function nodesOf(
    cluster: Cluster,
    wanted: Machine[],
  ): Promise<Map<string, WorkloadNode> | undefined> {
    if (!wanted.some((m) => m.status?.nodeRef?.name)) return new Map();
    if (!controlPlaneInitialized(cluster)) return undefined;
    const remote = await workload.client(
      cluster.metadata.namespace ?? 'default',
      cluster.metadata.name ?? '',
    );
    const list = await remote.list<WorkloadNode>(resources.nodes);
    return new Map(list.items.map((n) => [n.metadata.name ?? '', n]));
  }

  async function writeMachine(
    check: string,
    machine: Machine,
    verdict: Verdict,
    remediate: boolean,
  ): Promise<void> {
    const apply = (current: Machine['status']) => {
      const conditions = new Conditions(current?.conditions, ctx.now());
      if (verdict.healthy) conditions.markTrue(ConditionType.HealthCheckSucceeded);
      else {
        conditions.markFalse(
          ConditionType.HealthCheckSucceeded,
          verdict.reason ?? '',
          'Warning',
          verdict.message ?? '',
        );
        const owner = conditions.get(ConditionType.OwnerRemediated);
        if (remediate && (!owner || owner.status === 'True')) {
          conditions.markFalse(
            ConditionType.OwnerRemediated,
            ConditionReason.WaitingForRemediation,
            'Warning',
          );
        }
      }
      return { ...current, conditions: conditions.toArray() };
    };
    const next = apply(machine.status);
    if (JSON.stringify(next.conditions) === JSON.stringify(machine.status?.conditions ?? [])) return;
    await updateStatus(ctx.client, clusterApiResources.machines, machine, next, (fresh) =>
      apply(fresh.status),
    );
    if (
      !verdict.healthy &&
      remediate &&
      !machine.status?.conditions?.some(
        (c) => c.type === ConditionType.OwnerRemediated && c.status === 'False',
      )
    ) {
      recorder.event(
        machine,
        'Normal',
        EVENT_MACHINE_MARKED_UNHEALTHY,
        `Machine ${machine.metadata.namespace}/${machine.metadata.name} has been marked as unhealthy by ${machine.metadata.namespace}/${check}`,
      );
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const mhc = checks.get(name, namespace);
    if (!mhc || mhc.metadata.deletionTimestamp) return undefined;
    const cluster = clusters.get(mhc.spec.clusterName, namespace);
    if (!cluster || isPaused(cluster, mhc)) return undefined;

    // The Cluster owns its health checks (they go with it), and they carry its name.
    const owners = mhc.metadata.ownerReferences ?? [];
    if (
      !owners.some((o) => o.kind === 'Cluster' && o.uid === cluster.metadata.uid) ||
      mhc.metadata.labels?.[Labels.clusterName] !== mhc.spec.clusterName
    ) {
      await ctx.client.patch(
        clusterApiResources.machinehealthchecks,
        name,
        {
          metadata: {
            resourceVersion: mhc.metadata.resourceVersion,
            labels: { ...mhc.metadata.labels, [Labels.clusterName]: mhc.spec.clusterName },
            ownerReferences: [
              ...owners.filter((o) => o.kind !== 'Cluster'),
              {
                apiVersion: CLUSTER_API_VERSION,
                kind: 'Cluster',
                name: cluster.metadata.name ?? '',
                uid: cluster.metadata.uid ?? '',
              },
            ],
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }

    const targets = targetsOf(mhc);
    const nodes = await nodesOf(cluster, targets);
    const now = ctx.now().getTime();
    const judged: { target: Target; verdict: Verdict }[] = targets.map((machine) => {
      const nodeName = machine.status?.nodeRef?.name;
      const node = nodeName ? nodes?.get(nodeName) : undefined;
      // Without a client (control plane not initialized) a Node cannot be missing: only judged by time.
      const target: Target = {
        machine,
        nodeMissing: !!nodeName && !!nodes && !node,
        ...(node ? { node } : {}),
      };
      if (nodeName && !nodes) return { target, verdict: { healthy: true } };
      return { target, verdict: checkTarget(mhc, cluster, target, now) };
    });
    const unhealthy = judged.filter((j) => !j.verdict.healthy);
    const decision = remediationAllowed(mhc, targets.length, unhealthy.length);

    for (const { target, verdict } of judged) {
      const skip =
        isPaused(cluster, target.machine) ||
        target.machine.metadata.annotations?.[Annotations.skipRemediation] !== undefined;
      await writeMachine(name, target.machine, verdict, decision.allowed && !skip);
    }

    const conditions = new Conditions(mhc.status?.conditions, ctx.now());
    if (decision.allowed) conditions.markTrue(ConditionType.RemediationAllowed);
    else {
      conditions.markFalse(
        ConditionType.RemediationAllowed,
        ConditionReason.TooManyUnhealthy,
        'Warning',
        decision.message ?? '',
      );
      if (
        unhealthy.length > 0 &&
        mhc.status?.conditions?.find((c) => c.type === ConditionType.RemediationAllowed)?.status !== 'False'
      ) {
        recorder.event(mhc, 'Warning', EVENT_REMEDIATION_RESTRICTED, decision.message ?? '');
      }
    }
    const status: MachineHealthCheckStatus = {
      ...mhc.status,
      expectedMachines: targets.length,
      currentHealthy: targets.length - unhealthy.length,
      remediationsAllowed: decision.remaining,
      targets: targets.map((m) => m.metadata.name ?? '').sort(),
      observedGeneration: mhc.metadata.generation,
      conditions: conditions.toArray(),
    };
    if (JSON.stringify(status) !== JSON.stringify(mhc.status ?? {})) {
      await updateStatus(ctx.client, clusterApiResources.machinehealthchecks, mhc, status);
    }
    const waits = judged
      .map((j) => j.verdict.nextCheckMs)
      .filter((n): n is number => n !== undefined && n > 0);
    if (targets.some((m) => m.status?.nodeRef)) waits.push(pollMs);
    if (waits.length === 0) return undefined;
    return { requeueAfter: Math.min(...waits) };
  }

  function enqueueChecksOf(m: Machine): void {
    for (const mhc of checks.list({ namespace: m.metadata.namespace ?? '' })) {
      if (mhc.spec.clusterName !== m.spec?.clusterName) continue;
      try {
        if (fromLabelSelector(mhc.spec.selector).matches(m.metadata.labels ?? {})) loop.enqueue(keyOf(mhc));
      } catch {
        // An invalid selector selects nothing.
      }
    }
  }

  const unregister = [
    checks.addEventHandler(loop.objectHandler()),
    machines.addEventHandler({
      onAdd: enqueueChecksOf,
      onUpdate: (old, m) => {
        enqueueChecksOf(old);
        enqueueChecksOf(m);
      },
      onDelete: enqueueChecksOf,
    }),
    clusters.addEventHandler({
      onAdd: (c) => enqueueChecksOfCluster(c),
      onUpdate: (_o, c) => enqueueChecksOfCluster(c),
    }),
  ];

  function enqueueChecksOfCluster(c: Cluster): void {
    for (const mhc of checks.list({ namespace: c.metadata.namespace ?? '' })) {
      if (mhc.spec.clusterName === c.metadata.name) loop.enqueue(keyOf(mhc));
    }
  }

  logger.debug('started');
  return runController({
    name: MACHINE_HEALTH_CHECK_CONTROLLER,
    controllers: [loop],
    informers: [checks, machines, clusters],
    unregister,
    recorder,
    onStop: () => {
      if (!opts.clusters) workload.close();
    },
  });
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
