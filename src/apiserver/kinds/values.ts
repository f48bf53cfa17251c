// Reading and defaulting fields of objects that arrived as arbitrary JSON. Strategies run before
// or beside schema validation, so every accessor tolerates a field of the wrong type instead of
// crashing: the schema validator reports the type error, the strategy just skips the field.

import { isDeepStrictEqual } from 'node:util';
import { isJsonObject } from '../../machinery/object.js';

export type Json = Record<string, unknown>;

export function asObject(v: unknown): Json | undefined {
  return isJsonObject(v) ? (v as Json) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The elements of a list that are objects, with their index in the list. */
export function objectItems(v: unknown): [Json, number][] {
  const out: [Json, number][] = [];
  asArray(v).forEach((item, i) => {
    const o = asObject(item);
    if (o) out.push([o, i]);
  });
  return out;
}

export function asString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A map of strings (labels, selectors, data); entries of other types are left out. */
export function asStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const o = asObject(v);
  if (!o) return out;
  for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Walks a path of object keys; undefined as soon as one step is not an object. */
export function path(obj: unknown, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    const o = asObject(cur);
    if (!o) return undefined;
    cur = o[k];
  }
  return cur;
}

/**
 * The object at parent[key], created when absent. Returns undefined when the field holds
 * something else (bad input is left for validation to report, never overwritten).
 */
export function child(parent: Json, key: string): Json | undefined {
  const cur = parent[key];
  if (cur === undefined || cur === null) {
    const created: Json = {};
    parent[key] = created;
    return created;
  }
  return asObject(cur);
}

/** Sets parent[key] when it is unset (absent or null), as defaulting of pointer fields does. */
export function defaultValue(parent: Json, key: string, value: unknown): void {
  if (parent[key] === undefined || parent[key] === null) parent[key] = value;
}

/** Sets a string field when unset or empty: Go defaulting cannot tell "" from absent. */
export function defaultString(parent: Json, key: string, value: string): void {
  if (parent[key] === undefined || parent[key] === null || parent[key] === '') parent[key] = value;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isJsonObject(v)) return Object.values(v).every(isZero);
  return false;
}

function withoutZeros(v: unknown): unknown {
  if (isZero(v)) return undefined;
  if (Array.isArray(v)) return v.map((x) => withoutZeros(x) ?? null);
  if (isJsonObject(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const w = withoutZeros(x);
      if (w !== undefined) out[k] = w;
    }
    return out;
  }
  return v;
}

/**
 * Kubernetes' semantic equality for JSON: an absent field equals its zero value ("", 0, false,
 * empty list or map), the way two Go structs decoded from such JSON compare equal.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  // Most comparisons are of unchanged values: the plain comparison settles them cheaply.
  return isDeepStrictEqual(a, b) || isDeepStrictEqual(withoutZeros(a), withoutZeros(b));
}

/** labels.FormatLabels: "k=v,k2=v2" sorted by key, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  const map = asStringMap(labels);
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${map[k]}`).join(',');
}

/** intstr.IntOrString.String(). */
export function intOrStringText(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return '';
}
