// The Job API types the controller reads and writes, the predicates its steps share, and what a
// sync carries from one step to the next (controller.ts -> phases.ts -> status.ts).

import type { ControllerContext } from '../../controller/context.js';
import type { Controller } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import type { ControllerExpectations } from '../../controller/expectations.js';
import type { Condition, KubeObject, LabelSelector } from '../../machinery/object.js';
import type { Pod, PodTemplateSpec } from '../workloads/types.js';

export const JOB_CONTROLLER = 'job-controller';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** Pods created or deleted, and finished pods counted, per sync. */
export const MAX_PODS_PER_SYNC = 500;

export const MAX_UNCOUNTED_PODS = 500;

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

export function jobConditionTrue(job: Job, type: string): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function isJobFinished(job: Job): boolean {
  return jobConditionTrue(job, 'Complete') || jobConditionTrue(job, 'Failed');
}

export const hasFinalizer = (pod: Pod) => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;

export const suspended = (job: Job) => job.spec.suspend === true;

export const isIndexed = (job: Job) => job.spec.completionMode === 'Indexed';

/** Only Failed pods are replaced (not terminating ones). */
export const onlyReplaceFailed = (job: Job) =>
  job.spec.podReplacementPolicy === 'Failed' || job.spec.podFailurePolicy != null;

/** A pod counts as failed when Failed, or (unless only failures are replaced) deleted before succeeding. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailed(job)) return false;
  return Boolean(pod.metadata.deletionTimestamp) && pod.status?.phase !== 'Succeeded';
}

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

export interface SyncContext {
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

/** What the phases and status steps of a sync use of their controller. */
export interface JobReconciler {
  readonly ctx: ControllerContext;
  readonly controller: Controller;
  readonly recorder: EventRecorder;
  readonly expectations: ControllerExpectations;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly backoffs: Map<string, BackoffRecord>;
  /** Pod uids whose finalizer removal is under way, per job key. */
  readonly finalizerRemovals: Map<string, Set<string>>;
  removeFinalizer(pod: Pod): Promise<void>;
}
