// Periodic compaction, like the Kubernetes API server's: at every tick each store is compacted
// to the revision it had at the previous tick, so between one and two intervals of history stay
// readable (for watches that resume and lists that page). One timer serves any number of stores
// (a sim host runs a thousand), and it never keeps the process alive.

import type { Store } from './store.js';

export interface CompactorOptions {
  /** Time between ticks; the window of history kept. Kubernetes uses 5 minutes. */
  intervalMs?: number;
  /** A store that failed to compact; the others go on. Default: a process warning. */
  onError?: (err: unknown, store: Store) => void;
}

export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;

export class Compactor {
  readonly intervalMs: number;
  /** Revision each store had at the previous tick (undefined before its first tick). */
  private readonly stores = new Map<Store, number | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly onError: (err: unknown, store: Store) => void;

  constructor(options: CompactorOptions = {}) {
    this.intervalMs = options.intervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    if (!(this.intervalMs > 0))
      throw new RangeError(`compaction interval must be positive, got ${this.intervalMs}`);
    this.onError =
      options.onError ??
      ((err, store) =>
        process.emitWarning(`compaction of ${store.description} failed: ${(err as Error).message}`));
  }

  add(store: Store): void {
    if (!this.stores.has(store)) this.stores.set(store, undefined);
  }

  remove(store: Store): void {
    this.stores.delete(store);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every store (what the timer runs); a pass still running is not doubled. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const [store, previous] of [...this.stores]) {
      if (!this.stores.has(store)) continue;
      try {
        const current = await store.currentRevision();
        if (previous !== undefined && previous > 0) await store.compact(previous);
        if (this.stores.has(store)) this.stores.set(store, current);
      } catch (err) {
        // A store removed (and closed) while its turn ran is not a failure.
        if (this.stores.has(store)) this.onError(err, store);
      }
    }
  }
}
