// The scheduling queue (kube-scheduler's PriorityQueue):
// - activeQ: pods ready to be tried, highest priority first, then oldest first;
// - backoffQ: pods that failed recently, each waiting 1 s, 2 s, 4 s ... up to 10 s per attempt;
// - unschedulable pods: pods no node could take; they wait for a cluster change that may help
//   (a node added or changed, a scheduled pod deleted ...), or at most 5 minutes.
// A change moves the unschedulable pods whose rejecting plugins care about it, to activeQ or, if
// still backing off, to backoffQ. A pod that fails while a change happened during its attempt
// goes to backoffQ rather than waiting for another change. One unref'd timer serves the whole
// queue, armed only while some pod is backing off or waiting.

import { IndexedHeap } from '../../machinery/indexed-heap.js';
import type { PodInfo } from './pod-info.js';
import { isSchedulingGated } from './pod-info.js';

export type QueueLocation = 'active' | 'backoff' | 'unschedulable' | 'inflight';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was (re)queued: activeQ order among equals, and the start of its backoff. */
  timestamp: number;
  /** The first time it was popped. */
  initialAttemptTimestamp: number | undefined;
  attempts: number;
  /** Plugins that rejected it last time; empty for errors (any change retries it). */
  unschedulablePlugins: Set<string>;
  /** Waiting for its scheduling gates to be removed. */
  gated: boolean;
  location: QueueLocation;
  /** Its place in the active or backoff heap. */
  heapIndex: number;
  /** The scheduling cycle it was popped in. */
  cycle: number;
  /** A meaningful update that arrived while it was being scheduled. */
  updatedWhileInFlight: boolean;
}

/** A cluster change that may make pending pods schedulable. */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'PersistentVolumeClaimChange'
  | 'NamespaceChange'
  | 'UnschedulableTimeout';

/** Which plugins' rejections a cluster change can undo (their EventsToRegister). */
const EVENT_PLUGINS: Record<ClusterEvent, ReadonlySet<string> | 'all'> = {
  NodeAdd: 'all',
  NodeUpdate: 'all',
  AssignedPodAdd: new Set(['InterPodAffinity', 'PodTopologySpread']),
  AssignedPodUpdate: new Set(['InterPodAffinity', 'PodTopologySpread']),
  AssignedPodDelete: new Set([
    'NodeResourcesFit',
    'NodePorts',
    'InterPodAffinity',
    'PodTopologySpread',
    'VolumeRestrictions',
  ]),
  PersistentVolumeClaimChange: new Set(['VolumeRestrictions', 'VolumeBinding']),
  NamespaceChange: new Set(['InterPodAffinity']),
  UnschedulableTimeout: 'all',
};

export interface SchedulingQueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may wait for a helpful change before being retried anyway (default 5 min). */
  maxUnschedulableMs?: number;
  now?: () => number;
}

/** Whether an update to a pending pod could change the scheduling outcome (not just its status). */
export function podUpdated(oldPod: PodInfo, newPod: PodInfo): boolean {
  const a = oldPod.pod;
  const b = newPod.pod;
  if (a === b) return false;
  const strip = (p: typeof a) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata;
    return JSON.stringify([meta, p.spec]);
  };
  return strip(a) !== strip(b);
}

