// An informer keeps a local cache of one resource (in a namespace, matching selectors) in step
// with the server, the way client-go's reflector and shared informer do:
// - list (paged, 500 a page), then watch from the list's resourceVersion with bookmarks;
// - when the watch ends normally (server timeout), watch again from the last resourceVersion seen;
// - when the connection is lost, retry with backoff and resume from the last resourceVersion;
// - when the server answers 410 (history compacted), list again and hand the differences to the
//   handlers as adds, updates and deletes.
// Handlers run synchronously as changes arrive; they must be quick (enqueue a key and return).
// Cached objects are shared between every handler and reader: never change them.
//
// Light by design, since one process may run informers for a thousand clusters: no timers while
// the watch is healthy except the optional resync, everything unref'd.

import type { Logger } from 'pino';
import { groupResource } from '../machinery/gvk.js';
import { parseLabelSelector, type Selector } from '../machinery/labels.js';
import type { KubeObject } from '../machinery/object.js';
import {
  ApiError,
  isResourceExpired,
  isTooManyRequests,
  type Status,
  type StatusReason,
} from '../machinery/status.js';
import { type IndexFunc, keyOf, NAMESPACE_INDEX, namespaceIndex, ObjectCache, objectKey } from './cache.js';
import type { Client, ResourceRef, WatchEvent, WatchHandle } from './client.js';
import { defaultLogger } from './log.js';
import { isNetworkError } from './network-error.js';

export interface EventHandler<T extends KubeObject = KubeObject> {
  /** A new object; isInInitialList while the informer is filling its cache the first time. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** A changed object (or, on periodic resync, the same object twice). */
  onUpdate?(oldObj: T, newObj: T): void;
  /** A deleted object, as last known (the final state the watch reported, or the cached one). */
  onDelete?(obj: T): void;
}

export interface BackoffOptions {
  /** First delay after a failure (default 800 ms, as client-go). */
  initialMs?: number;
  /** Largest delay (default 30 s). */
  maxMs?: number;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Absent: every namespace (or a cluster-scoped resource). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every this many ms, handlers get onUpdate(obj, obj) for every cached object. 0/absent: never. */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** timeoutSeconds of each watch request; default a random 5-10 minutes, as client-go. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  logger?: Logger;
  /**
   * Applied to every object before it is cached and handed to handlers (client-go's
   * SetTransform): drop what no reader needs, so that a cache of a big cluster stays small.
   */
  transform?: (obj: T) => T;
  /** Told of every failed list or watch (the connection broke, the server refused ...). */
  onFailure?: (err: unknown) => void;
}

const DEFAULT_PAGE_SIZE = 500;
/** A watch the server ends sooner than this without any event counts as a failure (client-go: 1 s). */
const SHORT_WATCH_MS = 1000;

function isExpired(err: unknown): boolean {
  return isResourceExpired(err);
}

function statusIsExpired(status: Partial<Status>): boolean {
  return status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone';
}

/** Why a watch ended, which decides what the informer does next. */
type WatchOutcome =
  | { kind: 'ended' } // closed by the server (timeout) or after a bookmark: watch again at once
  | { kind: 'expired' } // 410: list again
  | { kind: 'failed'; err: unknown; resume: boolean } // back off, then resume (true) or relist
  | { kind: 'stopped' };

export class Informer<T extends KubeObject = KubeObject> {
  readonly ref: ResourceRef;
  private readonly cache: ObjectCache<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly logger: Logger;
  private readonly pageSize: number;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private running = false;
  private stopped = false;
  private synced = false;
  private syncWaiters: ((synced: boolean) => void)[] = [];
  private watch: WatchHandle | undefined;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private rv = '';

  constructor(
    private readonly client: Client,
    ref: ResourceRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.ref = ref;
    this.cache = new ObjectCache<T>({
      [NAMESPACE_INDEX]: namespaceIndex as IndexFunc<T>,
      ...(opts.indexers ?? {}),
    });
    const what = groupResource(ref.group, ref.resource);
    this.logger = (opts.logger ?? defaultLogger()).child({ informer: what, namespace: opts.namespace });
    this.pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    this.backoffInitial = opts.backoff?.initialMs ?? 800;
    this.backoffMax = opts.backoff?.maxMs ?? 30_000;
  }

