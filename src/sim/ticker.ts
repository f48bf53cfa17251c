// The host-wide ticker: every periodic duty of every simulated cluster in a process (node lease
// renewals, node status reports) hangs off one timer, armed for the earliest due duty, instead of
// a timer per node or per cluster. Duties of the same period start at spread-out phases, so that
// a thousand clusters do not all renew their leases in the same millisecond.

import { IndexedHeap } from '../machinery/indexed-heap.js';

export interface TickerOptions {
  /** Called when a duty throws; the duty keeps its schedule. Default: ignore. */
  onError?: (err: unknown) => void;
  /** The clock (ms since the epoch); tests may pass their own. */
  now?: () => number;
}

export interface Duty {
  /** Stops the duty; it is not called again. */
  cancel(): void;
}

interface Entry {
  due: number;
  period: number;
  fn: () => void;
  cancelled: boolean;
  heapIndex: number;
}

export class Ticker {
  private readonly heap = new IndexedHeap<Entry>((a, b) => a.due < b.due);
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly onError: (err: unknown) => void;
  private readonly now: () => number;
  private firing = false;

  constructor(opts: TickerOptions = {}) {
    this.onError = opts.onError ?? (() => {});
    this.now = opts.now ?? Date.now;
  }

  /**
   * Calls fn every periodMs. The first call comes after `firstDelayMs` (default: a random
   * fraction of the period, which spreads duties of the same period over it).
   */
  every(periodMs: number, fn: () => void, opts: { firstDelayMs?: number } = {}): Duty {
    if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
      throw new RangeError(`ticker: period must be a positive number of ms, got ${periodMs}`);
    }
    const first = opts.firstDelayMs ?? Math.floor(Math.random() * periodMs);
    const entry: Entry = {
      due: this.now() + Math.max(0, first),
      period: periodMs,
      fn,
      cancelled: false,
      heapIndex: -1,
    };
    this.heap.push(entry);
    this.arm();
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.heap.remove(entry);
        this.arm();
      },
    };
  }

  /** How many duties are scheduled. */
  get size(): number {
    return this.heap.size;
  }

  /** Cancels every duty and the timer. */
  stop(): void {
    for (const e of this.heap.values()) e.cancelled = true;
    this.heap.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.firing = true;
    try {
      const now = this.now();
      // Duties due now run once each, even if the process was stalled for several periods.
      for (let entry = this.heap.peek(); entry && entry.due <= now; entry = this.heap.peek()) {
        entry.due = Math.max(entry.due + entry.period, now + 1);
        this.heap.fix(entry);
        try {
          entry.fn();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.firing = false;
    }
    this.arm();
  }

  private arm(): void {
    if (this.firing) return;
    const next = this.heap.peek();
    if (!next) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer && this.timerAt <= next.due) return;
    clearTimeout(this.timer);
    this.timerAt = next.due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.due - this.now()));
    this.timer.unref();
  }
}

let shared: Ticker | undefined;

/** The process's ticker, for clusters started without a host. */
export function processTicker(): Ticker {
  shared ??= new Ticker();
  return shared;
}
