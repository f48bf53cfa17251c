// The typed operations behind apply: the field set of a value, comparison, merge, removal and
// validation, each driven by the schema's list and map types.

import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../object.js';
import { compare } from './compare.js';
import { fieldSetOf } from './field-set-of.js';
import { FieldSet, path } from './fieldpath.js';
import { mergeValues } from './merge.js';
import { keepFields, removeFields } from './remove.js';
import { configMapSchema, deploymentSchema, dig, put, widgetSchema } from './support.testing.js';
import { typeOf } from './types.js';
import { joinValidationErrors, validateTyped } from './validate.js';

const deployment = typeOf(deploymentSchema);
const fieldsV1 = (v: unknown, t = deployment) => JSON.stringify(fieldSetOf(v, t).toFieldsV1());
const lines = (s: FieldSet) => s.toString().split('\n').filter(Boolean);

function nginx(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', labels: { app: 'nginx' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

describe('the field set of a value', () => {
  it('owns leaves, map-list items by key (with defaulted key fields) and atomic values whole', () => {
    expect(fieldsV1(nginx())).toBe(
      '{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},"f:spec":{"f:replicas":{},' +
        '"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":' +
        '{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":' +
        '{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
  });

  it('names set members by value and leaves atomic lists and maps whole', () => {
    const obj = {
      metadata: { finalizers: ['b.example.com/x', 'a.example.com/y'], annotations: {} },
      spec: {
        template: {
          spec: {
            nodeSelector: { disk: 'ssd' },
            tolerations: [{ key: 'k' }],
            volumes: [{ name: 'data', emptyDir: {} }],
            containers: [{ name: 'c', args: ['-v'], resources: { limits: { cpu: '500m' } } }],
          },
        },
        replicas: null,
      },
    };
    expect(fieldSetOf(obj, deployment).toFieldsV1()).toEqual({
      'f:metadata': {
        'f:annotations': {},
        'f:finalizers': { 'v:"a.example.com/y"': {}, 'v:"b.example.com/x"': {} },
      },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"c"}': {
                '.': {},
                'f:args': {},
                'f:name': {},
                'f:resources': { 'f:limits': { 'f:cpu': {} } },
              },
            },
            'f:nodeSelector': {},
            'f:tolerations': {},
            'f:volumes': { 'k:{"name":"data"}': { '.': {}, 'f:emptyDir': {}, 'f:name': {} } },
          },
        },
      },
    });
  });

  it('deduces types where there is no schema: maps granular, lists atomic', () => {
    const t = typeOf(undefined);
    expect(fieldsV1({ spec: { a: { b: 1 }, list: [1, 2] } }, t)).toBe(
      '{"f:spec":{".":{},"f:a":{".":{},"f:b":{}},"f:list":{}}}',
    );
  });

  it('merges into x-kubernetes-preserve-unknown-fields key by key', () => {
    const t = typeOf(widgetSchema);
    expect(fieldsV1({ spec: { config: { x: { y: 1 } }, tags: ['a'] } }, t)).toBe(
      '{"f:spec":{"f:config":{"f:x":{".":{},"f:y":{}}},"f:tags":{"v:\\"a\\"":{}}}}',
    );
  });

  it('owns an item whose key appears twice as a whole', () => {
    const obj = {
      spec: {
        template: {
          spec: { containers: [{ name: 'a', image: '1' }, { name: 'a', image: '2' }, { name: 'b' }] },
        },
      },
    };
    expect(fieldSetOf(obj, deployment).toFieldsV1()).toEqual({
      'f:spec': {
        'f:template': {
          'f:spec': {
            'f:containers': { 'k:{"name":"a"}': {}, 'k:{"name":"b"}': { '.': {}, 'f:name': {} } },
          },
        },
      },
    });
  });
});

