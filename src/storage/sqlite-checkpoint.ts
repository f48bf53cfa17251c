// WAL checkpoints off the event loop, for SqliteStore.
//
// In WAL mode a commit appends pages to the WAL; a checkpoint copies them back into the database
// file and, at synchronous NORMAL or FULL, syncs the WAL before and the database file after. Left
// to itself SQLite runs one inside the commit that takes the WAL past 1,000 pages, so that commit
// (and every write and read queued behind it on the event loop) waits for two fsyncs: 9-15 ms on a
// virtual disk where a commit takes well under 1 ms. Here the store's connection never
// checkpoints on its own (wal_autocheckpoint = 0); a worker thread with a connection of its own to
// the same file runs a PASSIVE checkpoint, which waits for no reader or writer, once about as many
// pages as SQLite's threshold were written. The store's next write after a complete checkpoint
// starts the WAL over from its beginning, as after SQLite's own. One thread serves every store of
// the process. If the thread fails, the store goes back to SQLite's automatic checkpoints.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface CheckpointRequest {
  seq: number;
  path: string;
  synchronous: string;
}

export interface CheckpointReply {
  seq: number;
  ok: boolean;
  error?: string;
  /** Pages in the WAL and pages of it copied into the database file (PRAGMA wal_checkpoint). */
  log?: number;
  checkpointed?: number;
}

/** SQLite's own automatic checkpoint threshold, in pages of the WAL. */
export const CHECKPOINT_PAGES = 1000;
/**
 * A WAL starts over only when a write finds it fully checkpointed; under writes that never pause
 * for the length of a checkpoint it would keep growing. Past this many pages (64 MiB at 4 KiB) the
 * store checkpoints and truncates it itself, once, on the event loop.
 */
export const WAL_LIMIT_PAGES = 16_000;

/**
 * The thread's code: PRAGMA wal_checkpoint(PASSIVE) on request (PASSIVE waits for no reader or
 * writer, so the store never waits for it). Plain JavaScript evaluated in the worker, so that it
 * starts in a few milliseconds with no loader, from the sources as from the build.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
function checkpoint({ seq, path, synchronous }) {
  let db;
  try {
    // A connection for each checkpoint: a fraction of a millisecond beside the syncs, and a
    // store that is not being written costs the thread nothing.
    db = new Database(path, { fileMustExist: true, timeout: 1000 });
    // The checkpoint syncs as the store's setting says: NORMAL and FULL sync the WAL before
    // copying it and the database file after, as SQLite's automatic checkpoint does.
    db.pragma('synchronous = ' + synchronous);
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    return { seq, ok: true, log: row.log, checkpointed: row.checkpointed };
  } catch (err) {
    return { seq, ok: false, error: err.message };
  } finally {
    db?.close();
  }
}
parentPort.on('message', (request) => parentPort.postMessage(checkpoint(request)));
`;

class CheckpointThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, (reply: CheckpointReply) => void>();
  users = 0;
  failed = false;
  readonly exited: Promise<void>;

  constructor() {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { sqlite: createRequire(import.meta.url).resolve('better-sqlite3') },
      execArgv: [],
      // It only relays pragma calls; a small heap keeps the thread's footprint small.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    });
    // An open store must not keep a process alive that has nothing else to do.
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointReply) => {
      const resolve = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      resolve?.(reply);
    });
    this.worker.on('error', () => this.fail());
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.fail();
        resolve();
      }),
    );
  }

  checkpoint(path: string, synchronous: string): Promise<CheckpointReply> {
    const seq = ++this.seq;
    if (this.failed) return Promise.resolve({ seq, ok: false, error: 'checkpoint thread stopped' });
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.worker.postMessage({ seq, path, synchronous } satisfies CheckpointRequest);
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  private fail(): void {
    this.failed = true;
    for (const [seq, resolve] of this.waiting)
      resolve({ seq, ok: false, error: 'checkpoint thread stopped' });
    this.waiting.clear();
  }
}

let shared: CheckpointThread | undefined;
let idle: NodeJS.Timeout | undefined;
/**
 * The thread outlives the last store by this long, so that a process opening and closing stores
 * one after the other (tests, tools) does not start a thread for each. It holds no connection by
 * then, and keeps no process alive.
 */
const LINGER_MS = 2000;

function acquire(): CheckpointThread {
  clearTimeout(idle);
  if (!shared || shared.failed) shared = new CheckpointThread();
  shared.users++;
  return shared;
}

function release(thread: CheckpointThread): void {
  if (--thread.users > 0 || thread !== shared) return;
  idle = setTimeout(() => {
    if (shared === thread && thread.users === 0) {
      shared = undefined;
      void thread.stop();
    }
  }, LINGER_MS);
  idle.unref();
}

/** The checkpoints of one store's file. */
export class WalCheckpoints {
  private readonly thread: CheckpointThread;
  /** Pages written to the WAL (estimated) since the last checkpoint was asked for. */
  private pages = 0;
  private running: Promise<void> | undefined;
  private wroteWhileRunning = false;
  private onMainThread = false;
  private closed = false;

  /**
   * @param db the store's connection, which does the rare truncating checkpoint
   * @param beforeWrite ends the store's read transaction, if one is open
   */
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly synchronous: string,
    private readonly beforeWrite: () => void,
    private readonly limitPages = WAL_LIMIT_PAGES,
  ) {
    db.pragma('wal_autocheckpoint = 0');
    this.thread = acquire();
  }

  /** Called after each commit with the pages it wrote to the WAL, estimated. */
  committed(pages: number): void {
    if (this.onMainThread || this.closed) return;
    this.pages += pages;
    if (this.running) this.wroteWhileRunning = true;
    else if (this.pages >= CHECKPOINT_PAGES) this.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    release(this.thread);
  }

  private start(followUp = false): void {
    this.pages = 0;
    this.wroteWhileRunning = false;
    this.running = this.thread
      .checkpoint(this.path, this.synchronous)
      .then((reply) => this.done(reply, followUp));
  }

  private done(reply: CheckpointReply, followUp: boolean): void {
    this.running = undefined;
    if (this.closed) return;
    if (!reply.ok) {
      this.fallBack();
      return;
    }
    if ((reply.log ?? 0) >= this.limitPages) {
      // Writes never left the WAL fully checkpointed for long enough to start it over.
      try {
        this.beforeWrite();
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Runs from a promise's callback, where a throw would stop the process; the next round
        // tries again.
      }
      this.pages = 0;
      return;
    }
    // What was written meanwhile is left behind; one short second round lets the WAL start over
    // at the next write if the writes pause for as long as it takes (more rounds under writes that
    // never pause would only sync again and again).
    if (this.wroteWhileRunning && !followUp) this.start(true);
  }

  /** Without the thread, SQLite checkpoints in the commit again, as it does by default. */
  private fallBack(): void {
    if (this.onMainThread || this.closed) return;
    this.onMainThread = true;
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
  }
}
