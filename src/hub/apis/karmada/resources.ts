// ResourceRefs of Karmada's kinds, for controllers that read and write them through a Client.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { CLUSTER_GROUP, CLUSTER_VERSION } from './cluster/types.js';
import { POLICY_GROUP } from './policy/types.js';
import { WORK_GROUP } from './work/types.js';

export const karmadaResources = Object.freeze({
  clusters: ref(CLUSTER_GROUP, CLUSTER_VERSION, 'clusters', 'Cluster', false),
  propagationpolicies: ref(POLICY_GROUP, 'v1alpha1', 'propagationpolicies', 'PropagationPolicy', true),
  clusterpropagationpolicies: ref(
    POLICY_GROUP,
    'v1alpha1',
    'clusterpropagationpolicies',
    'ClusterPropagationPolicy',
    false,
  ),
  overridepolicies: ref(POLICY_GROUP, 'v1alpha1', 'overridepolicies', 'OverridePolicy', true),
  clusteroverridepolicies: ref(
    POLICY_GROUP,
    'v1alpha1',
    'clusteroverridepolicies',
    'ClusterOverridePolicy',
    false,
  ),
  works: ref(WORK_GROUP, 'v1alpha1', 'works', 'Work', true),
  resourcebindings: ref(WORK_GROUP, 'v1alpha2', 'resourcebindings', 'ResourceBinding', true),
  clusterresourcebindings: ref(
    WORK_GROUP,
    'v1alpha2',
    'clusterresourcebindings',
    'ClusterResourceBinding',
    false,
  ),
} satisfies Record<string, ResourceRef>);
