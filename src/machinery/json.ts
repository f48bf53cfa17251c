// Small helpers over plain JSON values (what JSON.parse returns), shared by every layer.

/**
 * Structural equality of JSON values: same primitives, arrays equal element by element, objects
 * with the same own keys (in any order) and equal values. A key whose value is `undefined` counts
 * as absent, as it would after a JSON round trip.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN never appears in JSON; treat it as equal to itself so the relation stays reflexive.
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const xKeys = Object.keys(x).filter((k) => x[k] !== undefined);
  const yKeys = Object.keys(y).filter((k) => y[k] !== undefined);
  if (xKeys.length !== yKeys.length) return false;
  for (const k of xKeys) {
    if (!Object.hasOwn(y, k) || !deepEqual(x[k], y[k])) return false;
  }
  return true;
}

/** A deep copy that shares nothing with its source (JSON values, Dates, Maps... as structuredClone allows). */
export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * A deep copy of a JSON value (what JSON.parse returns), with JSON's rules: a key whose value is
 * undefined is dropped. Several times faster than structuredClone or a JSON round trip, which
 * matters on the write path where every update copies an object.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  const src = value as Record<string, unknown>;
  for (const key in src) {
    if (!Object.hasOwn(src, key)) continue;
    const v = src[key];
    if (v === undefined) continue;
    // A "__proto__" key is data in JSON: define it rather than set the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: cloneJson(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = cloneJson(v);
  }
  return out as T;
}

/** Whether a value is a plain JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kind of a JSON value, in the words JSON uses. */
export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonKind(value: unknown): JsonKind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}
