// The workload controllers of a cluster, started together as kube-controller-manager starts
// them: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob and TTL-after-finished.
// They read the cluster's shared informers; the caller starts ctx.informers (after starting the
// controllers, or before: handlers registered later are replayed what is cached).

import type { ControllerContext, RunningController } from '../controller/context.js';
import { type CronJobControllerOptions, startCronJobController } from './cronjob/controller.js';
import { type DaemonSetControllerOptions, startDaemonSetController } from './daemonset/controller.js';
import { type DeploymentControllerOptions, startDeploymentController } from './deployment/controller.js';
import { type JobControllerOptions, startJobController } from './job/controller.js';
import { startTTLAfterFinishedController, type TTLAfterFinishedControllerOptions } from './job/ttl.js';
import { type ReplicaSetControllerOptions, startReplicaSetController } from './replicaset/controller.js';
import { type StatefulSetControllerOptions, startStatefulSetController } from './statefulset/controller.js';

export const WORKLOAD_CONTROLLERS = [
  'deployment',
  'replicaset',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'ttl-after-finished',
] as const;

export type WorkloadControllerName = (typeof WORKLOAD_CONTROLLERS)[number];

export interface WorkloadControllersOptions {
  /** Which controllers to run (default: all of WORKLOAD_CONTROLLERS). */
  controllers?: readonly WorkloadControllerName[];
  deployment?: DeploymentControllerOptions;
  replicaSet?: ReplicaSetControllerOptions;
  statefulSet?: StatefulSetControllerOptions;
  daemonSet?: DaemonSetControllerOptions;
  job?: JobControllerOptions;
  cronJob?: CronJobControllerOptions;
  ttlAfterFinished?: TTLAfterFinishedControllerOptions;
}

export function startWorkloadControllers(
  ctx: ControllerContext,
  options: WorkloadControllersOptions = {},
): RunningController {
  const wanted = new Set<string>(options.controllers ?? WORKLOAD_CONTROLLERS);
  for (const name of wanted) {
    if (!(WORKLOAD_CONTROLLERS as readonly string[]).includes(name)) {
      throw new Error(`unknown workload controller "${name}" (known: ${WORKLOAD_CONTROLLERS.join(', ')})`);
    }
  }
  const starters: [WorkloadControllerName, () => RunningController][] = [
    ['replicaset', () => startReplicaSetController(ctx, options.replicaSet)],
    ['deployment', () => startDeploymentController(ctx, options.deployment)],
    ['statefulset', () => startStatefulSetController(ctx, options.statefulSet)],
    ['daemonset', () => startDaemonSetController(ctx, options.daemonSet)],
    ['job', () => startJobController(ctx, options.job)],
    ['cronjob', () => startCronJobController(ctx, options.cronJob)],
    ['ttl-after-finished', () => startTTLAfterFinishedController(ctx, options.ttlAfterFinished)],
  ];
  const running: RunningController[] = [];
  for (const [name, start] of starters) if (wanted.has(name)) running.push(start());
  return {
    name: 'workloads',
    stop: async () => {
      await Promise.all(running.map((c) => c.stop()));
    },
  };
}
