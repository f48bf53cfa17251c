// Concord's governance kinds on the hub: ResidencyRule (governance.concord.dev/v1alpha1).

import type { ApiExtension } from '../../../apiserver/extensions.js';
import { residencyRuleCrd } from './crd.js';
import { governanceStrategies } from './strategy.js';

export * from './types.js';

export const governanceApis: ApiExtension = {
  crds: [residencyRuleCrd],
  strategies: governanceStrategies,
};
