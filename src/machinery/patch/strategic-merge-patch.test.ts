import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepClone } from '../json.js';
import type { Schema } from '../schema.js';
import { ApiError } from '../status.js';
import {
  applyStrategicMergePatch,
  createThreeWayMergePatch,
  createTwoWayMergePatch,
  KUBECTL_APPLY_PRECONDITIONS,
  mergeStrategicMergePatches,
  mergingMapsHaveConflicts,
  PatchConflictError,
  PreconditionFailedError,
} from './strategic-merge-patch.js';

// A small Deployment schema shaped like the real OpenAPI one: the same patch extensions on the
// same fields, `allOf` wrappers where Kubernetes uses them, and maps as additionalProperties.
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const stringMap: Schema = { type: 'object', additionalProperties: str };

function mergeList(items: Schema, key: string, extra: Partial<Schema> = {}): Schema {
  return {
    type: 'array',
    items,
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [key],
    ...extra,
  };
}

const objectMeta: Schema = {
  type: 'object',
  properties: {
    name: str,
    namespace: str,
    labels: stringMap,
    annotations: stringMap,
    finalizers: {
      type: 'array',
      items: str,
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'set',
    },
    ownerReferences: mergeList({ type: 'object', properties: { uid: str, name: str, kind: str } }, 'uid'),
  },
};

const envVar: Schema = {
  type: 'object',
  properties: {
    name: str,
    value: str,
    valueFrom: {
      type: 'object',
      properties: { configMapKeyRef: { type: 'object', properties: { name: str, key: str } } },
    },
  },
};

const container: Schema = {
  type: 'object',
  properties: {
    name: str,
    image: str,
    args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
    command: { type: 'array', items: str },
    ports: mergeList(
      { type: 'object', properties: { containerPort: int, protocol: str, name: str } },
      'containerPort',
    ),
    env: mergeList(envVar, 'name'),
    volumeMounts: mergeList(
      { type: 'object', properties: { name: str, mountPath: str, readOnly: { type: 'boolean' } } },
      'mountPath',
    ),
    resources: { type: 'object', properties: { limits: stringMap, requests: stringMap } },
  },
};

const volume: Schema = {
  type: 'object',
  properties: {
    name: str,
    configMap: { type: 'object', properties: { name: str } },
    emptyDir: { type: 'object', properties: { medium: str } },
    secret: { type: 'object', properties: { secretName: str } },
  },
};

const podSpec: Schema = {
  type: 'object',
  properties: {
    containers: mergeList({ allOf: [container], default: {} }, 'name'),
    initContainers: mergeList(container, 'name'),
    volumes: mergeList(volume, 'name', { 'x-kubernetes-patch-strategy': 'merge,retainKeys' }),
    tolerations: {
      type: 'array',
      items: { type: 'object', properties: { key: str, operator: str, effect: str } },
    },
    nodeSelector: stringMap,
  },
};

const condition: Schema = {
  type: 'object',
  properties: { type: str, status: str, reason: str, message: str },
};

const deploymentSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    spec: {
      type: 'object',
      properties: {
        replicas: int,
        selector: { type: 'object', properties: { matchLabels: stringMap } },
        strategy: {
          allOf: [
            {
              type: 'object',
              properties: {
                type: str,
                rollingUpdate: { type: 'object', properties: { maxSurge: str, maxUnavailable: str } },
              },
            },
          ],
          'x-kubernetes-patch-strategy': 'retainKeys',
        },
        template: { type: 'object', properties: { metadata: objectMeta, spec: podSpec } },
      },
    },
    status: { type: 'object', properties: { replicas: int, conditions: mergeList(condition, 'type') } },
  },
};

interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      labels: { app: 'web', tier: 'frontend' },
      finalizers: ['a.example.com/x', 'b.example.com/y'],
    },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              args: ['--a', '--b'],
              ports: [{ containerPort: 80 }, { containerPort: 443 }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
            },
            { name: 'sidecar', image: 'envoy:1' },
          ] as Container[],
          volumes: [{ name: 'cfg', configMap: { name: 'web-cfg' } }] as Record<string, unknown>[],
          tolerations: [{ key: 'k', operator: 'Exists' }],
        },
      },
    },
    status: {
      replicas: 2,
      conditions: [
        { type: 'Available', status: 'True' },
        { type: 'Progressing', status: 'True' },
      ],
    },
  };
}

