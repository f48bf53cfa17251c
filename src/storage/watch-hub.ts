// In-process watch fan-out for the backends that own their data (memory, sqlite): a watcher
// first replays history from its start revision, then receives each committed change as it
// is published. One parsed value per change is shared by every watcher of it.

import type { JsonObject } from '../machinery/object.js';
import type { WatchEvent, Watcher, WatchSink } from './store.js';
import { CompactedError, StoreError, StoreUnavailableError } from './store.js';

/** A committed change as the backend recorded it (values still as JSON text). */
export interface ChangeRecord {
  type: 'create' | 'update' | 'delete';
  key: string;
  revision: number;
  createRevision: number;
  /** Value after the change; for a delete, the last value. */
  json: string;
  /** Value before an update or delete, when still known. */
  prevJson?: string;
  prevRevision?: number;
  /**
   * The decoded values when the backend already has them (the change being published as it is
   * made): watchers then share them instead of decoding the JSON again. Never kept in history.
   */
  value?: JsonObject;
  prevValue?: JsonObject;
}

/** What the hub needs from its backend to replay history. All synchronous. */
export interface ChangeHistory {
  /** Changes under prefix with revision > after, oldest first, at most max of them. */
  changesAfter(prefix: string, after: number, max: number): ChangeRecord[];
  headRevision(): number;
  /** Oldest readable revision; changes from it on are kept. */
  compactRevision(): number;
}

const REPLAY_BATCH = 256;

class HubWatcher implements Watcher {
  closed = false;
  live = false;

  constructor(
    readonly hub: WatchHub,
    readonly prefix: string,
    /** Revision of the last change delivered (or skipped as outside the prefix). */
    public cursor: number,
    readonly sink: WatchSink,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.detach(this);
  }
}

export function toWatchEvent(change: ChangeRecord): WatchEvent {
  const value = change.value ?? (JSON.parse(change.json) as JsonObject);
  const event: WatchEvent = {
    type: change.type,
    key: change.key,
    revision: change.revision,
    value,
    createRevision: change.createRevision,
  };
  if (change.type === 'delete') {
    event.prevValue = value;
    event.prevRevision = change.prevRevision;
  } else if (change.type === 'update') {
    const prevJson = change.prevJson;
    if (change.prevValue !== undefined) {
      event.prevValue = change.prevValue;
    } else if (prevJson !== undefined) {
      // Most watchers never look at the previous value: it is decoded on first read, once for all.
      let prev: JsonObject | undefined;
      Object.defineProperty(event, 'prevValue', {
        enumerable: true,
        get: () => {
          prev ??= JSON.parse(prevJson) as JsonObject;
          return prev;
        },
      });
    }
    event.prevRevision = change.prevRevision;
  }
  return event;
}

export class WatchHub {
  /** Live watchers grouped by prefix: few distinct prefixes, many watchers each. */
  private readonly groups = new Map<string, Set<HubWatcher>>();
  private readonly pending: ChangeRecord[] = [];
  private publishing = false;
  private ended: Error | undefined;

  constructor(private readonly history: ChangeHistory) {}

  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher {
    if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
      throw new StoreError(`watch revision must be a non-negative integer, got ${afterRevision}`);
    }
    const watcher = new HubWatcher(this, prefix, afterRevision, sink);
    if (this.ended) {
      const err = this.ended;
      queueMicrotask(() => this.fail(watcher, err));
    } else if (afterRevision >= this.history.headRevision()) {
      // Nothing to replay: live at once, so no change can slip between now and the first event.
      this.goLive(watcher);
    } else {
      setImmediate(() => this.replay(watcher));
    }
    return watcher;
  }

  /** True when a live watcher would receive a change of key (lets a backend skip work). */
  wants(key: string): boolean {
    for (const [prefix, set] of this.groups) {
      if (set.size > 0 && key.startsWith(prefix)) return true;
    }
    return false;
  }

  /** Delivers committed changes, in revision order. Re-entrant calls queue behind the current one. */
  publish(changes: ChangeRecord[]): void {
    if (this.groups.size === 0) return;
    for (const c of changes) this.pending.push(c);
    if (this.publishing) return;
    this.publishing = true;
    try {
      for (let i = 0; i < this.pending.length; i++) this.deliver(this.pending[i]!);
    } finally {
      this.pending.length = 0;
      this.publishing = false;
    }
  }

  /** Ends every watcher with err (the store closed); later watches fail the same way. */
  end(err: Error = new StoreUnavailableError('store is closed')): void {
    this.ended = err;
    const all = [...this.groups.values()].flatMap((s) => [...s]);
    this.groups.clear();
    for (const w of all) this.fail(w, err);
  }

  detach(watcher: HubWatcher): void {
    const set = this.groups.get(watcher.prefix);
    if (!set) return;
    set.delete(watcher);
    if (set.size === 0) this.groups.delete(watcher.prefix);
  }

  private goLive(watcher: HubWatcher): void {
    watcher.live = true;
    let set = this.groups.get(watcher.prefix);
    if (!set) {
      set = new Set();
      this.groups.set(watcher.prefix, set);
    }
    set.add(watcher);
  }

  private deliver(change: ChangeRecord): void {
    let event: WatchEvent | undefined;
    for (const [prefix, set] of this.groups) {
      if (!change.key.startsWith(prefix)) continue;
      for (const w of set) {
        if (w.closed || change.revision <= w.cursor) continue;
        w.cursor = change.revision;
        event ??= toWatchEvent(change);
        this.send(w, event);
      }
    }
  }

  private replay(watcher: HubWatcher): void {
    if (watcher.closed) return;
    if (this.ended) {
      this.fail(watcher, this.ended);
      return;
    }
    const compacted = this.history.compactRevision();
    // Like etcd: a watch may start at the compaction point itself (afterRevision = compacted - 1).
    if (watcher.cursor < compacted - 1) {
      this.fail(watcher, new CompactedError(watcher.cursor, compacted));
      return;
    }
    // Read and deliver until a pass finds history unchanged: a sink may write from onEvent.
    for (;;) {
      const upTo = this.history.headRevision();
      const batch = this.history.changesAfter(watcher.prefix, watcher.cursor, REPLAY_BATCH);
      for (const change of batch) {
        if (watcher.closed) return;
        watcher.cursor = change.revision;
        this.send(watcher, toWatchEvent(change));
      }
      if (watcher.closed) return;
      if (batch.length === REPLAY_BATCH) {
        setImmediate(() => this.replay(watcher));
        return;
      }
      if (this.history.headRevision() === upTo) {
        watcher.cursor = Math.max(watcher.cursor, upTo);
        this.goLive(watcher);
        return;
      }
    }
  }

  private send(watcher: HubWatcher, event: WatchEvent): void {
    try {
      watcher.sink.onEvent(event);
    } catch (err) {
      // A sink that throws cannot keep up its end: stop it and tell it why.
      this.fail(watcher, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fail(watcher: HubWatcher, err: Error): void {
    if (watcher.closed) return;
    watcher.close();
    try {
      watcher.sink.onError(err);
    } catch {
      // The watch is over either way.
    }
  }
}
