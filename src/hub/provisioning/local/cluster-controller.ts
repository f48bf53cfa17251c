// The local provider's cluster controller, for LocalCluster and for the Docker provider's
// DockerCluster alike: once the Cluster owns it, it starts a simulated cluster (its own API
// server on 127.0.0.1, its own port), sets spec.controlPlaneEndpoint, status.ready and
// status.failureDomains (the zones), and writes the Cluster's kubeconfig Secret in Cluster API's
// format. Deleting it stops the simulated cluster and removes its state.

import type { ResourceRef } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { updateStatus } from '../../../controller/status.js';
import { canonicalJson } from '../../../machinery/hash.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  CLUSTER_API_GROUP,
  type Cluster,
  type Condition,
  clusterApiResources,
  type FailureDomains,
  Labels,
} from '../../apis/cluster-api/index.js';
import {
  DEFAULT_REGION,
  DockerConditionType,
  DockerFinalizers,
  defaultZones,
  infrastructureResources,
  LocalConditionReason,
  LocalConditionType,
  LocalFinalizers,
} from '../../apis/infrastructure/index.js';
import { isPaused, ownerOfKind } from '../cluster-state.js';
import { falseCondition, setCondition, summary, timestamp, trueCondition } from '../conditions.js';
import { CLUSTER_SECRET_TYPE, fleetName, KUBECONFIG_SECRET_KEY } from '../names.js';
import { kubeconfigSecretName } from '../remote.js';
import type { LocalSims } from './sims.js';

export const LOCAL_CLUSTER_CONTROLLER = 'localcluster-controller';

/** What differs between the kinds the provider fulfils. */
interface Flavour {
  resource: ResourceRef;
  finalizer: string;
  /** The condition that says the API server runs. */
  endpointCondition: string;
  region(obj: KubeObject, cluster: Cluster): string;
  zones(obj: KubeObject, region: string): string[];
  /** status.failureDomains: the zones, each allowed to hold control plane machines unless said otherwise. */
  failureDomains(obj: KubeObject, zones: string[]): FailureDomains;
}

const allControlPlane = (_obj: KubeObject, zones: string[]): FailureDomains =>
  Object.fromEntries(zones.map((z) => [z, { controlPlane: true }]));

const REGION_LABEL = 'topology.kubernetes.io/region';

const FLAVOURS: Flavour[] = [
  {
    resource: infrastructureResources.localclusters,
    finalizer: LocalFinalizers.cluster,
    endpointCondition: LocalConditionType.ControlPlaneEndpointReady,
    region: (obj) => (obj.spec as { region?: string } | undefined)?.region || DEFAULT_REGION,
    zones: (obj, region) => (obj.spec as { zones?: string[] } | undefined)?.zones ?? defaultZones(region),
    failureDomains: allControlPlane,
  },
  {
    resource: infrastructureResources.dockerclusters,
    finalizer: DockerFinalizers.cluster,
    endpointCondition: DockerConditionType.LoadBalancerAvailable,
    region: (_obj, cluster) => cluster.metadata.labels?.[REGION_LABEL] || DEFAULT_REGION,
    zones: (obj, region) => {
      const domains = (obj.spec as { failureDomains?: FailureDomains } | undefined)?.failureDomains;
      return domains && Object.keys(domains).length > 0 ? Object.keys(domains) : defaultZones(region);
    },
    // The Docker provider reports the failure domains its spec declares, as they are.
    failureDomains: (obj, zones) =>
      (obj.spec as { failureDomains?: FailureDomains } | undefined)?.failureDomains ??
      allControlPlane(obj, zones),
  },
];

export function startLocalClusterControllers(ctx: ControllerContext, sims: LocalSims): RunningController[] {
  return FLAVOURS.map((f) => startFlavour(ctx, sims, f));
}

