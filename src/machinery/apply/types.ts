// The shape server-side apply needs from a schema: for each node, whether it may be a scalar, a
// list (atomic, or associative: a set, or a map-list with key fields) and/or a map (atomic or
// granular, with declared fields and a type for other keys). Derived from the structural OpenAPI
// schema the way the API server converts OpenAPI into structured-merge-diff types.
//
// Where the schema says nothing (no schema at all, x-kubernetes-preserve-unknown-fields, an object
// without properties) the type is "deduced" from the value: maps are granular all the way down,
// lists are atomic.

import type { JsonValue } from '../object.js';
import type { Schema } from '../schema.js';

export type ScalarType = 'numeric' | 'string' | 'boolean' | 'untyped';

export interface ListType {
  /** Atomic lists are owned and replaced as a whole. */
  readonly atomic: boolean;
  /** Key fields of a map-list; empty for a set (items identified by value). */
  readonly keys: readonly string[];
  readonly element: TypeNode;
}

export interface MapType {
  /** Atomic maps and structs are owned and replaced as a whole. */
  readonly atomic: boolean;
  /** Declared fields (properties). */
  readonly fields: ReadonlyMap<string, TypeNode>;
  /** Type of any other key (additionalProperties), or undefined when no other key is allowed. */
  readonly element: TypeNode | undefined;
  /** Declared fields the schema requires. */
  readonly required: ReadonlySet<string>;
}

export interface TypeNode {
  readonly scalar?: ScalarType;
  readonly list?: ListType;
  readonly map?: MapType;
  /** The schema default, used for map-list key fields the item leaves out (ports' protocol: TCP). */
  readonly default?: JsonValue;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Anything, compared as a whole: the items of deduced lists. */
export const untypedAtomic: TypeNode = (() => {
  const t: Mutable<TypeNode> = { scalar: 'untyped' };
  t.list = { atomic: true, keys: [], element: t };
  t.map = { atomic: true, fields: new Map(), element: t, required: new Set() };
  return t;
})();

/** Anything, with maps merged key by key at every depth and lists atomic. */
export const deduced: TypeNode = (() => {
  const t: Mutable<TypeNode> = { scalar: 'untyped' };
  t.list = { atomic: true, keys: [], element: untypedAtomic };
  t.map = { atomic: false, fields: new Map(), element: t, required: new Set() };
  return t;
})();

const plain = new WeakMap<Schema, TypeNode>();
const preserving = new WeakMap<Schema, TypeNode>();

/** The apply type of a schema (memoised per schema node; cycles allowed). No schema: deduced. */
export function typeOf(schema: Schema | undefined): TypeNode {
  return schema ? convert(schema, false) : deduced;
}

const str: Schema = { type: 'string' };
const stringMap: Schema = { type: 'object', additionalProperties: str };

/** metav1.ObjectMeta, for objects whose schema leaves metadata open (custom resources). */
const objectMeta: Schema = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    selfLink: str,
    uid: str,
    resourceVersion: str,
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          apiVersion: str,
          kind: str,
          name: str,
          uid: str,
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
        'x-kubernetes-map-type': 'atomic',
      },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['uid'],
    },
    finalizers: { type: 'array', items: str, 'x-kubernetes-list-type': 'set' },
    managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

const withObjectFields = new WeakMap<TypeNode, TypeNode>();

/**
 * A Kubernetes object's type: like typeOf, but with apiVersion, kind and a full ObjectMeta even
 * when the schema (a CRD's, typically) does not spell them out, as the API server publishes them.
 */
export function objectTypeOf(schema: Schema | undefined): TypeNode {
  return schema ? withObjectMeta(convert(schema, false)) : deduced;
}

function withObjectMeta(t: TypeNode): TypeNode {
  const m = t.map;
  if (!m) return t;
  const meta = m.fields.get('metadata');
  if (m.fields.has('apiVersion') && m.fields.has('kind') && meta?.map && meta.map.fields.size > 0) return t;
  let out = withObjectFields.get(t);
  if (out) return out;
  const fields = new Map(m.fields);
  if (!fields.has('apiVersion')) fields.set('apiVersion', convert(str, false));
  if (!fields.has('kind')) fields.set('kind', convert(str, false));
  if (!meta?.map || meta.map.fields.size === 0) fields.set('metadata', convert(objectMeta, false));
  out = { ...t, map: { ...m, fields } };
  withObjectFields.set(t, out);
  return out;
}

