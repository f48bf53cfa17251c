// The Job's status: finished pods counted through status.uncountedTerminatedPods before their
// tracking finalizer goes, then into succeeded/failed (and completedIndexes); the interim
// SuccessCriteriaMet and FailureTarget conditions, then Complete or Failed once nothing is left
// to count; and the status as the API writes it.

import { resources } from '../../client/resources.js';
import type { Condition } from '../../machinery/object.js';
import { wireStatus } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from '../workloads/types.js';
import { completionIndexOf, formatIndexes } from './indexes.js';
import {
  hasFinalizer,
  isIndexed,
  isPodFailed,
  type Job,
  type JobReconciler,
  type JobStatus,
  jobConditionTrue,
  MAX_UNCOUNTED_PODS,
  type SyncContext,
} from './types.js';

/**
 * Counts finished pods (first into status.uncountedTerminatedPods, then, once their finalizer
 * is gone, into succeeded/failed), and declares the Job finished when nothing is left to count.
 */
export async function trackStatusAndRemoveFinalizers(
  r: JobReconciler,
  c: SyncContext,
  key: string,
  needsFlush: boolean,
  now: Date,
): Promise<void> {
  const { job } = c;
  const status = job.status!;
  const uncounted = status.uncountedTerminatedPods!;
  const removing = r.finalizerRemovals.get(key) ?? new Set<string>();
  const withFinalizer = new Set<string>();
  for (const p of c.pods)
    if (hasFinalizer(p) && !removing.has(p.metadata.uid ?? '')) withFinalizer.add(p.metadata.uid ?? '');
  const oldCounts = { succeeded: status.succeeded ?? 0, failed: status.failed ?? 0 };
  if (cleanUncounted(status, withFinalizer)) needsFlush = true;
  const toRemove: Pod[] = [];
  const newIndexes: number[] = [];
  let reachedMax = false;
  const pods = isIndexed(job)
    ? [...c.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b))
    : c.pods;
  for (const pod of pods) {
    const uid = pod.metadata.uid ?? '';
    if (!hasFinalizer(pod) || removing.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    const canRemove =
      Boolean(job.metadata.deletionTimestamp) ||
      c.finishedCondition !== undefined ||
      pod.status?.phase === 'Succeeded' ||
      failed;
    if (!canRemove) continue;
    toRemove.push(pod);
    if (pod.status?.phase === 'Succeeded' && !c.uncountedFailed.has(uid)) {
      if (isIndexed(job)) {
        const ix = completionIndexOf(pod);
        if (ix >= 0 && ix < (job.spec.completions ?? 0) && !c.prevSucceededIndexes?.has(ix)) {
          newIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!c.uncountedSucceeded.has(uid)) {
        uncounted.succeeded = [...(uncounted.succeeded ?? []), uid];
        needsFlush = true;
      }
    } else if (failed || (c.finishedCondition && c.finishedCondition.type !== 'SuccessCriteriaMet')) {
      const ix = completionIndexOf(pod);
      if (!c.uncountedFailed.has(uid) && (!isIndexed(job) || (ix >= 0 && ix < (job.spec.completions ?? 0)))) {
        uncounted.failed = [...(uncounted.failed ?? []), uid];
        needsFlush = true;
      }
    }
    if (
      newIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >=
      MAX_UNCOUNTED_PODS
    ) {
      reachedMax = true;
      break;
    }
  }
  if (isIndexed(job)) {
    const indexes = new Set([...(c.prevSucceededIndexes ?? []), ...newIndexes]);
    const text = formatIndexes(indexes);
    if (text !== (status.completedIndexes ?? '')) needsFlush = true;
    status.succeeded = indexes.size;
    status.completedIndexes = text;
  }
  if (c.finishedCondition?.type === 'FailureTarget') {
    status.conditions = [...(status.conditions ?? []), c.finishedCondition];
    needsFlush = true;
    c.finishedCondition = newCondition(
      'Failed',
      'True',
      c.finishedCondition.reason ?? '',
      c.finishedCondition.message ?? '',
      now,
    );
  }
  if (c.finishedCondition?.type === 'SuccessCriteriaMet') {
    if (!jobConditionTrue(job, 'SuccessCriteriaMet')) {
      status.conditions = [...(status.conditions ?? []), c.finishedCondition];
      needsFlush = true;
    }
    c.finishedCondition = newCondition(
      'Complete',
      'True',
      c.finishedCondition.reason ?? '',
      c.finishedCondition.message ?? '',
      now,
    );
  }
  // 1. Flush the uncounted pods (and interim conditions) before any finalizer goes.
  if (needsFlush) {
    await writeStatus(r, job);
    r.backoffs.set(key, c.backoff);
    needsFlush = false;
  }
  // 2. Remove the finalizers; 3. count the pods that lost theirs.
  let removeError: unknown;
  if (toRemove.length > 0) {
    const set = r.finalizerRemovals.get(key) ?? new Set<string>();
    r.finalizerRemovals.set(key, set);
    await Promise.all(
      toRemove.map(async (pod) => {
        const uid = pod.metadata.uid ?? '';
        set.add(uid);
        try {
          await r.removeFinalizer(pod);
          withFinalizer.delete(uid);
        } catch (err) {
          set.delete(uid);
          removeError ??= err;
        }
      }),
    );
  }
  if (cleanUncounted(status, withFinalizer)) needsFlush = true;
  if (removeError !== undefined) {
    if (needsFlush) await writeStatus(r, job);
    throw removeError;
  }
  // 4. Finished when nothing is left uncounted and no pod is still terminating.
  let finished = false;
  if (!reachedMax && c.finishedCondition) {
    const left = (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0);
    if (left === 0 && c.terminating === 0) {
      const f = c.finishedCondition;
      ensureCondition(status, f.type, f.status, f.reason ?? '', f.message ?? '', now);
      if (f.type === 'Complete') status.completionTime = metaTime(now);
      finished = true;
      needsFlush = true;
    }
  }
  if (needsFlush) {
    await writeStatus(r, job);
    if (finished) recordFinished(r, job, c.finishedCondition!);
  }
  if (oldCounts.succeeded !== (status.succeeded ?? 0) || oldCounts.failed !== (status.failed ?? 0)) {
    r.controller.logger.debug(
      { key, succeeded: status.succeeded, failed: status.failed },
      'job pods counted',
    );
  }
}

export function recordFinished(r: JobReconciler, job: Job, condition: Condition): void {
  if (condition.type === 'Complete') {
    if (job.spec.completions !== undefined && (job.status?.succeeded ?? 0) > job.spec.completions) {
      r.recorder.event(
        job,
        'Warning',
        'TooManySucceededPods',
        'Too many succeeded pods running after completion count reached',
      );
    }
    r.recorder.event(job, 'Normal', 'Completed', 'Job completed');
  } else {
    r.recorder.event(job, 'Warning', condition.reason ?? '', condition.message ?? '');
  }
}

export async function writeStatus(r: JobReconciler, job: Job): Promise<void> {
  const written = await r.ctx.client.update<Job>(
    resources.jobs,
    { ...job, status: jobWireStatus(job.status ?? {}) },
    {
      namespace: job.metadata.namespace,
      subresource: 'status',
    },
  );
  job.metadata.resourceVersion = written.metadata.resourceVersion;
}

/** Moves uncounted pods whose finalizer is gone into the counters. Returns whether anything changed. */
export function cleanUncounted(status: JobStatus, withFinalizer: Set<string>): boolean {
  const u = status.uncountedTerminatedPods ?? {};
  let changed = false;
  const succeeded = (u.succeeded ?? []).filter((uid) => withFinalizer.has(uid));
  if (succeeded.length !== (u.succeeded?.length ?? 0)) {
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded!.length - succeeded.length);
    u.succeeded = succeeded;
    changed = true;
  }
  const failed = (u.failed ?? []).filter((uid) => withFinalizer.has(uid));
  if (failed.length !== (u.failed?.length ?? 0)) {
    status.failed = (status.failed ?? 0) + (u.failed!.length - failed.length);
    u.failed = failed;
    changed = true;
  }
  return changed;
}

export function newCondition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  now: Date,
): Condition {
  const t = metaTime(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/** Sets a condition's status (a new condition only when it would say something). Returns whether it changed. */
export function ensureCondition(
  status: JobStatus,
  type: string,
  value: Condition['status'],
  reason: string,
  message: string,
  now: Date,
): boolean {
  const conditions = status.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) {
    if (value === 'False') return false;
    status.conditions = [...conditions, newCondition(type, value, reason, message, now)];
    return true;
  }
  const c = conditions[i]!;
  if (c.status === value && c.reason === reason && c.message === message) return false;
  const t = metaTime(now);
  const next = { ...c, status: value, reason, message, lastProbeTime: t };
  if (c.status !== value) next.lastTransitionTime = t;
  status.conditions = conditions.map((x, j) => (j === i ? next : x));
  return true;
}

/** The Job status as the API writes it: terminating, ready and uncountedTerminatedPods always. */
export function jobWireStatus(s: JobStatus): JobStatus {
  const uncounted = wireStatus(s.uncountedTerminatedPods ?? {});
  return wireStatus(
    { ...s, uncountedTerminatedPods: uncounted },
    { always: ['terminating', 'ready'], whenSet: ['failedIndexes', 'uncountedTerminatedPods'] },
  );
}
