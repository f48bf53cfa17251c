// JSON values as structured-merge-diff sees them: a total order over values of any type (so list
// keys and set members sort the same way the API server sorts them), numeric equality between
// integers and floats, and the Go encodings that end up on the wire (`encoding/json` for keys in
// fieldsV1 and the last-applied annotation, `%q` for values in conflict messages).

import { jsonKind } from '../json.js';
import type { JsonObject } from '../object.js';

export type ValueKind = 'null' | 'boolean' | 'number' | 'string' | 'list' | 'map';

/** A value's kind in structured-merge words: JSON's arrays are lists and its objects maps. */
export function kindOf(v: unknown): ValueKind {
  const k = jsonKind(v);
  return k === 'array' ? 'list' : k === 'object' ? 'map' : k;
}

export function isMap(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own keys whose value is defined: `undefined` means absent, as after a JSON round trip. */
export function definedKeys(m: JsonObject): string[] {
  const out: string[] = [];
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) out.push(k);
  return out;
}

export function isEmptyMap(m: JsonObject): boolean {
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) return false;
  return true;
}

/**
 * Compares strings by Unicode code point, which is the byte order of their UTF-8 encodings (Go's
 * `strings.Compare`), not JavaScript's UTF-16 code unit order.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates encode code points above U+FFFF: move them above U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const kindRank: Record<ValueKind, number> = { number: 0, string: 1, boolean: 2, list: 3, map: 4, null: 5 };

/**
 * A total order over JSON values, the one structured-merge-diff sorts set members and list keys
 * by: numbers < strings < booleans < lists < maps < null.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) return kindRank[ka] < kindRank[kb] ? -1 : 1;
  switch (ka) {
    case 'number': {
      const x = Number(a);
      const y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string':
      return compareStrings(a as string, b as string);
    case 'boolean':
      return a === b ? 0 : a === false ? -1 : 1;
    case 'list': {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 'map': {
      const x = a as JsonObject;
      const y = b as JsonObject;
      const xk = definedKeys(x).sort(compareStrings);
      const yk = definedKeys(y).sort(compareStrings);
      const n = Math.min(xk.length, yk.length);
      for (let i = 0; i < n; i++) {
        const c = compareStrings(xk[i]!, yk[i]!);
        if (c !== 0) return c;
        const d = compareValues(x[xk[i]!], y[yk[i]!]);
        if (d !== 0) return d;
      }
      return xk.length === yk.length ? 0 : xk.length < yk.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

/** Structural equality; an integer equals the same float, as in structured-merge-diff. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case 'number':
      return Number(a) === Number(b);
    case 'list': {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!valuesEqual(x[i], y[i])) return false;
      return true;
    }
    case 'map': {
      const x = a as JsonObject;
      const y = b as JsonObject;
      let n = 0;
      for (const k in x) {
        if (!Object.hasOwn(x, k) || x[k] === undefined) continue;
        n++;
        if (y[k] === undefined || !Object.hasOwn(y, k) || !valuesEqual(x[k], y[k])) return false;
      }
      for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) n--;
      return n === 0;
    }
    case 'null':
      return true;
    default:
      return false;
  }
}

const hex = (c: number, width: number): string => c.toString(16).padStart(width, '0');

/** Go's `%q` / strconv.Quote for the strings that appear in conflict paths: `"nginx"`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if ((c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      out += `\\u${hex(c, 4)}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A string as Go's encoding/json writes it: HTML-safe, with U+2028/U+2029 escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters to escape is the point.
const needsEscape = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

export function goJsonString(s: string): string {
  if (!needsEscape.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${hex(c, 4)}`;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\\ufffd';
    else out += s[i]!;
  }
  return `${out}"`;
}

/**
 * JSON as Go's encoding/json writes an unstructured value: object keys sorted, no whitespace,
 * HTML-safe strings. Used wherever the API server's bytes are visible (fieldsV1 keys, annotations).
 */
export function goJson(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number': {
      const n = Number(v);
      return Number.isFinite(n) ? String(n) : 'null';
    }
    case 'string':
      return goJsonString(v as string);
    case 'list':
      return `[${(v as unknown[]).map((x) => goJson(x === undefined ? null : x)).join(',')}]`;
    default: {
      const m = v as JsonObject;
      const keys = definedKeys(m).sort(compareStrings);
      return `{${keys.map((k) => `${goJsonString(k)}:${goJson(m[k])}`).join(',')}}`;
    }
  }
}

/** Go's `%v` of a value inside a path: strings quoted, numbers and booleans bare. */
export function valueToString(v: unknown): string {
  switch (kindOf(v)) {
    case 'null':
      return 'null';
    case 'string':
      return goQuote(v as string);
    case 'number':
    case 'boolean':
      return String(v);
    case 'list':
      return `[${(v as unknown[]).map(valueToString).join(',')}]`;
    default: {
      const m = v as JsonObject;
      return definedKeys(m)
        .sort(compareStrings)
        .map((k) => `${k}=${valueToString(m[k])}`)
        .join('');
    }
  }
}

/** A short rendering of a bad value for error messages. */
export function showValue(v: unknown): string {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export { cloneJson } from '../json.js';
