// Failover's decisions, with no I/O: whether a binding must leave a member tainted NoExecute (the
// taint manager's needEviction, with Karmada's toleration arithmetic), how a member leaves a
// binding (GracefulEvictCluster: out of spec.clusters, into spec.gracefulEvictionTasks), and when
// a graceful eviction task is done (the new placement is healthy, the grace period passed, or the
// user decided through suppressDeletion).

import {
  matchingTolerations,
  type Taint,
  type Toleration,
  toleratesTaint,
} from '../../../machinery/taints.js';
import { metaTime } from '../../../machinery/time.js';
import {
  type AggregatedStatusItem,
  type ApplicationFailoverBehavior,
  EVICTION_REASON_APPLICATION_FAILURE,
  EVICTION_REASON_TAINT_UNTOLERATED,
  type FailoverBehavior,
  type GracefulEvictionTask,
  type PurgeMode,
  type ResourceBindingSpec,
  type TargetCluster,
} from '../../apis/karmada/index.js';

/** What the taint manager does about a binding on a member: evict now, look again later, or nothing. */
export type TaintDecision = { evict: true } | { evict: false; afterMs?: number };

function noExecute(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/**
 * Whether a binding tolerating `tolerations` must leave a member with `taints` at `now`: every
 * NoExecute taint must be tolerated; tolerated ones with tolerationSeconds are tolerated until the
 * earliest timeAdded + tolerationSeconds among them.
 */
export function taintDecision(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  now: Date,
): TaintDecision {
  const noExec = noExecute(taints);
  if (noExec.length === 0) return { evict: false };
  const { allTolerated, used } = matchingTolerations(noExec, tolerations ?? []);
  if (!allTolerated) return { evict: true };
  let due = Number.POSITIVE_INFINITY;
  for (const tol of used) {
    if (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null) continue;
    for (const taint of noExec) {
      if (!taint.timeAdded || !toleratesTaint(tol, taint)) continue;
      const added = Date.parse(taint.timeAdded);
      if (Number.isNaN(added)) continue;
      due = Math.min(due, added + Math.max(0, tol.tolerationSeconds) * 1000);
    }
  }
  if (due === Number.POSITIVE_INFINITY) return { evict: false };
  const left = due - now.getTime();
  return left <= 0 ? { evict: true } : { evict: false, afterMs: left };
}

/**
 * The purge mode of a cluster failover: the policy's failover.cluster.purgeMode (Gracefully when
 * empty), else the hub's default (Karmada's --no-execute-taint-eviction-purge-mode).
 */
export function clusterPurgeMode(failover: FailoverBehavior | undefined, fallback: PurgeMode): PurgeMode {
  if (failover?.cluster) return failover.cluster.purgeMode || 'Gracefully';
  return fallback === 'Directly' ? 'Directly' : 'Gracefully';
}

export interface EvictionOptions {
  reason: string;
  producer: string;
  purgeMode?: PurgeMode;
  message?: string;
  gracePeriodSeconds?: number;
  suppressDeletion?: boolean;
  preservedLabelState?: Record<string, string>;
  clustersBeforeFailover?: string[];
}

/**
 * The spec after `cluster` leaves it (GracefulEvictCluster): out of spec.clusters and, unless a
 * task for it exists already, a task with its replicas. Unchanged (same object) when the binding
 * is not on the cluster.
 */
export function evictCluster(
  spec: ResourceBindingSpec,
  cluster: string,
  opts: EvictionOptions,
  now: Date,
): ResourceBindingSpec {
  const clusters = spec.clusters ?? [];
  const target = clusters.find((c) => c.name === cluster);
  if (!target) return spec;
  const next: ResourceBindingSpec = { ...spec, clusters: clusters.filter((c) => c.name !== cluster) };
  const tasks = spec.gracefulEvictionTasks ?? [];
  if (tasks.some((t) => t.fromCluster === cluster)) return next;
  const task: GracefulEvictionTask = {
    fromCluster: cluster,
    ...(opts.purgeMode ? { purgeMode: opts.purgeMode } : {}),
    ...((target.replicas ?? 0) > 0 ? { replicas: target.replicas } : {}),
    reason: opts.reason,
    ...(opts.message ? { message: opts.message } : {}),
    producer: opts.producer,
    ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(opts.suppressDeletion !== undefined ? { suppressDeletion: opts.suppressDeletion } : {}),
    ...(opts.preservedLabelState ? { preservedLabelState: opts.preservedLabelState } : {}),
    ...(opts.clustersBeforeFailover ? { clustersBeforeFailover: opts.clustersBeforeFailover } : {}),
    creationTimestamp: metaTime(now),
  };
  return { ...next, gracefulEvictionTasks: [...tasks, task] };
}

/** The task options of an application failover (buildTaskOptions): Never holds the old copy. */
export function applicationEviction(
  behavior: ApplicationFailoverBehavior,
  producer: string,
  clustersBeforeFailover: string[],
  preservedLabelState: Record<string, string> | undefined,
): EvictionOptions {
  const purgeMode = behavior.purgeMode || 'Gracefully';
  return {
    reason: EVICTION_REASON_APPLICATION_FAILURE,
    producer,
    purgeMode,
    ...(purgeMode === 'Gracefully' && behavior.gracePeriodSeconds !== undefined
      ? { gracePeriodSeconds: behavior.gracePeriodSeconds }
      : {}),
    ...(purgeMode === 'Never' ? { suppressDeletion: true } : {}),
    ...(preservedLabelState ? { preservedLabelState, clustersBeforeFailover } : {}),
  };
}

export interface TaskAssessment {
  /** The tasks that stay, creation times filled in. */
  kept: GracefulEvictionTask[];
  /** Tasks done, with why. */
  done: { task: GracefulEvictionTask; why: 'healthy' | 'timeout' | 'confirmed' | 'recovered' }[];
  /** Look again after this many ms (the earliest grace period to end), if any task waits on time. */
  retryAfterMs?: number;
}

/**
 * The binding is placed somewhere and every member it is placed on reports the resource Healthy.
 * (Karmada counts an empty placement as healthy and drops the old copy while nothing replaces it.)
 */
export function placementHealthy(
  clusters: readonly TargetCluster[] | undefined,
  aggregated: readonly AggregatedStatusItem[] | undefined,
): boolean {
  if (!clusters?.length) return false;
  return clusters.every((t) => aggregated?.find((s) => s.clusterName === t.name)?.health === 'Healthy');
}

/**
 * Which graceful eviction tasks are done (assessEvictionTasks): suppressDeletion true holds a task
 * and false ends it; otherwise it ends once its grace period (gracePeriodSeconds, else
 * `defaultTimeoutMs`) has passed or, when the scheduler has seen the binding's latest spec, every
 * member it is placed on reports the resource Healthy. A binding placed nowhere keeps its old
 * copies; a taint eviction from a member that is back (`memberBack`) then ends, so that the
 * scheduler may place the binding there again. A task without a creation time gets `now`.
 */
export function assessTasks(
  tasks: readonly GracefulEvictionTask[],
  now: Date,
  opts: {
    defaultTimeoutMs: number;
    clusters: readonly TargetCluster[] | undefined;
    aggregated: readonly AggregatedStatusItem[] | undefined;
    scheduled: boolean;
    /** Whether a member is Ready again without NoExecute taints. */
    memberBack?: (cluster: string) => boolean;
  },
): TaskAssessment {
  const kept: GracefulEvictionTask[] = [];
  const done: TaskAssessment['done'] = [];
  let retry = Number.POSITIVE_INFINITY;
  const healthy = opts.scheduled && placementHealthy(opts.clusters, opts.aggregated);
  for (const task of tasks) {
    const timeoutMs =
      task.gracePeriodSeconds !== undefined ? task.gracePeriodSeconds * 1000 : opts.defaultTimeoutMs;
    const created = Date.parse(task.creationTimestamp ?? '');
    if (Number.isNaN(created)) {
      kept.push({ ...task, creationTimestamp: metaTime(now) });
      if (task.suppressDeletion === undefined) retry = Math.min(retry, timeoutMs);
      continue;
    }
    if (task.suppressDeletion === true) {
      kept.push(task);
      continue;
    }
    if (task.suppressDeletion === false) {
      done.push({ task, why: 'confirmed' });
      continue;
    }
    const left = created + timeoutMs - now.getTime();
    if (left < 0) {
      done.push({ task, why: 'timeout' });
      continue;
    }
    if (healthy) {
      done.push({ task, why: 'healthy' });
      continue;
    }
    if (
      !opts.clusters?.length &&
      task.reason === EVICTION_REASON_TAINT_UNTOLERATED &&
      opts.memberBack?.(task.fromCluster)
    ) {
      done.push({ task, why: 'recovered' });
      continue;
    }
    kept.push(task);
    retry = Math.min(retry, left + 1);
  }
  return retry === Number.POSITIVE_INFINITY ? { kept, done } : { kept, done, retryAfterMs: retry };
}
