import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson, deepClone, deepEqual, isPlainObject, jsonKind } from './json.js';

describe('deepEqual', () => {
  it('compares JSON values structurally, ignoring key order', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual(0, '0')).toBe(false);
  });

  it('treats a key holding undefined as absent, as JSON would', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });

  it('agrees with comparing JSON texts of sorted objects', () => {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : isPlainObject(v)
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys(v[k])]),
            )
          : v;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
        const same = JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
        expect(deepEqual(a, b)).toBe(same);
        expect(deepEqual(a, JSON.parse(JSON.stringify(a)))).toBe(true);
      }),
    );
  });
});

describe('deepClone', () => {
  it('copies without sharing', () => {
    const src = { a: { b: [1, { c: 2 }] } };
    const copy = deepClone(src);
    expect(copy).toEqual(src);
    (copy.a.b[1] as { c: number }).c = 3;
    expect((src.a.b[1] as { c: number }).c).toBe(2);
  });
});

describe('cloneJson', () => {
  it('copies to the same JSON, sharing nothing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const copy = cloneJson(v);
        // Same JSON text (the one difference, -0, prints as 0 either way).
        expect(JSON.stringify(copy)).toBe(JSON.stringify(v));
        if (typeof v === 'object' && v !== null) expect(copy).not.toBe(v);
      }),
    );
  });

  it('drops undefined values and keeps a "__proto__" key as data', () => {
    const src = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    src.b = undefined;
    const copy = cloneJson(src);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('jsonKind', () => {
  it('names JSON kinds', () => {
    expect([null, true, 1, 's', [], {}].map(jsonKind)).toEqual([
      'null',
      'boolean',
      'number',
      'string',
      'array',
      'object',
    ]);
  });
});
