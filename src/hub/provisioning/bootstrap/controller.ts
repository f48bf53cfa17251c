// The KubeadmConfig controller, as Cluster API's kubeadm bootstrap provider: once the Machine
// that owns a KubeadmConfig may bootstrap (its Cluster's infrastructure is ready; for any Machine
// but the first control plane one, the control plane is initialized), it writes the bootstrap
// data Secret `<config name>` (type cluster.x-k8s.io/secret, keys value and format) and sets
// status.ready, status.dataSecretName and the conditions DataSecretAvailable,
// CertificatesAvailable and Ready. The Machine controller reads dataSecretName from there.

import type { Logger } from 'pino';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists } from '../../../machinery/status.js';
import {
  BOOTSTRAP_API_VERSION,
  BootstrapConditionReason,
  BootstrapConditionType,
  CLUSTER_API_GROUP,
  type Cluster,
  ConditionReason,
  clusterApiResources,
  type KubeadmConfig,
  type KubeadmConfigStatus,
  Labels,
  type Machine,
} from '../../apis/cluster-api/index.js';
import { ofCluster } from '../cluster-index.js';
import { controlPlaneInitialized, infrastructureReady, isPaused, ownerOfKind } from '../cluster-state.js';
import { Conditions } from '../conditions.js';
import { type BootstrapRole, bootstrapData } from './data.js';
import { InitLock } from './lock.js';

export const KUBEADM_CONFIG_CONTROLLER = 'kubeadmconfig-controller';

/** The type of Cluster API's Secrets (bootstrap data, kubeconfig, certificates). */
export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';

/** How often a config waiting on something outside its watches looks again. */
const WAIT_MS = 5_000;

