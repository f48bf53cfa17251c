import { describe, expect, it } from 'vitest';
import { parseZonedSchedule, zoneOffset } from './cron.js';

const at = (iso: string) => Date.parse(iso);
const next = (schedule: string, after: string, zone?: string) => {
  const t = parseZonedSchedule(schedule, zone).next(at(after));
  return t === undefined ? undefined : new Date(t).toISOString();
};

describe('cron schedule', () => {
  it('fires at the next matching minute, strictly after the given time', () => {
    expect(next('*/15 * * * *', '2024-01-15T10:07:30Z')).toBe('2024-01-15T10:15:00.000Z');
    expect(next('*/15 * * * *', '2024-01-15T10:15:00Z')).toBe('2024-01-15T10:30:00.000Z');
    expect(next('* * * * *', '2024-01-15T10:15:59.900Z')).toBe('2024-01-15T10:16:00.000Z');
    expect(next('30 2 * * *', '2024-01-15T10:00:00Z')).toBe('2024-01-16T02:30:00.000Z');
  });

  it('wraps months and years and knows month lengths', () => {
    expect(next('0 0 1 * *', '2024-12-15T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(next('0 12 29 2 *', '2024-03-01T00:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
    expect(next('0 0 31 2 *', '2024-01-01T00:00:00Z')).toBeUndefined();
  });

  it('matches day-of-month OR day-of-week, unless one is *', () => {
    // The 13th, or any Friday: Friday 2024-01-19 comes before Tuesday 2024-02-13.
    expect(next('0 0 13 * 5', '2024-01-14T00:00:00Z')).toBe('2024-01-19T00:00:00.000Z');
    expect(next('0 0 * * 1', '2024-01-14T00:00:00Z')).toBe('2024-01-15T00:00:00.000Z');
    expect(next('0 0 * * MON-FRI', '2024-01-13T00:00:00Z')).toBe('2024-01-15T00:00:00.000Z');
  });

  it('understands descriptors and @every', () => {
    expect(next('@hourly', '2024-01-15T10:07:30Z')).toBe('2024-01-15T11:00:00.000Z');
    expect(next('@daily', '2024-01-15T10:07:30Z')).toBe('2024-01-16T00:00:00.000Z');
    expect(next('@weekly', '2024-01-15T10:07:30Z')).toBe('2024-01-21T00:00:00.000Z');
    expect(next('@every 90s', '2024-01-15T10:07:30.500Z')).toBe('2024-01-15T10:09:00.000Z');
  });

  it('reads the wall clock of the time zone, across daylight saving time', () => {
    expect(next('0 9 * * *', '2024-01-15T12:00:00Z', 'America/New_York')).toBe('2024-01-15T14:00:00.000Z');
    expect(next('0 9 * * *', '2024-07-15T12:00:00Z', 'America/New_York')).toBe('2024-07-15T13:00:00.000Z');
    expect(next('TZ=Asia/Tokyo 0 9 * * *', '2024-07-15T12:00:00Z')).toBe('2024-07-16T00:00:00.000Z');
    expect(zoneOffset('Asia/Kolkata', at('2024-01-01T00:00:00Z'))).toBe(5.5 * 3600_000);
  });
});
