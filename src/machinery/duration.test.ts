import { describe, expect, it } from 'vitest';
import { age, formatDuration, humanDuration, parseDuration, parseGoDuration } from './duration.js';

describe('humanDuration', () => {
  it('prints ages the way kubectl does at each scale', () => {
    const s = 1000;
    expect(humanDuration(-5 * s)).toBe('<invalid>');
    expect(humanDuration(-500)).toBe('0s');
    expect(humanDuration(59 * s)).toBe('59s');
    expect(humanDuration(119 * s)).toBe('119s');
    expect(humanDuration(200 * s)).toBe('3m20s');
    expect(humanDuration(300 * s)).toBe('5m');
    expect(humanDuration(45 * 60 * s)).toBe('45m');
    expect(humanDuration(5 * 3600 * s + 7 * 60 * s)).toBe('5h7m');
    expect(humanDuration(30 * 3600 * s)).toBe('30h');
    expect(humanDuration((3 * 24 + 4) * 3600 * s)).toBe('3d4h');
    expect(humanDuration(100 * 24 * 3600 * s)).toBe('100d');
    expect(humanDuration((3 * 365 + 10) * 24 * 3600 * s)).toBe('3y10d');
    expect(humanDuration(10 * 365 * 24 * 3600 * s)).toBe('10y');
  });

  it('ages objects from their creationTimestamp', () => {
    expect(age('2026-01-01T00:00:00Z', new Date('2026-01-01T00:01:30Z'))).toBe('90s');
    expect(age(undefined, new Date())).toBe('<unknown>');
  });
});

describe('parseGoDuration', () => {
  it('reads what Go reads', () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('10m0s')).toBe(600_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2000);
  });

  it('refuses what Go refuses, in its words', () => {
    expect(() => parseGoDuration('10')).toThrow('time: missing unit in duration "10"');
    expect(() => parseGoDuration('10 s')).toThrow('time: unknown unit " s"');
    expect(() => parseGoDuration('ten')).toThrow('time: invalid duration "ten"');
    expect(() => parseGoDuration('5d')).toThrow('time: unknown unit "d" in duration "5d"');
    expect(() => parseGoDuration('')).toThrow('time: invalid duration ""');
  });
});

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
