// The CronJob controller, as Kubernetes' (pkg/controller/cronjob, v2): at each scheduled time
// (standard five-field schedules and descriptors, in spec.timeZone or UTC) a Job named
// "<cronjob>-<scheduled time in minutes>" from the jobTemplate, annotated with its scheduled
// time; concurrencyPolicy Allow, Forbid (skip while one runs) or Replace (delete the running
// one); startingDeadlineSeconds (a start missed by more is skipped); suspend; history limits for
// successful and failed Jobs; status.active, lastScheduleTime and lastSuccessfulTime. Each
// CronJob is requeued for its next scheduled time on the controller's one queue timer: nothing
// polls.

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
import { controllerRefOf, newControllerRef } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { updateStatus } from '../../controller/status.js';
import { parseZonedSchedule, type ZonedSchedule, zoneOffset } from '../../machinery/cron.js';
import type { KubeObject } from '../../machinery/object.js';
import { wireStatus } from '../../machinery/object.js';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { isJobFinished, type Job, type JobSpec, jobConditionTrue } from '../job/types.js';

export const CRONJOB_CONTROLLER = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Requeues land this long after the scheduled time, so the time has surely come. */
const NEXT_SCHEDULE_DELTA_MS = 100;

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    jobTemplate: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: JobSpec;
    };
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
  };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

export interface CronJobControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-cron-job-syncs, default 5). */
  workers?: number;
  recorder?: EventRecorder;
}

const CRONJOB_KIND: OwnerKind = { group: 'batch', kind: 'CronJob' };

