// MemoryStore: the Store held in process memory. It serves unit tests and is the store of every
// simulated cluster, so one process may hold a thousand of them: no timers, no background work,
// memory proportional to the data and the history not yet compacted.
//
// MVCC like etcd's: each key keeps its versions (newest last) so a list can read any revision
// since the compaction point, and a change log in revision order feeds watches from the past.

import { cloneJson } from '../machinery/json.js';
import type { JsonObject } from '../machinery/object.js';
import { checkKey, decodeContinue, encodeContinue, encodeValue, lazyKeyValue } from './encoding.js';
import type { KeyValue, ListOptions, ListResult, Store, Watcher, WatchSink } from './store.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidContinueError,
  KeyExistsError,
  KeyNotFoundError,
  StoreError,
  StoreUnavailableError,
} from './store.js';
import type { ChangeHistory, ChangeRecord } from './watch-hub.js';
import { WatchHub } from './watch-hub.js';

interface Version {
  revision: number;
  /** Value as JSON; undefined marks a delete (tombstone). */
  json: string | undefined;
  /**
   * The current version's value, decoded once and shared (read-only) by every reader and
   * watcher; older versions keep only their JSON.
   */
  obj?: JsonObject;
  createRevision: number;
  version: number;
}

function toKeyValue(key: string, v: Version, json: string): KeyValue {
  const revisions = { createRevision: v.createRevision, modRevision: v.revision, version: v.version };
  if (v.obj) return { key, value: v.obj, ...revisions };
  return lazyKeyValue(key, json, revisions);
}

/** Index of the first element of a sorted array that is >= target (or > when after). */
function lowerBound<T>(items: T[], target: number | string, of: (item: T) => number | string, after = false) {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = of(items[mid]!);
    if (v < target || (after && v === target)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const identity = (s: string) => s;
const revisionOf = (c: ChangeRecord | Version) => c.revision;

/** The version of a key visible at revision, or undefined (absent or deleted then). */
function versionAt(versions: Version[], revision: number): Version | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]!;
    if (v.revision <= revision) return v.json === undefined ? undefined : v;
  }
  return undefined;
}

export class MemoryStore implements Store, ChangeHistory {
  readonly description = 'memory';
  private revision = 0;
  private compacted = 0;
  /** Every key with a retained version, sorted (what a prefix scan walks). */
  private keys: string[] = [];
  private readonly versions = new Map<string, Version[]>();
  /** Changes in revision order, from the compaction point on. */
  private log: ChangeRecord[] = [];
  private readonly hub = new WatchHub(this);
  private closed = false;

  async create(key: string, value: JsonObject): Promise<KeyValue> {
    const json = encodeValue(key, value);
    this.checkOpen();
    let history = this.versions.get(key);
    const current = history?.[history.length - 1];
    if (current && current.json !== undefined) throw new KeyExistsError(key);
    const revision = ++this.revision;
    // A private copy of the caller's value: cheaper than decoding the JSON for every reader.
    const obj = cloneJson(value);
    const v: Version = { revision, json, obj, createRevision: revision, version: 1 };
    if (!history) {
      history = [];
      this.versions.set(key, history);
      this.keys.splice(lowerBound(this.keys, key, identity), 0, key);
    }
    history.push(v);
    this.record({ type: 'create', key, revision, createRevision: revision, json }, { value: obj });
    // The writer's entry is its own (decoded if read); readers and watchers share `obj`.
    return lazyKeyValue(key, json, { createRevision: revision, modRevision: revision, version: 1 });
  }

