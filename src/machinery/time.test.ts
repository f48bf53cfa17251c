import { describe, expect, it } from 'vitest';
import { metaTime } from './time.js';

describe('metaTime', () => {
  it('writes RFC 3339 to the second, dropping the fraction', () => {
    expect(metaTime(Date.UTC(2024, 4, 1, 10, 0, 0, 999))).toBe('2024-05-01T10:00:00Z');
    expect(metaTime(new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 0)))).toBe('2024-05-01T10:00:00Z');
    expect(metaTime(Date.UTC(2024, 4, 1, 10, 0, 1, 0))).toBe('2024-05-01T10:00:01Z');
    expect(metaTime(Date.UTC(2024, 4, 1, 10, 0, 0, 500))).toBe('2024-05-01T10:00:00Z');
    expect(metaTime(-500)).toBe('1969-12-31T23:59:59Z');
  });

  it('refuses an invalid time', () => {
    expect(() => metaTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
