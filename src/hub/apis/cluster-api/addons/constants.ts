// The words controllers of addons.cluster.x-k8s.io kinds share with Cluster API.

export const ADDONS_GROUP = 'addons.cluster.x-k8s.io';
export const ADDONS_API_VERSION = 'addons.cluster.x-k8s.io/v1beta1';

export const CLUSTER_RESOURCE_SET_FINALIZER = 'addons.cluster.x-k8s.io';
/** The type a Secret must have to be applied by a ClusterResourceSet. */
export const CLUSTER_RESOURCE_SET_SECRET_TYPE = 'addons.cluster.x-k8s.io/resource-set';

export const ClusterResourceSetStrategy = { ApplyOnce: 'ApplyOnce', Reconcile: 'Reconcile' } as const;
export type ClusterResourceSetStrategy =
  (typeof ClusterResourceSetStrategy)[keyof typeof ClusterResourceSetStrategy];

export const ClusterResourceSetResourceKind = { Secret: 'Secret', ConfigMap: 'ConfigMap' } as const;

export const AddonsConditionType = { ResourcesApplied: 'ResourcesApplied' } as const;

export const AddonsConditionReason = {
  RemoteClusterClientFailed: 'RemoteClusterClientFailed',
  ClusterMatchFailed: 'ClusterMatchFailed',
  ApplyFailed: 'ApplyFailed',
  RetrievingResourceFailed: 'RetrievingResourceFailed',
  WrongSecretType: 'WrongSecretType',
} as const;