export class SchedulingQueue {
  private readonly active: IndexedHeap<QueuedPodInfo>;
  private readonly backoff: IndexedHeap<QueuedPodInfo>;
  /** In insertion order, hence oldest first (timestamps only grow). */
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly byUid = new Map<string, QueuedPodInfo>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;
  private schedulingCycle = 0;
  /** Per plugin, the scheduling cycle of the last change that concerned it ("*": every plugin). */
  private readonly lastMoveCycle = new Map<string, number>();
  /** Unschedulable (not gated) pods per rejecting plugin, and those rejected by none (errors). */
  private readonly waitingByPlugin = new Map<string, number>();
  private waitingWithoutPlugin = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.active = new IndexedHeap<QueuedPodInfo>((a, b) => {
      const pa = a.podInfo.priority;
      const pb = b.podInfo.priority;
      return pa > pb || (pa === pb && a.timestamp < b.timestamp);
    });
    this.backoff = new IndexedHeap<QueuedPodInfo>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  get counts(): { active: number; backoff: number; unschedulable: number; gated: number } {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.gated) gated++;
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size - gated,
      gated,
    };
  }

  has(uid: string): boolean {
    return this.byUid.has(uid);
  }

  get(uid: string): QueuedPodInfo | undefined {
    return this.byUid.get(uid);
  }

  /** A new pending pod. */
  add(podInfo: PodInfo): void {
    if (this.closed) return;
    const existing = this.byUid.get(podInfo.uid);
    if (existing) {
      this.update(existing.podInfo, podInfo);
      return;
    }
    const q: QueuedPodInfo = {
      podInfo,
      timestamp: this.now(),
      initialAttemptTimestamp: undefined,
      attempts: 0,
      unschedulablePlugins: new Set(),
      gated: isSchedulingGated(podInfo.pod),
      location: 'active',
      heapIndex: -1,
      cycle: 0,
      updatedWhileInFlight: false,
    };
    this.byUid.set(podInfo.uid, q);
    if (q.gated) this.toUnschedulable(q);
    else this.toActive(q);
  }

  /** A pending pod changed. */
  update(oldInfo: PodInfo | undefined, podInfo: PodInfo): void {
    if (this.closed) return;
    const q = this.byUid.get(podInfo.uid);
    if (!q) {
      this.add(podInfo);
      return;
    }
    const previous = oldInfo ?? q.podInfo;
    q.podInfo = podInfo;
    switch (q.location) {
      case 'active':
        this.active.fix(q);
        return;
      case 'backoff':
        return;
      case 'inflight':
        if (podUpdated(previous, podInfo)) q.updatedWhileInFlight = true;
        return;
      case 'unschedulable':
        if (q.gated) {
          if (!isSchedulingGated(podInfo.pod)) {
            this.removeUnschedulable(q);
            q.gated = false;
            this.toActive(q);
          }
          return;
        }
        if (podUpdated(previous, podInfo)) {
          this.removeUnschedulable(q);
          this.requeue(q);
        }
        return;
    }
  }

  delete(uid: string): void {
    const q = this.byUid.get(uid);
    if (!q) return;
    this.byUid.delete(uid);
    this.detach(q);
  }

  /** The next pod to try, or undefined when activeQ is empty. */
  pop(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    q.location = 'inflight';
    q.attempts++;
    q.cycle = ++this.schedulingCycle;
    q.updatedWhileInFlight = false;
    q.initialAttemptTimestamp ??= this.now();
    return q;
  }

  /** Resolves when activeQ has a pod (or the queue is closed). */
  wait(): Promise<void> {
    if (this.active.size > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** A popped pod was placed (or dropped): it leaves the queue. */
  done(uid: string): void {
    const q = this.byUid.get(uid);
    if (q?.location === 'inflight') this.byUid.delete(uid);
  }

  /**
   * A popped pod could not be placed. Rejected by plugins, it waits for a change that concerns
   * them — unless a change already happened during its attempt, or it was updated meanwhile.
   * Failed with an error, it backs off.
   */
  requeueFailed(podInfo: PodInfo, unschedulablePlugins: Set<string>, error: boolean): void {
    const q = this.byUid.get(podInfo.uid);
    if (q?.location !== 'inflight' || this.closed) return;
    q.podInfo = podInfo;
    q.timestamp = this.now();
    q.unschedulablePlugins = error ? new Set() : unschedulablePlugins;
    q.gated = isSchedulingGated(podInfo.pod);
    if (q.gated) {
      this.toUnschedulable(q);
    } else if (q.updatedWhileInFlight) {
      this.requeue(q);
    } else if (error || unschedulablePlugins.size === 0 || this.changedSince(q)) {
      this.toBackoff(q);
    } else {
      this.toUnschedulable(q);
    }
    q.updatedWhileInFlight = false;
  }

  /** A popped pod goes straight back (it was assumed elsewhere meanwhile, or must be retried at once). */
  requeueActive(podInfo: PodInfo): void {
    const q = this.byUid.get(podInfo.uid);
    if (q?.location !== 'inflight') return;
    q.podInfo = podInfo;
    this.toActive(q);
  }

  /**
   * A cluster change: unschedulable pods whose rejecting plugins care about it (and that
   * `admit`, when given, thinks could now fit) go to activeQ, or backoffQ if still backing off.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, admit?: (q: QueuedPodInfo) => boolean): number {
    if (this.closed) return 0;
    const plugins = EVENT_PLUGINS[event];
    // Pods being scheduled right now see the change too: if it concerns what rejects them, they
    // back off instead of waiting for another change.
    if (plugins === 'all') this.lastMoveCycle.set('*', this.schedulingCycle);
    else for (const p of plugins) this.lastMoveCycle.set(p, this.schedulingCycle);
    if (!this.anyWaitingFor(plugins)) return 0;
    const moved: QueuedPodInfo[] = [];
    for (const q of this.unschedulable.values()) {
      if (q.gated) continue;
      if (plugins !== 'all' && q.unschedulablePlugins.size > 0) {
        let relevant = false;
        for (const p of q.unschedulablePlugins) {
          if (plugins.has(p)) {
            relevant = true;
            break;
          }
        }
        if (!relevant) continue;
      }
      if (admit && !admit(q)) continue;
      moved.push(q);
    }
    for (const q of moved) {
      this.removeUnschedulable(q);
      this.requeue(q);
    }
    return moved.length;
  }

  private anyWaitingFor(plugins: ReadonlySet<string> | 'all'): boolean {
    if (this.waitingWithoutPlugin > 0) return true;
    if (plugins === 'all') return this.waitingByPlugin.size > 0;
    for (const p of plugins) if ((this.waitingByPlugin.get(p) ?? 0) > 0) return true;
    return false;
  }

  /** Whether a change concerning the pod's rejecting plugins happened since it was popped. */
  private changedSince(q: QueuedPodInfo): boolean {
    if ((this.lastMoveCycle.get('*') ?? -1) >= q.cycle) return true;
    for (const p of q.unschedulablePlugins) if ((this.lastMoveCycle.get(p) ?? -1) >= q.cycle) return true;
    return false;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  // ---------------------------------------------------------------------------------------------

  private backoffMs(q: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < q.attempts; i++) {
      if (d > this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffMs(q);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.now();
  }

  /** To backoffQ if still backing off, else activeQ. */
  private requeue(q: QueuedPodInfo): void {
    if (this.isBackingOff(q)) this.toBackoff(q);
    else this.toActive(q);
  }

  private detach(q: QueuedPodInfo): void {
    if (q.location === 'active') this.active.remove(q);
    else if (q.location === 'backoff') this.backoff.remove(q);
    else if (q.location === 'unschedulable') this.removeUnschedulable(q);
  }

  private toActive(q: QueuedPodInfo): void {
    q.location = 'active';
    this.active.push(q);
    this.wake();
  }

  private toBackoff(q: QueuedPodInfo): void {
    q.location = 'backoff';
    this.backoff.push(q);
    this.arm(this.backoffExpiry(q));
  }

  private toUnschedulable(q: QueuedPodInfo): void {
    q.location = 'unschedulable';
    this.unschedulable.set(q.podInfo.uid, q);
    if (q.gated) return;
    if (q.unschedulablePlugins.size === 0) this.waitingWithoutPlugin++;
    for (const p of q.unschedulablePlugins)
      this.waitingByPlugin.set(p, (this.waitingByPlugin.get(p) ?? 0) + 1);
    this.arm(q.timestamp + this.maxUnschedulableMs);
  }

  private removeUnschedulable(q: QueuedPodInfo): void {
    if (!this.unschedulable.delete(q.podInfo.uid) || q.gated) return;
    if (q.unschedulablePlugins.size === 0) this.waitingWithoutPlugin--;
    for (const p of q.unschedulablePlugins) {
      const n = (this.waitingByPlugin.get(p) ?? 0) - 1;
      if (n <= 0) this.waitingByPlugin.delete(p);
      else this.waitingByPlugin.set(p, n);
    }
  }

  private wake(): void {
    const w = this.waiter;
    if (w && (this.active.size > 0 || this.closed)) {
      this.waiter = undefined;
      w();
    }
  }

  /** Makes sure the timer fires by `at`. */
  private arm(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - this.now()));
    this.timer.unref();
  }

  /** Backoffs that ended go to activeQ; pods unschedulable for too long are retried. */
  private tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.now();
    for (let q = this.backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.backoff.peek()) {
      this.backoff.pop();
      this.toActive(q);
    }
    const stale: QueuedPodInfo[] = [];
    let nextStale = Number.POSITIVE_INFINITY;
    for (const q of this.unschedulable.values()) {
      if (q.gated) continue;
      if (now - q.timestamp >= this.maxUnschedulableMs) stale.push(q);
      else {
        nextStale = q.timestamp + this.maxUnschedulableMs;
        break;
      }
    }
    for (const q of stale) {
      this.removeUnschedulable(q);
      this.requeue(q);
    }
    const head = this.backoff.peek();
    if (head) this.arm(this.backoffExpiry(head));
    if (nextStale !== Number.POSITIVE_INFINITY) this.arm(nextStale);
  }
}
