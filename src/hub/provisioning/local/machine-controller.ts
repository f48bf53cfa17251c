// The local provider's machine controller, for LocalMachine and the Docker provider's
// DockerMachine: once its Machine owns it, the Cluster's infrastructure is ready and the Machine
// has bootstrap data, it sets its finalizer and spec.providerID (one write), makes a Node in the
// Cluster's simulated cluster (that providerID, the Machine's version as kubeletVersion, the
// instance type's capacity, a zone), then sets status.ready and status.addresses. Deleting it
// removes the Node.

import type { ResourceRef } from '../../../client/client.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { updateStatus } from '../../../controller/status.js';
import { canonicalJson } from '../../../machinery/hash.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import { type NodeShape, nodeShape } from '../../../sim/kubelet/node-template.js';
import {
  CLUSTER_API_GROUP,
  type Cluster,
  type Condition,
  clusterApiResources,
  type Machine,
  type MachineAddress,
} from '../../apis/cluster-api/index.js';
import {
  DEFAULT_INSTANCE_TYPE,
  DockerConditionReason,
  DockerConditionType,
  DockerFinalizers,
  infrastructureResources,
  LocalConditionReason,
  LocalConditionType,
  LocalFinalizers,
  type LocalMachineSpec,
  PROVIDER_ID_SCHEME,
} from '../../apis/infrastructure/index.js';
import { isPaused, ownerOfKind } from '../cluster-state.js';
import { falseCondition, setCondition, summary, timestamp, trueCondition } from '../conditions.js';
import { clusterNameOf, fleetName } from '../names.js';
import { kubeadmConfigName, nodeRegistration } from './node-registration.js';
import type { LocalSims } from './sims.js';

interface Flavour {
  resource: ResourceRef;
  finalizer: string;
  /** The condition that says the node is there. */
  nodeCondition: string;
  /** Further conditions set True with it (the Docker provider's bootstrap step). */
  alsoTrue: string[];
  waitingForCluster: string;
  waitingForBootstrap: string;
  shape(obj: KubeObject): NodeShape;
  labels(obj: KubeObject): Record<string, string>;
  /** Whether status.failureDomain is part of the kind. */
  reportsFailureDomain: boolean;
}

const FLAVOURS: Flavour[] = [
  {
    resource: infrastructureResources.localmachines,
    finalizer: LocalFinalizers.machine,
    nodeCondition: LocalConditionType.NodeProvisioned,
    alsoTrue: [],
    waitingForCluster: LocalConditionReason.WaitingForCluster,
    waitingForBootstrap: LocalConditionReason.WaitingForBootstrapData,
    shape: (obj) => {
      const spec = (obj.spec ?? {}) as LocalMachineSpec;
      const base = nodeShape(spec.instanceType ?? DEFAULT_INSTANCE_TYPE);
      return spec.gpus === undefined ? base : { ...base, gpus: spec.gpus };
    },
    labels: (obj) => ((obj.spec ?? {}) as LocalMachineSpec).nodeLabels ?? {},
    reportsFailureDomain: true,
  },
  {
    resource: infrastructureResources.dockermachines,
    finalizer: DockerFinalizers.machine,
    nodeCondition: DockerConditionType.ContainerProvisioned,
    alsoTrue: [DockerConditionType.BootstrapExecSucceeded],
    waitingForCluster: DockerConditionReason.WaitingForClusterInfrastructure,
    waitingForBootstrap: DockerConditionReason.WaitingForBootstrapData,
    shape: () => nodeShape(DEFAULT_INSTANCE_TYPE),
    labels: () => ({}),
    reportsFailureDomain: false,
  },
];

const BY_CLUSTER = 'local.clusterName';
function byClusterName(obj: KubeObject): string[] {
  const cluster = clusterNameOf(obj);
  return cluster ? [`${obj.metadata.namespace ?? ''}/${cluster}`] : [];
}

/** The providerID of a machine's node. */
export function localProviderID(namespace: string, cluster: string, machine: string): string {
  return `${PROVIDER_ID_SCHEME}${namespace}/${cluster}/${machine}`;
}