  /** Registers handlers; if objects are cached already, they are replayed as adds. Returns an unregister function. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (handler.onAdd) {
      for (const obj of this.cache.values()) this.call(handler, 'onAdd', obj, !this.synced);
    }
    return () => {
      this.handlers.delete(handler);
    };
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.cache.addIndexers(indexers);
  }

  /** Lists and starts watching; returns at once (see waitForSync). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.run();
    if (this.opts.resyncPeriodMs && this.opts.resyncPeriodMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncPeriodMs);
      this.resyncTimer.unref();
    }
  }

  /** Stops watching for good. The cache keeps its last contents. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    clearInterval(this.resyncTimer);
    this.watch?.stop();
    this.watch = undefined;
    this.sleeping?.wake();
    this.settleSync(false);
  }

  /**
   * Cuts short a backoff after a failure: the next list or watch starts now (a caller that
   * learnt the server is back, from a health probe, need not wait up to the backoff's 30 s).
   */
  retryNow(): void {
    this.sleeping?.wake();
  }

  /** Consecutive failed lists and watches (0 while healthy). */
  get failureCount(): number {
    return this.failures;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** True once the first list has been delivered to the cache and the handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if the informer is stopped first. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The resourceVersion the cache is at (from the last list, event or bookmark). */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(keyOf(name, this.ref.namespaced ? namespace : undefined));
  }

  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Cached objects, optionally of one namespace and matching a label selector. */
  list(opts: { namespace?: string; labelSelector?: string | Selector } = {}): T[] {
    const selector =
      typeof opts.labelSelector === 'string' ? parseLabelSelector(opts.labelSelector) : opts.labelSelector;
    const source =
      opts.namespace !== undefined
        ? this.cache.byIndex(NAMESPACE_INDEX, opts.namespace)
        : [...this.cache.values()];
    return selector ? source.filter((o) => selector.matches(o.metadata.labels ?? {})) : source;
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.cache.byIndex(indexName, value);
  }

  /** The values an index currently holds. */
  indexValues(indexName: string): string[] {
    return this.cache.indexValues(indexName);
  }

  get size(): number {
    return this.cache.size;
  }

