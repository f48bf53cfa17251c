// The ResourceRefs of the infrastructure kinds the hub serves (the Docker provider's and the local
// provider's), for clients and informers.

import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { INFRASTRUCTURE_GROUP } from './docker/constants.js';
import { dockerCrds } from './docker/crd.js';
import { LOCAL_GROUP, LOCAL_VERSION } from './local/constants.js';
import { localCrds } from './local/crd.js';

export const infrastructureResources = Object.freeze({
  localclusters: ref(LOCAL_GROUP, LOCAL_VERSION, 'localclusters', 'LocalCluster', true),
  localclustertemplates: ref(
    LOCAL_GROUP,
    LOCAL_VERSION,
    'localclustertemplates',
    'LocalClusterTemplate',
    true,
  ),
  localmachines: ref(LOCAL_GROUP, LOCAL_VERSION, 'localmachines', 'LocalMachine', true),
  localmachinetemplates: ref(
    LOCAL_GROUP,
    LOCAL_VERSION,
    'localmachinetemplates',
    'LocalMachineTemplate',
    true,
  ),
  dockerclusters: ref(INFRASTRUCTURE_GROUP, 'v1beta1', 'dockerclusters', 'DockerCluster', true),
  dockerclustertemplates: ref(
    INFRASTRUCTURE_GROUP,
    'v1beta1',
    'dockerclustertemplates',
    'DockerClusterTemplate',
    true,
  ),
  dockermachines: ref(INFRASTRUCTURE_GROUP, 'v1beta1', 'dockermachines', 'DockerMachine', true),
  dockermachinetemplates: ref(
    INFRASTRUCTURE_GROUP,
    'v1beta1',
    'dockermachinetemplates',
    'DockerMachineTemplate',
    true,
  ),
} satisfies Record<string, ResourceRef>);

/** The infrastructure CRDs the hub serves. */
export const INFRASTRUCTURE_CRDS = [...dockerCrds, ...localCrds];
