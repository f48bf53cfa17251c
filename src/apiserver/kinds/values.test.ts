import { describe, expect, it } from 'vitest';
import { child, defaultString, formatLabels, semanticEqual } from './values.js';

describe('semanticEqual', () => {
  it('treats an absent field like its zero value, as Go structs compare', () => {
    expect(semanticEqual({ a: 1 }, { a: 1, b: '', c: 0, d: false, e: [], f: {}, g: null })).toBe(true);
    expect(semanticEqual({ a: { b: [] } }, {})).toBe(true);
    expect(semanticEqual([{ x: '' }], [{}])).toBe(true);
  });

  it('still sees real changes', () => {
    expect(semanticEqual({ a: 1 }, { a: 0 })).toBe(false);
    expect(semanticEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(semanticEqual({ a: 'x' }, {})).toBe(false);
  });
});

describe('defaulting helpers', () => {
  it('never overwrite a field holding something of the wrong type', () => {
    const o: Record<string, unknown> = { spec: 'oops', name: 0 };
    expect(child(o, 'spec')).toBeUndefined();
    expect(o.spec).toBe('oops');
    defaultString(o, 'name', 'x');
    expect(o.name).toBe(0);
    defaultString(o, 'empty', 'x');
    expect(o.empty).toBe('x');
  });
});

describe('formatLabels', () => {
  it('prints sorted key=value pairs, or <none>', () => {
    expect(formatLabels({ tier: 'web', app: 'shop' })).toBe('app=shop,tier=web');
    expect(formatLabels(undefined)).toBe('<none>');
  });
});
