import { describe, expect, it } from 'vitest';
import { Ticker } from './ticker.js';

describe('Ticker', () => {
  it('runs each duty every period, from one timer', async () => {
    const ticker = new Ticker();
    const calls: string[] = [];
    ticker.every(40, () => calls.push('a'), { firstDelayMs: 0 });
    ticker.every(100, () => calls.push('b'), { firstDelayMs: 50 });
    await new Promise((r) => setTimeout(r, 230));
    ticker.stop();
    const a = calls.filter((c) => c === 'a').length;
    const b = calls.filter((c) => c === 'b').length;
    expect(a).toBeGreaterThanOrEqual(4);
    expect(b).toBeGreaterThanOrEqual(1);
    expect(a).toBeGreaterThan(b);
  });

  it('stops calling a cancelled duty, and keeps the others', async () => {
    const ticker = new Ticker();
    let cancelled = 0;
    let kept = 0;
    const duty = ticker.every(20, () => cancelled++, { firstDelayMs: 0 });
    ticker.every(20, () => kept++, { firstDelayMs: 0 });
    await new Promise((r) => setTimeout(r, 50));
    duty.cancel();
    const at = cancelled;
    await new Promise((r) => setTimeout(r, 80));
    ticker.stop();
    expect(cancelled).toBe(at);
    expect(kept).toBeGreaterThan(at);
    expect(ticker.size).toBe(0);
  });

  it('keeps running duties when one throws, reporting the error', async () => {
    const errors: unknown[] = [];
    const ticker = new Ticker({ onError: (e) => errors.push(e) });
    let fine = 0;
    ticker.every(
      20,
      () => {
        throw new Error('boom');
      },
      { firstDelayMs: 0 },
    );
    ticker.every(20, () => fine++, { firstDelayMs: 0 });
    await new Promise((r) => setTimeout(r, 70));
    ticker.stop();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(fine).toBeGreaterThanOrEqual(2);
  });

  it('refuses a period that is not a positive number', () => {
    expect(() => new Ticker().every(0, () => {})).toThrow(/period must be a positive number/);
  });
});
