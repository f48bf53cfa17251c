// work.karmada.io: what the scheduler decided for one resource template (ResourceBinding,
// ClusterResourceBinding, v1alpha2) and what goes to one member cluster (Work, v1alpha1, in the
// member's execution namespace karmada-es-<cluster>). Typed views for the controllers.

import type { NodeSelectorTerm } from '../../../../machinery/node-affinity.js';
import type { Condition, KubeObject } from '../../../../machinery/object.js';
import type { Toleration } from '../../../../machinery/taints.js';
import type { QuantityValue } from '../cluster/types.js';
import type {
  ConflictResolution,
  FailoverBehavior,
  Placement,
  Suspension as PolicySuspension,
  PurgeMode,
} from '../policy/types.js';

export const WORK_GROUP = 'work.karmada.io';
export const WORK_VERSION = 'v1alpha1';
export const BINDING_VERSION = 'v1alpha2';
export const WORK_API_VERSION = `${WORK_GROUP}/${WORK_VERSION}`;
export const BINDING_API_VERSION = `${WORK_GROUP}/${BINDING_VERSION}`;

export type ResourceHealth = 'Healthy' | 'Unhealthy' | 'Unknown';

// Work.

export interface WorkSpec {
  workload?: { manifests?: KubeObject[] };
  /** Stop applying the manifests to the member. */
  suspendDispatching?: boolean;
  /** Leave the applied resources on the member when the Work goes. */
  preserveResourcesOnDeletion?: boolean;
}

export interface ResourceIdentifier {
  /** Index of the manifest in spec.workload.manifests. */
  ordinal: number;
  group?: string;
  version: string;
  kind: string;
  resource: string;
  namespace?: string;
  name: string;
}

export interface ManifestStatus {
  identifier: ResourceIdentifier;
  status?: Record<string, unknown>;
  health?: ResourceHealth;
}

export interface WorkStatus {
  conditions?: Condition[];
  manifestStatuses?: ManifestStatus[];
}

export interface Work extends KubeObject {
  spec: WorkSpec;
  status?: WorkStatus;
}

/** Work conditions. */
export const WORK_APPLIED = 'Applied';
export const WORK_PROGRESSING = 'Progressing';
export const WORK_AVAILABLE = 'Available';
export const WORK_DEGRADED = 'Degraded';
export const WORK_DISPATCHING = 'Dispatching';
/** Reasons of Applied. */
export const WORK_REASON_APPLIED_SUCCESSFUL = 'AppliedSuccessful';
export const WORK_REASON_APPLIED_FAILED = 'AppliedFailed';

// ResourceBinding and ClusterResourceBinding.

