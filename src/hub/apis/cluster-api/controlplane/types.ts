// TypeScript shapes of controlplane.cluster.x-k8s.io/v1beta1 objects.

import type { KubeObject } from '../../../../machinery/object.js';
import type { KubeadmConfigSpec } from '../bootstrap/types.js';
import type {
  CapiObjectMeta,
  Condition,
  ConditionGate,
  Duration,
  IntOrString,
  MachineNamingStrategy,
  MachineTaint,
  ObjectReference,
  StatusVersion,
  V1Beta2Status,
} from '../types.js';

export interface RolloutStrategy {
  type?: 'RollingUpdate';
  rollingUpdate?: { maxSurge?: IntOrString };
}

export interface RemediationStrategy {
  maxRetry?: number;
  retryPeriod?: Duration;
  minHealthyPeriod?: Duration;
}

export interface KubeadmControlPlaneMachineTemplate {
  metadata?: CapiObjectMeta;
  infrastructureRef: ObjectReference;
  readinessGates?: ConditionGate[];
  taints?: MachineTaint[];
  nodeDrainTimeout?: Duration;
  nodeVolumeDetachTimeout?: Duration;
  nodeDeletionTimeout?: Duration;
}

export interface KubeadmControlPlaneSpec {
  replicas?: number;
  version: string;
  machineTemplate: KubeadmControlPlaneMachineTemplate;
  kubeadmConfigSpec: KubeadmConfigSpec;
  rolloutBefore?: { certificatesExpiryDays?: number };
  rolloutAfter?: string;
  rolloutStrategy?: RolloutStrategy;
  remediationStrategy?: RemediationStrategy;
  machineNamingStrategy?: MachineNamingStrategy;
}

export interface KubeadmControlPlaneStatus {
  selector?: string;
  replicas?: number;
  version?: string;
  updatedReplicas?: number;
  readyReplicas?: number;
  unavailableReplicas?: number;
  initialized?: boolean;
  ready?: boolean;
  failureReason?: string;
  failureMessage?: string;
  observedGeneration?: number;
  conditions?: Condition[];
  lastRemediation?: { machine: string; timestamp: string; retryCount: number };
  versions?: StatusVersion[];
  v1beta2?: V1Beta2Status;
}

export interface KubeadmControlPlane extends KubeObject {
  spec: KubeadmControlPlaneSpec;
  status?: KubeadmControlPlaneStatus;
}

export interface KubeadmControlPlaneTemplateResourceSpec {
  machineTemplate?: Omit<KubeadmControlPlaneMachineTemplate, 'infrastructureRef' | 'readinessGates'>;
  kubeadmConfigSpec: KubeadmConfigSpec;
  rolloutBefore?: { certificatesExpiryDays?: number };
  rolloutAfter?: string;
  rolloutStrategy?: RolloutStrategy;
  remediationStrategy?: RemediationStrategy;
  machineNamingStrategy?: MachineNamingStrategy;
}

export interface KubeadmControlPlaneTemplate extends KubeObject {
  spec: { template: { metadata?: CapiObjectMeta; spec: KubeadmControlPlaneTemplateResourceSpec } };
}