  // -------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    let needList = true;
    let expiredLists = 0;
    while (this.running) {
      if (needList) {
        try {
          await this.listAndReplace();
          needList = false;
          expiredLists = 0;
          this.recovered();
        } catch (err) {
          if (!this.running) return;
          if (isExpired(err) && expiredLists++ === 0) {
            // A continue token outlived the history it pointed into: start the listing over
            // (at once the first time; a server that keeps answering 410 gets the backoff).
            this.logger.debug({ err }, 'list expired, listing again');
            continue;
          }
          this.failed('list', err);
          await this.backoff();
          continue;
        }
      }
      const outcome = await this.watchOnce();
      switch (outcome.kind) {
        case 'stopped':
          return;
        case 'ended':
          break;
        case 'expired':
          this.logger.debug({ resourceVersion: this.rv }, 'watch expired (410), listing again');
          needList = true;
          break;
        case 'failed':
          this.failed('watch', outcome.err);
          await this.backoff();
          needList = !outcome.resume;
          break;
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const items = new Map<string, T>();
    let token: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.ref, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.pageSize,
        continue: token,
      });
      if (!this.running) return;
      for (const item of page.items) {
        // List items may lack apiVersion/kind on the wire; the cache holds whole objects.
        if (!item.apiVersion || !item.kind) {
          item.apiVersion = this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version;
          item.kind = this.ref.kind;
        }
        items.set(objectKey(item), this.transformed(item));
      }
      token = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (token);
    this.replace(items);
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      this.settleSync(true);
    }
  }

  /** Makes the cache equal to a fresh listing, telling handlers what changed. */
  private replace(items: Map<string, T>): void {
    const initial = !this.synced;
    for (const [key, old] of [...this.cache.entries()]) {
      if (!items.has(key)) {
        this.cache.delete(key);
        this.emit('onDelete', old);
      }
    }
    for (const [key, obj] of items) {
      const old = this.cache.get(key);
      if (!old) {
        this.cache.set(key, obj);
        this.emit('onAdd', obj, initial);
      } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        this.cache.set(key, obj);
        this.emit('onUpdate', old, obj);
      }
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let outcome: WatchOutcome | undefined;
      let sawEvent = false;
      const startedAt = Date.now();
      const settle = (o: WatchOutcome) => {
        outcome ??= o;
      };
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
      this.client
        .watch<T>(
          this.ref,
          {
            namespace: this.opts.namespace,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
          },
          {
            onEvent: (e) => {
              if (outcome) return;
              if (!sawEvent) {
                sawEvent = true;
                this.recovered();
              }
              const o = this.handleEvent(e);
              if (o) {
                settle(o);
                this.watch?.stop();
              }
            },
            onClose: (err) => {
              if (!this.running) settle({ kind: 'stopped' });
              else if (err) settle({ kind: 'failed', err, resume: isNetworkError(err) });
              else if (!sawEvent && Date.now() - startedAt < SHORT_WATCH_MS) {
                // Closed at once without a single event: something between us and the server
                // cuts watches off. Back off rather than spin.
                settle({
                  kind: 'failed',
                  err: new Error('the watch ended at once without events'),
                  resume: true,
                });
              } else settle({ kind: 'ended' });
              this.watch = undefined;
              resolve(outcome!);
            },
          },
        )
        .then(
          (handle) => {
            // Closed already (stopped, or an event asked for a relist while starting).
            if (outcome || !this.running) {
              handle.stop();
              if (!this.running) resolve({ kind: 'stopped' });
              return;
            }
            this.watch = handle;
          },
          (err: unknown) => {
            if (!this.running) resolve({ kind: 'stopped' });
            else if (isExpired(err)) resolve({ kind: 'expired' });
            else {
              // Unreachable or overloaded: try the same watch again. Anything else: relist.
              const resume = isNetworkError(err) || isTooManyRequests(err);
              resolve({ kind: 'failed', err, resume });
            }
          },
        );
    });
  }

  /** Applies one watch event; returns an outcome when the watch must end. */
  private handleEvent(e: WatchEvent<T>): WatchOutcome | undefined {
    if (e.type === 'ERROR') {
      const status = e.object as Partial<Status>;
      if (statusIsExpired(status)) return { kind: 'expired' };
      const err = new ApiError(
        status.code ?? 500,
        (status.reason || 'InternalError') as StatusReason,
        status.message ?? 'watch error',
        status.details,
      );
      return { kind: 'failed', err, resume: false };
    }
    const rv = (e.object as T).metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return undefined;
    }
    const obj = this.transformed(e.object as T);
    const key = objectKey(obj);
    if (e.type === 'DELETED') {
      const old = this.cache.delete(key);
      if (rv) this.rv = rv;
      // The watch carries the object's final state; a delete of something never cached still counts.
      this.emit('onDelete', obj ?? old);
      return undefined;
    }
    const old = this.cache.set(key, obj);
    if (rv) this.rv = rv;
    if (old) this.emit('onUpdate', old, obj);
    else this.emit('onAdd', obj, false);
    return undefined;
  }

  private transformed(obj: T): T {
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private resync(): void {
    if (!this.synced || !this.running) return;
    for (const obj of this.cache.values()) this.emit('onUpdate', obj, obj);
  }

  private emit(kind: 'onAdd', obj: T, initial: boolean): void;
  private emit(kind: 'onUpdate', oldObj: T, newObj: T): void;
  private emit(kind: 'onDelete', obj: T): void;
  private emit(kind: keyof EventHandler<T>, a: T, b?: T | boolean): void {
    for (const h of this.handlers) this.call(h, kind, a, b);
  }

  private call(h: EventHandler<T>, kind: keyof EventHandler<T>, a: T, b?: T | boolean): void {
    try {
      if (kind === 'onAdd') h.onAdd?.(a, b as boolean);
      else if (kind === 'onUpdate') h.onUpdate?.(a, b as T);
      else h.onDelete?.(a);
    } catch (err) {
      // One failing handler must not starve the others or break the informer.
      this.logger.error({ err, key: objectKey(a) }, `event handler ${kind} failed`);
    }
  }

  private failed(what: 'list' | 'watch', err: unknown): void {
    this.failures++;
    try {
      this.opts.onFailure?.(err);
    } catch (hookErr) {
      this.logger.error({ err: hookErr }, 'onFailure hook failed');
    }
    // The first failure of a streak is worth a warning; the retries that follow are not.
    const level = this.failures === 1 ? 'warn' : 'debug';
    this.logger[level]({ err, failures: this.failures }, `${what} failed, retrying`);
  }

  private recovered(): void {
    if (this.failures > 0) this.logger.info({ failures: this.failures }, 'list/watch recovered');
    this.failures = 0;
  }

  /** Waits after a failure: exponential with jitter, capped; ends early on stop(). */
  private backoff(): Promise<void> {
    const exp = Math.min(this.backoffMax, this.backoffInitial * 2 ** Math.max(0, this.failures - 1));
    const ms = Math.min(this.backoffMax, exp * (1 + Math.random()));
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleeping = { timer, wake };
    });
  }

  private settleSync(value: boolean): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(value);
  }
}
