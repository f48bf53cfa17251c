// The Job controller, as Kubernetes' (pkg/controller/job): pods from the template up to
// parallelism until completions succeed (NonIndexed, or Indexed with a completion index per pod:
// annotation, label, hostname and JOB_COMPLETION_INDEX); pods carry the
// batch.kubernetes.io/job-tracking finalizer until the Job has counted them
// (status.uncountedTerminatedPods, then succeeded/failed); failed pods count against
// backoffLimit (and, with restartPolicy OnFailure, container restarts do), with an exponential
// delay before replacements (10 s doubling to 6 min); activeDeadlineSeconds; suspend and resume;
// status active/ready/terminating/succeeded/failed/startTime/completionTime/completedIndexes; the
// interim SuccessCriteriaMet and FailureTarget conditions, then Complete or Failed once every pod
// has stopped. Pod changes reach a Job in batches (1 s), as in Kubernetes.

import { objectKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller, ReconcileResult } from '../../controller/controller.js';
import { claimObjects, controllerRefOf, newControllerRef } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { ControllerExpectations } from '../../controller/expectations.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, refersTo, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { SLOW_START_INITIAL_BATCH_SIZE } from '../../controller/slow-start.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import type { Condition, KubeObject, LabelSelector } from '../../machinery/object.js';
import { wireStatus } from '../../machinery/object.js';
import { errorMessage, isInvalid, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { comparePodsActiveFirst, isPodActive, isPodReady, podFromTemplate } from '../workloads/pods.js';
import type { Pod, PodTemplateSpec } from '../workloads/types.js';
import {
  COMPLETION_INDEX_ENV,
  COMPLETION_INDEX_KEY,
  completionIndexOf,
  formatIndexes,
  indexedGenerateName,
  parseIndexes,
} from './indexes.js';

export const JOB_CONTROLLER = 'job-controller';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** Pods created or deleted, and finished pods counted, per sync. */
const MAX_PODS_PER_SYNC = 500;
const MAX_UNCOUNTED_PODS = 500;

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template?: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed';
  podFailurePolicy?: unknown;
  managedBy?: string;
}

export interface JobStatus {
  conditions?: Condition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

export interface JobControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-job-syncs, default 5). */
  workers?: number;
  /** Delay before a pod's change is acted on, so changes batch (default 1 s, as Kubernetes). */
  podEventBatchMs?: number;
  /** First delay before replacing a failed pod (default 10 s; doubles up to maxPodFailureBackoffMs). */
  podFailureBackoffMs?: number;
  maxPodFailureBackoffMs?: number;
  recorder?: EventRecorder;
}

const JOB_KIND: OwnerKind = { group: 'batch', kind: 'Job' };

export function jobConditionTrue(job: Job, type: string): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function isJobFinished(job: Job): boolean {
  return jobConditionTrue(job, 'Complete') || jobConditionTrue(job, 'Failed');
}

const hasFinalizer = (pod: Pod) => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
const suspended = (job: Job) => job.spec.suspend === true;
const isIndexed = (job: Job) => job.spec.completionMode === 'Indexed';
/** Only Failed pods are replaced (not terminating ones). */
const onlyReplaceFailed = (job: Job) =>
  job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy != null;

/** A pod counts as failed when Failed, or (unless only failures are replaced) deleted before succeeding. */
function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailed(job)) return false;
  return Boolean(pod.metadata.deletionTimestamp) && pod.status?.phase !== 'Succeeded';
}

