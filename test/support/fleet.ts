// A fleet written straight into a hub's API, for tests of what shows the fleet (dashboard,
// `concord status`, metrics) without the controllers that would fill it: Clusters with the status
// the registry writes, ResourceBindings with the scheduler's placement and members' status.

import type { Client } from '../../src/client/client.js';
import { resources } from '../../src/client/resources.js';
import type { Cluster } from '../../src/hub/apis/karmada/cluster/types.js';
import type { ResourceBinding } from '../../src/hub/apis/karmada/work/types.js';
import { fleetResources } from '../../src/hub/observability/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { ApiError } from '../../src/machinery/status.js';

export interface MemberSpec {
  name: string;
  region: string;
  zones?: string[];
  ready?: boolean;
  nodes?: { total: number; ready: number };
  cpu?: { allocatable: string; allocated: string };
  memory?: { allocatable: string; allocated: string };
  taints?: Cluster['spec']['taints'];
  apiEndpoint?: string;
  secretRef?: { namespace: string; name: string };
}

function readyCondition(ready: boolean, now: string) {
  return ready
    ? {
        type: 'Ready',
        status: 'True' as const,
        reason: 'ClusterReady',
        message: 'cluster is healthy and ready to accept workloads',
        lastTransitionTime: now,
      }
    : {
        type: 'Ready',
        status: 'False' as const,
        reason: 'ClusterNotReachable',
        message: 'cluster is not reachable',
        lastTransitionTime: now,
      };
}

export async function ensureNamespace(client: Client, name: string): Promise<void> {
  await client
    .create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
    .catch((err) => {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    });
}

/** Creates the Cluster and writes its status as the registry would. */
export async function writeMember(client: Client, m: MemberSpec): Promise<Cluster> {
  const created = await client.create<Cluster>(fleetResources.clusters, {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: m.name, labels: { 'topology.kubernetes.io/region': m.region } },
    spec: {
      syncMode: 'Push',
      apiEndpoint: m.apiEndpoint ?? `https://127.0.0.1:1`,
      region: m.region,
      zones: m.zones ?? [`${m.region}-a`],
      provider: 'concord',
      ...(m.secretRef ? { secretRef: m.secretRef } : {}),
      ...(m.taints ? { taints: m.taints } : {}),
    },
  } as Cluster);
  return setMemberStatus(client, created, m);
}

export async function setMemberStatus(
  client: Client,
  cluster: Cluster,
  m: Partial<MemberSpec>,
): Promise<Cluster> {
  const now = new Date().toISOString();
  const nodes = m.nodes ?? { total: 3, ready: 3 };
  const updated = {
    ...cluster,
    status: {
      kubernetesVersion: 'v1.33.0+concord',
      conditions: [readyCondition(m.ready ?? true, now)],
      nodeSummary: { totalNum: nodes.total, readyNum: nodes.ready },
      resourceSummary: {
        allocatable: {
          cpu: m.cpu?.allocatable ?? '24',
          memory: m.memory?.allocatable ?? '96Gi',
          pods: '330',
        },
        allocated: { cpu: m.cpu?.allocated ?? '3500m', memory: m.memory?.allocated ?? '12Gi', pods: '14' },
      },
    },
  };
  return client.update<Cluster>(fleetResources.clusters, updated as Cluster, { subresource: 'status' });
}

export async function markMember(client: Client, name: string, ready: boolean): Promise<Cluster> {
  const c = await client.get<Cluster>(fleetResources.clusters, name);
  const now = new Date().toISOString();
  return client.update<Cluster>(
    fleetResources.clusters,
    { ...c, status: { ...c.status, conditions: [readyCondition(ready, now)] } } as Cluster,
    { subresource: 'status' },
  );
}

export interface BindingSpec {
  namespace: string;
  name: string;
  replicas: number;
  /** cluster -> replicas placed there. */
  placement: Record<string, number>;
  /** cluster -> ready replicas it reports (default: all it got). */
  ready?: Record<string, number>;
  unschedulable?: { reason: string; message: string };
}

/** A Deployment template on the hub and its ResourceBinding, with the scheduler's and members' status. */
export async function writeWorkload(client: Client, b: BindingSpec): Promise<ResourceBinding> {
  await ensureNamespace(client, b.namespace);
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: b.name, namespace: b.namespace },
    spec: {
      replicas: b.replicas,
      selector: { matchLabels: { app: b.name } },
      template: {
        metadata: { labels: { app: b.name } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
    },
  };
  const template = await client.create(resources.deployments, deployment, { namespace: b.namespace });
  const binding = await client.create<ResourceBinding>(
    fleetResources.resourcebindings,
    {
      apiVersion: 'work.karmada.io/v1alpha2',
      kind: 'ResourceBinding',
      metadata: { name: `${b.name}-deployment`, namespace: b.namespace },
      spec: {
        resource: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: b.namespace,
          name: b.name,
          uid: template.metadata.uid,
        },
        replicas: b.replicas,
        clusters: [],
      },
    } as ResourceBinding,
    { namespace: b.namespace },
  );
  return placeWorkload(client, binding, b);
}

/** Writes a binding's placement and status, as the scheduler and the status controller would. */
export async function placeWorkload(
  client: Client,
  binding: ResourceBinding,
  b: Pick<BindingSpec, 'placement' | 'ready' | 'unschedulable'>,
): Promise<ResourceBinding> {
  const now = new Date().toISOString();
  const clusters = Object.entries(b.placement).map(([name, replicas]) => ({ name, replicas }));
  const spec = await client.update<ResourceBinding>(
    fleetResources.resourcebindings,
    { ...binding, spec: { ...binding.spec, clusters } },
    { namespace: binding.metadata.namespace },
  );
  const scheduled = b.unschedulable
    ? {
        type: 'Scheduled',
        status: 'False' as const,
        reason: b.unschedulable.reason,
        message: b.unschedulable.message,
        lastTransitionTime: now,
      }
    : {
        type: 'Scheduled',
        status: 'True' as const,
        reason: 'Success',
        message: 'Binding has been scheduled successfully.',
        lastTransitionTime: now,
      };
  return client.update<ResourceBinding>(
    fleetResources.resourcebindings,
    {
      ...spec,
      status: {
        conditions: [scheduled],
        aggregatedStatus: clusters.map((c) => ({
          clusterName: c.name,
          applied: true,
          health: 'Healthy' as const,
          status: { replicas: c.replicas, readyReplicas: b.ready?.[c.name] ?? c.replicas },
        })),
      },
    },
    { namespace: binding.metadata.namespace, subresource: 'status' },
  );
}

/** A member reached through a kubeconfig: its Secret in karmada-cluster (token, caBundle) and its Cluster. */
export async function writeReachableMember(
  client: Client,
  m: Omit<MemberSpec, 'apiEndpoint' | 'secretRef'>,
  kubeconfig: { server: string; token?: string; caPem?: string },
): Promise<Cluster> {
  await ensureNamespace(client, 'karmada-cluster');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await client.create(
    resources.secrets,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: m.name, namespace: 'karmada-cluster' },
      data: { token: b64(kubeconfig.token ?? ''), caBundle: b64(kubeconfig.caPem ?? '') },
    },
    { namespace: 'karmada-cluster' },
  );
  return writeMember(client, {
    ...m,
    apiEndpoint: kubeconfig.server,
    secretRef: { namespace: 'karmada-cluster', name: m.name },
  });
}
