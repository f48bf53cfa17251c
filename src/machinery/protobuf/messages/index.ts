// Every package whose messages the decoder knows, in dependency order (meta first).

import type { PackageTable } from '../schema.js';
import { appsV1 } from './apps-v1.js';
import { authenticationV1 } from './authentication-v1.js';
import { authorizationV1 } from './authorization-v1.js';
import { autoscalingV1 } from './autoscaling-v1.js';
import { autoscalingV2 } from './autoscaling-v2.js';
import { batchV1 } from './batch-v1.js';
import { certificatesV1 } from './certificates-v1.js';
import { coordinationV1 } from './coordination-v1.js';
import { coreV1 } from './core-v1.js';
import { discoveryV1 } from './discovery-v1.js';
import { metaV1 } from './meta-v1.js';
import { networkingV1 } from './networking-v1.js';
import { policyV1 } from './policy-v1.js';
import { rbacV1 } from './rbac-v1.js';
import { schedulingV1 } from './scheduling-v1.js';

export const ALL_PACKAGES: readonly PackageTable[] = [
  metaV1,
  coreV1,
  appsV1,
  batchV1,
  policyV1,
  autoscalingV1,
  autoscalingV2,
  networkingV1,
  rbacV1,
  coordinationV1,
  discoveryV1,
  schedulingV1,
  authorizationV1,
  authenticationV1,
  certificatesV1,
];
