// The ResourceRefs of Cluster API's kinds on the hub, for clients and informers:
// `client.get(clusterApiResources.machines, name, { namespace })`.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import type { KubeObject } from '../../../machinery/object.js';
import { ADDONS_GROUP } from './addons/constants.js';
import { addonsCrds } from './addons/crd.js';
import { BOOTSTRAP_GROUP } from './bootstrap/constants.js';
import { bootstrapCrds } from './bootstrap/crd.js';
import { V1BETA1 } from './common.js';
import { CONTROL_PLANE_GROUP } from './controlplane/constants.js';
import { controlPlaneCrds } from './controlplane/crd.js';
import { CLUSTER_API_GROUP } from './core/constants.js';
import { coreCrds } from './core/crd.js';

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

/**
 * The ResourceRef of a kind served from one of these CRDs, by "group/Kind" (any served version
 * answers: references name the version their writer knew).
 */
export function crdResourceIndex(crds: readonly KubeObject[]): Map<string, ResourceRef> {
  const index = new Map<string, ResourceRef>();
  for (const crd of crds) {
    const spec = crd.spec as {
      group: string;
      scope: string;
      names: { plural: string; kind: string };
      versions: { name: string; storage?: boolean }[];
    };
    const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? V1BETA1;
    index.set(
      `${spec.group}/${spec.names.kind}`,
      ref(spec.group, version, spec.names.plural, spec.names.kind, spec.scope === 'Namespaced'),
    );
  }
  return index;
}

/** Cluster API's own CRDs (core, bootstrap, control plane, addons). */
export const CLUSTER_API_CRDS: readonly KubeObject[] = [
  ...coreCrds,
  ...bootstrapCrds,
  ...controlPlaneCrds,
  ...addonsCrds,
];
