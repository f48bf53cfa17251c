import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepClone } from '../json.js';
import { ApiError } from '../status.js';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS, parseJsonPatch } from './json-patch.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1.25' },
          { name: 'sidecar', image: 'envoy' },
        ],
      },
    },
  },
};

function failure(doc: unknown, patch: unknown): ApiError {
  try {
    applyJsonPatch(doc, patch);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the patch to fail');
}

describe('applying a JSON patch', () => {
  it('applies every RFC 6902 operation in order', () => {
    const out = applyJsonPatch(deployment, [
      { op: 'test', path: '/spec/replicas', value: 2 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/tier', value: 'frontend' },
      { op: 'add', path: '/metadata/annotations', value: { note: 'x' } },
      { op: 'remove', path: '/spec/template/spec/containers/1' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'log', image: 'fluentd' } },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/annotations/note', path: '/metadata/labels/moved' },
    ]);
    expect(out.spec.replicas).toBe(3);
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'frontend', copied: 'web', moved: 'x' });
    expect(out.metadata).toHaveProperty('annotations', {});
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['app', 'log']);
  });

  it('inserts into arrays by index and escapes ~ and / in keys', () => {
    const out = applyJsonPatch({ list: ['a', 'c'], m: { 'a/b': 1, 'c~d': 2 } }, [
      { op: 'add', path: '/list/1', value: 'b' },
      { op: 'add', path: '/list/3', value: 'd' },
      { op: 'replace', path: '/m/a~1b', value: 10 },
      { op: 'remove', path: '/m/c~0d' },
    ]);
    expect(out).toEqual({ list: ['a', 'b', 'c', 'd'], m: { 'a/b': 10 } });
  });

  it('never modifies its inputs', () => {
    const doc = deepClone(deployment);
    const patch = [
      { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'A', value: '1' }] },
      { op: 'remove', path: '/metadata/labels' },
    ];
    const patchCopy = deepClone(patch);
    const out = applyJsonPatch(doc, patch);
    expect(doc).toEqual(deployment);
    expect(patch).toEqual(patchCopy);
    (out.spec.template.spec.containers[0] as unknown as { env: { value: string }[] }).env[0]!.value =
      'changed';
    expect(patch[0]!.value).toEqual([{ name: 'A', value: '1' }]);
  });

  it('treats keys named like Object.prototype members as ordinary keys', () => {
    expect(applyJsonPatch({ labels: {} }, [{ op: 'add', path: '/labels/constructor', value: 'x' }])).toEqual({
      labels: { constructor: 'x' },
    });
    expect(failure({ labels: {} }, [{ op: 'remove', path: '/labels/toString' }]).code).toBe(422);
    expect(failure({ labels: {} }, [{ op: 'replace', path: '/labels/hasOwnProperty', value: 1 }]).code).toBe(
      422,
    );
  });

  it('replaces the whole document at the root path', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).toEqual({ b: 2 });
  });
});

describe('errors', () => {
  it('refuses a document that is not a list of operations with 400', () => {
    for (const patch of [{ op: 'add' }, 'x', null, 3, [1], [[]]]) {
      const err = failure(deployment, patch);
      expect(err.code, JSON.stringify(patch)).toBe(400);
      expect(err.reason).toBe('BadRequest');
    }
    expect(() => parseJsonPatch('[{"op":')).toThrow(ApiError);
    expect(parseJsonPatch('[{"op":"remove","path":"/a"}]')).toHaveLength(1);
  });

  it('refuses more than 10,000 operations with 413, as Kubernetes does', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '',
      value: {},
    }));
    const err = failure({}, ops);
    expect(err.code).toBe(413);
    expect(err.message).toBe('The allowed maximum operations in a JSON patch is 10000, got 10001');
  });

  it('answers operations that do not apply with 422 Invalid naming the path', () => {
    const cases: [unknown[], string][] = [
      [
        [{ op: 'add', path: '/spec/missing/x', value: 1 }],
        'add operation does not apply: doc is missing path: "/spec/missing/x": missing value',
      ],
      [
        [{ op: 'remove', path: '/spec/nothing' }],
        'remove operation does not apply: doc is missing path: "/spec/nothing": missing value',
      ],
      [
        [{ op: 'replace', path: '/spec/nothing', value: 1 }],
        'replace operation does not apply: doc is missing key: /spec/nothing: missing value',
      ],
      [
        [{ op: 'test', path: '/spec/replicas', value: 5 }],
        'testing value /spec/replicas failed: test failed',
      ],
      [[{ op: 'test', path: '/spec/nothing', value: 5 }], 'testing value /spec/nothing failed: test failed'],
      [
        [{ op: 'move', from: '/nothing', path: '/x' }],
        'move operation does not apply: doc is missing from path: /nothing: missing value',
      ],
      [
        [{ op: 'copy', from: '/spec', path: '/a/b' }],
        'copy operation does not apply: doc is missing destination path: /a/b: missing value',
      ],
      [
        [{ op: 'move', from: '/spec', path: '/spec/template/x' }],
        'move operation does not apply: cannot move /spec into its own child /spec/template/x',
      ],
      [[{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate'],
      [[{ path: '/a' }], 'Unexpected kind: unknown'],
      [[{ op: 'add', value: 1 }], 'add operation missing path field: missing value'],
      [[{ op: 'add', path: '/a' }], 'add operation missing value field: missing value'],
      [
        [{ op: 'add', path: 'a', value: 1 }],
        `add operation has an invalid path: "a" must be empty or start with '/'`,
      ],
      [
        [{ op: 'add', path: '/spec/template/spec/containers/5', value: {} }],
        'add operation does not apply: doc is missing path: "/spec/template/spec/containers/5": missing value',
      ],
      [
        [{ op: 'remove', path: '/spec/template/spec/containers/01' }],
        'remove operation does not apply: doc is missing path: "/spec/template/spec/containers/01": missing value',
      ],
      [
        [{ op: 'add', path: '/spec/replicas/x', value: 1 }],
        'add operation does not apply: doc is missing path: "/spec/replicas/x": missing value',
      ],
    ];
    for (const [patch, message] of cases) {
      const err = failure(deployment, patch);
      expect(err.code, JSON.stringify(patch)).toBe(422);
      expect(err.reason).toBe('Invalid');
      expect(err.message).toBe(message);
    }
  });

  it('applies nothing when a later operation fails', () => {
    const doc = deepClone(deployment);
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 9 },
        { op: 'test', path: '/metadata/name', value: 'other' },
      ]),
    ).toThrow(ApiError);
    expect(doc.spec.replicas).toBe(2);
  });

  it('never crashes: every failure is an ApiError', () => {
    const pointer = fc
      .array(fc.constantFrom('spec', 'metadata', 'labels', 'replicas', '0', '-', 'x', '~1', '__proto__'), {
        maxLength: 4,
      })
      .map((p) => (p.length ? `/${p.join('/')}` : ''));
    const op = fc.record(
      {
        op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
        path: pointer,
        from: pointer,
        value: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['op'] },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 5 }), (patch) => {
        try {
          applyJsonPatch(deployment, patch);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
