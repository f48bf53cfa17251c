// Infrastructure kinds the hub serves for Cluster API: the Docker provider's (so its manifests
// apply unchanged) and Concord's own local ones; simulated clusters fulfil both.

import type { ApiExtension } from '../../../apiserver/extensions.js';
import { dockerCrds } from './docker/crd.js';
import { dockerStrategies } from './docker/strategy.js';
import { localCrds } from './local/crd.js';
import { localStrategies } from './local/strategy.js';

export * from './docker/constants.js';
export type * from './docker/types.js';
export * from './local/constants.js';
export type * from './local/types.js';

export const infrastructureApis: ApiExtension = {
  crds: [...dockerCrds, ...localCrds],
  strategies: { ...dockerStrategies, ...localStrategies },
};
export * from './resources.js';
