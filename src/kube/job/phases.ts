// The Job's pod phases: how many pods it wants running and creating or deleting toward that
// (slow-start batches, completion indexes, the tracking finalizer), the backoff before failed pods
// are replaced, and the limits (activeDeadlineSeconds, backoffLimit with restartPolicy OnFailure).

import { objectKey } from '../../client/cache.js';
import { resources } from '../../client/resources.js';
import { newControllerRef } from '../../controller/controller-ref.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../../controller/slow-start.js';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import { comparePodsActiveFirst, isPodReady, podFromTemplate } from '../workloads/pods.js';
import type { Pod, PodTemplateSpec } from '../workloads/types.js';
import {
  COMPLETION_INDEX_ENV,
  COMPLETION_INDEX_KEY,
  completionIndexOf,
  indexedGenerateName,
} from './indexes.js';
import {
  type BackoffRecord,
  hasFinalizer,
  isIndexed,
  JOB_TRACKING_FINALIZER,
  type Job,
  type JobReconciler,
  MAX_PODS_PER_SYNC,
  onlyReplaceFailed,
  type SyncContext,
  suspended,
} from './types.js';

/** Creates or deletes pods toward what the Job wants running; returns the active count. */
export async function manageJob(r: JobReconciler, c: SyncContext, key: string, now: Date): Promise<number> {
  const { job } = c;
  let active = c.activePods.length;
  if (suspended(job)) {
    const { deleted, deletedReady, error } = await deletePods(
      r,
      job,
      key,
      activeForRemoval(job, c.activePods, active, now),
      true,
    );
    active -= deleted;
    c.terminating += deleted;
    c.ready -= deletedReady;
    if (error !== undefined) throw error;
    return active;
  }
  const parallelism = job.spec.parallelism ?? 1;
  let want: number;
  if (job.spec.completions === undefined || job.spec.completions === null) {
    want = c.succeeded > 0 ? active : parallelism;
  } else {
    want = Math.max(0, Math.min(job.spec.completions - c.succeeded, parallelism));
  }
  const rmAtLeast = Math.max(0, active - want);
  const toDelete = activeForRemoval(job, c.activePods, rmAtLeast, now).slice(0, MAX_PODS_PER_SYNC);
  if (toDelete.length > 0) {
    const { deleted, deletedReady, error } = await deletePods(r, job, key, toDelete, true);
    active -= deleted;
    c.terminating += deleted;
    c.ready -= deletedReady;
    if (error !== undefined) throw error;
    return active;
  }
  const terminating = onlyReplaceFailed(job) ? c.terminating : 0;
  let diff = want - terminating - active;
  if (diff <= 0) return active;
  const wait = backoffRemaining(r, c.backoff, now);
  if (wait > 0) {
    c.requeueAfter = Math.min(c.requeueAfter ?? wait, wait);
    return active;
  }
  diff = Math.min(diff, MAX_PODS_PER_SYNC);
  let indexes: number[] = [];
  if (isIndexed(job)) {
    indexes = firstPendingIndexes(c, diff, job.spec.completions ?? 0);
    diff = indexes.length;
  }
  if (diff === 0) return active;
  r.expectations.expectCreations(key, diff);
  const template = structuredClone(job.spec.template ?? {});
  if (isIndexed(job)) addCompletionIndexEnv(template);
  template.metadata = {
    ...template.metadata,
    finalizers: [...new Set([...(template.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER])],
  };
  const ref = newControllerRef(job);
  active += diff;
  let attempted = 0;
  const { error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
    attempted++;
    const index = indexes.length > 0 ? indexes[i]! : -1;
    const pod = podFromTemplate(template, job, ref);
    if (index >= 0) {
      pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX_KEY]: String(index) };
      pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX_KEY]: String(index) };
      pod.metadata.generateName = indexedGenerateName(job.metadata.name ?? '', index);
      pod.spec = { ...pod.spec, hostname: `${job.metadata.name}-${index}` };
    }
    try {
      const created = await r.ctx.client.create<Pod>(resources.pods, pod, {
        namespace: job.metadata.namespace,
      });
      r.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      r.expectations.creationObserved(key);
      active--;
      if (isNamespaceTerminating(err)) return;
      r.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  });
  if (error === undefined) return active;
  // Creates never attempted after a failed batch will not be observed.
  const skipped = diff - attempted;
  active -= skipped;
  r.expectations.lowerCreations(key, skipped);
  throw error;
}

