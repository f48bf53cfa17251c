// Governance on the hub: residency rules kept at admission (policies that could break them are
// refused) and by the scheduler (a filter no placement, override or failover gets past), the
// rules' status and the audit, and fleet security baselines kept on every member.

import type { ApiExtension } from '../../apiserver/extensions.js';
import type { HubControllerFactory } from '../manager.js';
import { startResidencyStatusController } from './audit/status-controller.js';
import { residencyAdmission } from './residency/admission.js';

export { RESIDENCY_FILTER, type ResidencyFilter, residencyFilter } from './residency/filter.js';

/** The hub's governance checks at admission (the kinds are in apis/governance). */
export const governanceAdmission: ApiExtension = { validatingAdmission: [residencyAdmission] };

/** The governance controllers of the hub. */
export const governanceControllers: HubControllerFactory = (ctx) => [startResidencyStatusController(ctx)];
