// TypeScript shapes of cluster.x-k8s.io/v1beta1 objects, for the controllers that reconcile them.

import type { KubeObject } from '../../../../machinery/object.js';
import type {
  APIEndpoint,
  Condition,
  ConditionGate,
  Duration,
  FailureDomains,
  IntOrString,
  LabelSelector,
  MachineAddress,
  MachineHealthCheckClass,
  MachineNamingStrategy,
  MachineSpec,
  MachineTaint,
  MachineTemplateSpec,
  MetaCondition,
  ObjectReference,
  StatusVersion,
  UnhealthyCondition,
  UnhealthyMachineCondition,
  V1Beta2Status,
} from '../types.js';
import type { ClusterPhase, MachineDeploymentPhase, MachinePhase, MachinePoolPhase } from './constants.js';

// Cluster.

export interface ClusterNetwork {
  apiServerPort?: number;
  services?: { cidrBlocks: string[] };
  pods?: { cidrBlocks: string[] };
  serviceDomain?: string;
}

export interface ClusterVariable {
  name: string;
  /** Deprecated; must not be set. */
  definitionFrom?: string;
  value: unknown;
}

export interface VariableOverrides {
  overrides?: ClusterVariable[];
}

export interface MachineHealthCheckTopology extends MachineHealthCheckClass {
  enable?: boolean;
}

export interface MachineDeploymentStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: {
    maxUnavailable?: IntOrString;
    maxSurge?: IntOrString;
    deletePolicy?: 'Random' | 'Newest' | 'Oldest';
  };
  remediation?: { maxInFlight?: IntOrString };
}

export interface NodeTimeouts {
  nodeDrainTimeout?: Duration;
  nodeVolumeDetachTimeout?: Duration;
  nodeDeletionTimeout?: Duration;
}

export interface ControlPlaneTopology extends NodeTimeouts {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  replicas?: number;
  rollout?: { after?: string };
  machineHealthCheck?: MachineHealthCheckTopology;
  readinessGates?: ConditionGate[];
  taints?: MachineTaint[];
  variables?: VariableOverrides;
}

export interface MachineDeploymentTopology extends NodeTimeouts {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  class: string;
  name: string;
  failureDomain?: string;
  replicas?: number;
  minReadySeconds?: number;
  rollout?: { after?: string };
  machineHealthCheck?: MachineHealthCheckTopology;
  readinessGates?: ConditionGate[];
  strategy?: MachineDeploymentStrategy;
  taints?: MachineTaint[];
  variables?: VariableOverrides;
}

export interface MachinePoolTopology extends NodeTimeouts {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  class: string;
  name: string;
  failureDomains?: string[];
  replicas?: number;
  minReadySeconds?: number;
  taints?: MachineTaint[];
  variables?: VariableOverrides;
}

export interface Topology {
  class: string;
  classNamespace?: string;
  version: string;
  /** Deprecated. */
  rolloutAfter?: string;
  controlPlane?: ControlPlaneTopology;
  workers?: {
    machineDeployments?: MachineDeploymentTopology[];
    machinePools?: MachinePoolTopology[];
  };
  variables?: ClusterVariable[];
}

export interface ClusterSpec {
  paused?: boolean;
  clusterNetwork?: ClusterNetwork;
  controlPlaneEndpoint?: APIEndpoint;
  controlPlaneRef?: ObjectReference;
  infrastructureRef?: ObjectReference;
  topology?: Topology;
  availabilityGates?: ConditionGate[];
}

interface ReplicaSummary {
  desiredReplicas?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  upToDateReplicas?: number;
  versions?: StatusVersion[];
  upgradePlan?: { version: string }[];
}

export interface ClusterStatus {
  failureDomains?: FailureDomains;
  failureReason?: string;
  failureMessage?: string;
  phase?: ClusterPhase;
  infrastructureReady?: boolean;
  controlPlaneReady?: boolean;
  conditions?: Condition[];
  observedGeneration?: number;
  v1beta2?: { conditions?: MetaCondition[]; controlPlane?: ReplicaSummary; workers?: ReplicaSummary };
}

export interface Cluster extends KubeObject {
  spec: ClusterSpec;
  status?: ClusterStatus;
}

// ClusterClass.

export interface LocalObjectTemplate {
  ref: ObjectReference;
}

export interface ClusterClassVariable {
  name: string;
  required: boolean;
  /** Deprecated: use schema.openAPIV3Schema['x-metadata']. */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  schema: { openAPIV3Schema: Record<string, unknown> };
}

export interface JSONPatch {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
  valueFrom?: { variable?: string; template?: string };
}

export interface PatchSelector {
  apiVersion: string;
  kind: string;
  matchResources: {
    controlPlane?: boolean;
    infrastructureCluster?: boolean;
    machineDeploymentClass?: { names?: string[] };
    machinePoolClass?: { names?: string[] };
  };
}

export interface ClusterClassPatch {
  name: string;
  description?: string;
  enabledIf?: string;
  definitions?: { selector: PatchSelector; jsonPatches: JSONPatch[] }[];
  external?: {
    generateExtension?: string;
    validateExtension?: string;
    discoverVariablesExtension?: string;
    settings?: Record<string, string>;
  };
}

export interface MachineDeploymentClass extends NodeTimeouts {
  class: string;
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    bootstrap: LocalObjectTemplate;
    infrastructure: LocalObjectTemplate;
  };
  machineHealthCheck?: MachineHealthCheckClass;
  failureDomain?: string;
  namingStrategy?: MachineNamingStrategy;
  minReadySeconds?: number;
  readinessGates?: ConditionGate[];
  strategy?: MachineDeploymentStrategy;
  taints?: MachineTaint[];
}

