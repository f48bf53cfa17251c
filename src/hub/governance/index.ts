// Governance on the hub: residency rules kept at admission (policies that could break them are
// refused) and by the scheduler (a filter no placement, override or failover gets past), the
// rules' status and the audit, and fleet security baselines kept on every member.

import type { ApiExtension } from '../../apiserver/extensions.js';
import type { HubControllerFactory } from '../manager.js';
import { startResidencyStatusController } from './audit/status-controller.js';
import { residencyAdmission } from './residency/admission.js';
import { fleetClusterRoles } from './security/roles.js';

export { RESIDENCY_FILTER, type ResidencyFilter, residencyFilter } from './residency/filter.js';
export {
  AGGREGATE_TO_TEAM_ADMIN,
  AGGREGATE_TO_TEAM_VIEWER,
  FLEET_ADMIN_ROLE,
  TEAM_ADMIN_ROLE,
  TEAM_VIEWER_ROLE,
} from './security/roles.js';

/** The hub's governance checks at admission (the kinds are in apis/governance). */
export const governanceAdmission: ApiExtension = { validatingAdmission: [residencyAdmission] };

/** The hub's roles for teams (per namespace) and platform administrators (docs/security.md). */
export const governanceRoles: ApiExtension = { clusterRoles: fleetClusterRoles() };

/** The governance controllers of the hub. */
export const governanceControllers: HubControllerFactory = (ctx) => [startResidencyStatusController(ctx)];
