import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepClone } from '../json.js';
import { ApiError } from '../status.js';
import {
  applyMergePatch,
  createMergePatch,
  createThreeWayMergePatch,
  decodeMergePatch,
  KUBECTL_APPLY_PRECONDITIONS,
  PreconditionFailedError,
} from './merge-patch.js';

describe('applying a merge patch (RFC 7386)', () => {
  it('passes the RFC 7386 appendix examples', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [
        ['a', 'b'],
        ['c', 'd'],
        ['c', 'd'],
      ],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, want] of cases) expect(applyMergePatch(target, patch)).toEqual(want);
  });

  it('merges a kubectl-style patch into an object without touching the inputs', () => {
    const pod = {
      metadata: { name: 'p', labels: { a: '1', b: '2' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    const patch = {
      metadata: { labels: { b: null, c: '3' } },
      spec: { containers: [{ name: 'c', image: 'y' }] },
    };
    const podCopy = deepClone(pod);
    const patchCopy = deepClone(patch);
    const out = applyMergePatch<typeof pod>(pod, patch);
    expect(out).toEqual({
      metadata: { name: 'p', labels: { a: '1', c: '3' } },
      spec: { containers: [{ name: 'c', image: 'y' }] },
    });
    expect(pod).toEqual(podCopy);
    expect(patch).toEqual(patchCopy);
    out.spec.containers[0]!.image = 'z';
    expect(patch.spec.containers[0]!.image).toBe('y');
  });

  it('handles keys that are Object.prototype names like any other key', () => {
    const target = JSON.parse('{"labels":{"hasOwnProperty":"x","keep":"1"}}');
    const patch = JSON.parse(
      '{"labels":{"constructor":"a","hasOwnProperty":null,"prototype":"b","after":"c","__proto__":"d"}}',
    );
    const out = applyMergePatch<{ labels: Record<string, string> }>(target, patch);
    expect(Object.keys(out.labels).sort()).toEqual([
      '__proto__',
      'after',
      'constructor',
      'keep',
      'prototype',
    ]);
    expect(Object.getPrototypeOf(out.labels)).toBe(Object.prototype);
  });

  it('accepts only an object as the body of a patch request', () => {
    expect(decodeMergePatch({ a: 1 })).toEqual({ a: 1 });
    for (const bad of [null, [1], 'x', 2]) {
      expect(() => decodeMergePatch(bad)).toThrow(ApiError);
      try {
        decodeMergePatch(bad);
      } catch (e) {
        expect((e as ApiError).code).toBe(400);
      }
    }
  });
});

describe('creating a merge patch', () => {
  it('lists changes, additions and removals, replacing lists whole', () => {
    const before = {
      metadata: { labels: { a: '1', b: '2' } },
      spec: { replicas: 1, ports: [80, 443], x: { y: 1 } },
    };
    const after = {
      metadata: { labels: { a: '1', c: '3' } },
      spec: { replicas: 2, ports: [80], x: { y: 1 } },
    };
    expect(createMergePatch(before, after)).toEqual({
      metadata: { labels: { b: null, c: '3' } },
      spec: { replicas: 2, ports: [80] },
    });
    expect(createMergePatch(before, deepClone(before))).toEqual({});
  });

  it('applying createMergePatch(a, b) to a gives b (for objects without nulls)', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        tie('object'),
        fc.array(tie('value'), { maxLength: 3 }),
      ),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'constructor', '__proto__', 'x.y'), tie('value'), {
        maxKeys: 4,
      }),
    }));
    fc.assert(
      fc.property(json.object, json.object, (a, b) => {
        expect(applyMergePatch(a, createMergePatch(a, b))).toEqual(b);
      }),
    );
  });
});

describe('three-way merge patch (client-side apply for custom resources)', () => {
  const lastApplied = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: { size: 1, color: 'red' },
  };
  const live = {
    ...lastApplied,
    metadata: { name: 'w', uid: 'u1', labels: { 'added-by': 'controller' } },
    spec: { size: 1, color: 'red', managedBy: 'operator' },
    status: { ready: true },
  };

  it('applies the new configuration and removes only what this user applied before', () => {
    const modified = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 3 },
    };
    const patch = createThreeWayMergePatch(lastApplied, modified, live);
    expect(patch).toEqual({ spec: { size: 3, color: null } });
    const result = applyMergePatch<typeof live>(live, patch);
    expect(result.spec).toEqual({ size: 3, managedBy: 'operator' });
    expect(result.metadata.labels).toEqual({ 'added-by': 'controller' });
    expect(result.status).toEqual({ ready: true });
  });

  it('restores a field someone changed on the live object when the configuration sets it', () => {
    const drifted = { ...live, spec: { ...live.spec, color: 'blue' } };
    expect(createThreeWayMergePatch(lastApplied, lastApplied, drifted)).toEqual({ spec: { color: 'red' } });
  });

  it('is empty when nothing changed', () => {
    expect(createThreeWayMergePatch(lastApplied, lastApplied, live)).toEqual({});
  });

  it('refuses to change identity, with kubectl preconditions', () => {
    const renamed = { ...lastApplied, metadata: { name: 'other' } };
    expect(() =>
      createThreeWayMergePatch(lastApplied, renamed, live, { preconditions: KUBECTL_APPLY_PRECONDITIONS }),
    ).toThrow(PreconditionFailedError);
    expect(createThreeWayMergePatch(lastApplied, renamed, live)).toEqual({ metadata: { name: 'other' } });
  });
});
