// The TTL-after-finished controller, as Kubernetes' (pkg/controller/ttlafterfinished): a Job with
// spec.ttlSecondsAfterFinished is deleted (foreground, so its pods go first) that many seconds
// after it finished (the lastTransitionTime of its Complete or Failed condition). One queue
// timer covers every waiting Job.

import { objectKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../../controller/context.js';
import type { ReconcileResult } from '../../controller/controller.js';
import { runController } from '../../controller/runner.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import { isJobFinished, type Job } from './types.js';

export interface TTLAfterFinishedControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-ttl-after-finished-syncs, default 5). */
  workers?: number;
}

function needsCleanup(job: Job): boolean {
  return (
    job.spec.ttlSecondsAfterFinished !== undefined &&
    job.spec.ttlSecondsAfterFinished !== null &&
    isJobFinished(job)
  );
}

/** When the Job finished (ms), from its Complete or Failed condition. */
function finishedAt(job: Job): number | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True' && c.lastTransitionTime) {
      const t = Date.parse(c.lastTransitionTime);
      if (!Number.isNaN(t)) return t;
    }
  }
  return undefined;
}

export function startTTLAfterFinishedController(
  ctx: ControllerContext,
  opts: TTLAfterFinishedControllerOptions = {},
): RunningController {
  const informer: Informer<Job> = ctx.informers.informerFor<Job>(resources.jobs);
  const remaining = (job: Job): number | undefined => {
    const at = finishedAt(job);
    if (at === undefined) return undefined;
    return at + (job.spec.ttlSecondsAfterFinished ?? 0) * 1000 - ctx.now().getTime();
  };
  const reconcile = async (key: string): Promise<ReconcileResult | undefined> => {
    const job = informer.getByKey(key);
    if (!job || job.metadata.deletionTimestamp || !needsCleanup(job)) return undefined;
    const left = remaining(job);
    if (left === undefined) return undefined;
    if (left > 0) return { requeueAfter: left };
    // The TTL may have just been changed: decide on the stored object.
    let fresh: Job;
    try {
      fresh = await ctx.client.get<Job>(resources.jobs, job.metadata.name ?? '', {
        namespace: job.metadata.namespace,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (fresh.metadata.deletionTimestamp || !needsCleanup(fresh)) return undefined;
    const freshLeft = remaining(fresh);
    if (freshLeft === undefined) return undefined;
    if (freshLeft > 0) return { requeueAfter: freshLeft };
    try {
      await ctx.client.delete(resources.jobs, fresh.metadata.name ?? '', {
        namespace: fresh.metadata.namespace,
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid },
      });
    } catch (err) {
      if (!(isNotFound(err) || isConflict(err))) throw err;
    }
    return undefined;
  };
  const controller = reconcileLoop(ctx, {
    name: 'ttl-after-finished',
    reconcile,
    workers: opts.workers ?? 5,
  });
  const enqueue = (job: Job) => {
    if (needsCleanup(job)) controller.enqueue(objectKey(job));
  };
  const unregister = informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, job) => enqueue(job) });
  return runController({
    controllers: [controller],
    informers: [informer],
    unregister: [unregister],
  });
}