type Deployment = ReturnType<typeof deployment>;

function apply(patch: unknown, original: unknown = deployment()): Deployment {
  return applyStrategicMergePatch<Deployment>(original, patch, deploymentSchema);
}

function podSpecPatch(spec: Record<string, unknown>) {
  return { spec: { template: { spec } } };
}

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('applying a strategic merge patch', () => {
  it('merges containers by name, keeping the others and their order', () => {
    const out = apply(podSpecPatch({ containers: [{ name: 'app', image: 'nginx:1.26' }] }));
    const containers = out.spec.template.spec.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'nginx:1.26'],
      ['sidecar', 'envoy:1'],
    ]);
    // Fields of the merged container the patch did not mention stay.
    expect(containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });

  it('puts a new container first when the patch gives no order (as Kubernetes does)', () => {
    const out = apply(podSpecPatch({ containers: [{ name: 'log', image: 'fluentd' }] }));
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['log', 'app', 'sidecar']);
  });

  it('follows $setElementOrder for the order of the merged list', () => {
    const out = apply(
      podSpecPatch({
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }, { name: 'log' }],
        containers: [{ name: 'log', image: 'fluentd' }],
      }),
    );
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['app', 'sidecar', 'log']);
    const reordered = apply(
      podSpecPatch({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] }),
    );
    expect(reordered.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'app']);
    expect(reordered.spec.template.spec.containers[1]!.image).toBe('nginx:1.25');
  });

  it('weaves server-only items in by their place on the server, after the ordered items they followed', () => {
    const live = deployment();
    live.spec.template.spec.containers.push({ name: 'injected', image: 'mesh' });
    const out = apply(
      podSpecPatch({
        '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }, { name: 'new' }],
        containers: [{ name: 'new', image: 'x' }],
      }),
      live,
    );
    // "injected" followed both "app" and "sidecar" on the server, so it comes after them; "new" was
    // not on the server, so it keeps its place in the patch order ahead of server-only items.
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual([
      'sidecar',
      'app',
      'new',
      'injected',
    ]);
  });

  it('merges ports by containerPort and env by name, nested inside a merged container', () => {
    const out = apply(
      podSpecPatch({
        containers: [
          {
            name: 'app',
            ports: [{ containerPort: 443, protocol: 'TCP' }, { containerPort: 8080 }],
            env: [
              { name: 'B', value: 'two' },
              { name: 'C', value: '3' },
            ],
          },
        ],
      }),
    );
    const app = out.spec.template.spec.containers[0]!;
    // Items only on the server keep their place before the patched items they preceded.
    expect(app.ports).toEqual([
      { containerPort: 80 },
      { containerPort: 443, protocol: 'TCP' },
      { containerPort: 8080 },
    ]);
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
  });

  it('replaces lists without a merge strategy (args, tolerations)', () => {
    const out = apply(
      podSpecPatch({
        containers: [{ name: 'app', args: ['--c'] }],
        tolerations: [{ key: 'other', operator: 'Equal' }],
      }),
    );
    expect(out.spec.template.spec.containers[0]!.args).toEqual(['--c']);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'other', operator: 'Equal' }]);
  });

  it('deletes list items with $patch: delete and map keys with null', () => {
    const out = apply({
      metadata: { labels: { tier: null, team: 'shop' } },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'sidecar', $patch: 'delete' },
              { name: 'app', env: [{ name: 'A', $patch: 'delete' }] },
            ],
          },
        },
      },
    });
    expect(out.metadata.labels).toEqual({ app: 'web', team: 'shop' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(out.spec.template.spec.containers[0]!.env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('drops nulls for fields the object does not have', () => {
    const out = apply({ metadata: { annotations: { a: 'x', b: null } }, spec: { paused: null } });
    expect(out.metadata).toHaveProperty('annotations', { a: 'x' });
    expect(out.spec).not.toHaveProperty('paused');
  });

  it('replaces a whole list with a $patch: replace item', () => {
    const out = apply(
      podSpecPatch({ containers: [{ name: 'only', image: 'busybox' }, { $patch: 'replace' }] }),
    );
    expect(out.spec.template.spec.containers).toEqual([{ name: 'only', image: 'busybox' }]);
  });

  it('replaces or deletes a whole map with $patch on the map', () => {
    const replaced = apply({ metadata: { labels: { $patch: 'replace', owner: 'me' } } });
    expect(replaced.metadata.labels).toEqual({ owner: 'me' });
    const deleted = apply({ spec: { strategy: { $patch: 'delete' } } });
    expect(deleted.spec.strategy).toEqual({});
  });

  it('treats $patch: merge as the default merge, on maps and list items', () => {
    const out = apply({
      metadata: { labels: { $patch: 'merge', extra: 'y' } },
      spec: {
        template: {
          spec: { containers: [{ name: 'sidecar', image: 'envoy:2', $patch: 'merge' }, { $patch: 'merge' }] },
        },
      },
    });
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'frontend', extra: 'y' });
    expect(out.spec.template.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'nginx:1.25'],
      ['sidecar', 'envoy:2'],
    ]);
  });

  it('unions primitive lists with strategy merge and removes with $deleteFromPrimitiveList', () => {
    const added = apply({ metadata: { finalizers: ['c.example.com/z', 'a.example.com/x'] } });
    expect(added.metadata.finalizers).toEqual(['c.example.com/z', 'a.example.com/x', 'b.example.com/y']);
    const removed = apply({
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x', 'not-there'] },
    });
    expect(removed.metadata.finalizers).toEqual(['b.example.com/y']);
    const ordered = apply({
      metadata: {
        '$setElementOrder/finalizers': ['b.example.com/y', 'new/one'],
        finalizers: ['new/one'],
        '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'],
      },
    });
    expect(ordered.metadata.finalizers).toEqual(['b.example.com/y', 'new/one']);
  });

  it('clears the fields $retainKeys does not list (a discriminated union such as strategy)', () => {
    const out = apply({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    const volume = apply(
      podSpecPatch({ volumes: [{ name: 'cfg', emptyDir: {}, $retainKeys: ['emptyDir', 'name'] }] }),
    ).spec.template.spec.volumes;
    expect(volume).toEqual([{ name: 'cfg', emptyDir: {} }]);
  });

  it('merges conditions by type', () => {
    const out = apply({ status: { conditions: [{ type: 'Available', status: 'False', reason: 'Down' }] } });
    expect(out.status.conditions).toEqual([
      { type: 'Available', status: 'False', reason: 'Down' },
      { type: 'Progressing', status: 'True' },
    ]);
  });

  it('merges maps and replaces lists where the schema says nothing', () => {
    const original = { spec: { custom: { a: 1, list: [1, 2], nested: { x: 1 } } } };
    const out = applyStrategicMergePatch(
      original,
      { spec: { custom: { b: 2, list: [3], nested: { y: 2 } } } },
      deploymentSchema,
    );
    expect(out).toEqual({ spec: { custom: { a: 1, b: 2, list: [3], nested: { x: 1, y: 2 } } } });
    // Without any schema, the same: a JSON merge patch that keeps list semantics simple.
    const bare = applyStrategicMergePatch(
      { a: { list: [1], k: 1 } },
      { a: { list: [2], k: null } },
      undefined,
    );
    expect(bare).toEqual({ a: { list: [2] } });
  });

  it('leaves no directive keys in the result', () => {
    const out = applyStrategicMergePatch(
      { metadata: { name: 'x' } },
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'a' }],
              containers: [
                { name: 'a', '$setElementOrder/env': [{ name: 'E' }], env: [{ name: 'E', value: null }] },
              ],
            },
          },
        },
      },
      deploymentSchema,
    );
    expect(JSON.stringify(out)).not.toContain('$');
    expect(out).toEqual({
      metadata: { name: 'x' },
      spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'E' }] }] } } },
    });
  });

  it('never modifies the original or the patch', () => {
    const original = deployment();
    const patch = podSpecPatch({
      containers: [
        { name: 'app', image: 'v2', env: [{ name: 'A', $patch: 'delete' }] },
        { name: 'new', image: 'n' },
      ],
    });
    const originalCopy = deepClone(original);
    const patchCopy = deepClone(patch);
    apply(patch, original);
    expect(original).toEqual(originalCopy);
    expect(patch).toEqual(patchCopy);
  });
});

