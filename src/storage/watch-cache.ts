// WatchCache: a Store in front of another (etcd), serving lists and watches from memory as
// kube-apiserver's watch cache does, so that they do not reach the store.
//
// One feed — a watch of every key of the store, with progress for revisions taken outside its
// keys (EtcdStore.watchAll) — keeps `revision`: every change up to it has been seen. Caches are
// kept per resource (the first three segments of a prefix: /registry/<group>/<resource>/),
// made on first use by a list at the feed's revision and kept current by the feed. Each holds
// the objects in key order (a B+ tree) and a window of its latest changes.
//
// - A list with minRevision ("not older than", Kubernetes' resourceVersion "0" or N) is served
//   once the cache has reached that revision.
// - A list without a revision is a consistent read: the cache asks the store for its current
//   revision (a read of no keys) and answers once the feed has reached it, as kube-apiserver
//   1.31+ serves consistent lists from its cache.
// - A list at an exact revision is served from the cache at its current revision, or from the
//   snapshot a paged list from the cache left for its continue tokens; otherwise by the store.
// - A watch from a revision inside the window replays it from there and goes on live; a watch
//   from further back is the store's (which answers "too old" when it is compacted).
// Writes, gets, counts and anything the cache cannot answer in time (waitMs) go to the store.

import { createRequire } from 'node:module';
import type * as SortedBTree from 'sorted-btree';
import { decodeContinue, encodeContinue, prefixEnd } from './encoding.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, Watcher, WatchSink } from './store.js';
import { StoreUnavailableError } from './store.js';

// A CommonJS package whose default export ESM loaders disagree on; require() gives one answer.
const BTree = (createRequire(import.meta.url)('sorted-btree') as typeof SortedBTree.default).default;
type Tree = InstanceType<typeof BTree<string, KeyValue>>;

export interface WatchCacheOptions {
  /** Changes kept per resource for watches that start in the past (default 1000). */
  historySize?: number;
  /** How long a read waits for the cache to catch up before the store answers it (default 3 s). */
  waitMs?: number;
  /**
   * Where every change comes from (default: the store's watch of every key). For etcd:
   * EtcdStore.watchAll, which also reports revisions taken by other users of the etcd.
   */
  feed?: (afterRevision: number, sink: WatchSink) => Watcher;
}

/** Snapshots kept per resource for continue tokens, and how long. */
const MAX_SNAPSHOTS = 16;
const SNAPSHOT_TTL_MS = 5 * 60_000;

/** The cache a prefix is served from: its first three segments, or the prefix if shorter. */
export function cachedPrefix(prefix: string): string | undefined {
  if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix.length < 2) return undefined;
  const segments = prefix.slice(1, -1).split('/');
  if (segments.some((s) => s === '')) return undefined;
  return `/${segments.slice(0, 3).join('/')}/`;
}

function inRange(key: string, prefix: string): boolean {
  return key.startsWith(prefix);
}

class CacheWatcher implements Watcher {
  closed = false;
  /** The store's watch, for a start before the window. */
  inner: Watcher | undefined;
  resource: ResourceCache | undefined;

  constructor(
    readonly prefix: string,
    /** Revision of the last change delivered. */
    public cursor: number,
    readonly sink: WatchSink,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inner?.close();
    this.resource?.watchers.delete(this);
  }

