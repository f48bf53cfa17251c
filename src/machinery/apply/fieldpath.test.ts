import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareElements,
  FieldSet,
  fieldElement,
  indexElement,
  keyElement,
  type PathElement,
  parseElement,
  path,
  pathToString,
  serializeElement,
  valueElement,
} from './fieldpath.js';

const containers = (name: string) => path('spec', 'template', 'spec', 'containers', keyElement({ name }));

describe('path elements', () => {
  it('serializes each kind as fieldsV1 keys do', () => {
    expect(serializeElement(fieldElement('replicas'))).toBe('f:replicas');
    expect(serializeElement(keyElement({ protocol: 'TCP', containerPort: 80 }))).toBe(
      'k:{"containerPort":80,"protocol":"TCP"}',
    );
    expect(serializeElement(valueElement('example.com/finalizer'))).toBe('v:"example.com/finalizer"');
    expect(serializeElement(indexElement(3))).toBe('i:3');
  });

  it('escapes key values the way Go encodes JSON', () => {
    expect(serializeElement(keyElement({ name: 'a<b>&c' }))).toBe('k:{"name":"a\\u003cb\\u003e\\u0026c"}');
  });

  it('parses what it serializes, and sorts key fields by name', () => {
    for (const pe of [
      fieldElement('a.b'),
      keyElement({ name: 'x', port: 8080 }),
      valueElement(true),
      valueElement(1.5),
      indexElement(0),
    ]) {
      expect(compareElements(parseElement(serializeElement(pe))!, pe)).toBe(0);
    }
    expect(parseElement('k:{"protocol":"UDP","containerPort":53}')).toEqual(
      keyElement({ containerPort: 53, protocol: 'UDP' }),
    );
  });

  it('rejects malformed keys and ignores unknown element types', () => {
    expect(() => parseElement('f')).toThrow(/2 characters/);
    expect(() => parseElement('fx')).toThrow(/missing colon/);
    expect(() => parseElement('k:{"name":')).toThrow(/invalid JSON/);
    expect(() => parseElement('k:[1]')).toThrow(/JSON object/);
    expect(() => parseElement('v:"a" junk')).toThrow(/invalid JSON/);
    expect(() => parseElement('i:x')).toThrow(/invalid index/);
    expect(parseElement('z:whatever')).toBeUndefined();
  });

  it('orders fields before keys before values before indexes', () => {
    const sorted = [indexElement(0), valueElement('a'), keyElement({ name: 'a' }), fieldElement('z')].sort(
      compareElements,
    );
    expect(sorted.map(serializeElement)).toEqual(['f:z', 'k:{"name":"a"}', 'v:"a"', 'i:0']);
    // numbers < strings < booleans, numerically among numbers
    expect(
      [valueElement(true), valueElement('1'), valueElement(10), valueElement(9)].sort(compareElements),
    ).toEqual([valueElement(9), valueElement(10), valueElement('1'), valueElement(true)]);
  });

  it('prints paths as conflict causes name them', () => {
    expect(pathToString(path('spec', 'replicas'))).toBe('.spec.replicas');
    expect(pathToString([...containers('nginx'), fieldElement('image')])).toBe(
      '.spec.template.spec.containers[name="nginx"].image',
    );
    expect(
      pathToString([
        fieldElement('ports'),
        keyElement({ containerPort: 80, protocol: 'TCP' }),
        fieldElement('x'),
        valueElement('v'),
        indexElement(2),
      ]),
    ).toBe('.ports[containerPort=80,protocol="TCP"].x[="v"][2]');
  });
});

