// The Machine controller, as Cluster API's: it gives a Machine its Cluster's label, owner and the
// finalizer machine.cluster.x-k8s.io, then walks it through bootstrap, infrastructure and node
// (phases.ts) and writes the phase and conditions (status.ts). A deleted Machine lets its infra
// machine and bootstrap config go before its finalizer.

import type { Logger } from 'pino';
import type { Informer } from '../../../client/informer.js';
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
  clusterApiResources,
  Finalizers,
  Labels,
  type Machine,
  type MachineStatus,
} from '../../apis/cluster-api/index.js';
import { infrastructureResources } from '../../apis/infrastructure/index.js';
import { ofCluster } from '../cluster-index.js';
import { isPaused } from '../cluster-state.js';
import { timestamp } from '../conditions.js';
import { ExternalObjects } from '../external.js';
import { WorkloadNodes } from '../workload-nodes.js';
import {
  type MachineScope,
  reconcileBootstrap,
  reconcileDelete,
  reconcileInfrastructure,
  reconcileNode,
} from './phases.js';
import { machinePhase, withConditions } from './status.js';

export const MACHINE_CONTROLLER = 'machine-controller';

/**
 * How long a Machine whose infrastructure has just become ready waits for its Node before it is
 * written Provisioned: the workload cluster's watch usually brings the Node within moments, and
 * the Machine then goes from Provisioning to Running in one write instead of two.
 */
const NODE_WAIT_MS = 1000;
const NODE_WAIT_STEP_MS = 200;

