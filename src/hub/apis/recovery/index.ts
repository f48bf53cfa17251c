// Concord's disaster-recovery kinds on the hub (recovery.concord.dev/v1alpha1).

import type { ApiExtension } from '../../../apiserver/extensions.js';
import type { ResourceRef } from '../../../client/client.js';
import { resourceRef } from '../../../client/resources.js';
import { RECOVERY_GROUP, RECOVERY_VERSION } from './constants.js';
import { recoveryCrds } from './crd.js';
import { recoveryStrategies } from './strategy.js';

export * from './constants.js';
export type * from './types.js';

export const recoveryApis: ApiExtension = { crds: recoveryCrds, strategies: recoveryStrategies };

export const recoveryResources = Object.freeze({
  strategies: resourceRef(
    RECOVERY_GROUP,
    RECOVERY_VERSION,
    'disasterrecoverystrategies',
    'DisasterRecoveryStrategy',
    true,
  ),
  drillruns: resourceRef(RECOVERY_GROUP, RECOVERY_VERSION, 'drillruns', 'DrillRun', true),
} satisfies Record<string, ResourceRef>);