describe('comparing two versions', () => {
  it('reports modified, added and removed fields by path', () => {
    const before = nginx();
    const after = structuredClone(before);
    put(after, ['spec', 'template', 'spec', 'containers', 0, 'image'], 'nginx:1.26');
    (dig(after, 'spec', 'template', 'spec', 'containers') as unknown[]).push({
      name: 'sidecar',
      image: 'envoy',
    });
    put(after, ['metadata', 'labels', 'app'], undefined);
    put(after, ['metadata', 'labels', 'tier'], 'web');
    const c = compare(before, after, deployment);
    expect(lines(c.modified)).toEqual(['.spec.template.spec.containers[name="nginx"].image']);
    expect(lines(c.added)).toEqual([
      '.metadata.labels.tier',
      '.spec.template.spec.containers[name="sidecar"]',
      '.spec.template.spec.containers[name="sidecar"].image',
      '.spec.template.spec.containers[name="sidecar"].name',
    ]);
    expect(lines(c.removed)).toEqual(['.metadata.labels.app']);
  });

  it('sees no change between equal objects, whatever the item or key order', () => {
    const a = nginx();
    const b = JSON.parse(JSON.stringify(a));
    b.spec = { template: b.spec.template, selector: b.spec.selector, replicas: 3.0 };
    const c = compare(a, b, deployment);
    expect([c.added, c.modified, c.removed].every((s) => s.isEmpty())).toBe(true);
  });

  it('treats absent structs as present in typed objects, but not maps or list items', () => {
    const c = compare({}, nginx(), deployment, { implicitStructs: true });
    expect(c.added.has(path('spec'))).toBe(false);
    expect(c.added.has(path('spec', 'template'))).toBe(false);
    expect(c.added.has(path('metadata', 'labels'))).toBe(true);
    expect(c.added.has(path('spec', 'replicas'))).toBe(true);
    // Without typed structs (custom resources), everything new is added.
    expect(compare({}, nginx(), deployment).added.has(path('spec'))).toBe(true);
  });

  it('compares duplicated items as one value', () => {
    const dup = (image: string) => ({
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image },
              { name: 'a', image },
            ],
          },
        },
      },
    });
    const c = compare(dup('1'), dup('2'), deployment);
    expect(lines(c.modified)).toEqual(['.spec.template.spec.containers[name="a"]']);
    const fixed = compare(
      dup('1'),
      { spec: { template: { spec: { containers: [{ name: 'a', image: '3' }] } } } },
      deployment,
    );
    expect(lines(fixed.removed)).toEqual(['.spec.template.spec.containers[name="a"]']);
    expect(lines(fixed.added)).toContain('.spec.template.spec.containers[name="a"].image');
  });
});

describe('merging an applied configuration', () => {
  const containers = (...items: object[]) => ({ spec: { template: { spec: { containers: items } } } });
  const items = (v: unknown) => dig(v, 'spec', 'template', 'spec', 'containers') as { name: string }[];
  const names = (v: unknown) => items(v).map((c) => c.name);

  it('merges map-list items by key, keeping live-only items in place', () => {
    const live = containers({ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '1' });
    const applied = containers({ name: 'b', image: '2' }, { name: 'c', image: '1' });
    const out = mergeValues(live, applied, deployment);
    expect(items(out)).toEqual([
      { name: 'a', image: '1', args: ['x'] },
      { name: 'b', image: '2' },
      { name: 'c', image: '1' },
    ]);
  });

  it('follows the applied order for the items it lists', () => {
    const live = containers({ name: 'a' }, { name: 'b' }, { name: 'c' });
    expect(names(mergeValues(live, containers({ name: 'c' }, { name: 'a' }), deployment))).toEqual([
      'b',
      'c',
      'a',
    ]);
  });

  it('unions sets, replaces atomic lists and maps, merges granular maps', () => {
    const live = {
      metadata: { finalizers: ['x', 'y'], labels: { a: '1', b: '1' } },
      spec: {
        template: { spec: { nodeSelector: { a: '1' }, containers: [{ name: 'c', args: ['1', '2'] }] } },
      },
    };
    const applied = {
      metadata: { finalizers: ['y', 'z'], labels: { b: '2' } },
      spec: { template: { spec: { nodeSelector: { b: '2' }, containers: [{ name: 'c', args: ['3'] }] } } },
    };
    const out = mergeValues(live, applied, deployment);
    expect(dig(out, 'metadata', 'finalizers')).toEqual(['x', 'y', 'z']);
    expect(dig(out, 'metadata', 'labels')).toEqual({ a: '1', b: '2' });
    expect(dig(out, 'spec', 'template', 'spec', 'nodeSelector')).toEqual({ b: '2' });
    expect(dig(items(out), 0, 'args')).toEqual(['3']);
  });

  it('sets scalars to null but leaves a granular map alone when given null', () => {
    const out = mergeValues(
      { spec: { replicas: 3, strategy: { type: 'Recreate' } } },
      { spec: { replicas: null, strategy: null } },
      deployment,
    );
    expect(dig(out, 'spec')).toEqual({ replicas: null, strategy: { type: 'Recreate' } });
  });

  it('never changes its inputs', () => {
    const live = nginx();
    const applied = { spec: { replicas: 1 } };
    const copy = structuredClone(live);
    mergeValues(live, applied, deployment);
    expect(live).toEqual(copy);
  });
});