export function startMachineController(ctx: ControllerContext): RunningController {
  const logger: Logger = ctx.logger.child({ controller: MACHINE_CONTROLLER });
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const loop = reconcileLoop(ctx, {
    name: MACHINE_CONTROLLER,
    workers: 8,
    reconcile: (key) => reconcile(key),
  });
  const external = new ExternalObjects(ctx, 'Machine', (key) => loop.enqueue(key));
  const workload = new WorkloadNodes(ctx, (clusterKey, node) => {
    for (const key of machinesOfNode(machines, clusterKey, node.spec?.providerID)) loop.enqueue(key);
  });
  external.watch([infrastructureResources.localmachines, infrastructureResources.dockermachines]);
  /** Machines waiting for their Node before being written Provisioned: since when. */
  const waitingForNode = new Map<string, number>();

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!machines.hasSynced() || !clusters.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', name = ''] = key.split('/');
    const machine = machines.get(name, namespace);
    if (!machine) {
      waitingForNode.delete(key);
      return undefined;
    }
    if (
      !external.synced(machine.spec.infrastructureRef) ||
      !external.synced(machine.spec.bootstrap?.configRef)
    ) {
      return { requeueAfter: 100 };
    }
    const cluster = clusters.get(machine.spec.clusterName, namespace);
    const deleting = machine.metadata.deletionTimestamp !== undefined;
    if (!deleting) {
      if (!cluster) return undefined; // Cluster API waits for the Cluster; its creation enqueues us.
      if (isPaused(cluster, machine)) return undefined;
      if (await ensureMetadata(machine, cluster)) return undefined;
    } else if (!machine.metadata.finalizers?.includes(Finalizers.machine)) {
      return undefined;
    }
    const scope: MachineScope = {
      machine,
      status: { ...(machine.status ?? {}) },
      specPatch: {},
      conditions: [],
      now: timestamp(ctx.now()),
    };
    delete scope.status.conditions;
    if (deleting) {
      const gone = await reconcileDelete(scope, external, ctx.client);
      await writeStatus(scope);
      if (!gone) return undefined; // the infra machine's or config's deletion enqueues us
      await ctx.client.patch(
        clusterApiResources.machines,
        name,
        {
          metadata: {
            resourceVersion: machines.get(name, namespace)?.metadata.resourceVersion,
            finalizers: (machine.metadata.finalizers ?? []).filter((f) => f !== Finalizers.machine),
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }
    await reconcileBootstrap(scope, external);
    await reconcileInfrastructure(scope, external);
    reconcileNode(scope, workload);
    let current: Machine = machine;
    if (Object.keys(scope.specPatch).length > 0) {
      current = await ctx.client.patch<Machine>(
        clusterApiResources.machines,
        name,
        { spec: scope.specPatch },
        'merge',
        {
          namespace,
        },
      );
    }
    scope.machine = current;
    if (waitForNode(key, scope)) return { requeueAfter: NODE_WAIT_STEP_MS };
    await writeStatus(scope);
    return scope.requeueAfter ? { requeueAfter: scope.requeueAfter } : undefined;
  }

  /** True while the Machine's infrastructure has just become ready and its Node is not known yet. */
  function waitForNode(key: string, scope: MachineScope): boolean {
    const becomesProvisioned =
      scope.status.infrastructureReady === true &&
      scope.machine.status?.infrastructureReady !== true &&
      !scope.status.nodeRef;
    if (!becomesProvisioned) {
      waitingForNode.delete(key);
      return false;
    }
    const now = Date.now();
    const since = waitingForNode.get(key) ?? now;
    if (now - since >= NODE_WAIT_MS) {
      waitingForNode.delete(key);
      return false;
    }
    waitingForNode.set(key, since);
    return true;
  }

  /** Label, owner and finalizer, in one patch; true when one was written (the update enqueues us). */
  async function ensureMetadata(machine: Machine, cluster: Cluster): Promise<boolean> {
    const labels = machine.metadata.labels ?? {};
    const finalizers = machine.metadata.finalizers ?? [];
    const owners = machine.metadata.ownerReferences ?? [];
    const needsLabel = labels[Labels.clusterName] !== cluster.metadata.name;
    const needsFinalizer = !finalizers.includes(Finalizers.machine);
    // A Machine nobody owns is adopted by its Cluster (not as controller), as Cluster API does.
    const needsOwner = owners.length === 0;
    if (!needsLabel && !needsFinalizer && !needsOwner) return false;
    await ctx.client.patch(
      clusterApiResources.machines,
      machine.metadata.name ?? '',
      {
        metadata: {
          resourceVersion: machine.metadata.resourceVersion,
          ...(needsLabel ? { labels: { ...labels, [Labels.clusterName]: cluster.metadata.name } } : {}),
          ...(needsFinalizer ? { finalizers: [...finalizers, Finalizers.machine] } : {}),
          ...(needsOwner
            ? {
                ownerReferences: [
                  {
                    apiVersion: cluster.apiVersion,
                    kind: 'Cluster',
                    name: cluster.metadata.name ?? '',
                    uid: cluster.metadata.uid ?? '',
                  },
                ],
              }
            : {}),
        },
      },
      'merge',
      { namespace: machine.metadata.namespace },
    );
    return true;
  }

  async function writeStatus(scope: MachineScope): Promise<void> {
    const { machine } = scope;
    const next: MachineStatus = { ...scope.status, observedGeneration: machine.metadata.generation ?? 1 };
    const phase = machinePhase(machine, next);
    const status = withConditions(machine.status, next, scope.conditions, phase, scope.now);
    if (canonicalJson(status) === canonicalJson(machine.status ?? {})) return;
    await updateStatus(ctx.client, clusterApiResources.machines, machine, status);
  }

  machines.addEventHandler(loop.objectHandler());
  clusters.addEventHandler({
    onDelete: (c) => workload.drop(`${c.metadata.namespace}/${c.metadata.name}`),
    onAdd: (c) => enqueueClusterMachines(c),
    onUpdate: (old, c) => {
      // A Cluster being deleted is about to lose its workload cluster: stop watching it.
      if (c.metadata.deletionTimestamp) workload.drop(`${c.metadata.namespace}/${c.metadata.name}`);
      if (
        old.spec.paused !== c.spec.paused ||
        old.status?.infrastructureReady !== c.status?.infrastructureReady ||
        old.status?.controlPlaneReady !== c.status?.controlPlaneReady
      ) {
        enqueueClusterMachines(c);
      }
    },
  });
  workload.secretInformer.addEventHandler({
    onAdd: (s) => enqueueBySecret(s),
    onUpdate: (_o, s) => enqueueBySecret(s),
  });

  function enqueueBySecret(secret: KubeObject): void {
    const cluster = secret.metadata.labels?.[Labels.clusterName];
    if (cluster) enqueueClusterMachinesByName(secret.metadata.namespace ?? '', cluster);
  }

  function enqueueClusterMachines(c: Cluster): void {
    enqueueClusterMachinesByName(c.metadata.namespace ?? '', c.metadata.name ?? '');
  }

  function enqueueClusterMachinesByName(namespace: string, cluster: string): void {
    for (const m of ofCluster(machines, namespace, cluster)) loop.enqueue(`${namespace}/${m.metadata.name}`);
  }

  loop.start();
  logger.debug('started');
  return {
    name: MACHINE_CONTROLLER,
    async stop() {
      await loop.stop();
      workload.stop();
    },
  };
}

/** The keys of the Machines of a workload cluster that a Node change concerns. */
function machinesOfNode(
  machines: Informer<Machine>,
  clusterKey: string,
  providerID: string | undefined,
): string[] {
  const [namespace = '', cluster = ''] = clusterKey.split('/');
  return ofCluster(machines, namespace, cluster)
    .filter((m) => !providerID || m.spec.providerID === providerID)
    .map((m) => `${namespace}/${m.metadata.name}`);
}
