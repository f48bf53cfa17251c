// What a simulated node looks like to the API: the Node a kubelet registers (capacity and
// allocatable, the well-known labels, addresses, conditions, nodeInfo, its pod CIDR) and the
// Lease it renews in kube-node-lease.

import { createHash } from 'node:crypto';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { Quantity } from '../../machinery/quantity.js';
import { microTime } from '../../machinery/time.js';

export const KUBELET_VERSION = 'v1.33.0';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const GPU_RESOURCE = 'nvidia.com/gpu';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_INSTANCE_TYPE = 'node.kubernetes.io/instance-type';

/** The machine a node runs on: what it offers to pods. */
export interface NodeShape {
  /** Shown as node.kubernetes.io/instance-type. */
  instanceType: string;
  cpu: string;
  memory: string;
  /** Pods the kubelet admits (its --max-pods; Kubernetes' default is 110). */
  pods: number;
  ephemeralStorage: string;
  /** nvidia.com/gpu devices (absent or 0: none). */
  gpus?: number;
}

/** Shapes to pick from by name (`--shape`); any other shape can be given in full. */
export const NODE_SHAPES: Readonly<Record<string, NodeShape>> = Object.freeze({
  'sim.small': { instanceType: 'sim.small', cpu: '2', memory: '8Gi', pods: 110, ephemeralStorage: '50Gi' },
  'sim.medium': {
    instanceType: 'sim.medium',
    cpu: '4',
    memory: '16Gi',
    pods: 110,
    ephemeralStorage: '100Gi',
  },
  'sim.large': { instanceType: 'sim.large', cpu: '8', memory: '32Gi', pods: 110, ephemeralStorage: '100Gi' },
  'sim.xlarge': {
    instanceType: 'sim.xlarge',
    cpu: '16',
    memory: '64Gi',
    pods: 110,
    ephemeralStorage: '200Gi',
  },
  'sim.4xlarge': {
    instanceType: 'sim.4xlarge',
    cpu: '32',
    memory: '256Gi',
    pods: 110,
    ephemeralStorage: '400Gi',
  },
  'sim.gpu': {
    instanceType: 'sim.gpu',
    cpu: '16',
    memory: '128Gi',
    pods: 110,
    ephemeralStorage: '400Gi',
    gpus: 4,
  },
});

export const DEFAULT_NODE_SHAPE = 'sim.xlarge';

/** A node shape by name, or an error listing the known ones. */
export function nodeShape(name: string): NodeShape {
  const shape = NODE_SHAPES[name];
  if (!shape) {
    throw new Error(`unknown node shape "${name}"; known shapes: ${Object.keys(NODE_SHAPES).join(', ')}`);
  }
  return shape;
}

/** Checks a shape's quantities; throws naming the bad field. */
export function validateNodeShape(shape: NodeShape, where = 'node shape'): void {
  for (const field of ['cpu', 'memory', 'ephemeralStorage'] as const) {
    const q = Quantity.tryParse(shape[field]);
    if (!q || q.sign() <= 0) {
      throw new Error(
        `${where}: ${field} must be a positive quantity (like "8" or "32Gi"), got ${JSON.stringify(shape[field])}`,
      );
    }
  }
  if (!Number.isInteger(shape.pods) || shape.pods <= 0) {
    throw new Error(`${where}: pods must be a positive integer, got ${JSON.stringify(shape.pods)}`);
  }
  if (shape.gpus !== undefined && (!Number.isInteger(shape.gpus) || shape.gpus < 0)) {
    throw new Error(`${where}: gpus must be a non-negative integer, got ${JSON.stringify(shape.gpus)}`);
  }
  if (!shape.instanceType) throw new Error(`${where}: instanceType is required`);
}

/** One node of the simulation, as the kubelet registers it. */
export interface SimNodeSpec {
  name: string;
  zone: string;
  shape: NodeShape;
  /** Labels beyond the well-known ones (a MachineDeployment's node labels, a test's pool label). */
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** The node's pod CIDR and InternalIP (assigned by the kubelet from the cluster's ranges). */
  podCIDR: string;
  internalIP: string;
  /** spec.providerID (default concord-sim://<cluster>/<node>): a provisioned machine's own. */
  providerID?: string;
  /** status.nodeInfo.kubeletVersion (default KUBELET_VERSION): a provisioned machine's version. */
  kubeletVersion?: string;
}

// Held back from pods as a kubelet does by default: the hard eviction thresholds
// memory.available<100Mi and nodefs.available<10%.
const EVICTION_MEMORY = Quantity.parse('100Mi');