describe('removing fields', () => {
  it('removes members with their subtrees and drops maps and lists left empty', () => {
    const obj = nginx();
    const out = removeFields(
      obj,
      FieldSet.fromPaths([path('metadata', 'labels', 'app'), path('spec', 'template', 'spec', 'containers')]),
      deployment,
    );
    expect(dig(out, 'metadata')).toEqual({ name: 'nginx' });
    expect(dig(out, 'spec', 'template')).toEqual({ metadata: { labels: { app: 'nginx' } } });
    expect(dig(out, 'spec', 'replicas')).toBe(3);
  });

  it('keeps only what is under given prefixes', () => {
    const obj = { ...nginx(), status: { replicas: 1 } };
    expect(keepFields(obj, FieldSet.of(['status'], ['metadata', 'name']), deployment)).toEqual({
      metadata: { name: 'nginx' },
      status: { replicas: 1 },
    });
  });
});

describe('validating an applied configuration', () => {
  const errorsOf = (v: unknown) => validateTyped(v, deployment);

  it('accepts a conforming object', () => {
    expect(errorsOf(nginx())).toEqual([]);
    expect(validateTyped({ data: { a: 'b' }, metadata: { name: 'x' } }, typeOf(configMapSchema))).toEqual([]);
  });

  it('names undeclared fields and wrong types the way the API server does', () => {
    expect(errorsOf({ spec: { replica: 3 } })).toEqual(['.spec.replica: field not declared in schema']);
    expect(errorsOf({ spec: { replicas: '3' } })).toEqual([
      '.spec.replicas: expected numeric (int or float), got string',
    ]);
    expect(errorsOf({ metadata: { labels: 'x' } })).toEqual(['.metadata.labels: expected map, got "x"']);
    expect(errorsOf({ metadata: { name: 5 } })).toEqual(['.metadata.name: expected string, got 5']);
  });

  it('requires map-list keys and refuses duplicates', () => {
    expect(errorsOf({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toEqual([
      '.spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
    ]);
    expect(
      errorsOf({ spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } } }),
    ).toEqual(['.spec.template.spec.containers: duplicate entries for key [name="a"]']);
    expect(errorsOf({ metadata: { finalizers: [{ a: 1 }] } })).toEqual([
      ".metadata.finalizers: element 0: associative list without keys has an element that's a map type",
    ]);
  });

  it('joins several errors as the API server does', () => {
    const errs = errorsOf({ spec: { replicas: 'x', paused: 1 } });
    expect(joinValidationErrors(errs)).toBe(
      'errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.paused: expected boolean, got 1',
    );
  });
});
