// Removing the fields of a field set from a value: members go with everything below them,
// paths below a member are removed one by one. A map or list whose every entry is removed as a
// member goes too (the API server leaves it null, which its typed round trip drops); one that
// only lost things deeper down stays, even if that left it empty.

import type { JsonObject, JsonValue } from '../object.js';
import { type FieldSet, fieldElement } from './fieldpath.js';
import { itemElement } from './list-items.js';
import { atomFor, deduced, type TypeNode } from './types.js';
import { isEmptyMap, isMap } from './value.js';

/** The value without the fields of `set`; undefined when nothing is left of it. */
export function removeFields(value: unknown, set: FieldSet, type: TypeNode): unknown {
  if (set.isEmpty() || value === undefined || value === null) return value;
  const atom = atomFor(type, value);
  if (atom === 'list' && Array.isArray(value) && !type.list!.atomic) {
    if (value.length === 0) return value;
    const out: unknown[] = [];
    let left = false;
    for (const item of value) {
      const r = itemElement(type.list!, item);
      if (!r.ok) return value;
      if (set.hasMember(r.pe)) continue;
      left = true;
      const sub = set.child(r.pe);
      const kept = sub ? removeFields(item, sub, type.list!.element) : item;
      if (kept !== undefined) out.push(kept);
    }
    return left ? out : undefined;
  }
  if (atom === 'map' && isMap(value) && !type.map!.atomic) {
    if (isEmptyMap(value)) return value;
    const out: JsonObject = {};
    let left = false;
    for (const k in value) {
      if (!Object.hasOwn(value, k) || value[k] === undefined) continue;
      const pe = fieldElement(k);
      if (set.hasMember(pe)) continue;
      left = true;
      const sub = set.child(pe);
      const kept = sub
        ? removeFields(value[k], sub, type.map!.fields.get(k) ?? type.map!.element ?? deduced)
        : value[k];
      if (kept !== undefined) out[k] = kept as JsonValue;
    }
    return left ? out : undefined;
  }
  return value;
}

/** Only the parts of a value at or below the members of `prefixes`; undefined when none. */
export function keepFields(value: unknown, prefixes: FieldSet, type: TypeNode): unknown {
  if (prefixes.isEmpty() || value === undefined || value === null) return undefined;
  const atom = atomFor(type, value);
  if (atom === 'list' && Array.isArray(value) && !type.list!.atomic) {
    const out: unknown[] = [];
    for (const item of value) {
      const r = itemElement(type.list!, item);
      if (!r.ok) return undefined;
      if (prefixes.hasMember(r.pe)) out.push(item);
      else {
        const sub = prefixes.child(r.pe);
        const kept = sub ? keepFields(item, sub, type.list!.element) : undefined;
        if (kept !== undefined) out.push(kept);
      }
    }
    return out.length > 0 ? out : undefined;
  }
  if (atom === 'map' && isMap(value) && !type.map!.atomic) {
    const out: JsonObject = {};
    let any = false;
    for (const k in value) {
      if (!Object.hasOwn(value, k) || value[k] === undefined) continue;
      const pe = fieldElement(k);
      let kept: unknown;
      if (prefixes.hasMember(pe)) kept = value[k];
      else {
        const sub = prefixes.child(pe);
        kept = sub
          ? keepFields(value[k], sub, type.map!.fields.get(k) ?? type.map!.element ?? deduced)
          : undefined;
      }
      if (kept !== undefined) {
        out[k] = kept as JsonValue;
        any = true;
      }
    }
    return any ? out : undefined;
  }
  return undefined;
}
