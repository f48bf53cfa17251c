// The kinds the hub's observability reads, as client ResourceRefs.

import type { ResourceRef } from '../../client/client.js';
import { CLUSTER_GROUP, CLUSTER_VERSION } from '../apis/karmada/cluster/types.js';
import { BINDING_VERSION, WORK_GROUP } from '../apis/karmada/work/types.js';

const ref = (group: string, version: string, resource: string, kind: string, namespaced: boolean) =>
  Object.freeze({ group, version, resource, kind, namespaced }) satisfies ResourceRef;

export const fleetResources = Object.freeze({
  clusters: ref(CLUSTER_GROUP, CLUSTER_VERSION, 'clusters', 'Cluster', false),
  resourcebindings: ref(WORK_GROUP, BINDING_VERSION, 'resourcebindings', 'ResourceBinding', true),
  clusterresourcebindings: ref(
    WORK_GROUP,
    BINDING_VERSION,
    'clusterresourcebindings',
    'ClusterResourceBinding',
    false,
  ),
});