/** The resource template a binding is for. */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export interface NodeClaim {
  hardNodeAffinity?: { nodeSelectorTerms: NodeSelectorTerm[] };
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

/** What one replica needs, for estimating how many fit on a cluster. */
export interface ReplicaRequirements {
  nodeClaim?: NodeClaim;
  resourceRequest?: Record<string, QuantityValue>;
  namespace?: string;
  priorityClassName?: string;
}

export interface ComponentReplicaRequirements {
  nodeClaim?: NodeClaim;
  resourceRequest?: Record<string, QuantityValue>;
  priorityClassName?: string;
}

/** One pod template of a workload with several (e.g. a training job's leader and workers). */
export interface Component {
  name: string;
  replicas: number;
  replicaRequirements?: ComponentReplicaRequirements;
}

export interface TargetComponent {
  name: string;
  replicas: number;
}

/** A scheduled cluster and the replicas it got. */
export interface TargetCluster {
  name: string;
  replicas?: number;
  components?: TargetComponent[];
}

/** Removal of the resource from a cluster, delayed until the replacement is healthy or time is up. */
export interface GracefulEvictionTask {
  fromCluster: string;
  purgeMode?: PurgeMode;
  replicas?: number;
  reason: string;
  message?: string;
  producer: string;
  gracePeriodSeconds?: number;
  suppressDeletion?: boolean;
  preservedLabelState?: Record<string, string>;
  creationTimestamp?: string;
  clustersBeforeFailover?: string[];
}

/** A binding that depends on this one (propagated dependencies), and where it was scheduled. */
export interface BindingSnapshot {
  namespace?: string;
  name: string;
  clusters?: TargetCluster[];
}

export interface BindingSuspension extends PolicySuspension {
  scheduling?: boolean;
}

export interface ResourceBindingSpec {
  resource: ObjectReference;
  propagateDeps?: boolean;
  replicaRequirements?: ReplicaRequirements;
  replicas?: number;
  components?: Component[];
  /** The scheduler's result. */
  clusters?: TargetCluster[];
  placement?: Placement;
  gracefulEvictionTasks?: GracefulEvictionTask[];
  requiredBy?: BindingSnapshot[];
  schedulerName?: string;
  failover?: FailoverBehavior;
  /** Defaults to Abort. */
  conflictResolution?: ConflictResolution;
  /** Setting it later than status.lastScheduledTime asks for a fresh schedule. */
  rescheduleTriggeredAt?: string;
  suspension?: BindingSuspension;
  preserveResourcesOnDeletion?: boolean;
  schedulePriority?: { priority?: number };
  workloadAffinityGroups?: { affinityGroup?: string; antiAffinityGroup?: string };
}

export interface AggregatedStatusItem {
  clusterName: string;
  status?: Record<string, unknown>;
  applied?: boolean;
  appliedMessage?: string;
  health?: ResourceHealth;
}

export interface ResourceBindingStatus {
  schedulerObservedGeneration?: number;
  schedulerObservingAffinityName?: string;
  lastScheduledTime?: string;
  conditions?: Condition[];
  aggregatedStatus?: AggregatedStatusItem[];
}

export interface ResourceBinding extends KubeObject {
  spec: ResourceBindingSpec;
  status?: ResourceBindingStatus;
}

export interface ClusterResourceBinding extends KubeObject {
  spec: ResourceBindingSpec;
  status?: ResourceBindingStatus;
}

/** Binding conditions and reasons. */
export const BINDING_SCHEDULED = 'Scheduled';
export const BINDING_FULLY_APPLIED = 'FullyApplied';
export const BINDING_REASON_SUCCESS = 'Success';
export const BINDING_REASON_SCHEDULER_ERROR = 'SchedulerError';
export const BINDING_REASON_NO_CLUSTER_FIT = 'NoClusterFit';
export const BINDING_REASON_UNSCHEDULABLE = 'Unschedulable';
export const BINDING_REASON_QUOTA_EXCEEDED = 'QuotaExceeded';
export const BINDING_REASON_FULLY_APPLIED_SUCCESS = 'FullyAppliedSuccess';
export const BINDING_REASON_FULLY_APPLIED_FAILED = 'FullyAppliedFailed';

/** Why a graceful eviction task exists, and who made it. */
export const EVICTION_REASON_TAINT_UNTOLERATED = 'TaintUntolerated';
export const EVICTION_REASON_APPLICATION_FAILURE = 'ApplicationFailure';
export const EVICTION_PRODUCER_TAINT_MANAGER = 'TaintManager';

// Labels and annotations on bindings, Works and propagated resources.

/** Permanent ids the API server gives bindings and Works on create; Works and resources carry them. */
export const RESOURCE_BINDING_PERMANENT_ID_LABEL = 'resourcebinding.karmada.io/permanent-id';
export const CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL = 'clusterresourcebinding.karmada.io/permanent-id';
export const WORK_PERMANENT_ID_LABEL = 'work.karmada.io/permanent-id';
/** On a propagated resource: the Work it came from. */
export const WORK_NAMESPACE_ANNOTATION = 'work.karmada.io/namespace';
export const WORK_NAME_ANNOTATION = 'work.karmada.io/name';
/** On a Work and its manifest: the binding it came from. */
export const RESOURCE_BINDING_NAMESPACE_ANNOTATION = 'resourcebinding.karmada.io/namespace';
export const RESOURCE_BINDING_NAME_ANNOTATION = 'resourcebinding.karmada.io/name';
export const CLUSTER_RESOURCE_BINDING_ANNOTATION = 'clusterresourcebinding.karmada.io/name';
/** On a binding: what manages it. */
export const BINDING_MANAGED_BY_LABEL = 'binding.karmada.io/managed-by';
/** On a binding: the objects its resource depends on, as a JSON list. */
export const BINDING_DEPENDENCIES_ANNOTATION = 'resourcebinding.karmada.io/dependencies';
/** On a manifest: the template's generation and uid. */
export const RESOURCE_TEMPLATE_GENERATION_ANNOTATION = 'resourcetemplate.karmada.io/generation';
export const RESOURCE_TEMPLATE_UID_ANNOTATION = 'resourcetemplate.karmada.io/uid';
/** On a manifest: the label and annotation keys the template had, comma-separated and sorted. */
export const MANAGED_LABELS_ANNOTATION = 'resourcetemplate.karmada.io/managed-labels';
export const MANAGED_ANNOTATIONS_ANNOTATION = 'resourcetemplate.karmada.io/managed-annotations';
/** On a template: "Always" refuses its deletion. */
export const DELETION_PROTECTION_LABEL = 'resourcetemplate.karmada.io/deletion-protected';
/** On a template: "true" keeps the member's replicas (e.g. under a member HPA). */
export const RETAIN_REPLICAS_LABEL = 'resourcetemplate.karmada.io/retain-replicas';
/** On a template: which kind of policy claimed it. */
export const RESOURCE_TEMPLATE_CLAIMED_BY_LABEL = 'resourcetemplate.karmada.io/claimed-by';
/** On a template: overwrite or abort when the resource already exists on a member. */
export const CONFLICT_RESOLUTION_ANNOTATION = 'work.karmada.io/conflict-resolution';
/** On resources the hub manages on members: "true". */
export const MANAGED_BY_KARMADA_LABEL = 'karmada.io/managed';
/** Finalizers of the binding and execution controllers. */
export const BINDING_CONTROLLER_FINALIZER = 'karmada.io/binding-controller';
export const CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER = 'karmada.io/cluster-resource-binding-controller';
export const EXECUTION_CONTROLLER_FINALIZER = 'karmada.io/execution-controller';

/** A binding's name: the template's name and kind, lower case (':' in names becomes '.'). */
export function bindingName(kind: string, name: string): string {
  return `${name.replaceAll(':', '.')}-${kind}`.toLowerCase();
}
