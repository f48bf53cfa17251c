// policy.karmada.io/v1alpha1: which resources go to which clusters (PropagationPolicy,
// ClusterPropagationPolicy) and how they are changed per cluster (OverridePolicy,
// ClusterOverridePolicy). Typed views for the controllers; the wire shape is plain JSON.

import type { KubeObject, LabelSelector } from '../../../../machinery/object.js';
import type { Toleration } from '../../../../machinery/taints.js';

export const POLICY_GROUP = 'policy.karmada.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`;

export type { LabelSelector, Toleration };

/** Resources a policy applies to: by apiVersion and kind, then by name or by labels. */
export interface ResourceSelector {
  apiVersion: string;
  kind: string;
  /** Empty: the policy's own namespace (namespaced policies) or every namespace. */
  namespace?: string;
  /** Empty: every resource of the kind. When set, labelSelector is ignored. */
  name?: string;
  labelSelector?: LabelSelector;
}

/** The keys a cluster field selector may use. */
export type ClusterField = 'provider' | 'region' | 'zone';
export const CLUSTER_FIELDS: readonly ClusterField[] = ['provider', 'region', 'zone'];

export interface FieldSelectorRequirement {
  key: ClusterField;
  operator: 'In' | 'NotIn';
  values?: string[];
}

export interface FieldSelector {
  matchExpressions?: FieldSelectorRequirement[];
}

/** A set of clusters: all the given filters must match. */
export interface ClusterAffinity {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  clusterNames?: string[];
  exclude?: string[];
}

/** A further group of clusters tried when the primary group lacks room. */
export interface OverflowClusterAffinity extends ClusterAffinity {
  affinityName: string;
}

/** A named group of clusters; groups are tried in order. */
export interface ClusterAffinityTerm extends ClusterAffinity {
  affinityName: string;
  overflowAffinities?: OverflowClusterAffinity[];
}

export type SpreadFieldValue = 'cluster' | 'region' | 'zone' | 'provider';
export const SPREAD_FIELDS: readonly SpreadFieldValue[] = ['cluster', 'region', 'zone', 'provider'];

export interface SpreadConstraint {
  spreadByField?: SpreadFieldValue;
  spreadByLabel?: string;
  maxGroups?: number;
  /** Defaults to 1. */
  minGroups?: number;
}

export type ReplicaSchedulingType = 'Duplicated' | 'Divided';
export type ReplicaDivisionPreference = 'Aggregated' | 'Weighted';
export type DynamicWeightFactor = 'AvailableReplicas';

export interface StaticClusterWeight {
  targetCluster: ClusterAffinity;
  weight: number;
}

export interface ClusterPreferences {
  staticWeightList?: StaticClusterWeight[];
  /** When set, staticWeightList is ignored. */
  dynamicWeight?: DynamicWeightFactor;
}

export interface ReplicaSchedulingStrategy {
  /** Defaults to Divided when replicaScheduling is given at all. */
  replicaSchedulingType?: ReplicaSchedulingType;
  /** Defaults to Weighted for Divided. */
  replicaDivisionPreference?: ReplicaDivisionPreference;
  weightPreference?: ClusterPreferences;
}

export interface WorkloadAffinityTerm {
  groupByLabelKey: string;
}

export interface WorkloadAffinity {
  affinity?: WorkloadAffinityTerm;
  antiAffinity?: WorkloadAffinityTerm;
}

export interface Placement {
  clusterAffinity?: ClusterAffinity;
  clusterAffinities?: ClusterAffinityTerm[];
  clusterTolerations?: Toleration[];
  spreadConstraints?: SpreadConstraint[];
  /** Absent: replicas are Duplicated to every selected cluster. */
  replicaScheduling?: ReplicaSchedulingStrategy;
  workloadAffinity?: WorkloadAffinity;
}

/** How replicas are scheduled: Duplicated when the placement says nothing about replicas. */
export function replicaSchedulingType(placement: Placement | undefined): ReplicaSchedulingType {
  const strategy = placement?.replicaScheduling;
  if (!strategy) return 'Duplicated';
  return strategy.replicaSchedulingType ?? 'Divided';
}

export type PurgeMode = 'Directly' | 'Gracefully' | 'Never';

export interface DecisionConditions {
  /** Seconds to wait in the failed state before failing over. Defaults to 300. */
  tolerationSeconds?: number;
}

export interface StatePreservationRule {
  aliasLabelName: string;
  jsonPath: string;
}

export interface StatePreservation {
  rules: StatePreservationRule[];
}

export interface ApplicationFailoverBehavior {
  decisionConditions: DecisionConditions;
  /** Defaults to Gracefully. */
  purgeMode?: PurgeMode;
  /** For Gracefully: defaults to 600. */
  gracePeriodSeconds?: number;
  statePreservation?: StatePreservation;
}

export interface ClusterFailoverBehavior {
  /** Directly or Gracefully; defaults to Gracefully. */
  purgeMode?: PurgeMode;
  statePreservation?: StatePreservation;
}

export interface FailoverBehavior {
  application?: ApplicationFailoverBehavior;
  cluster?: ClusterFailoverBehavior;
}

export interface SuspendClusters {
  clusterNames?: string[];
}

