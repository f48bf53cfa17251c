// The Multi-Cluster Services API (KEP-1645): multicluster.x-k8s.io ServiceExport and
// ServiceImport, and about.k8s.io ClusterProperty (KEP-2149), as their published Go types have
// them. Typed views for controllers; the wire shape is plain JSON.

import type { Condition, KubeObject } from '../../../machinery/object.js';

export const MCS_GROUP = 'multicluster.x-k8s.io';
/** The storage version; v1alpha1 is served too, with the same fields. */
export const MCS_VERSION = 'v1beta1';
export const MCS_VERSIONS = ['v1alpha1', 'v1beta1'] as const;
export const MCS_API_VERSION = `${MCS_GROUP}/${MCS_VERSION}`;

export const ABOUT_GROUP = 'about.k8s.io';
export const ABOUT_VERSION = 'v1alpha1';
export const ABOUT_API_VERSION = `${ABOUT_GROUP}/${ABOUT_VERSION}`;

/** The ClusterProperty naming a cluster within its clusterset (KEP-2149). */
export const CLUSTER_ID_PROPERTY = 'cluster.clusterset.k8s.io';
/** The ClusterProperty naming the clusterset. */
export const CLUSTERSET_PROPERTY = 'clusterset.k8s.io';

// Well-known labels.
export const LABEL_SERVICE_NAME = 'multicluster.kubernetes.io/service-name';
export const LABEL_SOURCE_CLUSTER = 'multicluster.kubernetes.io/source-cluster';
/** EndpointSlice label naming who manages a slice (not the endpointslice controller, for MCS slices). */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

// ServiceExport condition types and reasons.
export const EXPORT_CONDITION_VALID = 'Valid';
export const EXPORT_CONDITION_READY = 'Ready';
export const EXPORT_CONDITION_CONFLICT = 'Conflict';
export const EXPORT_REASON_VALID = 'Valid';
export const EXPORT_REASON_NO_SERVICE = 'NoService';
export const EXPORT_REASON_INVALID_SERVICE_TYPE = 'InvalidServiceType';
export const EXPORT_REASON_EXPORTED = 'Exported';
export const EXPORT_REASON_READY = 'Ready';
export const EXPORT_REASON_PENDING = 'Pending';
export const EXPORT_REASON_FAILED = 'Failed';
export const EXPORT_REASON_PORT_CONFLICT = 'PortConflict';
export const EXPORT_REASON_TYPE_CONFLICT = 'TypeConflict';
export const EXPORT_REASON_SESSION_AFFINITY_CONFLICT = 'SessionAffinityConflict';
export const EXPORT_REASON_SESSION_AFFINITY_CONFIG_CONFLICT = 'SessionAffinityConfigConflict';
export const EXPORT_REASON_LABELS_CONFLICT = 'LabelsConflict';
export const EXPORT_REASON_ANNOTATIONS_CONFLICT = 'AnnotationsConflict';
export const EXPORT_REASON_INTERNAL_TRAFFIC_POLICY_CONFLICT = 'InternalTrafficPolicyConflict';
export const EXPORT_REASON_TRAFFIC_DISTRIBUTION_CONFLICT = 'TrafficDistributionConflict';
export const EXPORT_REASON_IP_FAMILY_CONFLICT = 'IPFamilyConflict';
export const EXPORT_REASON_NO_CONFLICTS = 'NoConflicts';

// ServiceImport condition type and reasons.
export const IMPORT_CONDITION_READY = 'Ready';
export const IMPORT_REASON_READY = 'Ready';
export const IMPORT_REASON_PENDING = 'Pending';
export const IMPORT_REASON_IP_FAMILY_NOT_SUPPORTED = 'IPFamilyNotSupported';

export type ServiceImportType = 'ClusterSetIP' | 'Headless';

export interface ServiceExport extends KubeObject {
  spec?: { exportedLabels?: Record<string, string>; exportedAnnotations?: Record<string, string> };
  status?: { conditions?: Condition[] };
}

export interface ImportPort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number };
}

export interface ServiceImportSpec {
  ports: ImportPort[];
  ips?: string[];
  type: ServiceImportType;
  sessionAffinity?: string;
  sessionAffinityConfig?: SessionAffinityConfig;
  ipFamilies?: string[];
  internalTrafficPolicy?: string;
  trafficDistribution?: string;
}

export interface ServiceImport extends KubeObject {
  spec: ServiceImportSpec;
  status?: { clusters?: { cluster: string }[]; conditions?: Condition[] };
}

export interface ClusterProperty extends KubeObject {
  spec: { value: string };
}
