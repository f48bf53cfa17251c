// TypeScript shapes of the pieces Cluster API's v1beta1 kinds share (see common.ts for their
// schemas). Optional fields are optional here as in the API: controllers must expect them unset.

import type { Condition as MetaCondition } from '../../../machinery/object.js';

export type { LabelSelector, LabelSelectorRequirement } from '../../../machinery/object.js';
export type { MetaCondition };

/** corev1.ObjectReference. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** corev1.LocalObjectReference. */
export interface LocalObjectReference {
  name?: string;
}

/** A Go duration string: "10s", "10m0s", "1h". */
export type Duration = string;

/** intstr.IntOrString: 1 or "25%". */
export type IntOrString = number | string;

/** Cluster API's ObjectMeta: the labels and annotations a template carries. */
export interface CapiObjectMeta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A v1beta1 condition (clusterv1.Condition). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  severity?: 'Error' | 'Warning' | 'Info' | '';
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

/** The status.v1beta2 block: metav1.Conditions and, for owners of Machines, replica counters. */
export interface V1Beta2Status {
  conditions?: MetaCondition[];
  readyReplicas?: number;
  availableReplicas?: number;
  upToDateReplicas?: number;
}

export interface StatusVersion {
  version: string;
  replicas?: number;
}

export interface ConditionGate {
  conditionType: string;
  polarity?: 'Positive' | 'Negative';
}

export interface MachineTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  propagation: 'Always' | 'OnInitialization';
}

export interface Bootstrap {
  configRef?: ObjectReference;
  dataSecretName?: string;
}

export interface MachineSpec {
  clusterName: string;
  bootstrap: Bootstrap;
  infrastructureRef: ObjectReference;
  version?: string;
  providerID?: string;
  failureDomain?: string;
  readinessGates?: ConditionGate[];
  taints?: MachineTaint[];
  nodeDrainTimeout?: Duration;
  nodeVolumeDetachTimeout?: Duration;
  nodeDeletionTimeout?: Duration;
}

export interface MachineTemplateSpec {
  metadata?: CapiObjectMeta;
  spec: MachineSpec;
}

export interface MachineNamingStrategy {
  template?: string;
}

export interface UnhealthyCondition {
  type: string;
  status: string;
  timeout: Duration;
}

export interface UnhealthyMachineCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  timeout: Duration;
}

/** MachineHealthCheckClass: the health check settings a ClusterClass or a topology gives. */
export interface MachineHealthCheckClass {
  unhealthyConditions?: UnhealthyCondition[];
  unhealthyMachineConditions?: UnhealthyMachineCondition[];
  maxUnhealthy?: IntOrString;
  unhealthyRange?: string;
  nodeStartupTimeout?: Duration;
  remediationTemplate?: ObjectReference;
}

export interface APIEndpoint {
  host?: string;
  port?: number;
}

export interface FailureDomainSpec {
  controlPlane?: boolean;
  attributes?: Record<string, string>;
}

/** Failure domain name to its attributes. */
export type FailureDomains = Record<string, FailureDomainSpec>;

export interface MachineAddress {
  type: 'Hostname' | 'ExternalIP' | 'InternalIP' | 'ExternalDNS' | 'InternalDNS';
  address: string;
}

/** A <Kind>Template's spec. */
export interface TemplateSpec<S> {
  template: { metadata?: CapiObjectMeta; spec: S };
}
