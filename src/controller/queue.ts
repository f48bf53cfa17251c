// A work queue with client-go's semantics, which controllers rely on:
// - an item waiting in the queue is there once, however often it is added (duplicates collapse);
// - an item is handed to one worker at a time: added while being processed, it is marked dirty
//   and handed out again after that worker calls done();
// - addAfter() delays an item (keeping the earlier time if it is already waiting); the delayed
//   items share one timer per queue, unref'd;
// - addRateLimited() delays it by its rate limiter (per-item exponential backoff and an overall
//   token bucket by default); forget() clears its failures;
// - shutDown() makes get() report shutdown once the queue is empty; shutDownWithDrain() also
//   waits until every item handed out is done.
// Items are compared by identity (Map/Set): use strings ("namespace/name") or other primitives.

import { IndexedHeap } from '../machinery/indexed-heap.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** What a queue reports to its metrics (see metrics.ts). */
export interface QueueMetricsSink {
  added(): void;
  depth(n: number): void;
  /** Seconds an item waited in the queue before a worker got it. */
  queued(seconds: number): void;
  /** Seconds a worker spent on an item (get to done). */
  worked(seconds: number): void;
  retried(): void;
  /** Lets a scrape ask how long the work in progress has been running. */
  watchProcessing(probe: () => { unfinishedSeconds: number; longestSeconds: number }): void;
  close(): void;
}

export interface WorkQueueOptions<T> {
  /** Shown in metrics (the "name" label) and logs. */
  name?: string;
  rateLimiter?: RateLimiter<T>;
  metrics?: QueueMetricsSink;
}

export type QueueItem<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

interface Delayed<T> {
  item: T;
  readyAt: number;
  heapIndex: number;
}

/** Items waiting for their time, soonest first; an item waits at most once. */
class DelayedItems<T> {
  private readonly heap = new IndexedHeap<Delayed<T>>((a, b) => a.readyAt < b.readyAt);
  private readonly byItem = new Map<T, Delayed<T>>();

  get size(): number {
    return this.heap.size;
  }

  peek(): Delayed<T> | undefined {
    return this.heap.peek();
  }

  /** Adds the item, or moves it earlier if it is waiting already for later. */
  offer(item: T, readyAt: number): void {
    const waiting = this.byItem.get(item);
    if (waiting) {
      if (readyAt < waiting.readyAt) {
        waiting.readyAt = readyAt;
        this.heap.fix(waiting);
      }
      return;
    }
    const entry = { item, readyAt, heapIndex: -1 };
    this.byItem.set(item, entry);
    this.heap.push(entry);
  }

  pop(): Delayed<T> | undefined {
    const top = this.heap.pop();
    if (top) this.byItem.delete(top.item);
    return top;
  }

  clear(): void {
    this.heap.clear();
    this.byItem.clear();
  }
}

export class WorkQueue<T = string> {
  readonly name: string;
  private readonly rateLimiter: RateLimiter<T>;
  private readonly metrics: QueueMetricsSink | undefined;
  /** Items ready for a worker, in order; `head` skips the ones already taken. */
  private items: T[] = [];
  private head = 0;
  /** Items that must be processed (waiting in `items`, or to re-queue when done). */
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  /** When each waiting item was added (queue latency) and each processing item started. */
  private readonly addedAt = new Map<T, number>();
  private readonly startedAt = new Map<T, number>();
  private readonly getters: ((next: QueueItem<T>) => void)[] = [];
  private readonly delayed = new DelayedItems<T>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.name = opts.name ?? '';
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>();
    this.metrics = opts.metrics;
    this.metrics?.watchProcessing(() => this.processingTimes());
  }

  /** Marks the item as needing processing. Ignored after shutDown. */
  add(item: T): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(item)) return;
    this.metrics?.added();
    this.dirty.add(item);
    // Being processed: it goes back in the queue when its worker is done.
    if (this.processing.has(item)) return;
    this.addedAt.set(item, performance.now());
    this.push(item);
  }

  /** Number of items waiting for a worker (not counting delayed ones or those in progress). */
  len(): number {
    return this.items.length - this.head;
  }

  /** Items waiting for their delay to pass. */
  delayedLen(): number {
    return this.delayed.size;
  }

  /** Items handed out and not yet done. */
  processingLen(): number {
    return this.processing.size;
  }

  /** The next item, waiting for one if need be; {shutdown: true} once shut down and empty. */
  get(): Promise<QueueItem<T>> {
    if (this.len() > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve({ item: undefined, shutdown: true });
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** The worker finished with the item; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    if (!this.processing.delete(item)) return;
    const started = this.startedAt.get(item);
    this.startedAt.delete(item);
    if (started !== undefined) this.metrics?.worked((performance.now() - started) / 1000);
    if (this.dirty.has(item)) {
      this.addedAt.set(item, performance.now());
      this.push(item);
    }
    if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Adds the item after `ms` (at once when ms <= 0). */
  addAfter(item: T, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(item);
      return;
    }
    this.delayed.offer(item, Date.now() + ms);
    this.schedule();
  }

  /** Adds the item when its rate limiter allows (its failures count up). */
  addRateLimited(item: T): void {
    if (this.shuttingDown) return;
    this.metrics?.retried();
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** The item succeeded: its backoff starts over. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }

  /** Stops accepting items; get() hands out what is queued, then reports shutdown. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.delayed.clear();
    const getters = this.getters.splice(0);
    for (const g of getters) g({ item: undefined, shutdown: true });
    this.metrics?.close();
  }

  /** Shuts down, then resolves once every item handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(item: T): void {
    const getter = this.getters.shift();
    if (getter) {
      getter(this.start(item));
      return;
    }
    this.items.push(item);
    this.metrics?.depth(this.len());
  }

  private take(): QueueItem<T> {
    const item = this.items[this.head]!;
    this.head++;
    // Drop the consumed front now and then rather than shifting on every get.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.metrics?.depth(this.len());
    return this.start(item);
  }

  private start(item: T): QueueItem<T> {
    this.processing.add(item);
    this.dirty.delete(item);
    const now = performance.now();
    const added = this.addedAt.get(item);
    this.addedAt.delete(item);
    if (added !== undefined) this.metrics?.queued((now - added) / 1000);
    this.startedAt.set(item, now);
    return { item, shutdown: false };
  }

  /** One timer for all delayed items, set for the earliest. */
  private schedule(): void {
    const next = this.delayed.peek();
    if (!next) return;
    if (this.timer && this.timerAt <= next.readyAt) return;
    clearTimeout(this.timer);
    this.timerAt = next.readyAt;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.readyAt - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (let next = this.delayed.peek(); next && next.readyAt <= now; next = this.delayed.peek()) {
      this.delayed.pop();
      this.add(next.item);
    }
    this.schedule();
  }

  private processingTimes(): { unfinishedSeconds: number; longestSeconds: number } {
    const now = performance.now();
    let unfinished = 0;
    let longest = 0;
    for (const started of this.startedAt.values()) {
      const s = (now - started) / 1000;
      unfinished += s;
      if (s > longest) longest = s;
    }
    return { unfinishedSeconds: unfinished, longestSeconds: longest };
  }
}