  async update(key: string, value: JsonObject, expectedRevision?: number): Promise<KeyValue> {
    const json = encodeValue(key, value);
    this.checkOpen();
    const { history, current } = this.live(key, expectedRevision);
    const revision = ++this.revision;
    const obj = cloneJson(value);
    const v: Version = {
      revision,
      json,
      obj,
      createRevision: current.createRevision,
      version: current.version + 1,
    };
    history.push(v);
    const prevValue = current.obj;
    current.obj = undefined;
    this.record(
      {
        type: 'update',
        key,
        revision,
        createRevision: current.createRevision,
        json,
        prevJson: current.json!,
        prevRevision: current.revision,
      },
      prevValue ? { value: obj, prevValue } : { value: obj },
    );
    return lazyKeyValue(key, json, {
      createRevision: v.createRevision,
      modRevision: revision,
      version: v.version,
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    checkKey(key);
    this.checkOpen();
    const { history, current } = this.live(key, expectedRevision);
    const revision = ++this.revision;
    const json = current.json!;
    const last = current.obj;
    current.obj = undefined;
    history.push({ revision, json: undefined, createRevision: current.createRevision, version: 0 });
    this.record(
      {
        type: 'delete',
        key,
        revision,
        createRevision: current.createRevision,
        json,
        prevJson: json,
        prevRevision: current.revision,
      },
      last ? { value: last } : undefined,
    );
    const gone = lazyKeyValue(key, json, {
      createRevision: current.createRevision,
      modRevision: revision,
      version: current.version,
    });
    return gone;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const history = this.versions.get(key);
    const current = history?.[history.length - 1];
    if (!current || current.json === undefined) return undefined;
    return toKeyValue(key, current, current.json);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    let revision = this.revision;
    let start = prefix;
    if (options.continue !== undefined) {
      const position = decodeContinue(options.continue);
      revision = position.revision;
      start = prefix + position.start;
    } else if (options.revision !== undefined && options.revision !== 0) {
      revision = options.revision;
    } else if (options.minRevision !== undefined && options.minRevision > revision) {
      throw new FutureRevisionError(options.minRevision, revision);
    }
    this.checkReadable(revision, options.continue);
    const limit = options.limit && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
    const items: KeyValue[] = [];
    let remaining = 0;
    for (let i = lowerBound(this.keys, start, identity); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      const v = versionAt(this.versions.get(key)!, revision);
      if (!v) continue;
      if (items.length < limit) items.push(toKeyValue(key, v, v.json!));
      else remaining++;
    }
    const result: ListResult = { items, revision };
    if (remaining > 0) {
      result.continue = encodeContinue(prefix, items[items.length - 1]!.key, revision);
      result.remaining = remaining;
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    for (let i = lowerBound(this.keys, prefix, identity); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      const history = this.versions.get(key)!;
      if (history[history.length - 1]!.json !== undefined) n++;
    }
    return n;
  }

  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher {
    return this.hub.watch(prefix, afterRevision, sink);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(revision))
      throw new StoreError(`compact revision must be an integer, got ${revision}`);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    this.compacted = revision;
    // Changes from the compaction point on stay: a watch may start right at it.
    this.log = this.log.slice(lowerBound(this.log, revision, revisionOf));
    let emptied = false;
    for (const [key, history] of this.versions) {
      // Keep the version visible at `revision` and everything after it; a delete visible
      // there means the key is gone at that point and needs no record.
      const after = lowerBound(history, revision, revisionOf, true);
      let keepFrom = after > 0 ? after - 1 : 0;
      if (after > 0 && history[keepFrom]!.json === undefined) keepFrom++;
      if (keepFrom > 0) history.splice(0, keepFrom);
      if (history.length === 0) {
        this.versions.delete(key);
        emptied = true;
      }
    }
    if (emptied) this.keys = this.keys.filter((k) => this.versions.has(k));
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.end();
  }

  // ChangeHistory, for the watch hub.
  changesAfter(prefix: string, after: number, max: number): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    for (
      let i = lowerBound(this.log, after, revisionOf, true);
      i < this.log.length && out.length < max;
      i++
    ) {
      const c = this.log[i]!;
      if (c.key.startsWith(prefix)) out.push(c);
    }
    return out;
  }

  headRevision(): number {
    return this.revision;
  }

  compactRevision(): number {
    return this.compacted;
  }

  private live(key: string, expectedRevision: number | undefined) {
    const history = this.versions.get(key);
    const current = history?.[history.length - 1];
    if (!history || !current || current.json === undefined) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && expectedRevision !== current.revision) {
      throw new ConflictError(key, expectedRevision, toKeyValue(key, current, current.json));
    }
    return { history, current };
  }

  /** Keeps the change in history (JSON only) and publishes it with its decoded values. */
  private record(change: ChangeRecord, values?: { value: JsonObject; prevValue?: JsonObject }): void {
    this.log.push(change);
    this.hub.publish([values ? { ...change, ...values } : change]);
  }

  private checkReadable(revision: number, token: string | undefined): void {
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new StoreError(`list revision must be a non-negative integer, got ${revision}`);
    }
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.revision) {
      if (token !== undefined) throw new InvalidContinueError(token);
      throw new FutureRevisionError(revision, this.revision);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed');
  }
}