  deliver(event: WatchEvent): void {
    if (this.closed || event.revision <= this.cursor || !inRange(event.key, this.prefix)) return;
    this.cursor = event.revision;
    try {
      this.sink.onEvent(event);
    } catch (err) {
      // A sink that throws cannot keep up its end: stop it and tell it why.
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  fail(err: Error): void {
    if (this.closed) return;
    this.close();
    try {
      this.sink.onError(err);
    } catch {
      // The watch is over either way.
    }
  }
}

/** The objects of one resource and its latest changes. */
class ResourceCache {
  tree: Tree = new BTree<string, KeyValue>();
  ready = false;
  /** Changes that arrive while the first list is read. */
  pending: WatchEvent[] | undefined = [];
  /** Every change after this revision is in `history`. */
  windowStart = 0;
  history: WatchEvent[] = [];
  readonly watchers = new Set<CacheWatcher>();
  readonly snapshots = new Map<number, { tree: Tree; at: number }>();
  loaded: Promise<boolean> | undefined;

  constructor(
    readonly prefix: string,
    private readonly historySize: number,
  ) {}

  apply(event: WatchEvent): void {
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    if (event.type === 'delete') {
      this.tree.delete(event.key);
    } else {
      const before = this.tree.get(event.key);
      this.tree.set(event.key, {
        key: event.key,
        value: event.value,
        createRevision: event.createRevision,
        modRevision: event.revision,
        version: event.type === 'create' || !before ? 1 : before.version + 1,
      });
    }
    this.history.push(event);
    if (this.history.length > this.historySize * 1.25) {
      // Dropped in batches: one splice per quarter of the window rather than a shift per change.
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.windowStart = dropped[dropped.length - 1]!.revision;
    }
    for (const w of this.watchers) w.deliver(event);
  }

  /** Forgets what the store has compacted away: history before it and snapshots older than it. */
  compacted(revision: number): void {
    if (revision - 1 > this.windowStart) {
      this.windowStart = revision - 1;
      const keep = this.history.findIndex((e) => e.revision > this.windowStart);
      this.history = keep < 0 ? [] : this.history.slice(keep);
    }
    for (const at of this.snapshots.keys()) if (at < revision) this.snapshots.delete(at);
  }

  /** Replays the window after w.cursor and adds w to the live watchers. */
  attach(w: CacheWatcher): void {
    w.resource = this;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid]!.revision <= w.cursor) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.history.length && !w.closed; i++) w.deliver(this.history[i]!);
    if (!w.closed) this.watchers.add(w);
  }

  snapshot(revision: number): void {
    const now = Date.now();
    for (const [at, s] of this.snapshots) if (now - s.at > SNAPSHOT_TTL_MS) this.snapshots.delete(at);
    if (!this.snapshots.has(revision)) {
      if (this.snapshots.size >= MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
      this.snapshots.set(revision, { tree: this.tree.clone(), at: now });
    }
  }
}

export class WatchCache implements Store {
  readonly description: string;
  private readonly historySize: number;
  private readonly waitMs: number;
  private readonly feedFrom: (afterRevision: number, sink: WatchSink) => Watcher;
  private feed: Watcher | undefined;
  private starting: Promise<boolean> | undefined;
  /** Every change up to this revision has come through the feed. */
  private revision = 0;
  private readonly resources = new Map<string, ResourceCache>();
  private waiters: { revision: number; resolve: (reached: boolean) => void }[] = [];
  private closed = false;

  constructor(
    private readonly store: Store,
    opts: WatchCacheOptions = {},
  ) {
    this.description = `${store.description}, watch cache`;
    this.historySize = opts.historySize ?? 1000;
    this.waitMs = opts.waitMs ?? 3000;
    this.feedFrom = opts.feed ?? ((after, sink) => store.watch('', after, sink));
  }

  /** The store behind the cache. */
  get backend(): Store {
    return this.store;
  }

  create(key: string, value: KeyValue['value']): Promise<KeyValue> {
    return this.store.create(key, value);
  }

  update(key: string, value: KeyValue['value'], expectedRevision?: number): Promise<KeyValue> {
    return this.store.update(key, value, expectedRevision);
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.store.delete(key, expectedRevision);
  }

  get(key: string): Promise<KeyValue | undefined> {
    return this.store.get(key);
  }

  count(prefix: string): Promise<number> {
    return this.store.count(prefix);
  }

  currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.store.compactedRevision();
  }

  async compact(revision: number): Promise<void> {
    await this.store.compact(revision);
    for (const r of this.resources.values()) r.compacted(revision);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const resource = await this.resourceFor(prefix);
    if (resource) {
      const served = await this.listFrom(resource, prefix, options);
      if (served) return served;
    }
    return this.store.list(prefix, options);
  }

  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher {
    const w = new CacheWatcher(prefix, afterRevision, sink);
    const cached = cachedPrefix(prefix);
    if (!cached || this.closed) {
      w.inner = this.store.watch(prefix, afterRevision, sink);
      return w;
    }
    void this.resourceFor(prefix).then((resource) => {
      if (w.closed) return;
      // Inside the window (or ahead of the cache): served from it; further back: the store's.
      if (resource?.ready && afterRevision >= resource.windowStart) resource.attach(w);
      else w.inner = this.store.watch(prefix, afterRevision, sink);
    });
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopFeed(new StoreUnavailableError('store is closed'));
    await this.store.close();
  }

  /** Serves a list from the cache, or undefined when the store must. */
  private async listFrom(
    resource: ResourceCache,
    prefix: string,
    options: ListOptions,
  ): Promise<ListResult | undefined> {
    if (options.continue !== undefined) {
      const position = decodeContinue(options.continue);
      const snapshot = resource.snapshots.get(position.revision);
      if (!snapshot) return undefined;
      return this.page(
        resource,
        snapshot.tree,
        prefix,
        prefix + position.start,
        position.revision,
        options.limit,
      );
    }
    if (options.revision !== undefined && options.revision !== 0) {
      const snapshot = resource.snapshots.get(options.revision);
      if (snapshot)
        return this.page(resource, snapshot.tree, prefix, prefix, options.revision, options.limit);
      if (options.revision !== this.revision) return undefined;
    } else {
      // Not older than minRevision, or (a consistent read) than the store's current revision.
      let wanted = options.minRevision;
      if (wanted === undefined || wanted > this.revision) {
        const current = await this.store.currentRevision();
        // A revision the store has not reached either: the store says so (FutureRevisionError).
        if (wanted !== undefined && wanted > current) return undefined;
        wanted ??= current;
      }
      if (!(await this.reach(wanted))) return undefined;
      if (!resource.ready) return undefined;
    }
    return this.page(resource, resource.tree, prefix, prefix, this.revision, options.limit);
  }

  private page(
    resource: ResourceCache,
    tree: Tree,
    prefix: string,
    start: string,
    revision: number,
    limit = 0,
  ): ListResult {
    const end = prefixEnd(prefix);
    const items: KeyValue[] = [];
    let more = false;
    for (const [key, kv] of tree.entries(start)) {
      if (end !== undefined && key >= end) break;
      if (limit > 0 && items.length === limit) {
        more = true;
        break;
      }
      items.push(kv);
    }
    const result: ListResult = { items, revision };
    if (more) {
      const last = items[items.length - 1]!.key;
      result.continue = encodeContinue(prefix, last, revision);
      result.remaining = tree.forRange(`${last}\0`, end ?? '\u{10ffff}', false);
      // Later pages read this revision: keep the tree as it is now for them.
      if (tree === resource.tree) resource.snapshot(revision);
    }
    return result;
  }

  /** The ready cache of the resource a prefix is in, made on first use; undefined if none. */
  private async resourceFor(prefix: string): Promise<ResourceCache | undefined> {
    const cached = cachedPrefix(prefix);
    if (!cached || this.closed) return undefined;
    if (!(await this.startFeed())) return undefined;
    let resource = this.resources.get(cached);
    if (!resource) {
      resource = new ResourceCache(cached, this.historySize);
      this.resources.set(cached, resource);
      resource.loaded = this.load(resource);
    }
    return (await resource.loaded) ? resource : undefined;
  }

  /** Reads the resource at the feed's revision; changes after it arrive through the feed. */
  private async load(resource: ResourceCache): Promise<boolean> {
    // Revision 0 (a store that never had a write) reads "now": the listing's own revision counts.
    let at = this.revision;
    try {
      let token: string | undefined;
      do {
        const page = await this.store.list(resource.prefix, { revision: at, continue: token, limit: 1000 });
        at = page.revision;
        for (const kv of page.items) resource.tree.set(kv.key, kv);
        token = page.continue;
      } while (token);
    } catch {
      // The store answers this resource's reads until a later request tries again.
      if (this.resources.get(resource.prefix) === resource) this.resources.delete(resource.prefix);
      return false;
    }
    if (this.resources.get(resource.prefix) !== resource) return false; // the feed broke meanwhile
    const pending = resource.pending!;
    resource.pending = undefined;
    resource.windowStart = at;
    resource.ready = true;
    for (const e of pending) if (e.revision > at) resource.apply(e);
    return true;
  }

  private startFeed(): Promise<boolean> {
    if (this.feed) return Promise.resolve(true);
    this.starting ??= (async () => {
      try {
        const from = await this.store.currentRevision();
        if (this.closed) return false;
        this.revision = from;
        this.feed = this.feedFrom(from, {
          onEvent: (e) => this.onEvent(e),
          onProgress: (revision) => this.advance(revision),
          onError: (err) => this.stopFeed(err),
        });
        return true;
      } catch {
        return false;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  private onEvent(e: WatchEvent): void {
    for (const r of this.resources.values()) if (inRange(e.key, r.prefix)) r.apply(e);
    this.advance(e.revision);
  }

  private advance(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.revision <= revision) w.resolve(true);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves true once the feed has reached `revision`, false if it does not in time. */
  private reach(revision: number): Promise<boolean> {
    if (revision <= this.revision) return Promise.resolve(true);
    if (!this.feed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { revision, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        resolve(false);
      }, this.waitMs).unref();
    });
  }

  /**
   * The feed ended (fell behind compaction, or the store went away): every cache is dropped and
   * its watchers end with the error (a watch client starts again, as after any broken watch).
   * The next request starts a new feed.
   */
  private stopFeed(err: Error): void {
    this.feed?.close();
    this.feed = undefined;
    const resources = [...this.resources.values()];
    this.resources.clear();
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
    for (const r of resources) for (const w of [...r.watchers]) w.fail(err);
  }
}
