// The life of a pod on a simulated node, as one function: given the pod as the API has it, the
// node and the time, what status the kubelet reports next, when it must look again, and whether
// the pod can be removed. Every step is derived from the pod's own status (plus a small memory of
// when each step began, which a restart loses harmlessly), so the kubelet keeps no per-pod state
// machine, resumes after a restart or a node outage, and writes only when something changed.
//
// What it simulates, following the kubelet's status manager:
// - a pod sandbox (PodReadyToStartContainers, pod IP, hostIP, startTime) after the start delay,
//   with ContainerCreating reported first when the start takes a while;
// - init containers one after the other, sidecars (restartPolicy Always) kept running;
// - containers running and ready; Job pods (restartPolicy Never/OnFailure) exiting after their
//   run time; restarts after exits with the kubelet's back-off (none, 10 s, 20 s ... 5 min);
// - phase Pending / Running / Succeeded / Failed as getPhase computes it, and the
//   Initialized / ContainersReady / Ready / PodScheduled conditions;
// - graceful deletion: containers stop (at once, or after the stop delay when the grace period
//   allows), the pod goes to its terminal phase, then it can be removed;
// - activeDeadlineSeconds (Failed, DeadlineExceeded).

import { formatDuration } from '../../machinery/duration.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import { inSet, type PodBehaviour, podBehaviour } from './annotations.js';
import { containerID, imageID, normalizeImage } from './images.js';

export interface LifecycleTimings {
  /** From the kubelet first seeing a pod bound to its node to its sandbox and containers starting. */
  startDelayMs: number;
  /** A start at least this long is reported as ContainerCreating first (one more write). */
  containerCreatingAfterMs: number;
  /** How long each init container runs. */
  initContainerMs: number;
  /** How long a Job's containers (or any with an exit code) run before they exit. */
  runTimeMs: number;
  /** How long a crash-looping container runs before it fails. */
  crashAfterMs: number;
  /** The kubelet's container restart back-off: 10 s, doubled per restart up to 5 minutes. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_TIMINGS: Readonly<LifecycleTimings> = Object.freeze({
  startDelayMs: 500,
  containerCreatingAfterMs: 1000,
  initContainerMs: 500,
  runTimeMs: 1000,
  crashAfterMs: 1000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
});

/** What the kubelet remembers of a pod between two plans. */
export interface PodMemory {
  /** When the kubelet first saw the pod bound to its node. */
  firstSeenMs: number;
  /** When each container entered its current state: container id -> state key and time. */
  steps: Map<string, { key: string; ms: number }>;
  /** When the kubelet first saw the pod's deletion: its grace period runs from there, as a kubelet's. */
  deletionSeenMs?: number;
}

export function newPodMemory(nowMs: number): PodMemory {
  return { firstSeenMs: nowMs, steps: new Map() };
}

export interface PlanContext {
  nowMs: number;
  node: { name: string; hostIP: string };
  /** The address the pod gets when its sandbox starts (undefined: none free). */
  podIP: string | undefined;
  memory: PodMemory;
  timings: LifecycleTimings;
  /** For containers that really run: what their health probes say (see prober.ts). */
  probes?: ProbeResults;
}

export interface ProbeResults {
  /** Readiness of a container instance; undefined when it has no readiness probe. */
  ready(container: string, containerID: string | undefined): boolean | undefined;
  /** The instance failed its liveness probe: it is killed and restarted as its policy says. */
  livenessFailed(container: string, containerID: string | undefined): boolean;
}

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PodPlan {
  /** The status to write (absent: the current one is right). */
  status?: PodStatus;
  /** Plan again at this time (ms since the epoch). */
  wakeAtMs?: number;
  /** The pod is stopped and may be deleted for good (gracePeriodSeconds=0). */
  remove?: boolean;
  /** Events the kubelet records about the pod. */
  events: PodEvent[];
  /** The plan gave the pod its address (podIP). */
  usedPodIP?: boolean;
}

interface ContainerSpec {
  name: string;
  image?: string;
  restartPolicy?: string;
}

interface PodSpec {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy?: string;
  hostNetwork?: boolean;
  activeDeadlineSeconds?: number;
  readinessGates?: { conditionType: string }[];
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    containerID?: string;
  };
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

export interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
  [field: string]: unknown;
}

