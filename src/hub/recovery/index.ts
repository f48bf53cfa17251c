// Disaster recovery on the hub: the strategy controller (roles, policies, measured failovers).
// Drills run from the command line (drill/) and meet the controller only through API objects:
// faults or taints on members, the strategy's status, DrillRun records.

import type { ControllerContext, RunningController } from '../../controller/context.js';
import { type StrategyControllerOptions, startStrategyController } from './strategy/controller.js';

export function startRecoveryControllers(
  ctx: ControllerContext,
  opts: StrategyControllerOptions = {},
): RunningController {
  return startStrategyController(ctx, opts);
}
