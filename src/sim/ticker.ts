// The host-wide ticker: every periodic duty of every simulated cluster in a process (node lease
// renewals, node status reports) hangs off one timer, armed for the earliest due duty, instead of
// a timer per node or per cluster. Duties of the same period start at spread-out phases, so that
// a thousand clusters do not all renew their leases in the same millisecond.

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
  /** Position in the heap, for removal. */
  index: number;
}

export class Ticker {
  private readonly heap: Entry[] = [];
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
      index: -1,
    };
    this.push(entry);
    this.arm();
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.remove(entry);
        this.arm();
      },
    };
  }

  /** How many duties are scheduled. */
  get size(): number {
    return this.heap.length;
  }

  /** Cancels every duty and the timer. */
  stop(): void {
    for (const e of this.heap) e.cancelled = true;
    this.heap.length = 0;
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
      while (this.heap.length > 0 && this.heap[0]!.due <= now) {
        const entry = this.heap[0]!;
        entry.due = Math.max(entry.due + entry.period, now + 1);
        this.down(0);
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
    const next = this.heap[0];
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

  private push(entry: Entry): void {
    entry.index = this.heap.length;
    this.heap.push(entry);
    this.up(entry.index);
  }

  private remove(entry: Entry): void {
    const i = entry.index;
    if (i < 0 || this.heap[i] !== entry) return;
    const last = this.heap.pop()!;
    entry.index = -1;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(i);
    }
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    this.heap[a] = y;
    this.heap[b] = x;
    y.index = a;
    x.index = b;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heap[parent]!.due <= this.heap[i]!.due) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.heap[l]!.due < this.heap[smallest]!.due) smallest = l;
      if (r < n && this.heap[r]!.due < this.heap[smallest]!.due) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

let shared: Ticker | undefined;

/** The process's ticker, for clusters started without a host. */
export function processTicker(): Ticker {
  shared ??= new Ticker();
  return shared;
}
