// TypeScript shapes of infrastructure.concord.dev/v1alpha1 objects.

import type { KubeObject } from '../../../../machinery/object.js';
import type {
  APIEndpoint,
  Condition,
  FailureDomains,
  MachineAddress,
  TemplateSpec,
  V1Beta2Status,
} from '../../cluster-api/types.js';
import type { InstanceType } from './constants.js';

export interface LocalClusterSpec {
  /** Set by the provider: the simulated cluster's API server. */
  controlPlaneEndpoint?: APIEndpoint;
  /** Defaulted to "local". */
  region?: string;
  /** Defaulted to <region>-a, -b, -c. */
  zones?: string[];
}

export interface LocalClusterStatus {
  ready?: boolean;
  failureDomains?: FailureDomains;
  failureReason?: string;
  failureMessage?: string;
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface LocalCluster extends KubeObject {
  spec?: LocalClusterSpec;
  status?: LocalClusterStatus;
}

export interface LocalClusterTemplate extends KubeObject {
  spec: TemplateSpec<LocalClusterSpec>;
}

export interface LocalMachineSpec {
  /** Set by the provider: concord://<namespace>/<cluster>/<machine>. */
  providerID?: string;
  /** Defaulted to sim.xlarge. */
  instanceType?: InstanceType;
  /** GPUs of the node; unset: what the instance type has. */
  gpus?: number;
  nodeLabels?: Record<string, string>;
}

export interface LocalMachineStatus {
  ready?: boolean;
  addresses?: MachineAddress[];
  /** The zone the node was placed in. */
  failureDomain?: string;
  failureReason?: string;
  failureMessage?: string;
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface LocalMachine extends KubeObject {
  spec?: LocalMachineSpec;
  status?: LocalMachineStatus;
}

export interface LocalMachineTemplate extends KubeObject {
  spec: TemplateSpec<LocalMachineSpec>;
}