describe('malformed patches', () => {
  it('answers with 400 naming the problem', () => {
    const cases: [unknown, string][] = [
      [
        { metadata: { labels: { $patch: 'explode' } } },
        'unknown patch type: explode in map: map[$patch:explode]',
      ],
      [
        podSpecPatch({ containers: [{ image: 'x' }] }),
        'map: map[image:x] does not contain declared merge key: name',
      ],
      [
        podSpecPatch({ containers: [{ $patch: 'delete' }] }),
        'map: map[$patch:delete] does not contain declared merge key: name',
      ],
      [
        podSpecPatch({ containers: [{ name: 'app', $patch: 'frob' }] }),
        'unknown patch type: frob in map: map[$patch:frob name:app]',
      ],
      [podSpecPatch({ containers: ['app'] }), 'list element types are not identical'],
      [
        podSpecPatch({ '$setElementOrder/containers': 'app' }),
        'invalid patch format of setElementOrder list',
      ],
      [podSpecPatch({ '$setElementOrderX/containers': [] }), 'invalid patch format of setElementOrder list'],
      [{ metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } }, 'invalid patch format of primitive list'],
      [{ spec: { strategy: { $retainKeys: 'type' } } }, 'invalid patch format of retainKeys'],
      [
        { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
        'invalid patch format of retainKeys',
      ],
      [
        podSpecPatch({ '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'other' }] }),
        "The order in patch list:\n[map[name:other]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n",
      ],
      [[1, 2], 'invalid JSON document'],
      [null, 'invalid JSON document'],
    ];
    for (const [patch, message] of cases) {
      const err = failure(() => apply(patch));
      expect(err.code, JSON.stringify(patch)).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message, JSON.stringify(patch)).toContain(message);
    }
  });

  it('refuses lists of lists with 422, as Kubernetes does', () => {
    const err = failure(() =>
      applyStrategicMergePatch(
        { a: [[1]] },
        { a: [[2]] },
        { properties: { a: { 'x-kubernetes-patch-strategy': 'merge' } } },
      ),
    );
    expect(err.code).toBe(422);
    expect(err.message).toBe('lists of lists are not supported');
  });

  it('never crashes on random patches: it applies them or answers with an ApiError', () => {
    const key = fc.constantFrom(
      'metadata',
      'spec',
      'template',
      'containers',
      'name',
      'image',
      'env',
      'labels',
      'finalizers',
      '$patch',
      '$retainKeys',
      '$setElementOrder/containers',
      '$deleteFromPrimitiveList/finalizers',
      'x',
    );
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, 'app', 'delete', 'replace', 'merge', 1, true),
        tie('obj'),
        fc.array(tie('any'), { maxLength: 3 }),
      ),
      obj: fc.dictionary(key, tie('any'), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(value.obj, (patch) => {
        try {
          apply(patch);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('creating a two-way patch', () => {
  it('describes a changed container image with the element order kubectl sends', () => {
    const modified = deployment();
    modified.spec.template.spec.containers[0]!.image = 'nginx:1.26';
    expect(createTwoWayMergePatch(deployment(), modified, deploymentSchema)).toEqual({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [{ name: 'app', image: 'nginx:1.26' }],
          },
        },
      },
    });
  });

  it('deletes removed list items, scalars and map keys', () => {
    const modified = deployment();
    modified.spec.template.spec.containers.pop();
    modified.metadata.finalizers = ['b.example.com/y'];
    delete (modified.metadata.labels as Partial<typeof modified.metadata.labels>).tier;
    modified.spec.strategy = { type: 'Recreate' } as typeof modified.spec.strategy;
    const patch = createTwoWayMergePatch(deployment(), modified, deploymentSchema);
    expect(patch).toEqual({
      metadata: {
        labels: { tier: null },
        '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'],
        '$setElementOrder/finalizers': ['b.example.com/y'],
      },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }],
            containers: [{ name: 'sidecar', $patch: 'delete' }],
          },
        },
      },
    });
    expect(apply(patch)).toEqual(modified);
  });

  it('is empty for equal objects and refuses identity changes with kubectl preconditions', () => {
    expect(createTwoWayMergePatch(deployment(), deployment(), deploymentSchema)).toEqual({});
    const renamed = { ...deployment(), metadata: { ...deployment().metadata, name: 'other' } };
    expect(() =>
      createTwoWayMergePatch(deployment(), renamed, deploymentSchema, {
        preconditions: KUBECTL_APPLY_PRECONDITIONS,
      }),
    ).toThrow(PreconditionFailedError);
  });

  it('applying createTwoWayMergePatch(a, b) to a gives b', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const env = fc.uniqueArray(fc.record({ name, value: fc.constantFrom('1', '2', '3') }), {
      selector: (e) => e.name,
      maxLength: 4,
    });
    const ports = fc.uniqueArray(
      fc.record({ containerPort: fc.constantFrom(80, 443, 8080, 9090) }, { requiredKeys: ['containerPort'] }),
      {
        selector: (p) => p.containerPort,
        maxLength: 3,
      },
    );
    const containerArb = fc.record(
      {
        name,
        image: fc.constantFrom('x:1', 'x:2', 'y'),
        env,
        ports,
        args: fc.array(fc.constantFrom('-a', '-b'), { maxLength: 3 }),
      },
      { requiredKeys: ['name'] },
    );
    const strategy = fc.oneof(
      fc.constant({ type: 'Recreate' }),
      fc.record({
        type: fc.constant('RollingUpdate'),
        rollingUpdate: fc.record({ maxSurge: fc.constantFrom('1', '25%') }),
      }),
    );
    const deploymentArb = fc.record(
      {
        metadata: fc.record(
          {
            labels: fc.dictionary(fc.constantFrom('app', 'tier', 'env'), fc.constantFrom('web', 'db', 'x')),
            finalizers: fc.uniqueArray(fc.constantFrom('f/1', 'f/2', 'f/3', 'f/4'), { maxLength: 4 }),
          },
          { requiredKeys: [] },
        ),
        spec: fc.record(
          {
            replicas: fc.integer({ min: 0, max: 5 }),
            strategy,
            template: fc.record({
              spec: fc.record(
                {
                  containers: fc.uniqueArray(containerArb, { selector: (c) => c.name, maxLength: 4 }),
                  nodeSelector: fc.dictionary(fc.constantFrom('zone', 'disk'), fc.constantFrom('a', 'b')),
                },
                { requiredKeys: [] },
              ),
            }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(deploymentArb, deploymentArb, (a, b) => {
        const patch = createTwoWayMergePatch(a, b, deploymentSchema);
        expect(applyStrategicMergePatch(a, patch, deploymentSchema)).toEqual(b);
        expect(createTwoWayMergePatch(a, a, deploymentSchema)).toEqual({});
      }),
      { numRuns: 500 },
    );
  });
});

describe('creating a three-way patch (kubectl apply)', () => {
  // What the user applied last time, their new file, and the object as the cluster holds it now:
  // defaults filled in, status written, a container injected by a webhook, an annotation by a tool.
  const lastApplied = () => {
    const d = deployment();
    return {
      apiVersion: d.apiVersion,
      kind: d.kind,
      metadata: { name: 'web', labels: { app: 'web', tier: 'frontend' } },
      spec: { replicas: 2, template: d.spec.template },
    };
  };
  const live = () => {
    const d = deployment();
    d.metadata = { ...d.metadata, annotations: { 'tool.example.com/seen': 'yes' } } as typeof d.metadata;
    d.spec.template.spec.containers.push({ name: 'injected', image: 'mesh:1' });
    return d;
  };

  it('applies the user changes and keeps what others added', () => {
    const modified = lastApplied();
    modified.spec.replicas = 3;
    modified.metadata.labels = { app: 'web' } as typeof modified.metadata.labels;
    modified.spec.template.spec.containers[0]!.image = 'nginx:1.26';
    modified.spec.template.spec.containers[0]!.env = [{ name: 'A', value: '1' }];
    const patch = createThreeWayMergePatch(lastApplied(), modified, live(), deploymentSchema);
    expect(patch).toEqual({
      metadata: { labels: { tier: null } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'app',
                image: 'nginx:1.26',
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ name: 'B', $patch: 'delete' }],
              },
            ],
          },
        },
      },
    });
    const result = apply(patch, live());
    expect(result.spec.replicas).toBe(3);
    expect(result.metadata.labels).toEqual({ app: 'web' });
    expect(result.metadata).toHaveProperty('annotations', { 'tool.example.com/seen': 'yes' });
    expect(result.metadata.finalizers).toEqual(['a.example.com/x', 'b.example.com/y']);
    expect(result.status).toEqual(deployment().status);
    expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual(['app', 'sidecar', 'injected']);
    expect(result.spec.template.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('gives the modified object back when the live object is what was applied', () => {
    const modified = lastApplied();
    modified.spec.template.spec.containers.reverse();
    modified.spec.replicas = 5;
    const patch = createThreeWayMergePatch(lastApplied(), modified, lastApplied(), deploymentSchema);
    expect(applyStrategicMergePatch(lastApplied(), patch, deploymentSchema)).toEqual(modified);
  });

  it('refuses to undo a concurrent change unless asked to overwrite', () => {
    const current = live();
    current.spec.replicas = 7; // scaled by someone else since the last apply
    const modified = lastApplied();
    modified.spec.replicas = 3;
    const err = failure(() =>
      createThreeWayMergePatch(lastApplied(), modified, current, deploymentSchema, { overwrite: false }),
    );
    expect(err).toBeInstanceOf(PatchConflictError);
    expect(err.code).toBe(409);
    expect(createThreeWayMergePatch(lastApplied(), modified, current, deploymentSchema)).toMatchObject({
      spec: { replicas: 3 },
    });
    // Changes to fields the configuration does not declare (an annotation, an injected container) are no conflict.
    expect(() =>
      createThreeWayMergePatch(lastApplied(), modified, live(), deploymentSchema, { overwrite: false }),
    ).not.toThrow();
  });

  it('detects conflicting patches field by field and item by item', () => {
    const a = { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'x' }] } } } };
    const b = { spec: { template: { spec: { containers: [{ name: 'app', image: 'y' }] } } } };
    const c = { spec: { template: { spec: { containers: [{ name: 'other', image: 'y' }] } } } };
    expect(mergingMapsHaveConflicts(a, b, deploymentSchema)).toBe(true);
    expect(mergingMapsHaveConflicts(a, c, deploymentSchema)).toBe(false);
    expect(
      mergingMapsHaveConflicts({ spec: { replicas: 2 } }, { spec: { replicas: 2 } }, deploymentSchema),
    ).toBe(false);
  });

  it('combines patches so that applying the result equals applying each in turn', () => {
    const p1 = {
      metadata: { labels: { a: '1' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'v1' }] } } },
    };
    const p2 = {
      metadata: { labels: { b: '2' } },
      spec: { template: { spec: { containers: [{ name: 'app', args: ['-x'] }] } } },
    };
    const merged = mergeStrategicMergePatches(deploymentSchema, p1, p2);
    expect(apply(merged)).toEqual(apply(p2, apply(p1)));
  });
});
