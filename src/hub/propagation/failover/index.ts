// Failover, on by default (Karmada ships it off): the taint manager moves bindings off members
// tainted NoExecute, the application failover controller moves workloads their members report
// unhealthy, and the graceful eviction controller removes the old copy once the new placement is
// healthy or the grace period ends. They act only on bindings (spec.clusters and
// spec.gracefulEvictionTasks); the scheduler places the replicas elsewhere and the binding
// controller keeps or removes the Works.

import type { ControllerContext, RunningController } from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import type { PurgeMode } from '../../apis/karmada/index.js';
import { startApplicationFailoverController } from './application-failover.js';
import { startGracefulEvictionController } from './graceful-eviction.js';
import { startTaintManager } from './taint-manager.js';

export interface FailoverOptions {
  /** Evict bindings from members tainted NoExecute (Karmada's --enable-no-execute-taint-eviction; default true). */
  noExecuteTaintEviction?: boolean;
  /** Purge mode when a policy has no failover.cluster: Gracefully (default) or Directly. */
  noExecuteTaintEvictionPurgeMode?: PurgeMode;
  /** How long a graceful eviction waits at most without gracePeriodSeconds (default 10 min). */
  gracefulEvictionTimeoutMs?: number;
  recorder?: EventRecorder;
}

export function startFailoverControllers(
  ctx: ControllerContext,
  opts: FailoverOptions = {},
): RunningController {
  const recorder = opts.recorder ? { recorder: opts.recorder } : {};
  const controllers: RunningController[] = [
    startGracefulEvictionController(ctx, {
      ...recorder,
      ...(opts.gracefulEvictionTimeoutMs !== undefined ? { timeoutMs: opts.gracefulEvictionTimeoutMs } : {}),
    }),
    startApplicationFailoverController(ctx, recorder),
  ];
  if (opts.noExecuteTaintEviction !== false) {
    controllers.push(
      startTaintManager(ctx, {
        ...recorder,
        ...(opts.noExecuteTaintEvictionPurgeMode ? { purgeMode: opts.noExecuteTaintEvictionPurgeMode } : {}),
      }),
    );
  }
  return {
    name: 'failover',
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
    },
  };
}
