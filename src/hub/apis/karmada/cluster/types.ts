// cluster.karmada.io/v1alpha1 Cluster: a member cluster as the hub knows it (how to reach it,
// where it runs, its taints) and what the registry observes of it (version, APIs, nodes,
// capacity, readiness). Typed views for the controllers; the wire shape is plain JSON.

import type { Condition, KubeObject } from '../../../../machinery/object.js';
import type { Taint } from '../../../../machinery/taints.js';

export const CLUSTER_GROUP = 'cluster.karmada.io';
export const CLUSTER_VERSION = 'v1alpha1';
export const CLUSTER_API_VERSION = `${CLUSTER_GROUP}/${CLUSTER_VERSION}`;

/** A resource.Quantity as written: "500m", "2Gi", or a plain number. */
export type QuantityValue = string | number;

/** Push: the hub applies workloads to the member. Pull: an agent beside the member fetches them. */
export type ClusterSyncMode = 'Push' | 'Pull';
export const CLUSTER_SYNC_MODES: readonly ClusterSyncMode[] = ['Push', 'Pull'];

/** A Secret named by namespace and name. */
export interface LocalSecretReference {
  namespace: string;
  name: string;
}

/** corev1.Taint, as put on a member cluster (machinery/taints.ts matches tolerations to it). */
export type { Taint };

/** One resource's interval [min, max) in a resource model grade. */
export interface ResourceModelRange {
  name: string;
  min: QuantityValue;
  max: QuantityValue;
}

/** A grade of node sizes the registry counts nodes into. */
export interface ResourceModel {
  grade: number;
  ranges: ResourceModelRange[];
}

export interface ClusterSpec {
  /** A unique identifier of the member, usually the uid of its kube-system namespace. */
  id?: string;
  syncMode: ClusterSyncMode;
  /** hostname, hostname:port, IP, IP:port, or a URL. */
  apiEndpoint?: string;
  /** Secret with `token` and `caBundle` to reach the member. */
  secretRef?: LocalSecretReference;
  impersonatorSecretRef?: LocalSecretReference;
  insecureSkipTLSVerification?: boolean;
  proxyURL?: string;
  proxyHeader?: Record<string, string>;
  provider?: string;
  region?: string;
  /** Deprecated in favour of zones (the API server moves a lone zone into zones). */
  zone?: string;
  zones?: string[];
  taints?: Taint[];
  resourceModels?: ResourceModel[];
}

export interface APIResource {
  name: string;
  kind: string;
}

export interface APIEnablement {
  groupVersion: string;
  resources?: APIResource[];
}

export interface NodeSummary {
  totalNum?: number;
  readyNum?: number;
}

export interface AllocatableModeling {
  grade: number;
  count: number;
}

export interface ResourceSummary {
  allocatable?: Record<string, QuantityValue>;
  allocating?: Record<string, QuantityValue>;
  allocated?: Record<string, QuantityValue>;
  allocatableModelings?: AllocatableModeling[];
}

export interface ClusterStatus {
  kubernetesVersion?: string;
  apiEnablements?: APIEnablement[];
  conditions?: Condition[];
  nodeSummary?: NodeSummary;
  resourceSummary?: ResourceSummary;
  remedyActions?: string[];
}

export interface Cluster extends KubeObject {
  spec: ClusterSpec;
  status?: ClusterStatus;
}

// Conditions of a Cluster and the reasons the registry gives.

/** The member is healthy and accepts workloads. */
export const CLUSTER_CONDITION_READY = 'Ready';
/** Whether status.apiEnablements lists every API of the member. */
export const CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS = 'CompleteAPIEnablements';

export const CLUSTER_REASON_READY = 'ClusterReady';
export const CLUSTER_REASON_NOT_READY = 'ClusterNotReady';
export const CLUSTER_REASON_NOT_REACHABLE = 'ClusterNotReachable';
export const CLUSTER_REASON_STATUS_COLLECTION_FAILED = 'StatusCollectionFailed';
/** Reasons of CompleteAPIEnablements. */
export const API_ENABLEMENTS_COMPLETE = 'Complete';
export const API_ENABLEMENTS_PARTIAL = 'Partial';
export const API_ENABLEMENTS_EMPTY = 'Empty';

// Taints the registry puts on clusters.

/** Ready is False. */
export const TAINT_CLUSTER_NOT_READY = 'cluster.karmada.io/not-ready';
/** Ready is Unknown: the member cannot be reached. */
export const TAINT_CLUSTER_UNREACHABLE = 'cluster.karmada.io/unreachable';
/** The cluster is cordoned: no new workloads. */
export const TAINT_CLUSTER_UNSCHEDULABLE = 'cluster.karmada.io/unschedulable';

/** Keys of the Secret spec.secretRef names. */
export const SECRET_TOKEN_KEY = 'token';
export const SECRET_CA_BUNDLE_KEY = 'caBundle';

/** Where the hub keeps cluster Secrets and Leases (karmada-cluster). */
export const NAMESPACE_KARMADA_CLUSTER = 'karmada-cluster';
/** The hub's own system namespace. */
export const NAMESPACE_KARMADA_SYSTEM = 'karmada-system';
/** A member's Works live in karmada-es-<cluster>. */
export const EXECUTION_SPACE_PREFIX = 'karmada-es-';

/** Finalizer the cluster controller keeps on a Cluster while it cleans up. */
export const CLUSTER_CONTROLLER_FINALIZER = 'karmada.io/cluster-controller';

/** The execution namespace of a member: karmada-es-<cluster>. */
export function executionSpaceName(clusterName: string): string {
  return EXECUTION_SPACE_PREFIX + clusterName;
}

/** The member a namespace is the execution space of, or undefined. */
export function clusterOfExecutionSpace(namespace: string): string | undefined {
  return namespace.startsWith(EXECUTION_SPACE_PREFIX)
    ? namespace.slice(EXECUTION_SPACE_PREFIX.length)
    : undefined;
}