function newCondition(
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
function ensureCondition(
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

/** When a finished pod stopped: its containers' finish time, else its deletion, else now. */
function finishedTime(pod: Pod, now: Date): number {
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

interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

interface SyncContext {
  job: Job;
  pods: Pod[];
  activePods: Pod[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  finishedCondition?: Condition;
  succeededIndexes?: Set<number>;
  prevSucceededIndexes?: Set<number>;
  backoff: BackoffRecord;
  requeueAfter?: number;
}

export class JobController {
  readonly controller: Controller;
  /** Removes the tracking finalizer from pods whose Job is gone or finished. */
  readonly orphanController: Controller;
  readonly expectations: ControllerExpectations;
  private readonly jobInformer: Informer<Job>;
  private readonly podInformer: Informer<Pod>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly releasePods: () => void;
  private readonly recorder: EventRecorder;
  private readonly batchMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly backoffs = new Map<string, BackoffRecord>();
  /** Pod uids whose finalizer removal is under way, per job key. */
  private readonly finalizerRemovals = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: JobControllerOptions = {},
  ) {
    this.batchMs = opts.podEventBatchMs ?? 1000;
    this.backoffBaseMs = opts.podFailureBackoffMs ?? 10_000;
    this.backoffMaxMs = opts.maxPodFailureBackoffMs ?? 360_000;
    this.expectations = new ControllerExpectations(ctx.now);
    this.recorder = eventRecorder(ctx, JOB_CONTROLLER, opts.recorder);
    this.jobInformer = ctx.informers.informerFor<Job>(resources.jobs);
    this.podInformer = ctx.informers.informerFor<Pod>(resources.pods);
    const { index, release } = acquireOwnerIndex(this.podInformer);
    this.pods = index;
    this.releasePods = release;
    this.controller = reconcileLoop(ctx, {
      name: 'job',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
    this.orphanController = reconcileLoop(ctx, {
      name: 'job-orphan-pod',
      reconcile: (key) => this.syncOrphanPod(key),
    });
  }

  start(): RunningController {
    const unregister = [
      this.jobInformer.addEventHandler({
        onAdd: (job) => this.controller.enqueue(objectKey(job)),
        onUpdate: (_old, job) => this.controller.enqueue(objectKey(job)),
        onDelete: (job) => {
          const key = objectKey(job);
          this.expectations.delete(key);
          this.backoffs.delete(key);
          this.finalizerRemovals.delete(key);
          // Its pods keep their tracking finalizer until someone removes it: we do.
          for (const pod of this.pods.owned(job.metadata.uid ?? '').values()) {
            if (hasFinalizer(pod)) this.orphanController.enqueue(objectKey(pod));
          }
        },
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.podChanged(undefined, pod),
        onUpdate: (old, pod) => this.podChanged(old, pod),
        onDelete: (pod) => this.podDeleted(pod),
      }),
    ];
    return runController({
      controllers: [this.controller, this.orphanController],
      informers: [this.jobInformer, this.podInformer],
      unregister: [...unregister, this.releasePods],
      recorder: this.recorder,
    });
  }

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.jobInformer, JOB_KIND, namespace, ref);
  }

  private enqueueBatched(job: Job): void {
    this.controller.enqueueAfter(objectKey(job), this.batchMs);
  }

  private podChanged(old: Pod | undefined, pod: Pod): void {
    if (old && old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    if (!old && pod.metadata.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    const ref = controllerRefOf(pod);
    const job = ref ? this.resolve(pod.metadata.namespace, ref) : undefined;
    if (hasFinalizer(pod) && (!job || isJobFinished(job))) {
      if (!ref || refersTo(ref, JOB_KIND)) this.orphanController.enqueue(objectKey(pod));
    }
    if (old) {
      const oldRef = controllerRefOf(old);
      if (oldRef && oldRef.uid !== ref?.uid) {
        const oldJob = this.resolve(old.metadata.namespace, oldRef);
        if (oldJob) this.enqueueBatched(oldJob);
      }
      // A finalizer we removed has been seen.
      if (job && hasFinalizer(old) && !hasFinalizer(pod))
        this.finalizerRemovals.get(objectKey(job))?.delete(pod.metadata.uid ?? '');
    }
    if (job) {
      if (!old) this.expectations.creationObserved(objectKey(job));
      if (pod.metadata.deletionTimestamp) this.expectations.deletionObserved(objectKey(job), objectKey(pod));
      this.enqueueBatched(job);
      return;
    }
    if (!ref) for (const j of selectingOwners(this.jobInformer, pod)) this.enqueueBatched(j);
  }

  private podDeleted(pod: Pod): void {
    const ref = controllerRefOf(pod);
    const job = ref ? this.resolve(pod.metadata.namespace, ref) : undefined;
    if (!job) {
      if (hasFinalizer(pod) && !pod.metadata.deletionTimestamp) this.orphanController.enqueue(objectKey(pod));
      return;
    }
    const key = objectKey(job);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.finalizerRemovals.get(key)?.delete(pod.metadata.uid ?? '');
    this.enqueueBatched(job);
  }

  private async syncOrphanPod(key: string): Promise<undefined> {
    const pod = this.podInformer.getByKey(key);
    if (!pod || !hasFinalizer(pod)) return undefined;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (!refersTo(ref, JOB_KIND)) return undefined;
      const job = this.resolve(pod.metadata.namespace, ref);
      if (job && !isJobFinished(job)) return undefined;
    }
    await this.removeFinalizer(pod);
    return undefined;
  }

  private async removeFinalizer(pod: Pod): Promise<void> {
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await this.ctx.client.patch(
        resources.pods,
        pod.metadata.name ?? '',
        [
          { op: 'test', path: '/metadata/uid', value: pod.metadata.uid },
          { op: 'replace', path: '/metadata/finalizers', value: finalizers },
        ],
        'json',
        { namespace: pod.metadata.namespace },
      );
    } catch (err) {
      if (isNotFound(err) || isInvalid(err)) return;
      throw err;
    }
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.jobInformer.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      this.backoffs.delete(key);
      this.finalizerRemovals.delete(key);
      return undefined;
    }
    if (cached.spec.managedBy && cached.spec.managedBy !== JOB_CONTROLLER_NAME) return undefined;
    const job = structuredClone(cached) as Job;
    if (isJobFinished(job)) {
      this.backoffs.delete(key);
      return undefined;
    }
    const mode = job.spec.completionMode ?? 'NonIndexed';
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.recorder.event(
        job,
        'Warning',
        'UnknownCompletionMode',
        'Skipped Job sync because completion mode is unknown',
      );
      return undefined;
    }
    const now = this.ctx.now();
    job.status ??= {};
    job.status.uncountedTerminatedPods ??= {};
    const uncounted = job.status.uncountedTerminatedPods;
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsFor(job);
    const removing = this.finalizerRemovals.get(key) ?? new Set<string>();
    const activePods = pods.filter(isPodActive);
    const c: SyncContext = {
      job,
      pods,
      activePods,
      ready: activePods.filter(isPodReady).length,
      terminating: pods.filter(
        (p) =>
          p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
      ).length,
      succeeded: 0,
      failed: 0,
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      backoff: { ...(this.backoffs.get(key) ?? { failuresAfterLastSuccess: 0 }) },
    };
    let active = activePods.length;
    const fresh = (p: Pod) => hasFinalizer(p) && !removing.has(p.metadata.uid ?? '');
    const counted = (p: Pod) => {
      if (!isIndexed(job)) return true;
      const ix = completionIndexOf(p);
      return ix >= 0 && ix < (job.spec.completions ?? 0);
    };
    const newSucceeded = pods.filter(
      (p) =>
        fresh(p) &&
        !c.uncountedSucceeded.has(p.metadata.uid ?? '') &&
        counted(p) &&
        p.status?.phase === 'Succeeded',
    );
    const newFailed = pods.filter(
      (p) => fresh(p) && !c.uncountedFailed.has(p.metadata.uid ?? '') && counted(p) && isPodFailed(p, job),
    );
    c.succeeded = (job.status.succeeded ?? 0) + newSucceeded.length + c.uncountedSucceeded.size;
    c.failed = (job.status.failed ?? 0) + newFailed.length + c.uncountedFailed.size;
    if (!job.status.startTime && !suspended(job)) job.status.startTime = metaTime(now);
    this.updateBackoff(c.backoff, newSucceeded, newFailed, now);

    const backoffLimit = job.spec.backoffLimit ?? 6;
    if (jobConditionTrue(job, 'SuccessCriteriaMet')) {
      c.finishedCondition = job.status.conditions!.find((x) => x.type === 'SuccessCriteriaMet');
    } else if (jobConditionTrue(job, 'FailureTarget')) {
      const target = job.status.conditions!.find((x) => x.type === 'FailureTarget')!;
      c.finishedCondition = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
    } else if (c.failed > backoffLimit || pastBackoffLimitOnFailure(job, pods)) {
      c.finishedCondition = newCondition(
        'FailureTarget',
        'True',
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
        now,
      );
    } else if (this.pastActiveDeadline(job, now)) {
      c.finishedCondition = newCondition(
        'FailureTarget',
        'True',
        'DeadlineExceeded',
        'Job was active longer than specified deadline',
        now,
      );
    } else if (job.spec.activeDeadlineSeconds !== undefined && !suspended(job) && job.status.startTime) {
      const left = Date.parse(job.status.startTime) + job.spec.activeDeadlineSeconds * 1000 - now.getTime();
      c.requeueAfter = Math.max(left, 1);
    }
    if (isIndexed(job)) {
      c.prevSucceededIndexes = parseIndexes(job.status.completedIndexes, job.spec.completions ?? 0);
      c.succeededIndexes = new Set(c.prevSucceededIndexes);
      for (const p of pods) {
        const ix = completionIndexOf(p);
        if (
          p.status?.phase === 'Succeeded' &&
          hasFinalizer(p) &&
          ix >= 0 &&
          ix < (job.spec.completions ?? 0)
        ) {
          c.succeededIndexes.add(ix);
        }
      }
      c.succeeded = c.succeededIndexes.size;
    }

    let manageError: unknown;
    let suspendChanged = false;
    if (c.finishedCondition) {
      // The Job is done: its remaining pods go.
      const { deleted, deletedReady, error } = await this.deletePods(job, key, c.activePods, false);
      // Not finished while pods remain that the informer may not have shown yet.
      if (deleted !== active || !satisfied) c.finishedCondition = undefined;
      active -= deleted;
      c.terminating += deleted;
      c.ready -= deletedReady;
      manageError = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        try {
          active = await this.manageJob(c, key, now);
        } catch (err) {
          manageError = err;
          active = c.activePods.length;
        }
        managed = true;
      }
      const complete =
        job.spec.completions === undefined || job.spec.completions === null
          ? c.succeeded > 0 && active === 0
          : c.succeeded >= job.spec.completions && active === 0;
      if (complete) {
        c.finishedCondition = newCondition(
          'SuccessCriteriaMet',
          'True',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          now,
        );
      } else if (managed) {
        if (suspended(job)) {
          if (ensureCondition(job.status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
            suspendChanged = true;
            this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(job.status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
          suspendChanged = true;
          this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
          // The deadline counts from the resume.
          job.status.startTime = metaTime(now);
        }
      }
    }
    const needsUpdate =
      suspendChanged ||
      active !== (job.status.active ?? 0) ||
      c.ready !== job.status.ready ||
      c.terminating !== job.status.terminating ||
      cached.status?.startTime !== job.status.startTime;
    job.status.active = active;
    job.status.ready = c.ready;
    job.status.terminating = c.terminating;
    await this.trackStatusAndRemoveFinalizers(c, key, needsUpdate, now);
    if (manageError !== undefined) throw manageError;
    return c.requeueAfter !== undefined ? { requeueAfter: c.requeueAfter } : undefined;
  }

  private pastActiveDeadline(job: Job, now: Date): boolean {
    if (job.spec.activeDeadlineSeconds === undefined || !job.status?.startTime || suspended(job))
      return false;
    return now.getTime() - Date.parse(job.status.startTime) >= job.spec.activeDeadlineSeconds * 1000;
  }

  private updateBackoff(b: BackoffRecord, succeeded: Pod[], failed: Pod[], now: Date): void {
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
  private backoffRemaining(b: BackoffRecord, now: Date): number {
    if (b.failuresAfterLastSuccess === 0 || b.lastFailureTime === undefined) return 0;
    let delay = this.backoffBaseMs;
    for (let i = 1; i < b.failuresAfterLastSuccess; i++) {
      delay *= 2;
      if (delay >= this.backoffMaxMs) {
        delay = this.backoffMaxMs;
        break;
      }
    }
    const elapsed = now.getTime() - b.lastFailureTime;
    return delay < elapsed ? 0 : delay - elapsed;
  }

  /** The Job's pods after adoption (adopted pods get the tracking finalizer) and release. */
  private async podsFor(job: Job): Promise<Pod[]> {
    let selector: Selector;
    try {
      selector = fromLabelSelector(job.spec.selector);
    } catch (err) {
      throw new Error(`couldn't convert Job selector: ${errorMessage(err)}`);
    }
    const owned = [...this.pods.owned(job.metadata.uid ?? '').values()];
    const orphans = [...this.pods.orphansIn(job.metadata.namespace ?? '').values()];
    if (orphans.length === 0 && owned.every((p) => selector.matches(p.metadata.labels ?? {}))) return owned;
    const claimed = await claimObjects(
      { client: this.ctx.client, ref: resources.pods, owner: job, ownerRef: resources.jobs, selector },
      [...owned, ...orphans],
    );
    const out: Pod[] = [];
    for (const p of claimed) {
      if (controllerRefOf(p)?.uid === job.metadata.uid || hasFinalizer(p)) {
        out.push(p);
        continue;
      }
      // Adopted just now: track it from here on.
      await this.ctx.client
        .patch(
          resources.pods,
          p.metadata.name ?? '',
          { metadata: { finalizers: [...(p.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER] } },
          'merge',
          {
            namespace: p.metadata.namespace,
          },
        )
        .catch(() => undefined);
      out.push({
        ...p,
        metadata: { ...p.metadata, finalizers: [...(p.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER] },
      });
    }
    return out;
  }

  /** Creates or deletes pods toward what the Job wants running; returns the active count. */
  private async manageJob(c: SyncContext, key: string, now: Date): Promise<number> {
    const { job } = c;
    let active = c.activePods.length;
    if (suspended(job)) {
      const { deleted, deletedReady, error } = await this.deletePods(
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
      const { deleted, deletedReady, error } = await this.deletePods(job, key, toDelete, true);
      active -= deleted;
      c.terminating += deleted;
      c.ready -= deletedReady;
      if (error !== undefined) throw error;
      return active;
    }
    const terminating = onlyReplaceFailed(job) ? c.terminating : 0;
    let diff = want - terminating - active;
    if (diff <= 0) return active;
    const wait = this.backoffRemaining(c.backoff, now);
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
    this.expectations.expectCreations(key, diff);
    const template = structuredClone(job.spec.template ?? {});
    if (isIndexed(job)) addCompletionIndexEnv(template);
    template.metadata = {
      ...template.metadata,
      finalizers: [...new Set([...(template.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER])],
    };
    const ref = newControllerRef(job);
    const errs: unknown[] = [];
    active += diff;
    let remaining = diff;
    for (
      let batch = Math.min(diff, SLOW_START_INITIAL_BATCH_SIZE);
      remaining > 0;
      batch = Math.min(2 * batch, remaining)
    ) {
      const before = errs.length;
      const chunk = indexes.length > 0 ? indexes.splice(0, batch) : new Array<number>(batch).fill(-1);
      await Promise.all(
        chunk.map(async (index) => {
          const pod = podFromTemplate(template, job, ref);
          if (index >= 0) {
            pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX_KEY]: String(index) };
            pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX_KEY]: String(index) };
            pod.metadata.generateName = indexedGenerateName(job.metadata.name ?? '', index);
            pod.spec = { ...pod.spec, hostname: `${job.metadata.name}-${index}` };
          }
          try {
            const created = await this.ctx.client.create<Pod>(resources.pods, pod, {
              namespace: job.metadata.namespace,
            });
            this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
          } catch (err) {
            this.expectations.creationObserved(key);
            active--;
            if (isNamespaceTerminating(err)) return;
            this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
            errs.push(err);
          }
        }),
      );
      const skipped = remaining - batch;
      if (errs.length > before && skipped > 0) {
        active -= skipped;
        this.expectations.lowerCreations(key, skipped);
        break;
      }
      remaining -= batch;
    }
    if (errs.length > 0) throw errs[0];
    return active;
  }

  /** Deletes pods (their tracking finalizer removed first when asked); returns counts and the first error. */
  private async deletePods(
    job: Job,
    key: string,
    pods: Pod[],
    removeFinalizer: boolean,
  ): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    if (pods.length === 0) return { deleted: 0, deletedReady: 0 };
    if (removeFinalizer) this.expectations.expectDeletions(key, pods.map(objectKey));
    let deleted = pods.length;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (removeFinalizer && hasFinalizer(pod)) await this.removeFinalizer(pod);
          await this.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
            namespace: pod.metadata.namespace,
          });
          this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          if (removeFinalizer) this.expectations.deletionObserved(key, objectKey(pod));
          if (!isNotFound(err)) {
            deleted--;
            error ??= err;
            this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          }
        }
        if (isPodReady(pod)) deletedReady++;
      }),
    );
    return { deleted, deletedReady, error };
  }

  /**
   * Counts finished pods (first into status.uncountedTerminatedPods, then, once their finalizer
   * is gone, into succeeded/failed), and declares the Job finished when nothing is left to count.
   */
  private async trackStatusAndRemoveFinalizers(
    c: SyncContext,
    key: string,
    needsFlush: boolean,
    now: Date,
  ): Promise<void> {
    const { job } = c;
    const status = job.status!;
    const uncounted = status.uncountedTerminatedPods!;
    const removing = this.finalizerRemovals.get(key) ?? new Set<string>();
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
        if (
          !c.uncountedFailed.has(uid) &&
          (!isIndexed(job) || (ix >= 0 && ix < (job.spec.completions ?? 0)))
        ) {
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
      await this.writeStatus(job);
      this.backoffs.set(key, c.backoff);
      needsFlush = false;
    }
    // 2. Remove the finalizers; 3. count the pods that lost theirs.
    let removeError: unknown;
    if (toRemove.length > 0) {
      const set = this.finalizerRemovals.get(key) ?? new Set<string>();
      this.finalizerRemovals.set(key, set);
      await Promise.all(
        toRemove.map(async (pod) => {
          const uid = pod.metadata.uid ?? '';
          set.add(uid);
          try {
            await this.removeFinalizer(pod);
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
      if (needsFlush) await this.writeStatus(job);
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
      await this.writeStatus(job);
      if (finished) this.recordFinished(job, c.finishedCondition!);
    }
    if (oldCounts.succeeded !== (status.succeeded ?? 0) || oldCounts.failed !== (status.failed ?? 0)) {
      this.controller.logger.debug(
        { key, succeeded: status.succeeded, failed: status.failed },
        'job pods counted',
      );
    }
  }

  private recordFinished(job: Job, condition: Condition): void {
    if (condition.type === 'Complete') {
      if (job.spec.completions !== undefined && (job.status?.succeeded ?? 0) > job.spec.completions) {
        this.recorder.event(
          job,
          'Warning',
          'TooManySucceededPods',
          'Too many succeeded pods running after completion count reached',
        );
      }
      this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.recorder.event(job, 'Warning', condition.reason ?? '', condition.message ?? '');
    }
  }

  private async writeStatus(job: Job): Promise<void> {
    const written = await this.ctx.client.update<Job>(
      resources.jobs,
      { ...job, status: jobWireStatus(job.status ?? {}) },
      {
        namespace: job.metadata.namespace,
        subresource: 'status',
      },
    );
    job.metadata.resourceVersion = written.metadata.resourceVersion;
  }
}

/** Moves uncounted pods whose finalizer is gone into the counters. Returns whether anything changed. */
function cleanUncounted(status: JobStatus, withFinalizer: Set<string>): boolean {
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

/** Container restarts of running pods exceed backoffLimit (restartPolicy OnFailure only). */
function pastBackoffLimitOnFailure(job: Job, pods: Pod[]): boolean {
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

/** Pods to remove: (Indexed) those with a duplicate or invalid index, then the least advanced. */
function activeForRemoval(job: Job, pods: Pod[], rmAtLeast: number, now: Date): Pod[] {
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
function firstPendingIndexes(c: SyncContext, count: number, completions: number): number[] {
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
function addCompletionIndexEnv(template: PodTemplateSpec): void {
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

export function startJobController(
  ctx: ControllerContext,
  opts: JobControllerOptions = {},
): RunningController {
  return new JobController(ctx, opts).start();
}

/** The Job status as the API writes it: terminating, ready and uncountedTerminatedPods always. */
function jobWireStatus(s: JobStatus): JobStatus {
  const uncounted = wireStatus(s.uncountedTerminatedPods ?? {});
  return wireStatus(
    { ...s, uncountedTerminatedPods: uncounted },
    { always: ['terminating', 'ready'], whenSet: ['failedIndexes', 'uncountedTerminatedPods'] },
  );
}
