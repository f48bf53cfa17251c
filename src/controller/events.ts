// Recording core/v1 Events the way client-go's event recorder does (tools/record): every call is
// fire-and-forget; before anything is written the event goes through the correlator, which
// - drops it when its source has already said too much about the object (a token bucket per
//   source + object: 25 at once, then one every 5 minutes),
// - folds more than 10 events of the same reason about one object, differing only in their
//   message, within 10 minutes into one "(combined from similar events): ..." event,
// - counts repeats of the same (object, type, reason, message): the first is created, the others
//   patch its count, lastTimestamp and message.
// Writes go out one at a time from a bounded queue (1000, the newest dropped beyond, as the
// broadcaster does); a repeat still waiting in the queue is folded into the waiting write, so a
// hot loop costs at most one write per distinct event in flight. Unreachable servers are retried
// a few times; anything else is logged and dropped: events never hold up the caller.

import type { Logger } from 'pino';
import type { Client, ResourceRef } from '../client/client.js';
import { defaultLogger } from '../client/log.js';
import { isNetworkError } from '../client/network-error.js';
import { resources } from '../client/resources.js';
import type { KubeObject } from '../machinery/object.js';
import { ApiError, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../machinery/status.js';
import { metaTime } from '../machinery/time.js';

export type EventType = 'Normal' | 'Warning';

/** core/v1 ObjectReference, as events carry it in involvedObject. */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** A core/v1 Event as the recorder writes it. */
export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: { component?: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: EventType;
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventRecorderOptions {
  client: Client;
  /** source.component: "deployment-controller", "default-scheduler" ... */
  component: string;
  /** source.host (the kubelet's node name); absent for controllers. */
  host?: string;
  now?: () => Date;
  logger?: Logger;
  /** Events a source may emit about one object at once (default 25, as client-go). */
  spamBurst?: number;
  /** Refill of that allowance per second (default 1/300: one every 5 minutes). */
  spamQps?: number;
  /** Writes waiting beyond this are dropped (default 1000). */
  maxQueued?: number;
  /** Tries per write when the server cannot be reached (default 12, as client-go). */
  maxTries?: number;
  /** Pause before retrying an unreachable server (default 10 s, as client-go). */
  retryDelayMs?: number;
  /**
   * Writes per second (default 50, burst 100, as the kubelet's event QPS): a flood waits in the
   * queue, and beyond the queue is dropped. Pass one EventRateLimiter to several recorders to cap
   * them together.
   */
  rateLimiter?: EventRateLimiter;
}

/** A token bucket for event writes, shareable between recorders. */
export class EventRateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(
    readonly qps = 50,
    readonly burst = 100,
  ) {
    if (!(qps > 0) || !(burst >= 1))
      throw new RangeError(`event rate limits need qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.tokens = burst;
  }

  /** Takes a token if there is one (0), else says how many ms until there will be. */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.qps);
  }
}

const LRU_SIZE = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const AGGREGATE_PREFIX = '(combined from similar events): ';

/** A Map kept to its newest `max` entries (reads count as use), as groupcache's lru. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

function referenceOf(obj: KubeObject): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind: obj.kind, name: m.name ?? '' };
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  if (obj.apiVersion) ref.apiVersion = obj.apiVersion;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

function join(parts: (string | undefined)[]): string {
  return parts.map((p) => p ?? '').join('\u0000');
}

/** Source and object: the spam filter's unit. */
function spamKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return join([e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion]);
}

/** Everything but the message: events that differ only in it are "similar". */
function aggregateKey(e: CoreEvent): string {
  return join([spamKey(e), e.type, e.reason, e.reportingComponent, e.reportingInstance]);
}

/** The exact event: repeats of it are counted on one Event object. */
function eventKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return join([
    e.source.component,
    e.source.host,
    o.kind,
    o.namespace,
    o.name,
    o.fieldPath,
    o.uid,
    o.apiVersion,
    e.type,
    e.reason,
    e.message,
  ]);
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

interface PendingWrite {
  key: string;
  event: CoreEvent;
  /** A repeat of an event that exists already: patch it (create it if it has gone). */
  repeat: boolean;
  tries: number;
}

export class EventRecorder {
  private readonly client: Client;
  private readonly component: string;
  private readonly host: string | undefined;
  private readonly now: () => Date;
  private readonly logger: Logger;
  private readonly spamBurst: number;
  private readonly spamQps: number;
  private readonly maxQueued: number;
  private readonly maxTries: number;
  private readonly retryDelayMs: number;
  private readonly limiter: EventRateLimiter;
  private readonly spam = new Lru<Bucket>(LRU_SIZE);
  private readonly similar = new Lru<{ messages: Set<string>; last: number }>(LRU_SIZE);
  private readonly observed = new Lru<Observation>(LRU_SIZE);
  /** Writes waiting, in order; waiting[key] is the one a repeat folds into. */
  private queue: PendingWrite[] = [];
  private readonly waiting = new Map<string, PendingWrite>();
  private draining: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastNanos = 0n;
  private dropped = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: EventRecorderOptions) {
    if (!opts.component) throw new TypeError('an EventRecorder needs a component (source.component)');
    this.client = opts.client;
    this.component = opts.component;
    this.host = opts.host || undefined;
    this.now = opts.now ?? (() => new Date());
    this.logger = (opts.logger ?? defaultLogger()).child({ eventSource: opts.component });
    this.spamBurst = opts.spamBurst ?? 25;
    this.spamQps = opts.spamQps ?? 1 / 300;
    this.maxQueued = opts.maxQueued ?? 1000;
    this.maxTries = opts.maxTries ?? 12;
    this.retryDelayMs = opts.retryDelayMs ?? 10_000;
    this.limiter = opts.rateLimiter ?? new EventRateLimiter();
  }

  /** Records an event about obj; returns at once (the write happens later, or not at all). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    if (type !== 'Normal' && type !== 'Warning') {
      this.logger.error({ type, reason }, 'unsupported event type, event dropped');
      return;
    }
    if (!obj?.metadata?.name) {
      this.logger.error({ reason }, 'event about an object without a name dropped');
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      // As the broadcaster's full channel: dropped before any further work.
      if (this.dropped++ === 0) this.logger.warn({ reason }, 'event queue full, dropping events');
      return;
    }
    try {
      this.record(this.makeEvent(referenceOf(obj), type, reason, message));
    } catch (err) {
      this.logger.error({ err, reason }, 'recording an event failed');
    }
  }

  /** Like event(), with a printf-style message ("%s", "%d", "%v"). */
  eventf(obj: KubeObject, type: EventType, reason: string, format: string, ...args: unknown[]): void {
    let i = 0;
    const message = format.replace(/%[sdvq%]/g, (m) => {
      if (m === '%%') return '%';
      const a = args[i++];
      return m === '%q' ? JSON.stringify(String(a)) : String(a);
    });
    this.event(obj, type, reason, message);
  }

  /** Resolves when every write queued so far has been made (or given up). */
  flush(): Promise<void> {
    if (this.queue.length === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops recording: later events are ignored, queued writes dropped, the write in flight awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue = [];
    this.waiting.clear();
    await this.draining;
    this.settleIdle();
  }

  // -------------------------------------------------------------------------------------------

  private makeEvent(ref: ObjectReference, type: EventType, reason: string, message: string): CoreEvent {
    const now = this.now();
    const t = metaTime(now);
    const source: CoreEvent['source'] = { component: this.component };
    if (this.host) source.host = this.host;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.eventName(ref.name ?? '', now), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      source,
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    };
  }

  /**
   * "<object>.<hex nanoseconds>", as client-go names events. The clock gives milliseconds; the
   * monotonic clock fills in the rest so that two events in one millisecond get distinct names.
   */
  private eventName(objectName: string, now: Date): string {
    let nanos = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  }

  private record(event: CoreEvent): void {
    const nowMs = this.now().getTime();
    if (this.spamFiltered(event, nowMs)) {
      this.logger.debug(
        { reason: event.reason, object: event.involvedObject.name },
        'event dropped: too many events about this object',
      );
      return;
    }
    const { event: aggregated, key } = this.aggregate(event, nowMs);
    const e = this.observe(aggregated, key);
    this.logger.debug(
      { type: e.type, reason: e.reason, object: `${e.involvedObject.kind}/${e.involvedObject.name}` },
      e.message,
    );
    this.enqueue({ key, event: e, repeat: e.count > 1, tries: 0 });
  }

  /** True when the source has no allowance left for this object (token bucket per source + object). */
  private spamFiltered(event: CoreEvent, nowMs: number): boolean {
    const key = spamKey(event);
    const bucket = this.spam.get(key) ?? { tokens: this.spamBurst, at: nowMs };
    bucket.tokens = Math.min(
      this.spamBurst,
      bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * this.spamQps,
    );
    bucket.at = nowMs;
    const filtered = bucket.tokens < 1;
    if (!filtered) bucket.tokens -= 1;
    this.spam.set(key, bucket);
    return filtered;
  }

  /** Similar events past the threshold become one combined event. */
  private aggregate(event: CoreEvent, nowMs: number): { event: CoreEvent; key: string } {
    const aggKey = aggregateKey(event);
    let record = this.similar.get(aggKey);
    if (!record || nowMs - record.last > AGGREGATE_INTERVAL_MS) record = { messages: new Set(), last: 0 };
    record.messages.add(event.message);
    record.last = nowMs;
    this.similar.set(aggKey, record);
    if (record.messages.size < AGGREGATE_MAX_EVENTS) return { event, key: eventKey(event) };
    // Keep the set from growing past the threshold.
    const first = record.messages.values().next().value as string;
    record.messages.delete(first);
    const combined: CoreEvent = {
      ...event,
      metadata: { name: event.metadata.name, namespace: event.metadata.namespace },
      message: AGGREGATE_PREFIX + event.message,
    };
    return { event: combined, key: aggKey };
  }

  /** Counts repeats: a repeat takes the first occurrence's name and firstTimestamp. */
  private observe(event: CoreEvent, key: string): CoreEvent {
    const last = this.observed.get(key);
    let e = event;
    if (last && last.count > 0) {
      e = {
        ...event,
        metadata: { ...event.metadata, name: last.name },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
    }
    this.observed.set(key, { count: e.count, firstTimestamp: e.firstTimestamp, name: e.metadata.name! });
    return e;
  }

  private enqueue(write: PendingWrite): void {
    const waiting = this.waiting.get(write.key);
    if (waiting) {
      // Not written yet: the waiting write carries the newer count, time and message.
      waiting.event = { ...write.event, metadata: waiting.event.metadata };
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      // One warning per flood, not one per dropped event.
      if (this.dropped++ === 0)
        this.logger.warn({ reason: write.event.reason }, 'event queue full, dropping events');
      return;
    }
    if (this.dropped > 0) {
      this.logger.info({ dropped: this.dropped }, 'event queue has room again');
      this.dropped = 0;
    }
    this.queue.push(write);
    this.waiting.set(write.key, write);
    this.kick();
  }

  private kick(): void {
    if (this.draining || this.retryTimer || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length === 0 && !this.retryTimer) this.settleIdle();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      if (this.queue.length === 0) return;
      const wait = this.limiter.take();
      if (wait > 0) {
        // Over the write rate: the queue waits (repeats keep folding into it meanwhile).
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, wait);
        this.retryTimer.unref();
        return;
      }
      const write = this.queue.shift();
      if (!write) return;
      this.waiting.delete(write.key);
      const retry = await this.write(write);
      if (retry && !this.stopped) {
        write.tries++;
        if (write.tries >= this.maxTries) {
          this.logger.warn({ reason: write.event.reason, tries: write.tries }, 'giving up on an event');
          continue;
        }
        // Back at the head; the whole queue waits for the server to come back, as client-go's does.
        this.queue.unshift(write);
        if (!this.waiting.has(write.key)) this.waiting.set(write.key, write);
        const delay = write.tries === 1 ? Math.random() * this.retryDelayMs : this.retryDelayMs;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
        this.retryTimer.unref();
        return;
      }
    }
  }

  /** Makes one write; true when it should be tried again later. */
  private async write(w: PendingWrite): Promise<boolean> {
    const e = w.event;
    const ns = e.metadata.namespace!;
    try {
      let written: CoreEvent | undefined;
      if (w.repeat) {
        try {
          written = await this.client.patch<CoreEvent>(
            resources.events as ResourceRef,
            e.metadata.name!,
            { count: e.count, lastTimestamp: e.lastTimestamp, message: e.message },
            'merge',
            { namespace: ns },
          );
        } catch (err) {
          // Gone meanwhile (expired, or deleted): it is written anew below.
          if (!isNotFound(err)) throw err;
        }
      }
      if (!written) {
        const body: CoreEvent = { ...e, metadata: { name: e.metadata.name, namespace: ns } };
        try {
          written = await this.client.create<CoreEvent>(resources.events, body, { namespace: ns });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          // Another recorder took the name in the same instant: a fresh name.
          body.metadata.name = this.eventName(e.involvedObject.name ?? '', this.now());
          written = await this.client.create<CoreEvent>(resources.events, body, { namespace: ns });
        }
      }
      this.observed.set(w.key, {
        count: written.count ?? e.count,
        firstTimestamp: written.firstTimestamp ?? e.firstTimestamp,
        name: written.metadata.name ?? e.metadata.name!,
      });
      return false;
    } catch (err) {
      if (isNetworkError(err) || (err instanceof ApiError && (err.code === 429 || err.code >= 500))) {
        this.logger.debug({ err, reason: e.reason }, 'writing an event failed, will retry');
        return true;
      }
      if (isNamespaceTerminating(err) || isAlreadyExists(err)) {
        this.logger.debug({ err, reason: e.reason }, 'event not written');
      } else {
        this.logger.warn({ err, reason: e.reason, object: e.involvedObject.name }, 'writing an event failed');
      }
      return false;
    }
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
