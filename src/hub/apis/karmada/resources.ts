// The ResourceRefs of Karmada's kinds on the hub, for clients and informers:
// `client.get(karmadaResources.resourcebindings, name, { namespace })`.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { CLUSTER_GROUP, CLUSTER_VERSION } from './cluster/types.js';
import { POLICY_GROUP, POLICY_VERSION } from './policy/types.js';
import { BINDING_VERSION, WORK_GROUP, WORK_VERSION } from './work/types.js';

export const karmadaResources = Object.freeze({
  clusters: ref(CLUSTER_GROUP, CLUSTER_VERSION, 'clusters', 'Cluster', false),
  propagationpolicies: ref(POLICY_GROUP, POLICY_VERSION, 'propagationpolicies', 'PropagationPolicy', true),
  clusterpropagationpolicies: ref(
    POLICY_GROUP,
    POLICY_VERSION,
    'clusterpropagationpolicies',
    'ClusterPropagationPolicy',
    false,
  ),
  overridepolicies: ref(POLICY_GROUP, POLICY_VERSION, 'overridepolicies', 'OverridePolicy', true),
  clusteroverridepolicies: ref(
    POLICY_GROUP,
    POLICY_VERSION,
    'clusteroverridepolicies',
    'ClusterOverridePolicy',
    false,
  ),
  works: ref(WORK_GROUP, WORK_VERSION, 'works', 'Work', true),
  resourcebindings: ref(WORK_GROUP, BINDING_VERSION, 'resourcebindings', 'ResourceBinding', true),
  clusterresourcebindings: ref(
    WORK_GROUP,
    BINDING_VERSION,
    'clusterresourcebindings',
    'ClusterResourceBinding',
    false,
  ),
} satisfies Record<string, ResourceRef>);
