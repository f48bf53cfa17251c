// Cluster API's v1beta1 kinds on the hub: the CRDs to serve and the strategies (Cluster API's
// webhooks) that default and validate them, plus the types and words controllers share.

import type { ApiExtension } from '../../../apiserver/extensions.js';
import { addonsCrds } from './addons/crd.js';
import { addonsStrategies } from './addons/strategy.js';
import { bootstrapCrds } from './bootstrap/crd.js';
import { bootstrapStrategies } from './bootstrap/strategy.js';
import { controlPlaneCrds } from './controlplane/crd.js';
import { controlPlaneStrategies } from './controlplane/strategy.js';
import { coreCrds } from './core/crd.js';
import { coreStrategies } from './core/strategy.js';

export * from './addons/constants.js';
export type * from './addons/types.js';
export * from './bootstrap/constants.js';
export type * from './bootstrap/types.js';
export * from './controlplane/constants.js';
export type * from './controlplane/types.js';
export * from './core/constants.js';
export type * from './core/types.js';
export { clusterApiResources } from './resources.js';
export type * from './types.js';

/** cluster.x-k8s.io, controlplane, bootstrap and addons, all v1beta1. */
export const clusterApis: ApiExtension = {
  crds: [...coreCrds, ...controlPlaneCrds, ...bootstrapCrds, ...addonsCrds],
  strategies: { ...coreStrategies, ...controlPlaneStrategies, ...bootstrapStrategies, ...addonsStrategies },
};
export * from './resources.js';
