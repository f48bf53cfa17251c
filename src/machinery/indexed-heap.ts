// A binary min-heap whose entries carry their own position, so that one can be removed, or moved
// after its key changed, in O(log n) instead of a search. Work queues keep their delayed items in
// one, the scheduler its active and backoff queues, a simulation's ticker its duties.

/** What an entry carries for the heap: its position, -1 when it is in none. */
export interface HeapEntry {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  /** `less(a, b)`: whether a comes out before b. */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The entry that comes out next, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Whether the entry is in this heap (an entry may move between heaps). */
  has(x: T): boolean {
    return x.heapIndex >= 0 && this.items[x.heapIndex] === x;
  }

  push(x: T): void {
    x.heapIndex = this.items.length;
    this.items.push(x);
    this.up(x.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Takes the entry out; nothing happens when it is not in this heap. */
  remove(x: T): void {
    if (this.has(x)) this.removeAt(x.heapIndex);
  }

  /** Puts the entry back in order after its key changed. */
  fix(x: T): void {
    if (!this.has(x)) return;
    this.up(x.heapIndex);
    this.down(x.heapIndex);
  }

  /** The entries, in heap order (not sorted); read-only. */
  values(): readonly T[] {
    return this.items;
  }

  clear(): void {
    for (const x of this.items) x.heapIndex = -1;
    this.items.length = 0;
  }

  private removeAt(i: number): void {
    const gone = this.items[i]!;
    const last = this.items.pop()!;
    gone.heapIndex = -1;
    if (i < this.items.length) {
      this.items[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
  }

  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(items[l]!, items[m]!)) m = l;
      if (r < n && this.less(items[r]!, items[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }
}
