// The words of Concord's own simulated infrastructure provider (infrastructure.concord.dev).

export const LOCAL_GROUP = 'infrastructure.concord.dev';
export const LOCAL_VERSION = 'v1alpha1';
export const LOCAL_API_VERSION = 'infrastructure.concord.dev/v1alpha1';

/**
 * The node shapes a LocalMachine may ask for: the simulated kubelet's shapes
 * (src/sim/kubelet/node-template.ts; a test keeps the two lists equal).
 */
export const INSTANCE_TYPES = [
  'sim.small',
  'sim.medium',
  'sim.large',
  'sim.xlarge',
  'sim.4xlarge',
  'sim.gpu',
] as const;
export type InstanceType = (typeof INSTANCE_TYPES)[number];
export const DEFAULT_INSTANCE_TYPE: InstanceType = 'sim.xlarge';

/** The region of a LocalCluster that does not name one (the simulated cluster's default). */
export const DEFAULT_REGION = 'local';

/** Zones of a LocalCluster that names none: <region>-a, -b and -c, as simulated clusters have. */
export function defaultZones(region: string): string[] {
  return ['a', 'b', 'c'].map((z) => `${region}-${z}`);
}

/** Node labels the provider sets itself; nodeLabels may not set them. */
export const PROVIDER_NODE_LABELS = [
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/hostname',
] as const;

/** The providerID scheme of simulated hosts: concord://<namespace>/<cluster>/<machine>. */
export const PROVIDER_ID_SCHEME = 'concord://';

export const LocalFinalizers = {
  cluster: 'localcluster.infrastructure.concord.dev',
  machine: 'localmachine.infrastructure.concord.dev',
} as const;

/** v1beta1 condition types of the local kinds. */
export const LocalConditionType = {
  /** The simulated cluster (API server, controllers) runs and answers. */
  ControlPlaneEndpointReady: 'ControlPlaneEndpointReady',
  /** The simulated node of a LocalMachine is registered. */
  NodeProvisioned: 'NodeProvisioned',
} as const;

export const LocalConditionReason = {
  WaitingForCluster: 'WaitingForCluster',
  WaitingForBootstrapData: 'WaitingForBootstrapData',
  Starting: 'Starting',
  StartFailed: 'StartFailed',
  NodeDeleted: 'NodeDeleted',
} as const;
