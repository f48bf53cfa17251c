// The words of Cluster API's Docker provider (CAPD), whose kinds Concord serves and fulfils with
// simulated clusters.

export const INFRASTRUCTURE_GROUP = 'infrastructure.cluster.x-k8s.io';
export const DOCKER_API_VERSION = 'infrastructure.cluster.x-k8s.io/v1beta1';

export const DockerFinalizers = {
  cluster: 'dockercluster.infrastructure.cluster.x-k8s.io',
  machine: 'dockermachine.infrastructure.cluster.x-k8s.io',
  machinePool: 'dockermachinepool.infrastructure.cluster.x-k8s.io',
} as const;

/** v1beta1 condition types of the Docker provider's kinds. */
export const DockerConditionType = {
  LoadBalancerAvailable: 'LoadBalancerAvailable',
  ContainerProvisioned: 'ContainerProvisioned',
  BootstrapExecSucceeded: 'BootstrapExecSucceeded',
} as const;

export const DockerConditionReason = {
  LoadBalancerProvisioningFailed: 'LoadBalancerProvisioningFailed',
  WaitingForClusterInfrastructure: 'WaitingForClusterInfrastructure',
  WaitingForBootstrapData: 'WaitingForBootstrapData',
  ContainerProvisioningFailed: 'ContainerProvisioningFailed',
  ContainerDeleted: 'ContainerDeleted',
  Bootstrapping: 'Bootstrapping',
  BootstrapFailed: 'BootstrapFailed',
} as const;

/** The port a DockerCluster's control plane endpoint defaults to. */
export const DEFAULT_API_SERVER_PORT = 6443;
