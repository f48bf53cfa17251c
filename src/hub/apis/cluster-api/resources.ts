// The ResourceRefs of Cluster API's kinds on the hub, for clients and informers:
// `client.get(capiResources.machines, name, { namespace })`.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import type { KubeObject } from '../../../machinery/object.js';
import { addonsCrds } from './addons/crd.js';
import { bootstrapCrds } from './bootstrap/crd.js';
import { controlPlaneCrds } from './controlplane/crd.js';
import { CLUSTER_API_GROUP } from './core/constants.js';
import { coreCrds } from './core/crd.js';

const V = 'v1beta1';

export const capiResources = Object.freeze({
  clusters: ref(CLUSTER_API_GROUP, V, 'clusters', 'Cluster', true),
  clusterclasses: ref(CLUSTER_API_GROUP, V, 'clusterclasses', 'ClusterClass', true),
  machinedeployments: ref(CLUSTER_API_GROUP, V, 'machinedeployments', 'MachineDeployment', true),
  machinesets: ref(CLUSTER_API_GROUP, V, 'machinesets', 'MachineSet', true),
  machines: ref(CLUSTER_API_GROUP, V, 'machines', 'Machine', true),
  machinehealthchecks: ref(CLUSTER_API_GROUP, V, 'machinehealthchecks', 'MachineHealthCheck', true),
  machinepools: ref(CLUSTER_API_GROUP, V, 'machinepools', 'MachinePool', true),
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
    const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? V;
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