export function startLocalMachineControllers(ctx: ControllerContext, sims: LocalSims): RunningController[] {
  return FLAVOURS.map((f) => startFlavour(ctx, sims, f));
}

function startFlavour(ctx: ControllerContext, sims: LocalSims, flavour: Flavour): RunningController {
  const name = `${flavour.resource.kind.toLowerCase()}-controller`;
  const infra = ctx.informers.informerFor<KubeObject>(flavour.resource);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const loop = reconcileLoop(ctx, { name, workers: 8, reconcile: (key) => reconcile(key) });
  // A Cluster's infra machines by "namespace/cluster": a Cluster's change reads its own few
  // instead of walking every infra machine of the namespace.
  infra.addIndexers({ [BY_CLUSTER]: byClusterName });

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!infra.hasSynced() || !machines.hasSynced() || !clusters.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', objName = ''] = key.split('/');
    const obj = infra.get(objName, namespace);
    if (!obj) return undefined;
    const owner = ownerOfKind(obj, CLUSTER_API_GROUP, 'Machine');
    const machine = owner ? machines.get(owner.name, namespace) : undefined;
    const clusterName = machine?.spec.clusterName ?? clusterNameOf(obj);
    const cluster = clusterName ? clusters.get(clusterName, namespace) : undefined;
    const simName = fleetName(namespace, clusterName ?? '');
    const nodeName = machine?.metadata.name ?? objName;
    if (obj.metadata.deletionTimestamp) {
      if (!obj.metadata.finalizers?.includes(flavour.finalizer)) return undefined;
      const sim = clusterName ? await sims.running(simName) : undefined;
      if (sim?.kubelet.nodeState(nodeName)) await sim.kubelet.removeNode(nodeName);
      await patchFinalizers(
        obj,
        (obj.metadata.finalizers ?? []).filter((f) => f !== flavour.finalizer),
      );
      return undefined;
    }
    if (!owner || !machine || !cluster || isPaused(cluster, obj)) return undefined;
    const now = timestamp(ctx.now());
    if (!cluster.status?.infrastructureReady) {
      await writeStatus(obj, {
        ready: false,
        condition: falseCondition(
          flavour.nodeCondition,
          flavour.waitingForCluster,
          'Info',
          'waiting for the cluster infrastructure to be ready',
          now,
        ),
      });
      return undefined;
    }
    if (machine.spec.bootstrap?.dataSecretName === undefined) {
      await writeStatus(obj, {
        ready: false,
        condition: falseCondition(
          flavour.nodeCondition,
          flavour.waitingForBootstrap,
          'Info',
          'waiting for the bootstrap data secret',
          now,
        ),
      });
      return undefined;
    }
    // The simulated cluster is started by the cluster's infrastructure (again after a restart).
    const sim = await sims.running(simName);
    if (!sim) return { requeueAfter: 250 };
    const providerID = localProviderID(namespace, clusterName ?? '', nodeName);
    let current = obj;
    // The finalizer is in place before the node exists (so that deleting the machine removes
    // it), written with the providerID the node is about to get: one write instead of two.
    const hasFinalizer = obj.metadata.finalizers?.includes(flavour.finalizer) ?? false;
    if (!hasFinalizer || (obj.spec as { providerID?: string } | undefined)?.providerID !== providerID) {
      current = await ctx.client.patch(
        flavour.resource,
        objName,
        {
          ...(hasFinalizer
            ? {}
            : {
                metadata: {
                  resourceVersion: obj.metadata.resourceVersion,
                  finalizers: [...(obj.metadata.finalizers ?? []), flavour.finalizer],
                },
              }),
          spec: { providerID },
        },
        'merge',
        { namespace },
      );
    }
    let state = sim.kubelet.nodeState(nodeName);
    if (!state) {
      const zones = sim.kubelet.nodeNames().map((n) => sim.kubelet.nodeState(n)?.zone);
      const known = Object.keys(cluster.status?.failureDomains ?? {});
      const wanted = machine.spec.failureDomain;
      const zone =
        wanted && (known.length === 0 || known.includes(wanted)) ? wanted : leastUsed(known, zones);
      const registration = nodeRegistration(machine, await bootstrapConfig(machine, namespace));
      await sim.kubelet.addNode({
        name: nodeName,
        shape: flavour.shape(obj),
        labels: { ...registration.labels, ...flavour.labels(obj) },
        ...(registration.taints.length > 0 ? { taints: registration.taints } : {}),
        providerID,
        ...(zone ? { zone } : {}),
        ...(machine.spec.version ? { kubeletVersion: machine.spec.version } : {}),
      });
      state = sim.kubelet.nodeState(nodeName);
    }
    const addresses: MachineAddress[] = [
      { type: 'InternalIP', address: state?.internalIP ?? '' },
      { type: 'Hostname', address: nodeName },
    ];
    await writeStatus(current, {
      ready: true,
      addresses,
      ...(flavour.reportsFailureDomain && state ? { failureDomain: state.zone } : {}),
      condition: trueCondition(flavour.nodeCondition, now),
    });
    return undefined;
  }

  /** The Machine's KubeadmConfig, read once as its node registers (none for other bootstraps). */
  async function bootstrapConfig(machine: Machine, namespace: string): Promise<KubeObject | undefined> {
    const name = kubeadmConfigName(machine);
    if (!name) return undefined;
    return ctx.client.get(clusterApiResources.kubeadmconfigs, name, { namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
  }

  function leastUsed(known: string[], used: (string | undefined)[]): string | undefined {
    if (known.length === 0) return undefined;
    let best = known[0]!;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const z of known) {
      const count = used.filter((u) => u === z).length;
      if (count < bestCount) {
        best = z;
        bestCount = count;
      }
    }
    return best;
  }

  async function patchFinalizers(obj: KubeObject, finalizers: string[]): Promise<void> {
    await ctx.client.patch(
      flavour.resource,
      obj.metadata.name ?? '',
      { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } },
      'merge',
      { namespace: obj.metadata.namespace },
    );
  }

  async function writeStatus(
    obj: KubeObject,
    next: { ready: boolean; addresses?: MachineAddress[]; failureDomain?: string; condition: Condition },
  ): Promise<void> {
    const status = (obj.status ?? {}) as Record<string, unknown> & { conditions?: Condition[] };
    const now = timestamp(ctx.now());
    let conditions = setCondition(status.conditions, next.condition);
    if (next.condition.status === 'True') {
      for (const t of flavour.alsoTrue) conditions = setCondition(conditions, trueCondition(t, now));
    }
    conditions = setCondition(
      conditions,
      summary(conditions, [flavour.nodeCondition, ...flavour.alsoTrue], now),
    );
    const wanted = {
      ...status,
      ready: next.ready,
      ...(next.addresses ? { addresses: next.addresses } : {}),
      ...(next.failureDomain ? { failureDomain: next.failureDomain } : {}),
      conditions,
    };
    if (canonicalJson(wanted) === canonicalJson(status)) return;
    await updateStatus(ctx.client, flavour.resource, obj, wanted);
  }

  infra.addEventHandler(loop.objectHandler());
  // The Machine's bootstrap data and the Cluster's infrastructure gate the node.
  machines.addEventHandler({
    onUpdate: (_old, m) => {
      const ref = m.spec.infrastructureRef;
      if (ref?.kind === flavour.resource.kind && ref.name)
        loop.enqueue(`${m.metadata.namespace}/${ref.name}`);
    },
  });
  clusters.addEventHandler({
    onUpdate: (old, c) => {
      if (old.status?.infrastructureReady === c.status?.infrastructureReady) return;
      for (const o of infra.byIndex(BY_CLUSTER, `${c.metadata.namespace}/${c.metadata.name}`)) {
        loop.enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
      }
    },
  });
  loop.start();
  return { name, stop: () => loop.stop() };
}