/** Deletes pods (their tracking finalizer removed first when asked); returns counts and the first error. */
export async function deletePods(
  r: JobReconciler,
  job: Job,
  key: string,
  pods: Pod[],
  removeFinalizer: boolean,
): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
  if (pods.length === 0) return { deleted: 0, deletedReady: 0 };
  if (removeFinalizer) r.expectations.expectDeletions(key, pods.map(objectKey));
  let deleted = pods.length;
  let deletedReady = 0;
  let error: unknown;
  await Promise.all(
    pods.map(async (pod) => {
      try {
        if (removeFinalizer && hasFinalizer(pod)) await r.removeFinalizer(pod);
        await r.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace,
        });
        r.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        if (removeFinalizer) r.expectations.deletionObserved(key, objectKey(pod));
        if (!isNotFound(err)) {
          deleted--;
          error ??= err;
          r.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
        }
      }
      if (isPodReady(pod)) deletedReady++;
    }),
  );
  return { deleted, deletedReady, error };
}

/** Pods to remove: (Indexed) those with a duplicate or invalid index, then the least advanced. */
export function activeForRemoval(job: Job, pods: Pod[], rmAtLeast: number, now: Date): Pod[] {
  const rm: Pod[] = [];
  let left = pods;
  if (isIndexed(job)) {
    left = [];
    const byIndex = new Map<number, Pod[]>();
    for (const p of pods) {
      const ix = completionIndexOf(p);
      if (ix < 0 || ix >= (job.spec.completions ?? 0)) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const group of byIndex.values()) {
      group.sort((a, b) => comparePodsActiveFirst(a, b, now));
      left.push(group[0]!);
      rm.push(...group.slice(1));
    }
  }
  if (rm.length < rmAtLeast) {
    const sorted = [...left].sort((a, b) => -comparePodsActiveFirst(a, b, now));
    rm.push(...sorted.slice(0, rmAtLeast - rm.length));
  }
  return rm;
}

/** The lowest indexes neither succeeded nor held by an active pod. */
export function firstPendingIndexes(c: SyncContext, count: number, completions: number): number[] {
  const taken = new Set(c.succeededIndexes ?? []);
  for (const p of c.activePods) {
    const ix = completionIndexOf(p);
    if (ix >= 0) taken.add(ix);
  }
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/** JOB_COMPLETION_INDEX in every container, from the pod's completion index annotation. */
export function addCompletionIndexEnv(template: PodTemplateSpec): void {
  const env = {
    name: COMPLETION_INDEX_ENV,
    valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } },
  };
  const spec = template.spec ?? {};
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const container of list as { env?: { name: string }[] }[]) {
      if ((container.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
      container.env = [...(container.env ?? []), env];
    }
  }
}

export function pastActiveDeadline(job: Job, now: Date): boolean {
  if (job.spec.activeDeadlineSeconds === undefined || !job.status?.startTime || suspended(job)) return false;
  return now.getTime() - Date.parse(job.status.startTime) >= job.spec.activeDeadlineSeconds * 1000;
}

/** Container restarts of running pods exceed backoffLimit (restartPolicy OnFailure only). */
export function pastBackoffLimitOnFailure(job: Job, pods: Pod[]): boolean {
  if (job.spec.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])])
      restarts += s.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export function updateBackoff(b: BackoffRecord, succeeded: Pod[], failed: Pod[], now: Date): void {
  if (succeeded.length === 0 && failed.length === 0) return;
  const failedTimes = failed.map((p) => finishedTime(p, now)).sort((x, y) => x - y);
  if (succeeded.length === 0) {
    b.failuresAfterLastSuccess += failed.length;
    b.lastFailureTime = failedTimes[failedTimes.length - 1];
    return;
  }
  const lastSuccess = Math.max(...succeeded.map((p) => finishedTime(p, now)));
  b.failuresAfterLastSuccess = 0;
  b.lastFailureTime = undefined;
  for (let i = failedTimes.length - 1; i >= 0; i--) {
    if (failedTimes[i]! <= lastSuccess) break;
    b.lastFailureTime ??= failedTimes[i];
    b.failuresAfterLastSuccess++;
  }
}

/** Ms to wait before creating replacements after failures (0: none). */
export function backoffRemaining(r: JobReconciler, b: BackoffRecord, now: Date): number {
  if (b.failuresAfterLastSuccess === 0 || b.lastFailureTime === undefined) return 0;
  let delay = r.backoffBaseMs;
  for (let i = 1; i < b.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= r.backoffMaxMs) {
      delay = r.backoffMaxMs;
      break;
    }
  }
  const elapsed = now.getTime() - b.lastFailureTime;
  return delay < elapsed ? 0 : delay - elapsed;
}

/** When a finished pod stopped: its containers' finish time, else its deletion, else now. */
export function finishedTime(pod: Pod, now: Date): number {
  let latest = Number.NaN;
  for (const c of pod.status?.containerStatuses ?? []) {
    const f = (c.state as { terminated?: { finishedAt?: string } } | undefined)?.terminated?.finishedAt;
    const t = f ? Date.parse(f) : Number.NaN;
    if (!Number.isNaN(t) && (Number.isNaN(latest) || t > latest)) latest = t;
  }
  if (!Number.isNaN(latest)) return latest;
  if (pod.metadata.deletionTimestamp) return Date.parse(pod.metadata.deletionTimestamp);
  return now.getTime();
}