function startFlavour(ctx: ControllerContext, sims: LocalSims, flavour: Flavour): RunningController {
  const name = `${flavour.resource.kind.toLowerCase()}-controller`;
  const infra = ctx.informers.informerFor<KubeObject>(flavour.resource);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const loop = reconcileLoop(ctx, { name, workers: 8, reconcile: (key) => reconcile(key) });

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!infra.hasSynced() || !clusters.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', objName = ''] = key.split('/');
    const obj = infra.get(objName, namespace);
    if (!obj) return undefined;
    const owner = ownerOfKind(obj, CLUSTER_API_GROUP, 'Cluster');
    const cluster = owner ? clusters.get(owner.name, namespace) : undefined;
    const simName = fleetName(namespace, owner?.name ?? objName);
    if (obj.metadata.deletionTimestamp) {
      await remove(obj, simName, owner?.name);
      return undefined;
    }
    // As Cluster API's providers: nothing happens until the Cluster has taken the object on.
    if (!owner || !cluster || isPaused(cluster, obj)) return undefined;
    if (!obj.metadata.finalizers?.includes(flavour.finalizer)) {
      await ctx.client.patch(
        flavour.resource,
        objName,
        {
          metadata: {
            resourceVersion: obj.metadata.resourceVersion,
            finalizers: [...(obj.metadata.finalizers ?? []), flavour.finalizer],
          },
        },
        'merge',
        { namespace },
      );
      return undefined;
    }
    const region = flavour.region(obj, cluster);
    const zones = flavour.zones(obj, region);
    const now = timestamp(ctx.now());
    let sim: Awaited<ReturnType<LocalSims['ensure']>>;
    try {
      sim = await sims.ensure({ name: simName, region, zones });
    } catch (err) {
      const message = `the simulated cluster ${simName} did not start: ${(err as Error).message}`;
      await writeStatus(obj, {
        ready: false,
        condition: falseCondition(
          flavour.endpointCondition,
          LocalConditionReason.StartFailed,
          'Error',
          message,
          now,
        ),
      });
      throw err;
    }
    await writeKubeconfig(cluster, sim.kubeconfig);
    const endpoint = { host: '127.0.0.1', port: sim.port };
    const spec = (obj.spec ?? {}) as { controlPlaneEndpoint?: { host?: string; port?: number } };
    let current = obj;
    if (
      spec.controlPlaneEndpoint?.host !== endpoint.host ||
      spec.controlPlaneEndpoint?.port !== endpoint.port
    ) {
      current = await ctx.client.patch(
        flavour.resource,
        objName,
        { spec: { controlPlaneEndpoint: endpoint } },
        'merge',
        { namespace },
      );
    }
    const failureDomains = flavour.failureDomains(obj, zones);
    await writeStatus(current, {
      ready: true,
      failureDomains,
      condition: trueCondition(flavour.endpointCondition, now),
    });
    return undefined;
  }

  async function writeStatus(
    obj: KubeObject,
    next: { ready: boolean; failureDomains?: FailureDomains; condition: Condition },
  ): Promise<void> {
    const status = (obj.status ?? {}) as {
      ready?: boolean;
      failureDomains?: FailureDomains;
      conditions?: Condition[];
    };
    const now = timestamp(ctx.now());
    let conditions = setCondition(status.conditions, next.condition);
    conditions = setCondition(conditions, summary(conditions, [flavour.endpointCondition], now));
    const wanted = {
      ...status,
      ready: next.ready,
      ...(next.failureDomains ? { failureDomains: next.failureDomains } : {}),
      conditions,
    };
    if (canonicalJson(wanted) === canonicalJson(status)) return;
    await updateStatus(ctx.client, flavour.resource, obj, wanted);
  }

  async function writeKubeconfig(cluster: Cluster, kubeconfig: string): Promise<void> {
    const namespace = cluster.metadata.namespace ?? 'default';
    const clusterName = cluster.metadata.name ?? '';
    const secretName = kubeconfigSecretName(clusterName);
    const value = Buffer.from(kubeconfig, 'utf8').toString('base64');
    let existing: KubeObject | undefined;
    try {
      existing = await ctx.client.get(resources.secrets, secretName, { namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const data = (existing?.data ?? {}) as Record<string, string>;
    if (existing && data[KUBECONFIG_SECRET_KEY] === value) return;
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName,
        namespace,
        labels: { [Labels.clusterName]: clusterName },
        ownerReferences: [
          {
            apiVersion: cluster.apiVersion,
            kind: 'Cluster',
            name: clusterName,
            uid: cluster.metadata.uid ?? '',
            controller: true,
          },
        ],
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      type: CLUSTER_SECRET_TYPE,
      data: { ...data, [KUBECONFIG_SECRET_KEY]: value },
    };
    if (existing) await ctx.client.update(resources.secrets, secret, { namespace });
    else await ctx.client.create(resources.secrets, secret, { namespace });
  }

  async function remove(obj: KubeObject, simName: string, clusterName: string | undefined): Promise<void> {
    if (!obj.metadata.finalizers?.includes(flavour.finalizer)) return;
    await sims.remove(simName);
    if (clusterName) {
      await ctx.client
        .delete(resources.secrets, kubeconfigSecretName(clusterName), { namespace: obj.metadata.namespace })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
    await ctx.client.patch(
      flavour.resource,
      obj.metadata.name ?? '',
      {
        metadata: {
          resourceVersion: obj.metadata.resourceVersion,
          finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== flavour.finalizer),
        },
      },
      'merge',
      { namespace: obj.metadata.namespace },
    );
  }

  infra.addEventHandler(loop.objectHandler());
  // A Cluster that takes the object on (or pauses, or unpauses) is news for it.
  clusters.addEventHandler({
    onUpdate: (_old, c) => {
      const ref = c.spec.infrastructureRef;
      if (ref?.kind === flavour.resource.kind && ref.name)
        loop.enqueue(`${c.metadata.namespace}/${ref.name}`);
    },
  });
  loop.start();
  return { name, stop: () => loop.stop() };
}
