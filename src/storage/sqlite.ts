// SqliteStore: the embedded default backend, one SQLite file in WAL mode.
//
// The schema is a revision log, like etcd's MVCC and kine: every write appends one row keyed by
// its revision (a delete appends a tombstone), and an index on (key, revision) answers "the
// version of each key at revision R" for lists at any revision since the compaction point.
// Current keys and their revisions are also kept in memory, so compare-and-swap checks need no
// read. One process owns the file (an exclusive lock on a companion file, PATH-lock); watches are
// served in-process after each commit. Concurrent writes are committed together (group commit),
// and no write is acknowledged before its transaction committed. WAL checkpoints run on a worker
// thread (sqlite-checkpoint.ts), so that no commit waits for their fsyncs.

import Database from 'better-sqlite3';
import type { JsonObject } from '../machinery/object.js';
import {
  checkKey,
  decodeContinue,
  encodeContinue,
  encodeValue,
  lazyKeyValue,
  prefixEnd,
} from './encoding.js';
import { WalCheckpoints } from './sqlite-checkpoint.js';
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

/**
 * SQLite's PRAGMA synchronous in WAL mode:
 * - FULL: fsync at every commit; an acknowledged write survives a power loss or OS crash.
 * - NORMAL (default): fsync only at checkpoints; an acknowledged write survives the process
 *   being killed (the OS still has it), but the last commits may be lost on power loss.
 * - OFF: no fsync at all; only for throwaway data.
 */
export type SqliteSynchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface SqliteStoreOptions {
  path: string;
  synchronous?: SqliteSynchronous;
  /**
   * Pages of WAL past which the store checkpoints and truncates it itself, when writes never
   * paused long enough for it to start over (default 16,000: 64 MiB).
   */
  walLimitPages?: number;
}

// Above this, a key range has no upper bound (every valid UTF-8 text sorts below it).
const NO_END = '\u{10ffff}';
const SCHEMA_VERSION = 1;
const COMPACT_CHUNK = 10_000;
/** SQLite's page size, for the estimate of the WAL pages a commit wrote. */
const PAGE_BYTES = 4096;

interface Live {
  createRevision: number;
  modRevision: number;
  version: number;
}

interface Row {
  rev: number;
  key: string;
  create_rev: number;
  version: number;
  value: string;
}

type Op =
  | { kind: 'create'; key: string; json: string }
  | { kind: 'update'; key: string; json: string; expected: number | undefined }
  | { kind: 'delete'; key: string; expected: number | undefined };

interface Pending {
  op: Op;
  resolve: (kv: KeyValue) => void;
  reject: (err: Error) => void;
  result?: KeyValue | Error;
}

