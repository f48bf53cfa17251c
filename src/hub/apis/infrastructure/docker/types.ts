// TypeScript shapes of the Docker provider's infrastructure.cluster.x-k8s.io/v1beta1 objects.

import type { KubeObject } from '../../../../machinery/object.js';
import type {
  Condition,
  Duration,
  FailureDomains,
  LocalObjectReference,
  MachineAddress,
  TemplateSpec,
  V1Beta2Status,
} from '../../cluster-api/types.js';

export interface DockerClusterSpec {
  controlPlaneEndpoint?: { host?: string; port?: number };
  failureDomains?: FailureDomains;
  loadBalancer?: {
    imageRepository?: string;
    imageTag?: string;
    customHAProxyConfigTemplateRef?: LocalObjectReference;
  };
}

export interface DockerClusterStatus {
  ready?: boolean;
  failureDomains?: FailureDomains;
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface DockerCluster extends KubeObject {
  spec?: DockerClusterSpec;
  status?: DockerClusterStatus;
}

export interface DockerClusterTemplate extends KubeObject {
  spec: TemplateSpec<DockerClusterSpec>;
}

export interface Mount {
  containerPath?: string;
  hostPath?: string;
  readOnly?: boolean;
}

export interface DockerMachineSpec {
  providerID?: string;
  customImage?: string;
  preLoadImages?: string[];
  extraMounts?: Mount[];
  /** Deprecated. */
  bootstrapped?: boolean;
  bootstrapTimeout?: Duration;
}

export interface DockerMachineStatus {
  ready?: boolean;
  loadBalancerConfigured?: boolean;
  addresses?: MachineAddress[];
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface DockerMachine extends KubeObject {
  spec?: DockerMachineSpec;
  status?: DockerMachineStatus;
}

export interface DockerMachineTemplate extends KubeObject {
  spec: TemplateSpec<DockerMachineSpec>;
}

export interface DockerMachinePoolSpec {
  template?: { customImage?: string; preLoadImages?: string[]; extraMounts?: Mount[] };
  providerID?: string;
  providerIDList?: string[];
}

export interface DockerMachinePoolStatus {
  ready?: boolean;
  replicas?: number;
  observedGeneration?: number;
  instances?: {
    instanceName?: string;
    providerID?: string;
    version?: string;
    ready?: boolean;
    bootstrapped?: boolean;
    addresses?: MachineAddress[];
  }[];
  infrastructureMachineKind?: string;
  conditions?: Condition[];
}

export interface DockerMachinePool extends KubeObject {
  spec?: DockerMachinePoolSpec;
  status?: DockerMachinePoolStatus;
}

export interface DockerMachinePoolTemplate extends KubeObject {
  spec: TemplateSpec<DockerMachinePoolSpec>;
}
