// The OpenAPI definitions of the built-in kinds, loaded once per process and shared by every
// API server in it (a sim host runs a thousand): the generated file (npm run generate) plus the
// list and patch annotations of list-types.ts, as JSON for the served documents and as a
// resolved Schema graph for patch, apply, pruning and validation.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroupVersionKind } from '../../machinery/gvk.js';
import type { Schema } from '../../machinery/schema.js';
import { applyListTypes } from './list-types.js';
import { type JsonSchema, SCHEMA_REF_PREFIX } from './supplement.js';

export type { JsonSchema } from './supplement.js';

export interface BuiltinDefinitions {
  /** Definition name -> schema in OpenAPI v3 document form (`$ref`s to #/components/schemas/). */
  json: Readonly<Record<string, JsonSchema>>;
  /** Definition name -> resolved schema; `$ref`s replaced by the shared objects (cycles allowed). */
  resolved: ReadonlyMap<string, Schema>;
  /** "group/version/Kind" -> definition name. */
  byKind: ReadonlyMap<string, string>;
  kinds: readonly GroupVersionKind[];
  /** Package versions the definitions were generated from. */
  source: Readonly<Record<string, string>>;
  /** Entries of list-types.ts that match nothing (empty when the table and the packages agree). */
  listTypeProblems: readonly string[];
}

// The file sits in src/generated; from dist/src/apiserver/openapi the source tree is four levels up.
const CANDIDATES = [
  new URL('../../generated/openapi-definitions.json', import.meta.url),
  new URL('../../../../src/generated/openapi-definitions.json', import.meta.url),
];

export function definitionsFile(): string {
  for (const url of CANDIDATES) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `OpenAPI definitions not found (looked for ${CANDIDATES.map((u) => fileURLToPath(u)).join(', ')}); ` +
      'run `npm run generate`',
  );
}

let loaded: BuiltinDefinitions | undefined;

/** The built-in definitions, read on first use. */
export function builtinDefinitions(): BuiltinDefinitions {
  loaded ??= loadDefinitions(readFileSync(definitionsFile(), 'utf8'));
  return loaded;
}

const gvkKey = (gvk: GroupVersionKind) => `${gvk.group}/${gvk.version}/${gvk.kind}`;

/** Parses the generated file's text. Exposed for tests; use builtinDefinitions(). */
export function loadDefinitions(text: string): BuiltinDefinitions {
  const file = JSON.parse(text) as {
    source?: Record<string, string>;
    definitions?: Record<string, JsonSchema>;
  };
  if (!file.definitions || typeof file.definitions !== 'object') {
    throw new Error('OpenAPI definitions file has no "definitions" object; run `npm run generate`');
  }
  const json = file.definitions;
  const listTypeProblems = applyListTypes(json);
  const resolved = resolveDefinitions(json);

  const byKind = new Map<string, string>();
  const kinds: GroupVersionKind[] = [];
  for (const [name, schema] of Object.entries(json)) {
    const list = schema['x-kubernetes-group-version-kind'];
    if (!Array.isArray(list)) continue;
    for (const gvk of list as GroupVersionKind[]) {
      const key = gvkKey(gvk);
      if (byKind.has(key)) continue;
      byKind.set(key, name);
      kinds.push({ group: gvk.group, version: gvk.version, kind: gvk.kind });
    }
  }
  deepFreeze(json);
  return {
    json,
    resolved,
    byKind,
    kinds: Object.freeze(kinds),
    source: Object.freeze({ ...(file.source ?? {}) }),
    listTypeProblems: Object.freeze(listTypeProblems),
  };
}

/** io.k8s.api.apps.v1.Deployment for apps/v1 Deployment; undefined for kinds that are not built in. */
export function definitionNameFor(gvk: GroupVersionKind): string | undefined {
  return builtinDefinitions().byKind.get(gvkKey(gvk));
}

/** The resolved schema of a built-in kind, shared and frozen; undefined for kinds that are not built in. */
export function schemaFor(gvk: GroupVersionKind): Schema | undefined {
  const name = definitionNameFor(gvk);
  return name === undefined ? undefined : builtinDefinitions().resolved.get(name);
}

/** The resolved schema of a definition by name (io.k8s.api.core.v1.Container). */
export function definitionSchema(name: string): Schema | undefined {
  return builtinDefinitions().resolved.get(name);
}

/** Every group/version/kind the built-in definitions declare. */
export function builtinKinds(): readonly GroupVersionKind[] {
  return builtinDefinitions().kinds;
}

/** Keys that only say something about the reference site, not about the referenced type. */
const REF_SITE_KEYS = new Set(['allOf', 'description', 'default']);

/**
 * Turns document-form definitions into one graph. A field that is only a reference becomes the
 * shared definition object. A reference with annotations of its own (x-kubernetes-patch-strategy
 * on Deployment.spec.strategy, x-kubernetes-map-type on a selector) becomes a shallow copy of the
 * definition with those annotations, still sharing the definition's fields.
 */
export function resolveDefinitions(json: Record<string, JsonSchema>): Map<string, Schema> {
  const resolved = new Map<string, Schema>();
  for (const name of Object.keys(json)) resolved.set(name, {});

  const target = (ref: unknown): Schema => {
    if (typeof ref !== 'string' || !ref.startsWith(SCHEMA_REF_PREFIX)) {
      throw new Error(`unsupported reference ${JSON.stringify(ref)}`);
    }
    const s = resolved.get(ref.slice(SCHEMA_REF_PREFIX.length));
    if (!s) throw new Error(`reference to a missing definition ${ref}`);
    return s;
  };

  const copies: { copy: Schema; of: Schema; own: JsonSchema }[] = [];

  const convert = (node: JsonSchema): Schema => {
    if (node.$ref !== undefined) return target(node.$ref);
    const allOf = node.allOf;
    if (Array.isArray(allOf) && allOf.length === 1 && (allOf[0] as JsonSchema).$ref !== undefined) {
      const of = target((allOf[0] as JsonSchema).$ref);
      const own: JsonSchema = {};
      for (const [k, v] of Object.entries(node)) if (!REF_SITE_KEYS.has(k)) own[k] = v;
      if (Object.keys(own).length === 0) return of;
      if (typeof node.description === 'string') own.description = node.description;
      // Filled once every definition is: `of` may still be empty here when types recurse.
      const copy: Schema = {};
      copies.push({ copy, of, own });
      return copy;
    }
    return convertInto({}, node);
  };

  const convertInto = (out: Schema, node: JsonSchema): Schema => {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') {
        const props: Record<string, Schema> = {};
        for (const [p, ps] of Object.entries(v as Record<string, JsonSchema>)) props[p] = convert(ps);
        out.properties = props;
      } else if ((k === 'items' || k === 'not') && v && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = convert(v as JsonSchema);
      } else if (k === 'additionalProperties' && v && typeof v === 'object') {
        out.additionalProperties = convert(v as JsonSchema);
      } else if ((k === 'allOf' || k === 'oneOf' || k === 'anyOf') && Array.isArray(v)) {
        out[k] = v.map((s) => convert(s as JsonSchema));
      } else {
        out[k] = v;
      }
    }
    return out;
  };

  for (const [name, node] of Object.entries(json)) convertInto(resolved.get(name)!, node);
  for (const { copy, of, own } of copies) Object.assign(copy, of, own);
  for (const s of resolved.values()) deepFreeze(s);
  return resolved;
}

function deepFreeze(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  for (const v of Object.values(value)) deepFreeze(v, seen);
  Object.freeze(value);
}