export class SqliteStore implements Store, ChangeHistory {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly checkpoints: WalCheckpoints;
  /** Reads share one read transaction until the end of the event loop's pass (see read()). */
  private reading = false;
  private readonly begin: Database.Statement;
  private readonly end: Database.Statement;
  private readonly live = new Map<string, Live>();
  private revision = 0;
  private compacted = 0;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private compacting: Promise<void> = Promise.resolve();
  private readonly hub = new WatchHub(this);
  private readonly stmt: ReturnType<SqliteStore['prepare']>;
  /** Applies a batch in one transaction (better-sqlite3 rolls back if it throws). */
  private readonly applyAll: (
    batch: Pending[],
    undo: [string, Live | undefined][],
    changes: ChangeRecord[],
  ) => void;

  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    return new SqliteStore(options);
  }

  constructor(options: SqliteStoreOptions) {
    const synchronous = options.synchronous ?? 'NORMAL';
    // The spec that opens the same store again, durability setting included.
    this.description = `sqlite:${options.path}${synchronous === 'NORMAL' ? '' : `?sync=${synchronous.toLowerCase()}`}`;
    if (!['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(synchronous)) {
      throw new StoreError(`sqlite synchronous must be one of OFF, NORMAL, FULL, EXTRA; got ${synchronous}`);
    }
    try {
      // Another process holding the file is an error at once, not a wait.
      this.db = new Database(options.path, { timeout: 100 });
    } catch (err) {
      throw new StoreUnavailableError(`cannot open sqlite store ${options.path}: ${(err as Error).message}`);
    }
    try {
      // One process owns the store (watches and the key index live in it). The store's file
      // cannot be locked exclusively, since the checkpoint thread opens it too; an exclusive lock
      // on a companion file, attached and written once, stands for it until the connection
      // closes or the process dies. That write needs no fsync: the file holds nothing.
      this.db.prepare('ATTACH DATABASE ? AS owner').run(`${options.path}-lock`);
      this.db.pragma('owner.locking_mode = EXCLUSIVE');
      this.db.pragma('owner.synchronous = OFF');
      this.db.pragma('owner.journal_mode = MEMORY');
      this.db.pragma('owner.user_version = 1');
      // Setting up a new file (WAL switch, schema) would wait for two fsyncs, about 25 ms of a
      // blocked event loop per store (a simulated cluster's start). Below FULL nothing is
      // promised across a power loss, and without fsync it still survives a killed process.
      const durable = synchronous === 'FULL' || synchronous === 'EXTRA';
      if (!durable) this.db.pragma('main.synchronous = OFF');
      this.db.pragma('main.journal_mode = WAL');
      this.migrate();
      this.db.pragma(`synchronous = ${synchronous}`);
      this.stmt = this.prepare();
      this.begin = this.db.prepare('BEGIN');
      this.end = this.db.prepare('COMMIT');
      this.applyAll = this.db.transaction(
        (batch: Pending[], undo: [string, Live | undefined][], changes: ChangeRecord[]) => {
          for (const p of batch) p.result = this.apply(p.op, undo, changes);
        },
      );
      this.load();
      this.checkpoints = new WalCheckpoints(
        this.db,
        options.path,
        synchronous,
        this.endRead,
        options.walLimitPages,
      );
    } catch (err) {
      this.db.close();
      const message = (err as Error).message;
      if (/locked|busy/i.test(message)) {
        throw new StoreUnavailableError(`sqlite store ${options.path} is in use by another process`);
      }
      throw new StoreUnavailableError(`cannot open sqlite store ${options.path}: ${message}`);
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the file has schema version ${version}, newer than this program's ${SCHEMA_VERSION}`);
    }
    this.db.exec(`
      BEGIN;
      CREATE TABLE IF NOT EXISTS kv (
        rev        INTEGER PRIMARY KEY,      -- the write's revision
        key        TEXT    NOT NULL,
        create_rev INTEGER NOT NULL,
        prev_rev   INTEGER NOT NULL,         -- revision of the version this write replaced; 0 for a create
        version    INTEGER NOT NULL,
        deleted    INTEGER NOT NULL,         -- 1: a delete, value holds the deleted value
        value      TEXT    NOT NULL          -- JSON
      );
      CREATE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      PRAGMA user_version = ${SCHEMA_VERSION};
      COMMIT;
    `);
  }

  private prepare() {
    const db = this.db;
    // The version of each key at @rev: with max(), SQLite takes the other ("bare") columns from
    // the row holding the maximum. Rows come in key order from the index, so a page stops early.
    const atRevision = `
      SELECT max(rev) AS rev, key, create_rev, version, value, deleted FROM kv
      WHERE key >= @start AND key < @end AND rev <= @rev
      GROUP BY key HAVING deleted = 0`;
    return {
      insert: db.prepare(
        'INSERT INTO kv (rev, key, create_rev, prev_rev, version, deleted, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      valueAt: db.prepare<[number], { value: string }>('SELECT value FROM kv WHERE rev = ?').pluck(),
      page: db.prepare<{ start: string; end: string; rev: number; limit: number }, Row>(
        `${atRevision} ORDER BY key LIMIT @limit`,
      ),
      count: db
        .prepare<{ start: string; end: string; rev: number }, number>(
          `SELECT count(*) FROM (
             SELECT max(rev), deleted FROM kv WHERE key >= @start AND key < @end AND rev <= @rev GROUP BY key HAVING deleted = 0)`,
        )
        .pluck(),
      // Walks the log from @after by revision (the unary + keeps SQLite off the key index here).
      changes: db.prepare<
        { after: number; start: string; end: string; max: number },
        Row & { prev_rev: number; deleted: number; prev_value: string | null }
      >(
        `SELECT e.rev, e.key, e.create_rev, e.version, e.value, e.prev_rev, e.deleted, p.value AS prev_value
         FROM kv e LEFT JOIN kv p ON p.rev = e.prev_rev
         WHERE e.rev > @after AND +e.key >= @start AND +e.key < @end
         ORDER BY e.rev LIMIT @max`,
      ),
      setMeta: db.prepare(
        'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
      compactChunk: db.prepare(
        `DELETE FROM kv WHERE rev >= @lo AND rev < @hi AND (
           deleted = 1 OR rev < (SELECT max(k2.rev) FROM kv k2 WHERE k2.key = kv.key AND k2.rev <= @upTo))`,
      ),
      minRev: db.prepare<[], number | null>('SELECT min(rev) FROM kv').pluck(),
    };
  }

  /** Rebuilds the in-memory state from the file (after a crash, the WAL has been replayed). */
  private load(): void {
    this.revision = (this.db.prepare('SELECT max(rev) FROM kv').pluck().get() as number | null) ?? 0;
    this.compacted =
      (this.db.prepare("SELECT value FROM meta WHERE name = 'compacted'").pluck().get() as
        | number
        | undefined) ?? 0;
    const rows = this.db
      .prepare(
        `SELECT k.key, k.rev, k.create_rev, k.version FROM (SELECT max(rev) AS rev FROM kv GROUP BY key) m
         JOIN kv k ON k.rev = m.rev WHERE k.deleted = 0`,
      )
      .iterate() as IterableIterator<{ key: string; rev: number; create_rev: number; version: number }>;
    for (const r of rows) {
      this.live.set(r.key, { createRevision: r.create_rev, modRevision: r.rev, version: r.version });
    }
  }

  // Not async functions: the write path is the hot path, and each await costs a turn.
  create(key: string, value: JsonObject): Promise<KeyValue> {
    let json: string;
    try {
      json = encodeValue(key, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue({ kind: 'create', key, json });
  }

  update(key: string, value: JsonObject, expectedRevision?: number): Promise<KeyValue> {
    let json: string;
    try {
      json = encodeValue(key, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue({ kind: 'update', key, json, expected: expectedRevision });
  }

  delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    try {
      checkKey(key);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue({ kind: 'delete', key, expected: expectedRevision });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const live = this.live.get(key);
    if (!live) return undefined;
    this.read();
    return this.entry(key, live, this.stmt.valueAt.get(live.modRevision) as unknown as string);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    let revision = this.revision;
    let start = prefix;
    if (options.continue !== undefined) {
      const position = decodeContinue(options.continue);
      revision = position.revision;
      start = prefix + position.start;
      if (revision > this.revision) throw new InvalidContinueError(options.continue);
    } else if (options.revision !== undefined && options.revision !== 0) {
      revision = options.revision;
    } else if (options.minRevision !== undefined && options.minRevision > revision) {
      throw new FutureRevisionError(options.minRevision, revision);
    }
    this.checkReadable(revision);
    const end = prefixEnd(prefix) ?? NO_END;
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    this.read();
    // One row more than asked tells whether another page follows.
    const rows = this.stmt.page.all({ start, end, rev: revision, limit: limit < 0 ? -1 : limit + 1 });
    const result: ListResult = { items: [], revision };
    const take = limit < 0 ? rows.length : Math.min(limit, rows.length);
    for (let i = 0; i < take; i++) {
      const r = rows[i]!;
      result.items.push({
        key: r.key,
        value: JSON.parse(r.value) as JsonObject,
        createRevision: r.create_rev,
        modRevision: r.rev,
        version: r.version,
      });
    }
    if (limit >= 0 && rows.length > limit) {
      const last = result.items[result.items.length - 1]!.key;
      result.continue = encodeContinue(prefix, last, revision);
      result.remaining = this.stmt.count.get({ start: `${last}\0`, end, rev: revision }) as number;
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    this.read();
    return this.stmt.count.get({
      start: prefix,
      end: prefixEnd(prefix) ?? NO_END,
      rev: this.revision,
    }) as number;
  }

  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher {
    return this.hub.watch(prefix, afterRevision, sink);
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revision;
  }

  /** PRAGMA synchronous as SQLite reports it for this connection (what is in force, not what was asked). */
  synchronousMode(): SqliteSynchronous {
    this.checkOpen();
    const level = this.db.pragma('synchronous', { simple: true }) as number;
    return (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[level]!;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(revision))
      throw new StoreError(`compact revision must be an integer, got ${revision}`);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    // Reads below the point fail from now on; the rows go in chunks, yielding in between, so
    // that a large history never blocks the process for long.
    this.compacted = revision;
    this.endRead();
    this.stmt.setMeta.run('compacted', revision);
    const run = async () => {
      let lo = (this.stmt.minRev.get() as number | null) ?? revision;
      while (lo < revision && !this.closed) {
        const hi = Math.min(lo + COMPACT_CHUNK, revision);
        this.endRead();
        this.stmt.compactChunk.run({ lo, hi, upTo: revision });
        lo = hi;
        await new Promise((r) => setImmediate(r));
      }
    };
    this.compacting = this.compacting.then(run, run);
    await this.compacting;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already accepted are committed first.
    if (this.queue.length > 0) this.flush();
    this.closed = true;
    await this.compacting.catch(() => {});
    this.hub.end();
    await this.checkpoints.close();
    this.endRead();
    this.db.close();
  }

  // ChangeHistory, for the watch hub.
  changesAfter(prefix: string, after: number, max: number): ChangeRecord[] {
    this.read();
    const rows = this.stmt.changes.all({ after, start: prefix, end: prefixEnd(prefix) ?? NO_END, max });
    return rows.map((r) => {
      const change: ChangeRecord = {
        type: r.deleted ? 'delete' : r.prev_rev === 0 ? 'create' : 'update',
        key: r.key,
        revision: r.rev,
        createRevision: r.create_rev,
        json: r.value,
      };
      if (r.prev_rev !== 0) {
        change.prevRevision = r.prev_rev;
        if (r.prev_value !== null) change.prevJson = r.prev_value;
      }
      return change;
    });
  }

  headRevision(): number {
    return this.revision;
  }

  compactRevision(): number {
    return this.compacted;
  }

  private enqueue(op: Op): Promise<KeyValue> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Writes that arrive in the same pass of the event loop (from many connections' reads)
        // share one transaction: one WAL append instead of one per write.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction, then publishes and acknowledges them. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // A write inside the open read transaction would be committed only with it.
    this.endRead();
    const undo: [string, Live | undefined][] = [];
    const changes: ChangeRecord[] = [];
    const startRevision = this.revision;
    try {
      // A single write is a single statement: SQLite commits it atomically on its own.
      if (batch.length === 1) batch[0]!.result = this.apply(batch[0]!.op, undo, changes);
      else this.applyAll(batch, undo, changes);
    } catch (err) {
      // Nothing was committed: restore the in-memory state and fail the whole batch.
      this.revision = startRevision;
      for (let i = undo.length - 1; i >= 0; i--) {
        const [key, prev] = undo[i]!;
        if (prev) this.live.set(key, prev);
        else this.live.delete(key);
      }
      const failure = new StoreUnavailableError(`sqlite write failed: ${(err as Error).message}`);
      for (const p of batch) p.reject(failure);
      return;
    }
    this.checkpoints.committed(walPages(changes));
    this.hub.publish(changes);
    for (const p of batch) {
      if (p.result instanceof Error) p.reject(p.result);
      else p.resolve(p.result!);
    }
  }

  private apply(op: Op, undo: [string, Live | undefined][], changes: ChangeRecord[]): KeyValue | Error {
    const key = op.key;
    const current = this.live.get(key);
    if (op.kind === 'create') {
      if (current) return new KeyExistsError(key);
      const revision = ++this.revision;
      this.stmt.insert.run(revision, key, revision, 0, 1, 0, op.json);
      const next = { createRevision: revision, modRevision: revision, version: 1 };
      undo.push([key, undefined]);
      this.live.set(key, next);
      const kv = this.entry(key, next, op.json);
      changes.push({ type: 'create', key, revision, createRevision: revision, json: op.json });
      return kv;
    }
    if (!current) return new KeyNotFoundError(key);
    if (op.expected !== undefined && op.expected !== current.modRevision) {
      return new ConflictError(key, op.expected, this.entry(key, current, this.valueAt(current.modRevision)));
    }
    const revision = ++this.revision;
    undo.push([key, current]);
    if (op.kind === 'update') {
      const next = {
        createRevision: current.createRevision,
        modRevision: revision,
        version: current.version + 1,
      };
      this.stmt.insert.run(
        revision,
        key,
        current.createRevision,
        current.modRevision,
        next.version,
        0,
        op.json,
      );
      this.live.set(key, next);
      const change: ChangeRecord = {
        type: 'update',
        key,
        revision,
        createRevision: current.createRevision,
        json: op.json,
        prevRevision: current.modRevision,
      };
      // The previous value costs a read; only live watchers of this key need it.
      if (this.hub.wants(key)) change.prevJson = this.valueAt(current.modRevision);
      changes.push(change);
      return this.entry(key, next, op.json);
    }
    const json = this.valueAt(current.modRevision);
    this.stmt.insert.run(
      revision,
      key,
      current.createRevision,
      current.modRevision,
      current.version,
      1,
      json,
    );
    this.live.delete(key);
    changes.push({
      type: 'delete',
      key,
      revision,
      createRevision: current.createRevision,
      json,
      prevJson: json,
      prevRevision: current.modRevision,
    });
    return lazyKeyValue(key, json, { ...current, modRevision: revision });
  }

  /**
   * Opens a read transaction for the reads of this pass of the event loop. Every statement outside
   * a transaction takes and drops SQLite's read locks on the WAL (system calls, now that the file
   * is not held exclusively); reads in one pass share them. The store is the only writer and ends
   * the transaction before each write, so every read still sees every commit before it.
   */
  private read(): void {
    if (this.reading) return;
    this.begin.run();
    this.reading = true;
    setImmediate(this.endRead);
  }

  private readonly endRead = (): void => {
    if (!this.reading) return;
    this.reading = false;
    this.end.run();
  };

  private valueAt(revision: number): string {
    return this.stmt.valueAt.get(revision) as unknown as string;
  }

  private entry(key: string, live: Live, json: string): KeyValue {
    return lazyKeyValue(key, json, live);
  }

  private checkReadable(revision: number): void {
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new StoreError(`list revision must be a non-negative integer, got ${revision}`);
    }
    if (revision < this.compacted) throw new CompactedError(revision, this.compacted);
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed');
  }
}

/** The WAL pages a commit wrote, roughly: a page of each row's index, and the rows themselves. */
function walPages(changes: ChangeRecord[]): number {
  let pages = 1;
  for (const c of changes) pages += 1 + (c.json.length + c.key.length) / PAGE_BYTES;
  return pages;
}