function allocatableOf(shape: NodeShape): Record<string, string> {
  const memory = Quantity.parse(shape.memory).sub(EVICTION_MEMORY);
  const storage = Quantity.parse(shape.ephemeralStorage);
  // 90% of the disk, in whole bytes (Kubernetes reports it as a plain number of bytes).
  const storageBytes = (storage.scaledValue(0) * 9n) / 10n;
  const out: Record<string, string> = {
    cpu: Quantity.parse(shape.cpu).toString(),
    'ephemeral-storage': String(storageBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${memory.scaledValue(0) / 1024n}Ki`,
    pods: String(shape.pods),
  };
  if (shape.gpus) out[GPU_RESOURCE] = String(shape.gpus);
  return out;
}

function capacityOf(shape: NodeShape): Record<string, string> {
  const memoryKi = Quantity.parse(shape.memory).scaledValue(0) / 1024n;
  const out: Record<string, string> = {
    cpu: Quantity.parse(shape.cpu).toString(),
    'ephemeral-storage': `${Quantity.parse(shape.ephemeralStorage).scaledValue(0) / 1024n}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${memoryKi}Ki`,
    pods: String(shape.pods),
  };
  if (shape.gpus) out[GPU_RESOURCE] = String(shape.gpus);
  return out;
}

/** A stable hex id from text (machine ids that survive a restart). */
function stableHex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function uuidFrom(text: string): string {
  const h = stableHex(text, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The conditions a healthy kubelet reports; times are kept from `previous` unless the status changed. */
export function healthyNodeConditions(nowIso: string, previous: readonly Condition[] = []): Condition[] {
  const wanted: [string, Condition['status'], string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ];
  return wanted.map(([type, status, reason, message]) => {
    const prev = previous.find((c) => c.type === type);
    const transition = prev && prev.status === status ? (prev.lastTransitionTime ?? nowIso) : nowIso;
    return { type, status, lastHeartbeatTime: nowIso, lastTransitionTime: transition, reason, message };
  });
}

/** Whether a node's reported conditions are what a healthy kubelet reports (ignoring times). */
export function conditionsHealthy(conditions: readonly Condition[] | undefined): boolean {
  const expected = healthyNodeConditions('');
  return expected.every((e) => {
    const c = conditions?.find((x) => x.type === e.type);
    return c !== undefined && c.status === e.status && c.reason === e.reason && c.message === e.message;
  });
}

export function nodeLabels(cluster: { region: string }, spec: SimNodeSpec): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': spec.shape.instanceType,
    'beta.kubernetes.io/os': 'linux',
    'failure-domain.beta.kubernetes.io/region': cluster.region,
    'failure-domain.beta.kubernetes.io/zone': spec.zone,
    [LABEL_ARCH]: 'amd64',
    [LABEL_HOSTNAME]: spec.name,
    [LABEL_OS]: 'linux',
    [LABEL_INSTANCE_TYPE]: spec.shape.instanceType,
    [LABEL_REGION]: cluster.region,
    [LABEL_ZONE]: spec.zone,
    ...(spec.labels ?? {}),
  };
}

/** The node's status as its kubelet reports it (conditions are the healthy ones as of `nowIso`). */
export function nodeStatus(
  cluster: { name: string },
  spec: SimNodeSpec,
  nowIso: string,
  previous?: readonly Condition[],
): Record<string, unknown> {
  const id = `${cluster.name}/${spec.name}`;
  return {
    capacity: capacityOf(spec.shape),
    allocatable: allocatableOf(spec.shape),
    conditions: healthyNodeConditions(nowIso, previous),
    addresses: [
      { type: 'InternalIP', address: spec.internalIP },
      { type: 'Hostname', address: spec.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: stableHex(`machine:${id}`, 32),
      systemUUID: uuidFrom(`system:${id}`),
      bootID: uuidFrom(`boot:${id}`),
      kernelVersion: '6.8.0-concord-sim',
      osImage: 'Concord simulated node',
      containerRuntimeVersion: 'containerd://2.0.0-sim',
      kubeletVersion: spec.kubeletVersion ?? KUBELET_VERSION,
      // Deprecated, and left empty by kubelets since 1.31.
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/** The providerID of a node the simulation made on its own. */
export function simProviderID(cluster: string, node: string): string {
  return `concord-sim://${cluster}/${node}`;
}

/** Prefix of the providerIDs of nodes made for provisioned machines (the local provider's). */
export const MACHINE_PROVIDER_ID_PREFIX = 'concord://';

/** The Node object a kubelet registers. */
export function nodeObject(
  cluster: { name: string; region: string },
  spec: SimNodeSpec,
  nowIso: string,
): KubeObject {
  const nodeSpec: Record<string, unknown> = {
    podCIDR: spec.podCIDR,
    podCIDRs: [spec.podCIDR],
    providerID: spec.providerID ?? simProviderID(cluster.name, spec.name),
  };
  if (spec.taints && spec.taints.length > 0) nodeSpec.taints = spec.taints.map((t) => ({ ...t }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: nodeLabels(cluster, spec),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: nodeSpec,
    status: nodeStatus(cluster, spec, nowIso),
  };
}

/** The node's heartbeat Lease (kube-node-lease/<node>), owned by the Node as the kubelet makes it. */
export function leaseObject(
  node: { name: string; uid?: string },
  leaseDurationSeconds: number,
  nowMs: number,
): KubeObject {
  const metadata: KubeObject['metadata'] = { name: node.name, namespace: NODE_LEASE_NAMESPACE };
  if (node.uid)
    metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }];
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata,
    spec: { holderIdentity: node.name, leaseDurationSeconds, renewTime: microTime(nowMs) },
  };
}