export interface Suspension {
  dispatching?: boolean;
  dispatchingOnClusters?: SuspendClusters;
}

export interface SchedulePriority {
  priorityClassSource: 'KubePriorityClass';
  priorityClassName: string;
}

export type PreemptionBehavior = 'Always' | 'Never';
export type ConflictResolution = 'Abort' | 'Overwrite';

export interface PropagationSpec {
  resourceSelectors: ResourceSelector[];
  /** Deprecated: propagateDeps. */
  association?: boolean;
  propagateDeps?: boolean;
  placement?: Placement;
  /** Defaults to 0; higher wins. */
  priority?: number;
  /** Defaults to Never. */
  preemption?: PreemptionBehavior;
  dependentOverrides?: string[];
  /** Defaults to default-scheduler; cannot change. */
  schedulerName?: string;
  failover?: FailoverBehavior;
  /** Defaults to Abort. */
  conflictResolution?: ConflictResolution;
  activationPreference?: 'Lazy';
  suspension?: Suspension;
  preserveResourcesOnDeletion?: boolean;
  schedulePriority?: SchedulePriority;
}

export interface PropagationPolicy extends KubeObject {
  spec: PropagationSpec;
}

export interface ClusterPropagationPolicy extends KubeObject {
  spec: PropagationSpec;
}

// Overrides.

export type OverriderOperator = 'add' | 'remove' | 'replace';

export interface PlaintextOverrider {
  /** A JSON pointer into the resource. */
  path: string;
  operator: OverriderOperator;
  value?: unknown;
}

export interface ImageOverrider {
  /** Which image to change; absent: every container image of a known workload kind. */
  predicate?: { path: string };
  component: 'Registry' | 'Repository' | 'Tag';
  operator: OverriderOperator;
  value?: string;
}

export interface CommandArgsOverrider {
  containerName: string;
  operator: 'add' | 'remove';
  value?: string[];
}

export interface LabelAnnotationOverrider {
  operator: OverriderOperator;
  value: Record<string, string>;
}

export interface PatchOperation {
  subPath: string;
  operator: OverriderOperator;
  value?: unknown;
}

/** Patches a field holding an embedded JSON or YAML document (e.g. a ConfigMap key). */
export interface FieldOverrider {
  fieldPath: string;
  json?: PatchOperation[];
  yaml?: PatchOperation[];
}

export interface Overriders {
  plaintext?: PlaintextOverrider[];
  imageOverrider?: ImageOverrider[];
  commandOverrider?: CommandArgsOverrider[];
  argsOverrider?: CommandArgsOverrider[];
  labelsOverrider?: LabelAnnotationOverrider[];
  annotationsOverrider?: LabelAnnotationOverrider[];
  fieldOverrider?: FieldOverrider[];
}

export interface RuleWithCluster {
  /** Absent: every cluster. */
  targetCluster?: ClusterAffinity;
  overriders: Overriders;
}

export interface OverrideSpec {
  /** Absent or empty: every resource. */
  resourceSelectors?: ResourceSelector[];
  overrideRules?: RuleWithCluster[];
  /** Deprecated: overrideRules. */
  targetCluster?: ClusterAffinity;
  /** Deprecated: overrideRules. */
  overriders?: Overriders;
}

export interface OverridePolicy extends KubeObject {
  spec: OverrideSpec;
}

export interface ClusterOverridePolicy extends KubeObject {
  spec: OverrideSpec;
}

// Labels, annotations and finalizers.

/** A policy's permanent identifier, set by the API server on create; resources claimed by it carry it. */
export const PROPAGATION_POLICY_PERMANENT_ID_LABEL = 'propagationpolicy.karmada.io/permanent-id';
export const CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL =
  'clusterpropagationpolicy.karmada.io/permanent-id';
/** On resource templates: the policy that claimed them. */
export const PROPAGATION_POLICY_NAMESPACE_ANNOTATION = 'propagationpolicy.karmada.io/namespace';
export const PROPAGATION_POLICY_NAME_ANNOTATION = 'propagationpolicy.karmada.io/name';
export const CLUSTER_PROPAGATION_POLICY_ANNOTATION = 'clusterpropagationpolicy.karmada.io/name';
/** A Namespace labelled so ("true") is not propagated to members automatically. */
export const NAMESPACE_SKIP_AUTO_PROPAGATION_LABEL = 'namespace.karmada.io/skip-auto-propagation';
/** On a template: the placement last applied, as JSON. */
export const POLICY_PLACEMENT_ANNOTATION = 'policy.karmada.io/applied-placement';
/** On a Work's manifest: the overrides applied, as JSON. */
export const APPLIED_OVERRIDES_ANNOTATION = 'policy.karmada.io/applied-overrides';
export const APPLIED_CLUSTER_OVERRIDES_ANNOTATION = 'policy.karmada.io/applied-cluster-overrides';
/** Finalizers the detector keeps on policies until their resources are released. */
export const PROPAGATION_POLICY_FINALIZER = 'karmada.io/propagation-policy-controller';
export const CLUSTER_PROPAGATION_POLICY_FINALIZER = 'karmada.io/cluster-propagation-policy-controller';

/** The scheduler a policy is handled by when it names none. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