function parseTime(iso: string | undefined, fallback: number): number {
  if (!iso) return fallback;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? fallback : t;
}

const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
];

function conditionOf(status: PodStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

function isOwnedByJob(pod: KubeObject): boolean {
  return (pod.metadata.ownerReferences ?? []).some(
    (r) => r.kind === 'Job' && r.apiVersion.startsWith('batch/') && r.controller === true,
  );
}

/** The restart back-off after instance `restartCount` of a container exited. */
export function restartBackoffMs(restartCount: number, t: LifecycleTimings): number {
  if (restartCount <= 0) return 0;
  return Math.min(t.backoffMaxMs, t.backoffBaseMs * 2 ** Math.min(restartCount - 1, 30));
}

class Planner {
  readonly events: PodEvent[] = [];
  wakeAt = Number.POSITIVE_INFINITY;
  private readonly nowIso: string;
  private readonly podRef: string;

  constructor(
    private readonly pod: KubeObject,
    private readonly ctx: PlanContext,
  ) {
    this.nowIso = metaTime(ctx.nowMs);
    const m = pod.metadata;
    this.podRef = `${m.name}_${m.namespace}(${m.uid})`;
  }

  wake(at: number): void {
    if (at < this.wakeAt) this.wakeAt = at;
  }

  /** When the container entered `key`: remembered precisely, else from the status's time. */
  since(id: string, key: string, statusTime: string | undefined): number {
    const step = this.ctx.memory.steps.get(id);
    if (step?.key === key) return step.ms;
    const ms = parseTime(statusTime, this.ctx.nowMs);
    this.ctx.memory.steps.set(id, { key, ms });
    return ms;
  }

  enter(id: string, key: string): void {
    this.ctx.memory.steps.set(id, { key, ms: this.ctx.nowMs });
  }

  start(
    c: ContainerSpec,
    id: string,
    restartCount: number,
    lastState: ContainerState,
    ready: boolean,
  ): ContainerStatus {
    this.enter(id, `running:${restartCount}`);
    const image = c.image ?? '';
    const instance = containerID(this.pod.metadata.uid ?? '', c.name, restartCount);
    return {
      name: c.name,
      state: { running: { startedAt: this.nowIso } },
      lastState,
      ready: ready && this.probeReady(c.name, instance),
      restartCount,
      image: normalizeImage(image),
      imageID: imageID(image),
      containerID: instance,
      started: true,
    };
  }

  /** Readiness as the container's probe says (no probe: ready). */
  probeReady(container: string, instance: string | undefined): boolean {
    return this.ctx.probes?.ready(container, instance) ?? true;
  }

  waiting(c: ContainerSpec, reason: string, message?: string, base?: ContainerStatus): ContainerStatus {
    const waiting: { reason: string; message?: string } = { reason };
    if (message) waiting.message = message;
    return {
      name: c.name,
      state: { waiting },
      lastState: base?.lastState ?? {},
      ready: false,
      restartCount: base?.restartCount ?? 0,
      image: normalizeImage(c.image ?? ''),
      imageID: base?.imageID ?? '',
      ...(base?.containerID ? { containerID: base.containerID } : {}),
      started: false,
    };
  }

  /**
   * One container's next state. `exitAfterMs`: how long each instance runs before exiting
   * (undefined: forever); `exitCode`: what it exits with; `restarts(code)`: whether the kubelet
   * starts it again.
   */
  step(
    c: ContainerSpec,
    cs: ContainerStatus | undefined,
    opts: {
      id: string;
      exitAfterMs: number | undefined;
      exitCode: number;
      restarts: (code: number) => boolean;
      readyWhenRunning: boolean;
      failStart: string | undefined;
    },
  ): ContainerStatus {
    const t = this.ctx.timings;
    const state = cs?.state ?? {};
    const restartCount = cs?.restartCount ?? 0;
    const waitingReason = state.waiting?.reason;
    const fresh = !cs || waitingReason === 'ContainerCreating' || waitingReason === 'PodInitializing';
    if (fresh || (waitingReason !== undefined && waitingReason !== 'CrashLoopBackOff')) {
      // Not started yet, or stuck on a start failure.
      if (opts.failStart) {
        const image = c.image ?? '';
        let reason = opts.failStart;
        if (waitingReason === 'ErrImagePull' || waitingReason === 'ImagePullBackOff') {
          // Pulls are retried; between tries the kubelet reports the back-off.
          if (opts.failStart === 'ErrImagePull') {
            const since = this.since(opts.id, `waiting:${waitingReason}`, undefined);
            if (waitingReason === 'ErrImagePull' && this.ctx.nowMs >= since + t.backoffBaseMs) {
              reason = 'ImagePullBackOff';
              this.enter(opts.id, 'waiting:ImagePullBackOff');
              this.events.push({
                type: 'Normal',
                reason: 'BackOff',
                message: `Back-off pulling image "${image}"`,
              });
              this.events.push({ type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' });
            } else if (waitingReason === 'ImagePullBackOff') {
              reason = 'ImagePullBackOff';
            } else {
              this.wake(since + t.backoffBaseMs);
            }
          }
        }
        if (reason === waitingReason) return cs!;
        if (fresh) {
          this.enter(opts.id, `waiting:${reason}`);
          if (reason === 'ErrImagePull') {
            this.wake(this.ctx.nowMs + t.backoffBaseMs);
            this.events.push({
              type: 'Warning',
              reason: 'Failed',
              message: `Failed to pull image "${image}": simulated pull failure`,
            });
          }
          this.events.push({ type: 'Warning', reason: 'Failed', message: `Error: ${reason}` });
        }
        return this.waiting(c, reason, failMessage(reason, image), cs);
      }
      return this.start(c, opts.id, restartCount, cs?.lastState ?? {}, opts.readyWhenRunning);
    }
    if (state.running) {
      // A new image (pods allow image updates) restarts the container with it.
      if (cs && c.image !== undefined && cs.image !== normalizeImage(c.image)) {
        const killed = this.terminatedOf(cs, 0);
        return this.start(c, opts.id, restartCount + 1, { terminated: killed }, opts.readyWhenRunning);
      }
      const since = this.since(opts.id, `running:${restartCount}`, state.running.startedAt);
      if (this.ctx.probes?.livenessFailed(c.name, cs!.containerID)) {
        this.events.push({
          type: 'Normal',
          reason: 'Killing',
          message: `Container ${c.name} failed liveness probe, will be restarted`,
        });
        return this.exit(c, cs!, { ...opts, exitCode: 137 });
      }
      if (opts.exitAfterMs !== undefined) {
        const exitAt = since + opts.exitAfterMs;
        if (this.ctx.nowMs >= exitAt) return this.exit(c, cs!, opts);
        this.wake(exitAt);
      }
      const ready = opts.readyWhenRunning && this.probeReady(c.name, cs!.containerID);
      if (cs!.ready !== ready || !cs!.started) {
        return { ...cs!, ready, started: true };
      }
      return cs!;
    }
    if (waitingReason === 'CrashLoopBackOff') {
      const since = this.since(opts.id, `backoff:${restartCount}`, cs!.lastState.terminated?.finishedAt);
      const due = since + restartBackoffMs(restartCount, t);
      if (this.ctx.nowMs >= due) {
        return this.start(c, opts.id, restartCount + 1, cs!.lastState, opts.readyWhenRunning);
      }
      this.wake(due);
      return cs!;
    }
    // Terminated for good.
    return cs!;
  }

  private terminatedOf(cs: ContainerStatus, exitCode: number): NonNullable<ContainerState['terminated']> {
    const terminated: NonNullable<ContainerState['terminated']> = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt: cs.state.running?.startedAt ?? this.nowIso,
      finishedAt: this.nowIso,
    };
    if (cs.containerID) terminated.containerID = cs.containerID;
    return terminated;
  }

  private exit(
    c: ContainerSpec,
    cs: ContainerStatus,
    opts: { id: string; exitCode: number; restarts: (code: number) => boolean; readyWhenRunning: boolean },
  ): ContainerStatus {
    const terminated = this.terminatedOf(cs, opts.exitCode);
    if (!opts.restarts(opts.exitCode)) {
      this.enter(opts.id, 'terminated');
      return { ...cs, state: { terminated }, ready: false, started: false };
    }
    const delay = restartBackoffMs(cs.restartCount, this.ctx.timings);
    if (delay === 0)
      return this.start(c, opts.id, cs.restartCount + 1, { terminated }, opts.readyWhenRunning);
    this.enter(opts.id, `backoff:${cs.restartCount}`);
    this.wake(this.ctx.nowMs + delay);
    this.events.push({
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container ${c.name} in pod ${this.podRef}`,
    });
    return {
      ...cs,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${formatDuration(delay)} restarting failed container=${c.name} pod=${this.podRef}`,
        },
      },
      lastState: { terminated },
      ready: false,
      started: false,
    };
  }
}

function failMessage(reason: string, image: string): string | undefined {
  switch (reason) {
    case 'ErrImagePull':
      return `failed to pull and unpack image "${normalizeImage(image)}": simulated pull failure`;
    case 'ImagePullBackOff':
      return `Back-off pulling image "${image}"`;
    default:
      return undefined;
  }
}

function setCondition(
  conditions: Condition[],
  type: string,
  status: Condition['status'],
  nowIso: string,
  reason?: string,
  message?: string,
): void {
  const prev = conditions.find((c) => c.type === type);
  const next: Condition = { type, status, lastProbeTime: null, lastTransitionTime: nowIso };
  if (reason) next.reason = reason;
  if (message) next.message = message;
  if (prev && prev.status === status) next.lastTransitionTime = prev.lastTransitionTime ?? nowIso;
  const i = conditions.indexOf(prev!);
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
}

/** Conditions in the kubelet's order, with other writers' conditions (DisruptionTarget ...) kept after them. */
function orderConditions(conditions: Condition[]): Condition[] {
  const ours = KUBELET_CONDITIONS.map((t) => conditions.find((c) => c.type === t)).filter(
    (c): c is Condition => c !== undefined,
  );
  return [...ours, ...conditions.filter((c) => !KUBELET_CONDITIONS.includes(c.type))];
}

function names(list: ContainerStatus[]): string {
  return `[${list.map((c) => c.name).join(' ')}]`;
}

/**
 * Equality of two JSON values, keys in any order. An absent key and an undefined value are the
 * same (neither is on the wire). Cheaper than util.isDeepStrictEqual, which is built for any value.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    count++;
    if (!jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) count--;
  return count === 0;
}

function statusChanged(old: PodStatus, next: PodStatus): PodStatus | undefined {
  return jsonEqual(old, next) ? undefined : next;
}

/** The kubelet's next step for a pod bound to one of its nodes. */
export function planPod(pod: KubeObject, ctx: PlanContext): PodPlan {
  const spec = (pod.spec ?? {}) as PodSpec;
  const old = (pod.status ?? {}) as PodStatus;
  const behaviour = podBehaviour(pod);
  const p = new Planner(pod, ctx);
  const nowIso = metaTime(ctx.nowMs);
  const sandboxReady = conditionOf(old, 'PodReadyToStartContainers')?.status === 'True';

  if (pod.metadata.deletionTimestamp) return planDeletion(pod, spec, old, ctx, behaviour, sandboxReady);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') return { events: [] };

  // A shallow copy: nested parts are replaced, never changed (the old ones are the informer's).
  const status: PodStatus = { ...old };
  const conditions: Condition[] = [...(status.conditions ?? [])];
  const initSpecs = spec.initContainers ?? [];
  const mainSpecs = spec.containers ?? [];
  let usedPodIP = false;

  status.hostIP = ctx.node.hostIP;
  status.hostIPs = [{ ip: ctx.node.hostIP }];
  setCondition(conditions, 'PodScheduled', 'True', nowIso);

  if (!sandboxReady) {
    const delay = behaviour.startDelayMs ?? ctx.timings.startDelayMs;
    const startAt = ctx.memory.firstSeenMs + delay;
    const address = spec.hostNetwork ? ctx.node.hostIP : ctx.podIP;
    if (ctx.nowMs < startAt || address === undefined) {
      if (ctx.nowMs < startAt) p.wake(startAt);
      else {
        // No free address on the node's range: the sandbox cannot start; the kubelet retries.
        p.wake(ctx.nowMs + 5000);
        if (old.phase === undefined || !old.containerStatuses) {
          p.events.push({
            type: 'Warning',
            reason: 'FailedCreatePodSandBox',
            message: `Failed to create pod sandbox: no IP addresses available in range set of node ${ctx.node.name}`,
          });
        }
      }
      if (delay < ctx.timings.containerCreatingAfterMs && address !== undefined) {
        return { events: p.events, wakeAtMs: p.wakeAt };
      }
      // A start that takes a while shows as ContainerCreating (Init:0/N with init containers).
      status.phase = 'Pending';
      status.startTime ??= metaTime(ctx.memory.firstSeenMs);
      setCondition(conditions, 'PodReadyToStartContainers', 'False', nowIso);
      setCondition(
        conditions,
        'Initialized',
        initSpecs.length > 0 ? 'False' : 'True',
        nowIso,
        initSpecs.length > 0 ? 'ContainersNotInitialized' : undefined,
        initSpecs.length > 0
          ? `containers with incomplete status: ${names(initSpecs as ContainerStatus[])}`
          : undefined,
      );
      const unready = `containers with unready status: ${names(mainSpecs as ContainerStatus[])}`;
      setCondition(conditions, 'Ready', 'False', nowIso, 'ContainersNotReady', unready);
      setCondition(conditions, 'ContainersReady', 'False', nowIso, 'ContainersNotReady', unready);
      if (initSpecs.length > 0) {
        status.initContainerStatuses = initSpecs.map((c) => p.waiting(c, 'PodInitializing'));
        status.containerStatuses = mainSpecs.map((c) => p.waiting(c, 'PodInitializing'));
      } else {
        status.containerStatuses = mainSpecs.map((c) => p.waiting(c, 'ContainerCreating'));
      }
      status.conditions = orderConditions(conditions);
      return { status: statusChanged(old, status), wakeAtMs: p.wakeAt, events: p.events };
    }
    // The sandbox starts now, with its address.
    status.startTime ??= metaTime(ctx.memory.firstSeenMs);
    status.podIP = address;
    status.podIPs = [{ ip: address }];
    usedPodIP = !spec.hostNetwork;
    setCondition(conditions, 'PodReadyToStartContainers', 'True', nowIso);
  }

  const deadline = spec.activeDeadlineSeconds;
  if (typeof deadline === 'number' && deadline > 0) {
    const started = parseTime(status.startTime, ctx.nowMs);
    const due = started + deadline * 1000;
    if (ctx.nowMs >= due) return deadlineExceeded(old, status, conditions, spec, nowIso, usedPodIP);
    p.wake(due);
  }

  const policy = spec.restartPolicy ?? 'Always';
  const jobPod = isOwnedByJob(pod);

  // Init containers, one after the other.
  const oldInit = old.initContainerStatuses ?? [];
  const initStatuses: ContainerStatus[] = [];
  let initDone = true;
  let initFailed = false;
  for (const c of initSpecs) {
    const cs = oldInit.find((s) => s.name === c.name);
    if (!initDone) {
      initStatuses.push(cs && !cs.state.waiting ? cs : p.waiting(c, 'PodInitializing', undefined, cs));
      continue;
    }
    const sidecar = c.restartPolicy === 'Always';
    const crashes = inSet(behaviour.crashLoop, c.name, true);
    let next = p.step(c, cs, {
      id: `init/${c.name}`,
      exitAfterMs: crashes ? ctx.timings.crashAfterMs : sidecar ? undefined : ctx.timings.initContainerMs,
      exitCode: crashes ? (behaviour.exitCode ?? 1) || 1 : 0,
      // A failed init container is retried unless the pod never restarts; a sidecar always is.
      restarts: (code) => sidecar || (code !== 0 && policy !== 'Never'),
      readyWhenRunning: sidecar && !inSet(behaviour.neverReady, c.name, true),
      failStart: behaviour.failStart,
    });
    const finished = next.state.terminated;
    if (finished && finished.exitCode === 0 && !sidecar && !next.ready) next = { ...next, ready: true };
    initStatuses.push(next);
    if (finished && finished.exitCode !== 0 && !sidecar) initFailed = true;
    initDone = sidecar ? next.started : finished?.exitCode === 0;
  }
  if (initSpecs.length > 0) status.initContainerStatuses = initStatuses;

  // The containers, once every init container is done.
  const oldMain = old.containerStatuses ?? [];
  const mainStatuses: ContainerStatus[] = [];
  for (const c of mainSpecs) {
    const cs = oldMain.find((s) => s.name === c.name);
    if (!initDone) {
      mainStatuses.push(cs ?? p.waiting(c, 'PodInitializing'));
      continue;
    }
    const crashes = inSet(behaviour.crashLoop, c.name, false);
    const exits =
      crashes ||
      behaviour.exitCode !== undefined ||
      behaviour.runTimeMs !== undefined ||
      (jobPod && policy !== 'Always');
    const runFor = crashes
      ? (behaviour.runTimeMs ?? ctx.timings.crashAfterMs)
      : (behaviour.runTimeMs ?? ctx.timings.runTimeMs);
    const exitCode = crashes ? (behaviour.exitCode ?? 1) : (behaviour.exitCode ?? 0);
    mainStatuses.push(
      p.step(c, cs, {
        id: c.name,
        exitAfterMs: exits ? runFor : undefined,
        exitCode,
        restarts: (code) => policy === 'Always' || (policy === 'OnFailure' && code !== 0),
        readyWhenRunning: !inSet(behaviour.neverReady, c.name, false),
        failStart: behaviour.failStart,
      }),
    );
  }
  status.containerStatuses = mainStatuses;

  // Phase, as the kubelet's getPhase.
  const terminated = mainStatuses.filter((s) => s.state.terminated);
  const active = mainStatuses.filter(
    (s) => s.state.running || s.state.waiting?.reason === 'CrashLoopBackOff' || s.restartCount > 0,
  );
  if (initFailed && policy === 'Never') status.phase = 'Failed';
  else if (!initDone) status.phase = 'Pending';
  else if (mainStatuses.length > 0 && terminated.length === mainStatuses.length) {
    status.phase = terminated.every((s) => s.state.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
  } else if (active.length > 0) status.phase = 'Running';
  else status.phase = 'Pending';

  const incomplete = initStatuses.filter((s, i) =>
    initSpecs[i]?.restartPolicy === 'Always' ? !s.started : s.state.terminated?.exitCode !== 0,
  );
  if (initDone) setCondition(conditions, 'Initialized', 'True', nowIso);
  else {
    setCondition(
      conditions,
      'Initialized',
      'False',
      nowIso,
      'ContainersNotInitialized',
      `containers with incomplete status: ${names(incomplete)}`,
    );
  }
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  const unready = mainStatuses.filter((s) => !s.ready);
  if (terminal) {
    setCondition(conditions, 'Ready', 'False', nowIso, 'PodCompleted');
    setCondition(conditions, 'ContainersReady', 'False', nowIso, 'PodCompleted');
  } else if (unready.length > 0 || !initDone) {
    const reason = initDone ? 'ContainersNotReady' : 'ContainersNotInitialized';
    const msg = initDone
      ? `containers with unready status: ${names(unready)}`
      : `containers with incomplete status: ${names(incomplete)}`;
    setCondition(conditions, 'Ready', 'False', nowIso, reason, msg);
    setCondition(conditions, 'ContainersReady', 'False', nowIso, reason, msg);
  } else {
    setCondition(conditions, 'ContainersReady', 'True', nowIso);
    const gates = (spec.readinessGates ?? []).map((g) => g.conditionType);
    const missing = gates.filter((g) => conditions.find((c) => c.type === g)?.status !== 'True');
    if (missing.length === 0) setCondition(conditions, 'Ready', 'True', nowIso);
    else {
      const exists = conditions.some((c) => c.type === missing[0]);
      setCondition(
        conditions,
        'Ready',
        'False',
        nowIso,
        'ReadinessGatesNotReady',
        exists
          ? `the status of pod readiness gate "${missing[0]}" is not "True", but ${conditions.find((c) => c.type === missing[0])!.status}`
          : `corresponding condition of pod readiness gate "${missing[0]}" does not exist.`,
      );
    }
  }
  status.conditions = orderConditions(conditions);
  if (terminal) p.wakeAt = Number.POSITIVE_INFINITY;
  const plan: PodPlan = { status: statusChanged(old, status), events: p.events };
  if (Number.isFinite(p.wakeAt)) plan.wakeAtMs = p.wakeAt;
  if (usedPodIP) plan.usedPodIP = true;
  return plan;
}

function deadlineExceeded(
  old: PodStatus,
  status: PodStatus,
  conditions: Condition[],
  spec: PodSpec,
  nowIso: string,
  usedPodIP: boolean,
): PodPlan {
  status.phase = 'Failed';
  status.reason = 'DeadlineExceeded';
  status.message = `Pod was active on the node longer than the specified deadline`;
  status.containerStatuses = (spec.containers ?? []).map((c) => {
    const cs = (old.containerStatuses ?? []).find((s) => s.name === c.name);
    return stopContainer(c, cs, 137, nowIso);
  });
  setCondition(conditions, 'Ready', 'False', nowIso, 'PodCompleted');
  setCondition(conditions, 'ContainersReady', 'False', nowIso, 'PodCompleted');
  status.conditions = orderConditions(conditions);
  const plan: PodPlan = {
    status: statusChanged(old, status),
    events: [{ type: 'Normal', reason: 'DeadlineExceeded', message: status.message }],
  };
  if (usedPodIP) plan.usedPodIP = true;
  return plan;
}

function stopContainer(
  c: ContainerSpec,
  cs: ContainerStatus | undefined,
  exitCode: number,
  nowIso: string,
): ContainerStatus {
  if (!cs) {
    return {
      name: c.name,
      state: {
        terminated: {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: 'The container could not be located when the pod was terminated',
        },
      },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: normalizeImage(c.image ?? ''),
      imageID: '',
      started: false,
    };
  }
  if (!cs.state.running) return { ...cs, ready: false, started: false };
  const terminated: NonNullable<ContainerState['terminated']> = {
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    startedAt: cs.state.running.startedAt ?? nowIso,
    finishedAt: nowIso,
  };
  if (cs.containerID) terminated.containerID = cs.containerID;
  return { ...cs, state: { terminated }, ready: false, started: false };
}

/** A deleted pod: stop its containers (honouring the grace period), report the end, then let it go. */
function planDeletion(
  pod: KubeObject,
  spec: PodSpec,
  old: PodStatus,
  ctx: PlanContext,
  behaviour: PodBehaviour,
  sandboxReady: boolean,
): PodPlan {
  // Nothing runs (never started, or finished): the pod can go at once.
  if (!sandboxReady || old.phase === 'Succeeded' || old.phase === 'Failed')
    return { remove: true, events: [] };
  const graceMs = Math.max(0, pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  ctx.memory.deletionSeenMs ??= ctx.nowMs;
  const requestedAt = ctx.memory.deletionSeenMs;
  const stopDelay = behaviour.stopDelayMs ?? 0;
  const stopAt = requestedAt + Math.min(stopDelay, graceMs);
  if (ctx.nowMs < stopAt) return { wakeAtMs: stopAt, events: [] };
  // Containers that outlive the grace period are killed (SIGKILL: 137).
  const exitCode = stopDelay > graceMs ? 137 : 0;
  const nowIso = metaTime(ctx.nowMs);
  const status: PodStatus = { ...old };
  const conditions: Condition[] = [...(status.conditions ?? [])];
  const stopped = (spec.containers ?? []).map((c) =>
    stopContainer(
      c,
      (old.containerStatuses ?? []).find((s) => s.name === c.name),
      exitCode,
      nowIso,
    ),
  );
  status.containerStatuses = stopped;
  if (status.initContainerStatuses) {
    status.initContainerStatuses = status.initContainerStatuses.map((cs) =>
      cs.state.running ? stopContainer({ name: cs.name }, cs, exitCode, nowIso) : cs,
    );
  }
  const allZero = stopped.every((s) => s.state.terminated?.exitCode === 0);
  status.phase = allZero && stopped.length > 0 ? 'Succeeded' : 'Failed';
  setCondition(conditions, 'Ready', 'False', nowIso, 'PodCompleted');
  setCondition(conditions, 'ContainersReady', 'False', nowIso, 'PodCompleted');
  status.conditions = orderConditions(conditions);
  const events: PodEvent[] = (spec.containers ?? [])
    .filter((c) => (old.containerStatuses ?? []).some((s) => s.name === c.name && s.state.running))
    .map((c) => ({ type: 'Normal' as const, reason: 'Killing', message: `Stopping container ${c.name}` }));
  const next = statusChanged(old, status);
  return next ? { status: next, events } : { remove: true, events: [] };
}