export function startKubeadmConfigController(ctx: ControllerContext): RunningController {
  const logger: Logger = ctx.logger.child({ controller: KUBEADM_CONFIG_CONTROLLER });
  const configs = ctx.informers.informerFor<KubeadmConfig>(clusterApiResources.kubeadmconfigs);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const lock = new InitLock(ctx.client);
  const loop = reconcileLoop(ctx, { name: KUBEADM_CONFIG_CONTROLLER, workers: 4, reconcile });

  function ownerMachine(config: KubeadmConfig): Machine | undefined {
    const owner = ownerOfKind(config, CLUSTER_API_GROUP, 'Machine');
    if (!owner) return undefined;
    const machine = machines.get(owner.name, config.metadata.namespace);
    return machine && machine.metadata.uid === owner.uid ? machine : undefined;
  }

  async function writeStatus(config: KubeadmConfig, status: KubeadmConfigStatus): Promise<void> {
    const next = { ...config.status, ...status, observedGeneration: config.metadata.generation };
    if (JSON.stringify(next) === JSON.stringify(config.status ?? {})) return;
    await updateStatus(ctx.client, clusterApiResources.kubeadmconfigs, config, next, (fresh) => ({
      ...fresh.status,
      ...status,
      observedGeneration: fresh.metadata.generation,
    }));
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const [namespace, name] = key.split('/') as [string, string];
    const config = configs.get(name, namespace);
    if (!config || config.metadata.deletionTimestamp) return undefined;
    // A config without its Machine yet waits: the Machine controller sets the owner reference.
    const machine = ownerMachine(config);
    if (!machine) return undefined;
    const cluster = clusters.get(machine.spec.clusterName, namespace);
    if (!cluster || isPaused(cluster, config)) return undefined;
    const conditions = new Conditions(config.status?.conditions, ctx.now());

    if (config.status?.ready && config.status.dataSecretName) {
      conditions.markTrue(BootstrapConditionType.DataSecretAvailable).summarize();
      await writeStatus(config, { conditions: conditions.toArray() });
      return undefined;
    }
    if (!infrastructureReady(cluster)) {
      conditions
        .markFalse(
          BootstrapConditionType.DataSecretAvailable,
          BootstrapConditionReason.WaitingForClusterInfrastructure,
          'Info',
        )
        .summarize();
      await writeStatus(config, { conditions: conditions.toArray() });
      return undefined;
    }

    const isControlPlane = machine.metadata.labels?.[Labels.controlPlane] !== undefined;
    let role: BootstrapRole;
    if (!controlPlaneInitialized(cluster)) {
      const canInit =
        isControlPlane &&
        (config.spec?.initConfiguration !== undefined || config.spec?.clusterConfiguration !== undefined);
      if (!canInit) {
        conditions
          .markFalse(
            BootstrapConditionType.DataSecretAvailable,
            ConditionReason.WaitingForControlPlaneAvailable,
            'Info',
          )
          .summarize();
        await writeStatus(config, { conditions: conditions.toArray() });
        return undefined;
      }
      const held = await lock.acquire(
        cluster,
        machine.metadata.name ?? '',
        (m) => !!machines.get(m, namespace),
      );
      if (!held) {
        logger.debug({ config: key }, 'another control plane Machine is initializing the cluster');
        return { requeueAfter: WAIT_MS };
      }
      role = 'init';
    } else {
      role = isControlPlane ? 'join-control-plane' : 'join-worker';
    }

    // Certificates: the simulated cluster's own CA stands for the cluster's certificates, so
    // there is nothing to generate; the condition says they are there, as the contract wants.
    conditions.markTrue(BootstrapConditionType.CertificatesAvailable);
    const endpoint = cluster.spec.controlPlaneEndpoint;
    const secretName = name;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName,
        namespace,
        labels: { [Labels.clusterName]: cluster.metadata.name ?? '' },
        ownerReferences: [
          {
            apiVersion: BOOTSTRAP_API_VERSION,
            kind: 'KubeadmConfig',
            name,
            uid: config.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
      type: CLUSTER_SECRET_TYPE,
      stringData: {
        value: bootstrapData({
          role,
          spec: config.spec ?? {},
          clusterName: cluster.metadata.name ?? '',
          ...(endpoint?.host ? { controlPlaneEndpoint: `${endpoint.host}:${endpoint.port ?? 6443}` } : {}),
          ...(machine.spec.version ? { version: machine.spec.version } : {}),
        }),
        format: config.spec?.format ?? 'cloud-config',
      },
    } as KubeObject;
    try {
      await ctx.client.create(resources.secrets, secret, { namespace });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        conditions
          .markFalse(
            BootstrapConditionType.DataSecretAvailable,
            BootstrapConditionReason.DataSecretGenerationFailed,
            'Warning',
            (err as Error).message,
          )
          .summarize();
        await writeStatus(config, { conditions: conditions.toArray() });
        throw err;
      }
    }
    if (role !== 'init') await lock.release(cluster);
    conditions.markTrue(BootstrapConditionType.DataSecretAvailable).summarize();
    await writeStatus(config, { ready: true, dataSecretName: secretName, conditions: conditions.toArray() });
    logger.info({ config: key, role }, 'bootstrap data written');
    return undefined;
  }

  const unregister = [
    configs.addEventHandler(loop.objectHandler()),
    machines.addEventHandler({
      onAdd: (m) => enqueueConfigOf(m),
      onUpdate: (_o, m) => enqueueConfigOf(m),
    }),
    clusters.addEventHandler({
      onAdd: (c) => enqueueConfigsOfCluster(c),
      onUpdate: (_o, c) => enqueueConfigsOfCluster(c),
    }),
  ];

  function enqueueConfigOf(m: Machine): void {
    const ref = m.spec?.bootstrap?.configRef;
    if (ref?.kind === 'KubeadmConfig' && ref.name) loop.enqueue(`${m.metadata.namespace}/${ref.name}`);
  }

  function enqueueConfigsOfCluster(c: Cluster): void {
    for (const m of ofCluster(machines, c.metadata.namespace ?? '', c.metadata.name ?? ''))
      enqueueConfigOf(m);
  }

  return runController({
    name: KUBEADM_CONFIG_CONTROLLER,
    controllers: [loop],
    informers: [configs, machines, clusters],
    unregister,
  });
}
