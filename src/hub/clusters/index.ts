// The member registry's controllers: the cluster controller (execution spaces, finalizer,
// taints) and the cluster status controller (probes, Ready, version, APIs, capacity). Both take
// the hub's controller context; `clusterControllers(options)` is the factory the hub's
// controller manager runs.

import type { ControllerContext, RunningController } from '../../controller/context.js';
import { startClusterController } from './cluster-controller.js';
import { type ClusterHealthOptions, resolveHealthOptions } from './options.js';
import { startClusterStatusController } from './status-controller.js';

export { CLUSTER_CONTROLLER } from './cluster-controller.js';
export { type ClusterHealthOptions, DEFAULT_HEALTH_OPTIONS, resolveHealthOptions } from './options.js';
export { CLUSTER_STATUS_CONTROLLER } from './status-controller.js';

/** Starts the cluster controller and the cluster status controller. */
export function startClusterControllers(
  ctx: ControllerContext,
  opts: ClusterHealthOptions = {},
): RunningController[] {
  const health = resolveHealthOptions(opts);
  return [startClusterController(ctx, { health }), startClusterStatusController(ctx, { health })];
}

/** The registry's controllers as a factory of the hub's controller manager. */
export function clusterControllers(
  opts: ClusterHealthOptions = {},
): (ctx: ControllerContext) => RunningController[] {
  resolveHealthOptions(opts);
  return (ctx) => startClusterControllers(ctx, opts);
}
