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
//
// This file wires the controller (informers, expectations, orphaned pods) and runs a sync;
// phases.ts creates and deletes pods, status.ts counts finished ones and writes the status.

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
import { claimObjects, controllerRefOf } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { ControllerExpectations } from '../../controller/expectations.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, refersTo, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import { errorMessage, isInvalid, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { isPodActive, isPodReady } from '../workloads/pods.js';
import type { Pod } from '../workloads/types.js';
import { completionIndexOf, parseIndexes } from './indexes.js';
import {
  deletePods,
  manageJob,
  pastActiveDeadline,
  pastBackoffLimitOnFailure,
  updateBackoff,
} from './phases.js';
import { ensureCondition, newCondition, trackStatusAndRemoveFinalizers } from './status.js';
import {
  type BackoffRecord,
  hasFinalizer,
  isIndexed,
  isJobFinished,
  isPodFailed,
  JOB_CONTROLLER,
  JOB_CONTROLLER_NAME,
  JOB_TRACKING_FINALIZER,
  type Job,
  type JobReconciler,
  jobConditionTrue,
  type SyncContext,
  suspended,
} from './types.js';

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

export class JobController implements JobReconciler {
  readonly controller: Controller;
  /** Removes the tracking finalizer from pods whose Job is gone or finished. */
  readonly orphanController: Controller;
  readonly expectations: ControllerExpectations;
  private readonly jobInformer: Informer<Job>;
  private readonly podInformer: Informer<Pod>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly releasePods: () => void;
  readonly recorder: EventRecorder;
  private readonly batchMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly backoffs = new Map<string, BackoffRecord>();
  /** Pod uids whose finalizer removal is under way, per job key. */
  readonly finalizerRemovals = new Map<string, Set<string>>();

  constructor(
    readonly ctx: ControllerContext,
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

  async removeFinalizer(pod: Pod): Promise<void> {
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
    updateBackoff(c.backoff, newSucceeded, newFailed, now);

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
    } else if (pastActiveDeadline(job, now)) {
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
      const { deleted, deletedReady, error } = await deletePods(this, job, key, c.activePods, false);
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
          active = await manageJob(this, c, key, now);
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
    await trackStatusAndRemoveFinalizers(this, c, key, needsUpdate, now);
    if (manageError !== undefined) throw manageError;
    return c.requeueAfter !== undefined ? { requeueAfter: c.requeueAfter } : undefined;
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
}

export function startJobController(
  ctx: ControllerContext,
  opts: JobControllerOptions = {},
): RunningController {
  return new JobController(ctx, opts).start();
}
