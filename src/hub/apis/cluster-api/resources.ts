// The ResourceRefs of Cluster API's kinds on the hub, for clients and informers:
// `client.get(clusterApiResources.machines, name, { namespace })`.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { ADDONS_GROUP } from './addons/constants.js';
import { BOOTSTRAP_GROUP } from './bootstrap/constants.js';
import { V1BETA1 } from './common.js';
import { CONTROL_PLANE_GROUP } from './controlplane/constants.js';
import { CLUSTER_API_GROUP } from './core/constants.js';

export const clusterApiResources = Object.freeze({
  clusters: ref(CLUSTER_API_GROUP, V1BETA1, 'clusters', 'Cluster', true),
  clusterclasses: ref(CLUSTER_API_GROUP, V1BETA1, 'clusterclasses', 'ClusterClass', true),
  machinedeployments: ref(CLUSTER_API_GROUP, V1BETA1, 'machinedeployments', 'MachineDeployment', true),
  machinesets: ref(CLUSTER_API_GROUP, V1BETA1, 'machinesets', 'MachineSet', true),
  machines: ref(CLUSTER_API_GROUP, V1BETA1, 'machines', 'Machine', true),
  machinehealthchecks: ref(CLUSTER_API_GROUP, V1BETA1, 'machinehealthchecks', 'MachineHealthCheck', true),
  machinepools: ref(CLUSTER_API_GROUP, V1BETA1, 'machinepools', 'MachinePool', true),
  kubeadmcontrolplanes: ref(
    CONTROL_PLANE_GROUP,
    V1BETA1,
    'kubeadmcontrolplanes',
    'KubeadmControlPlane',
    true,
  ),
  kubeadmcontrolplanetemplates: ref(
    CONTROL_PLANE_GROUP,
    V1BETA1,
    'kubeadmcontrolplanetemplates',
    'KubeadmControlPlaneTemplate',
    true,
  ),
  kubeadmconfigs: ref(BOOTSTRAP_GROUP, V1BETA1, 'kubeadmconfigs', 'KubeadmConfig', true),
  kubeadmconfigtemplates: ref(
    BOOTSTRAP_GROUP,
    V1BETA1,
    'kubeadmconfigtemplates',
    'KubeadmConfigTemplate',
    true,
  ),
  clusterresourcesets: ref(ADDONS_GROUP, V1BETA1, 'clusterresourcesets', 'ClusterResourceSet', true),
  clusterresourcesetbindings: ref(
    ADDONS_GROUP,
    V1BETA1,
    'clusterresourcesetbindings',
    'ClusterResourceSetBinding',
    true,
  ),
} satisfies Record<string, ResourceRef>);