export interface MachinePoolClass extends NodeTimeouts {
  class: string;
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    bootstrap: LocalObjectTemplate;
    infrastructure: LocalObjectTemplate;
  };
  failureDomains?: string[];
  namingStrategy?: MachineNamingStrategy;
  minReadySeconds?: number;
  taints?: MachineTaint[];
}

export interface ControlPlaneClass extends LocalObjectTemplate, NodeTimeouts {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  machineInfrastructure?: LocalObjectTemplate;
  machineHealthCheck?: MachineHealthCheckClass;
  namingStrategy?: MachineNamingStrategy;
  readinessGates?: ConditionGate[];
  taints?: MachineTaint[];
}

export interface ClusterClassSpec {
  availabilityGates?: ConditionGate[];
  infrastructure?: LocalObjectTemplate;
  infrastructureNamingStrategy?: MachineNamingStrategy;
  controlPlane?: ControlPlaneClass;
  workers?: { machineDeployments?: MachineDeploymentClass[]; machinePools?: MachinePoolClass[] };
  variables?: ClusterClassVariable[];
  patches?: ClusterClassPatch[];
  kubernetesVersions?: string[];
  upgrade?: { external?: { generateUpgradePlanExtension?: string } };
}

export interface ClusterClassStatusVariable {
  name: string;
  definitionsConflict?: boolean;
  definitions: {
    from: string;
    required: boolean;
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    schema: { openAPIV3Schema: Record<string, unknown> };
  }[];
}

export interface ClusterClassStatus {
  variables?: ClusterClassStatusVariable[];
  conditions?: Condition[];
  observedGeneration?: number;
  v1beta2?: V1Beta2Status;
}

export interface ClusterClass extends KubeObject {
  spec: ClusterClassSpec;
  status?: ClusterClassStatus;
}

// MachineDeployment.

export interface MachineDeploymentSpec {
  clusterName: string;
  replicas?: number;
  rolloutAfter?: string;
  selector: LabelSelector;
  template: MachineTemplateSpec;
  machineNamingStrategy?: MachineNamingStrategy;
  strategy?: MachineDeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface MachineDeploymentStatus {
  observedGeneration?: number;
  selector?: string;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  phase?: MachineDeploymentPhase;
  conditions?: Condition[];
  versions?: StatusVersion[];
  v1beta2?: V1Beta2Status;
}

export interface MachineDeployment extends KubeObject {
  spec: MachineDeploymentSpec;
  status?: MachineDeploymentStatus;
}

// MachineSet.

export interface MachineSetSpec {
  clusterName: string;
  replicas?: number;
  minReadySeconds?: number;
  deletePolicy?: 'Random' | 'Newest' | 'Oldest';
  selector: LabelSelector;
  template?: MachineTemplateSpec;
  machineNamingStrategy?: MachineNamingStrategy;
}

export interface MachineSetStatus {
  selector?: string;
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  failureReason?: string;
  failureMessage?: string;
  conditions?: Condition[];
  versions?: StatusVersion[];
  v1beta2?: V1Beta2Status;
}

export interface MachineSet extends KubeObject {
  spec: MachineSetSpec;
  status?: MachineSetStatus;
}

// Machine.

export interface MachineNodeInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
  swap?: { capacity?: number };
}

export interface MachineStatus {
  nodeRef?: ObjectReference;
  nodeInfo?: MachineNodeInfo;
  lastUpdated?: string;
  failureReason?: string;
  failureMessage?: string;
  addresses?: MachineAddress[];
  phase?: MachinePhase;
  certificatesExpiryDate?: string;
  bootstrapReady?: boolean;
  infrastructureReady?: boolean;
  observedGeneration?: number;
  conditions?: Condition[];
  deletion?: {
    nodeDrainStartTime?: string;
    waitForNodeVolumeDetachStartTime?: string;
    waitForPreDrainHookStartTime?: string;
    waitForPreTerminateHookStartTime?: string;
  };
  v1beta2?: V1Beta2Status;
}

export interface Machine extends KubeObject {
  spec: MachineSpec;
  status?: MachineStatus;
}

// MachineHealthCheck.

export interface MachineHealthCheckSpec {
  clusterName: string;
  selector: LabelSelector;
  unhealthyConditions?: UnhealthyCondition[];
  unhealthyMachineConditions?: UnhealthyMachineCondition[];
  maxUnhealthy?: IntOrString;
  unhealthyRange?: string;
  nodeStartupTimeout?: Duration;
  remediationTemplate?: ObjectReference;
}

export interface MachineHealthCheckStatus {
  expectedMachines?: number;
  currentHealthy?: number;
  remediationsAllowed?: number;
  observedGeneration?: number;
  targets?: string[];
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface MachineHealthCheck extends KubeObject {
  spec: MachineHealthCheckSpec;
  status?: MachineHealthCheckStatus;
}

// MachinePool.

export interface MachinePoolSpec {
  clusterName: string;
  replicas?: number;
  template: MachineTemplateSpec;
  minReadySeconds?: number;
  providerIDList?: string[];
  failureDomains?: string[];
}

export interface MachinePoolStatus {
  nodeRefs?: ObjectReference[];
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  failureReason?: string;
  failureMessage?: string;
  phase?: MachinePoolPhase;
  bootstrapReady?: boolean;
  infrastructureReady?: boolean;
  observedGeneration?: number;
  conditions?: Condition[];
  versions?: StatusVersion[];
  v1beta2?: V1Beta2Status;
}

export interface MachinePool extends KubeObject {
  spec: MachinePoolSpec;
  status?: MachinePoolStatus;
}
