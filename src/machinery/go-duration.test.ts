import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses Go durations and bare milliseconds', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250', { bareMilliseconds: true })).toBe(250);
    expect(parseDuration('-1m')).toBe(-60_000);
    expect(parseDuration('.5s')).toBe(500);
    expect(parseDuration('0')).toBe(0);
  });

  it('says what is wrong with a bad duration', () => {
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon"/);
    expect(() => parseDuration('2 s')).toThrow('time: unknown unit " s" in duration "2 s"');
    expect(() => parseDuration('')).toThrow(/empty duration/);
    // Without a unit a number is not a duration (as in Go), unless bare milliseconds are asked for.
    expect(() => parseDuration('250')).toThrow('time: missing unit in duration "250"');
    expect(() => parseDuration('1h30')).toThrow('time: missing unit in duration "1h30"');
  });

  it("formats as Go's Duration.String()", () => {
    expect([0, 500, 10_000, 80_000, 300_000, 3_600_000].map(formatDuration)).toEqual([
      '0s',
      '500ms',
      '10s',
      '1m20s',
      '5m0s',
      '1h0m0s',
    ]);
  });
});