describe('FieldSet', () => {
  it('encodes fieldsV1 byte for byte like the API server', () => {
    const set = FieldSet.fromPaths([
      path('metadata', 'labels', 'app'),
      path('spec', 'replicas'),
      path('spec', 'selector'),
      [...containers('nginx')],
      [...containers('nginx'), fieldElement('image')],
      [...containers('nginx'), fieldElement('name')],
      [...containers('nginx'), fieldElement('ports'), keyElement({ containerPort: 80, protocol: 'TCP' })],
      [
        ...containers('nginx'),
        fieldElement('ports'),
        keyElement({ containerPort: 80, protocol: 'TCP' }),
        fieldElement('containerPort'),
      ],
    ]);
    expect(JSON.stringify(set.toFieldsV1())).toBe(
      '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:spec":' +
        '{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":' +
        '{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
  });

  it('decodes fieldsV1, members marked by "." or by an empty object', () => {
    const set = FieldSet.fromFieldsV1({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:finalizers': { 'v:"x"': {} } },
      'f:spec': { 'f:replicas': {} },
      'x:future': { 'f:a': {} },
    });
    // Depth first, the members of a level before the levels below it.
    expect([...set.paths()].map(pathToString)).toEqual([
      '.metadata.labels',
      '.metadata.finalizers[="x"]',
      '.metadata.labels.app',
      '.spec.replicas',
    ]);
    expect(set.has(path('metadata', 'labels'))).toBe(true);
    expect(set.has(path('metadata'))).toBe(false);
    expect(FieldSet.fromFieldsV1({}).isEmpty()).toBe(true);
    expect(FieldSet.fromFieldsV1(null).isEmpty()).toBe(true);
  });

  it('rejects fieldsV1 that is not a tree of objects', () => {
    expect(() => FieldSet.fromFieldsV1([])).toThrow(/JSON object/);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 'x' })).toThrow(/must be a JSON object/);
    expect(() => FieldSet.fromFieldsV1({ 'k:{bad': {} })).toThrow(/invalid JSON/);
  });

  it('takes exact paths away with difference and whole subtrees with recursiveDifference', () => {
    const a = FieldSet.of(['spec', 'replicas'], ['spec', 'template', 'spec', 'x'], ['status', 'replicas']);
    const b = FieldSet.of(['spec'], ['status', 'replicas']);
    expect(a.difference(b).toString()).toBe('.spec.replicas\n.spec.template.spec.x');
    expect(a.recursiveDifference(b).isEmpty()).toBe(true);
    expect(a.recursiveDifference(FieldSet.of(['spec', 'template'])).toString()).toBe(
      '.spec.replicas\n.status.replicas',
    );
  });

  it('intersects and unions level by level', () => {
    const a = FieldSet.of(['a', 'b'], ['a', 'c'], ['d']);
    const b = FieldSet.of(['a', 'c'], ['a', 'e'], ['f']);
    expect(a.intersection(b).toString()).toBe('.a.c');
    expect(a.union(b).toString()).toBe('.d\n.f\n.a.b\n.a.c\n.a.e');
    expect(a.intersection(FieldSet.of(['a'])).isEmpty()).toBe(true);
  });

  it('keeps only the paths below given prefixes', () => {
    const a = FieldSet.of(
      ['spec', 'replicas'],
      ['status', 'replicas'],
      ['status', 'conditions'],
      ['metadata', 'x'],
    );
    expect(a.under(FieldSet.of(['status'])).toString()).toBe('.status.conditions\n.status.replicas');
  });

  it('knows its leaves', () => {
    const s = FieldSet.of(['a'], ['a', 'b'], ['c']);
    expect(s.leaves().toString()).toBe('.c\n.a.b');
  });
});

const element: fc.Arbitrary<PathElement> = fc.oneof(
  fc.constantFrom('a', 'b', 'spec', 'x<y', 'é').map(fieldElement),
  fc
    .record({ name: fc.constantFrom('n1', 'n2'), port: fc.integer({ min: 0, max: 3 }) })
    .map((r) => keyElement(r)),
  fc.oneof(fc.constantFrom('v', 'w'), fc.integer({ min: -2, max: 2 }), fc.boolean()).map(valueElement),
  fc.integer({ min: 0, max: 3 }).map(indexElement),
);
const fieldSet = fc
  .array(fc.array(element, { minLength: 1, maxLength: 4 }), { maxLength: 12 })
  .map(FieldSet.fromPaths);

describe('FieldSet laws', () => {
  it('survives a fieldsV1 round trip, through JSON text too', () => {
    fc.assert(
      fc.property(fieldSet, (s) => {
        const back = FieldSet.fromFieldsV1(JSON.parse(JSON.stringify(s.toFieldsV1())));
        return back.equals(s);
      }),
    );
  });

  it('obeys the set laws on member paths', () => {
    const paths = (s: FieldSet) => new Set([...s.paths()].map(pathToString));
    fc.assert(
      fc.property(fieldSet, fieldSet, (a, b) => {
        const pa = paths(a);
        const pb = paths(b);
        const union = paths(a.union(b));
        const inter = paths(a.intersection(b));
        const diff = paths(a.difference(b));
        expect(a.union(b).equals(b.union(a))).toBe(true);
        expect(union).toEqual(new Set([...pa, ...pb]));
        expect(inter).toEqual(new Set([...pa].filter((p) => pb.has(p))));
        expect(diff).toEqual(new Set([...pa].filter((p) => !pb.has(p))));
        for (const p of a.paths()) expect(a.has(p)).toBe(true);
        expect(a.size()).toBe(pa.size);
      }),
    );
  });
});
