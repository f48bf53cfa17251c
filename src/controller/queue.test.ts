import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './queue.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter } from './rate-limiter.js';

/** Settles pending promise callbacks without moving the fake clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);

function state<T>(p: Promise<T>) {
  const s: { settled: boolean; value?: T } = { settled: false };
  p.then((v) => {
    s.settled = true;
    s.value = v;
  });
  return s;
}

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collapses duplicates of an item waiting in the queue, keeping the order of first adds', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('b');
    q.add('c');
    expect(q.len()).toBe(3);
    const got = [(await q.get()).item, (await q.get()).item, (await q.get()).item];
    expect(got).toEqual(['a', 'b', 'c']);
    expect(q.len()).toBe(0);
  });

  it('re-queues an item added while it is processed, only once it is done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const first = await q.get();
    expect(first.item).toBe('a');
    q.add('a');
    q.add('a');
    // Not handed to anyone while its worker is at it.
    expect(q.len()).toBe(0);
    const second = state(q.get());
    await flush();
    expect(second.settled).toBe(false);
    q.done('a');
    await flush();
    expect(second.value).toEqual({ item: 'a', shutdown: false });
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('never hands one item to two workers at once', async () => {
    const q = new WorkQueue<string>();
    const inFlight = new Set<string>();
    let overlaps = 0;
    let processed = 0;
    const worker = async () => {
      for (;;) {
        const next = await q.get();
        if (next.shutdown) return;
        if (inFlight.has(next.item)) overlaps++;
        inFlight.add(next.item);
        // Work takes a while; meanwhile the same keys keep being added.
        await new Promise((r) => setTimeout(r, 10));
        inFlight.delete(next.item);
        processed++;
        q.done(next.item);
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (let i = 0; i < 50; i++) {
      q.add(`k${i % 3}`);
      await vi.advanceTimersByTimeAsync(3);
    }
    await vi.advanceTimersByTimeAsync(100);
    q.shutDown();
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    expect(processed).toBeGreaterThan(3);
    expect(processed).toBeLessThan(50);
  });

  it('delays items with addAfter on one timer, the earlier time winning', async () => {
    const q = new WorkQueue<string>();
    for (let i = 0; i < 100; i++) q.addAfter(`item-${i}`, 1000 + i);
    q.addAfter('soon', 5000);
    q.addAfter('soon', 500);
    q.addAfter('soon', 4000);
    expect(vi.getTimerCount()).toBe(1);
    expect(q.len()).toBe(0);
    expect(q.delayedLen()).toBe(101);
    await vi.advanceTimersByTimeAsync(499);
    expect(q.len()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.len()).toBe(1);
    expect((await q.get()).item).toBe('soon');
    await vi.advanceTimersByTimeAsync(550);
    expect(q.len()).toBe(51);
    await vi.advanceTimersByTimeAsync(100);
    expect(q.len()).toBe(100);
    expect(vi.getTimerCount()).toBe(0);
    q.addAfter('now', 0);
    expect(q.len()).toBe(101);
  });

  it('backs off failing items exponentially and forgets on success', async () => {
    const q = new WorkQueue<string>({ rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const readyAfter: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const started = Date.now();
      q.addRateLimited('x');
      while (q.len() === 0) await vi.advanceTimersByTimeAsync(1);
      readyAfter.push(Date.now() - started);
      q.done((await q.get()).item!);
    }
    expect(readyAfter).toEqual([5, 10, 20, 40, 80]);
    expect(q.numRequeues('x')).toBe(5);
    q.forget('x');
    expect(q.numRequeues('x')).toBe(0);
    const started = Date.now();
    q.addRateLimited('x');
    while (q.len() === 0) await vi.advanceTimersByTimeAsync(1);
    expect(Date.now() - started).toBe(5);
  });

  it('ignores adds after shutDown, hands out what is queued, then reports shutdown', async () => {
    const q = new WorkQueue<string>();
    const waiting = state(new WorkQueue<string>().get());
    const idle = new WorkQueue<string>();
    const idleGet = idle.get();
    idle.shutDown();
    expect(await idleGet).toEqual({ item: undefined, shutdown: true });
    expect(waiting.settled).toBe(false);

    q.add('queued');
    q.addAfter('delayed', 100);
    q.shutDown();
    q.add('late');
    q.addRateLimited('late');
    expect(await q.get()).toEqual({ item: 'queued', shutdown: false });
    expect(await q.get()).toEqual({ item: undefined, shutdown: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.len()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shutDownWithDrain waits for the items being processed', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    const a = await q.get();
    const b = await q.get();
    const drained = state(q.shutDownWithDrain());
    await flush();
    expect(drained.settled).toBe(false);
    q.done(a.item!);
    await flush();
    expect(drained.settled).toBe(false);
    q.done(b.item!);
    await flush();
    expect(drained.settled).toBe(true);
    expect(q.isShuttingDown()).toBe(true);
  });
});

describe('rate limiters', () => {
  it('caps exponential backoff at the maximum', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1000 * 1000);
    const delays = Array.from({ length: 30 }, () => rl.when('k'));
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays.at(-1)).toBe(1000 * 1000);
    expect(Math.max(...delays)).toBe(1000 * 1000);
    // Other items have their own count.
    expect(rl.when('other')).toBe(5);
  });

  it('lets a burst through the token bucket, then spaces retries at its rate', () => {
    let now = 0;
    const rl = new BucketRateLimiter<string>(10, 3, () => now);
    expect([rl.when('a'), rl.when('b'), rl.when('c')]).toEqual([0, 0, 0]);
    expect(rl.when('d')).toBeCloseTo(100);
    expect(rl.when('e')).toBeCloseTo(200);
    now = 1000;
    // A second later, tokens are back up to the burst minus what was borrowed.
    expect(rl.when('f')).toBe(0);
  });

  it('takes the larger delay of several limiters', () => {
    let now = 0;
    const rl = new MaxOfRateLimiter<string>(
      new ItemExponentialFailureRateLimiter(5, 1000),
      new BucketRateLimiter(1, 1, () => now),
    );
    expect(rl.when('a')).toBe(5);
    expect(rl.when('b')).toBeCloseTo(1000);
    expect(rl.numRequeues('a')).toBe(1);
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
    now = 5000;
    expect(rl.when('a')).toBe(5);
  });

  it('rejects nonsense settings', () => {
    expect(() => new ItemExponentialFailureRateLimiter(0, 10)).toThrow(RangeError);
    expect(() => new BucketRateLimiter(0, 1)).toThrow(RangeError);
  });
});