/** The name of the Job for a scheduled time: minutes since the epoch, so one time makes one Job. */
export function jobNameFor(cronJob: CronJob, scheduled: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduled / 60_000)}`;
}

/** RFC 3339 in the zone, as Go's time.Format(time.RFC3339) prints it ("2024-01-15T09:00:00-05:00"). */
function rfc3339In(instant: number, zone: string): string {
  const offset = zoneOffset(zone, instant);
  const local = new Date(instant + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Go's RFC1123Z, for the MissSchedule event ("Mon, 15 Jan 2024 10:01:00 +0000"). */
function rfc1123z(instant: number): string {
  const d = new Date(instant);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * The most recent scheduled time in (earliest, now], if any, and roughly how many were missed
 * (mostRecentScheduleTime). Throws for a schedule whose firings are less than a second apart.
 */
function mostRecentScheduleTime(
  cj: CronJob,
  now: number,
  schedule: ZonedSchedule,
  includeStartingDeadline: boolean,
): { time?: number; missed: number } {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '');
  if (Number.isNaN(earliest)) earliest = now;
  if (includeStartingDeadline && cj.spec.startingDeadlineSeconds !== undefined) {
    earliest = Math.max(earliest, now - cj.spec.startingDeadlineSeconds * 1000);
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { missed: 0 };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { time: t1, missed: 1 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const missed = Math.floor((now - t1) / 1000 / between) + 1;
  let recent: number | undefined;
  const start = t1 + (missed - 2) * between * 1000;
  for (let t = schedule.next(start); t !== undefined && t <= now; t = schedule.next(t)) recent = t;
  return { time: recent ?? t1, missed };
}

export class CronJobController {
  readonly controller: Controller;
  private readonly cronJobInformer: Informer<CronJob>;
  private readonly jobInformer: Informer<Job>;
  private readonly jobs: OwnerIndex<Job>;
  private readonly releaseJobs: () => void;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    opts: CronJobControllerOptions = {},
  ) {
    this.recorder = eventRecorder(ctx, CRONJOB_CONTROLLER, opts.recorder);
    this.cronJobInformer = ctx.informers.informerFor<CronJob>(resources.cronjobs);
    this.jobInformer = ctx.informers.informerFor<Job>(resources.jobs);
    const { index, release } = acquireOwnerIndex(this.jobInformer);
    this.jobs = index;
    this.releaseJobs = release;
    this.controller = reconcileLoop(ctx, {
      name: 'cronjob',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
  }

  start(): RunningController {
    const enqueue = (cj: CronJob) => this.controller.enqueue(objectKey(cj));
    const jobChanged = (job: Job) => {
      const ref = controllerRefOf(job);
      const cj = ref && resolveControllerRef(this.cronJobInformer, CRONJOB_KIND, job.metadata.namespace, ref);
      if (cj) enqueue(cj);
    };
    const unregister = [
      this.cronJobInformer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, cj) => enqueue(cj) }),
      this.jobInformer.addEventHandler({
        onAdd: jobChanged,
        onUpdate: (old, job) => {
          if (old.metadata.resourceVersion !== job.metadata.resourceVersion) jobChanged(job);
        },
        onDelete: jobChanged,
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.cronJobInformer, this.jobInformer],
      unregister: [...unregister, this.releaseJobs],
      recorder: this.recorder,
    });
  }

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.cronJobInformer.getByKey(key);
    if (!cached) return undefined;
    const cj = structuredClone(cached) as CronJob;
    cj.status ??= {};
    const jobs = [...this.jobs.owned(cj.metadata.uid ?? '').values()];
    const cleaned = await this.cleanupFinishedJobs(cj, jobs);
    let result: { requeueAfter?: number; update: boolean };
    let syncError: unknown;
    try {
      result = await this.syncCronJob(cj, jobs);
    } catch (err) {
      if (!(err instanceof SyncError)) throw err;
      syncError = err.cause;
      result = { update: err.update };
    }
    if (cleaned || result.update) {
      // This controller is the only writer of a CronJob's status: on a conflict, it goes onto the newer object.
      await updateStatus(this.ctx.client, resources.cronjobs, cj, wireStatus(cj.status ?? {}));
    }
    if (result.requeueAfter !== undefined) return { requeueAfter: Math.max(1, result.requeueAfter) };
    if (syncError !== undefined) throw syncError;
    return undefined;
  }

  private async syncCronJob(cj: CronJob, jobs: Job[]): Promise<{ requeueAfter?: number; update: boolean }> {
    const now = this.ctx.now().getTime();
    const status = cj.status!;
    let update = false;
    const fail = (err: unknown): never => {
      throw new SyncError(err, update);
    };
    const active = () => status.active ?? [];
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata.uid ?? '';
      children.add(uid);
      const inActive = active().some((r) => r.uid === uid);
      if (!inActive && !isJobFinished(j)) {
        const fresh = await this.ctx.client
          .get<CronJob>(resources.cronjobs, cj.metadata.name ?? '', { namespace: cj.metadata.namespace })
          .catch((err) => fail(err));
        if (fresh.status?.active?.some((r) => r.uid === uid)) {
          status.active = fresh.status.active;
          continue;
        }
        this.recorder.event(
          cj,
          'Warning',
          'UnexpectedJob',
          `Saw a job that the controller did not create or forgot: ${j.metadata.name}`,
        );
      } else if (inActive && isJobFinished(j)) {
        const type = jobConditionTrue(j, 'Complete') ? 'Complete' : 'Failed';
        status.active = active().filter((r) => r.uid !== uid);
        this.recorder.event(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${j.metadata.name}, condition: ${type}`,
        );
        update = true;
      }
      // A succeeded Job moves lastSuccessfulTime forward, active or not.
      if (jobConditionTrue(j, 'Complete') && j.status?.completionTime) {
        const t = j.status.completionTime;
        if (!status.lastSuccessfulTime || Date.parse(t) > Date.parse(status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = t;
          update = true;
        }
      }
    }
    // Active references to Jobs that are gone (read from the server: the cache may be behind).
    for (const ref of active()) {
      if (children.has(ref.uid ?? '')) continue;
      try {
        await this.ctx.client.get(resources.jobs, ref.name ?? '', { namespace: ref.namespace });
      } catch (err) {
        if (!isNotFound(err)) fail(err);
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        status.active = active().filter((r) => r.uid !== ref.uid);
        update = true;
      }
    }
    if (cj.metadata.deletionTimestamp) return { update };
    if (cj.spec.timeZone !== undefined && !isKnownZone(cj.spec.timeZone)) {
      this.recorder.event(
        cj,
        'Warning',
        'UnknownTimeZone',
        `invalid timeZone: "${cj.spec.timeZone}": unknown time zone ${cj.spec.timeZone}`,
      );
      return { update };
    }
    if (cj.spec.suspend) return { update };
    if (/TZ/.test(cj.spec.schedule)) {
      this.recorder.event(
        cj,
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule "${cj.spec.schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      );
    }
    let schedule: ZonedSchedule;
    try {
      schedule = parseZonedSchedule(cj.spec.schedule, cj.spec.timeZone);
    } catch (err) {
      this.recorder.event(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: "${cj.spec.schedule}" : ${errorMessage(err)}`,
      );
      return { update };
    }
    let scheduled: number | undefined;
    try {
      const recent = mostRecentScheduleTime(cj, now, schedule, true);
      if (recent.missed > 100) {
        this.recorder.event(
          cj,
          'Warning',
          'TooManyMissedTimes',
          `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
        );
      }
      scheduled = recent.time;
    } catch (err) {
      this.recorder.event(
        cj,
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cj.spec.schedule} : ${errorMessage(err)}`,
      );
      return { update };
    }
    const nextIn = () => this.nextScheduleDelay(cj, now, schedule);
    if (scheduled === undefined) return { requeueAfter: nextIn(), update };
    if (
      cj.spec.startingDeadlineSeconds !== undefined &&
      scheduled + cj.spec.startingDeadlineSeconds * 1000 < now
    ) {
      this.recorder.event(
        cj,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`,
      );
      return { requeueAfter: nextIn(), update };
    }
    const name = jobNameFor(cj, scheduled);
    const lastScheduled = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : undefined;
    if (active().some((r) => r.name === name) || lastScheduled === Math.floor(scheduled / 1000) * 1000) {
      return { requeueAfter: nextIn(), update };
    }
    const policy = cj.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active().length > 0) {
      this.recorder.event(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return { requeueAfter: nextIn(), update };
    }
    if (policy === 'Replace') {
      for (const ref of active()) {
        let job: Job;
        try {
          job = await this.ctx.client.get<Job>(resources.jobs, ref.name ?? '', { namespace: ref.namespace });
        } catch (err) {
          this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${errorMessage(err)}`);
          return fail(err);
        }
        if (!(await this.deleteJob(cj, job)))
          fail(new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`));
        update = true;
      }
    }

    const job = this.jobFromTemplate(cj, scheduled, schedule.zone);
    let created: Job;
    try {
      created = await this.ctx.client.create<Job>(resources.jobs, job, { namespace: cj.metadata.namespace });
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (err) {
      if (isNamespaceTerminating(err)) return fail(err);
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
        return fail(err);
      }
      // Made before (the status update after it was lost) or by someone else.
      created = await this.ctx.client
        .get<Job>(resources.jobs, name, { namespace: cj.metadata.namespace })
        .catch((e) => fail(e));
      if (controllerRefOf(created)?.uid !== cj.metadata.uid) return { update };
      if (active().some((r) => r.uid === created.metadata.uid)) return { update };
    }
    status.active = [
      ...active(),
      {
        kind: 'Job',
        namespace: created.metadata.namespace,
        name: created.metadata.name,
        uid: created.metadata.uid,
        apiVersion: 'batch/v1',
        resourceVersion: created.metadata.resourceVersion,
      },
    ];
    status.lastScheduleTime = metaTime(new Date(scheduled));
    update = true;
    return { requeueAfter: nextIn(), update: true };
  }

  /** Ms until the next scheduled time after the most recent one (or the last known start). */
  private nextScheduleDelay(cj: CronJob, now: number, schedule: ZonedSchedule): number {
    let from: number;
    try {
      from =
        mostRecentScheduleTime(cj, now, schedule, false).time ??
        Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '');
    } catch {
      from = now;
    }
    if (Number.isNaN(from)) from = now;
    const next = schedule.next(from);
    return next === undefined ? 24 * 3600_000 : next + NEXT_SCHEDULE_DELTA_MS - now;
  }

  private jobFromTemplate(cj: CronJob, scheduled: number, zone: string): Job {
    const template = cj.spec.jobTemplate ?? {};
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: jobNameFor(cj, scheduled),
        namespace: cj.metadata.namespace,
        labels: { ...template.metadata?.labels },
        annotations: {
          ...template.metadata?.annotations,
          [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduled, zone),
        },
        ownerReferences: [newControllerRef(cj)],
      },
      spec: structuredClone(template.spec ?? {}),
    };
  }

  /** Deletes a Job (its pods follow in the background) and forgets it as active. */
  private async deleteJob(cj: CronJob, job: Job): Promise<boolean> {
    try {
      await this.ctx.client.delete(resources.jobs, job.metadata.name ?? '', {
        namespace: job.metadata.namespace,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (!isNotFound(err)) {
        this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
        return false;
      }
    }
    cj.status!.active = (cj.status!.active ?? []).filter((r) => r.uid !== job.metadata.uid);
    this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }

  /** Keeps the newest successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs. */
  private async cleanupFinishedJobs(cj: CronJob, jobs: Job[]): Promise<boolean> {
    if (cj.spec.successfulJobsHistoryLimit === undefined && cj.spec.failedJobsHistoryLimit === undefined)
      return false;
    const succeeded = jobs.filter((j) => jobConditionTrue(j, 'Complete'));
    const failed = jobs.filter((j) => jobConditionTrue(j, 'Failed'));
    let update = false;
    const removeOldest = async (list: Job[], keep: number | undefined) => {
      if (keep === undefined) return;
      const excess = list.length - keep;
      if (excess <= 0) return;
      list.sort(byStartTime);
      for (const j of list.slice(0, excess)) if (await this.deleteJob(cj, j)) update = true;
    };
    await removeOldest(succeeded, cj.spec.successfulJobsHistoryLimit);
    await removeOldest(failed, cj.spec.failedJobsHistoryLimit);
    return update;
  }
}

/** Oldest start first; Jobs that never started last; ties by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  if (sa === sb) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  return Date.parse(sa!) - Date.parse(sb!);
}

function isKnownZone(zone: string): boolean {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A sync step failed; whether the status had changed before it. */
class SyncError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly update: boolean,
  ) {
    super(errorMessage(cause));
  }
}

export function startCronJobController(
  ctx: ControllerContext,
  opts: CronJobControllerOptions = {},
): RunningController {
  return new CronJobController(ctx, opts).start();
}
