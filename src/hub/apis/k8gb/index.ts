// k8gb's Gslb on the hub, under both of k8gb's groups, with the resource refs controllers use.

import type { ApiExtension } from '../../../apiserver/extensions.js';
import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { gslbCrdK8gb, gslbCrdLegacy } from './crd.js';
import { gslbStrategy } from './strategy.js';
import { K8GB_GROUP, K8GB_LEGACY_GROUP, K8GB_VERSION } from './types.js';

export * from './types.js';

export const k8gbResources = Object.freeze({
  gslbs: ref(K8GB_GROUP, K8GB_VERSION, 'gslbs', 'Gslb', true),
  legacyGslbs: ref(K8GB_LEGACY_GROUP, K8GB_VERSION, 'gslbs', 'Gslb', true),
} satisfies Record<string, ResourceRef>);

export const k8gbApis: ApiExtension = {
  crds: [gslbCrdK8gb, gslbCrdLegacy],
  strategies: { [`${K8GB_GROUP}/Gslb`]: gslbStrategy, [`${K8GB_LEGACY_GROUP}/Gslb`]: gslbStrategy },
};
