import { describe, expect, it } from 'vitest';
import { wireStatus } from './object.js';

describe('wireStatus', () => {
  it('drops absent, zero, empty and false fields as omitempty does', () => {
    expect(wireStatus({ a: 0, b: '', c: [], d: false, e: null, f: undefined, g: 2, h: ['x'] })).toEqual({
      g: 2,
      h: ['x'],
    });
  });

  it('writes fields without omitempty as 0 when absent, and pointer fields whenever set', () => {
    const s: { replicas?: number; ready?: number; collisionCount?: number; failed?: number } = {
      collisionCount: 0,
    };
    expect(wireStatus(s, { always: ['replicas', 'ready'], whenSet: ['collisionCount', 'failed'] })).toEqual({
      replicas: 0,
      ready: 0,
      collisionCount: 0,
    });
  });

  it('keeps an empty object (a struct is never omitted)', () => {
    expect(wireStatus({ uncounted: {} })).toEqual({ uncounted: {} });
  });
});