function convert(s: Schema, preserveUnknown: boolean): TypeNode {
  const cache = preserveUnknown ? preserving : plain;
  const hit = cache.get(s);
  if (hit) return hit;
  const t: Mutable<TypeNode> = {};
  cache.set(s, t);
  // The flag reaches every object below this one.
  const preserve = preserveUnknown || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.default !== undefined) t.default = s.default as JsonValue;

  if (s['x-kubernetes-int-or-string'] === true) {
    t.scalar = 'untyped';
    return t;
  }
  switch (s.type) {
    case undefined:
      // No type: any value; its shape decides.
      t.scalar = 'untyped';
      t.list = listType(s, preserve);
      t.map = mapType(s, preserve);
      break;
    case 'object':
      t.map = mapType(s, preserve);
      break;
    case 'array':
      t.list = listType(s, preserve);
      break;
    case 'integer':
    case 'number':
      t.scalar = 'numeric';
      break;
    case 'boolean':
      t.scalar = 'boolean';
      break;
    case 'string':
      // Formats other than byte (int-or-string, date-time, quantity...) accept any scalar.
      t.scalar = s.format === undefined || s.format === '' || s.format === 'byte' ? 'string' : 'untyped';
      break;
    default:
      t.scalar = 'untyped';
  }
  return t;
}

function mapType(s: Schema, preserve: boolean): MapType {
  const fields = new Map<string, TypeNode>();
  const props = s.properties ?? {};
  for (const name of Object.keys(props)) fields.set(name, convert(props[name]!, preserve));
  if (s['x-kubernetes-embedded-resource'] === true) {
    // An object inside an object: it has an object's identity and metadata.
    if (!fields.has('apiVersion')) fields.set('apiVersion', convert(str, false));
    if (!fields.has('kind')) fields.set('kind', convert(str, false));
    const meta = fields.get('metadata');
    if (!meta?.map || meta.map.fields.size === 0) fields.set('metadata', convert(objectMeta, false));
  }
  const ap = s.additionalProperties;
  let element: TypeNode | undefined;
  if (ap === undefined) {
    // An object without properties is free-form.
    element = preserve || fields.size === 0 ? deduced : undefined;
  } else if (typeof ap === 'object') {
    element = convert(ap, preserve);
  } else {
    element = ap ? deduced : undefined;
  }
  const required = new Set((s.required ?? []).filter((n) => fields.has(n)));
  return { atomic: s['x-kubernetes-map-type'] === 'atomic', fields, element, required };
}

function listType(s: Schema, preserve: boolean): ListType {
  const element = s.items ? convert(s.items, preserve) : untypedAtomic;
  const listKind = s['x-kubernetes-list-type'];
  if (listKind === 'set') return { atomic: false, keys: [], element };
  if (listKind === 'map') {
    const keys = s['x-kubernetes-list-map-keys'];
    // A map-list without keys is not a structural schema; own it as a whole.
    if (!Array.isArray(keys) || keys.length === 0) return { atomic: true, keys: [], element };
    return { atomic: false, keys, element };
  }
  if (listKind === 'atomic') return { atomic: true, keys: [], element };
  // Built-in types without a list type: the strategic-merge-patch annotations say it.
  const strategy = s['x-kubernetes-patch-strategy'];
  if (strategy === 'merge' || strategy === 'merge,retainKeys') {
    const key = s['x-kubernetes-patch-merge-key'];
    return { atomic: false, keys: typeof key === 'string' && key !== '' ? [key] : [], element };
  }
  return { atomic: true, keys: [], element };
}

/** Which shape of a type applies to a value: a JSON kind the type allows, else the first it has. */
export type Atom = 'scalar' | 'list' | 'map' | 'none';

export function atomFor(t: TypeNode, v: unknown): Atom {
  if (v !== null && v !== undefined) {
    if (Array.isArray(v)) {
      if (t.list) return 'list';
    } else if (typeof v === 'object') {
      if (t.map) return 'map';
    } else if (t.scalar) return 'scalar';
  }
  if (v === null || v === undefined) {
    if (t.map) return 'map';
    if (t.scalar) return 'scalar';
    if (t.list) return 'list';
  }
  return 'none';
}

/**
 * A struct (declared fields only, granular): in the API server's typed objects such a field is
 * present as `{}` even when nobody set it, so it is never "added" or "removed" on its own.
 * (Required fields are likewise always present, as null when unset.)
 */
export function isStruct(t: TypeNode): boolean {
  const m = t.map;
  return m !== undefined && !m.atomic && m.fields.size > 0 && m.element === undefined && !t.list && !t.scalar;
}
