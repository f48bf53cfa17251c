// The set of fields an object (or an applied configuration) sets: what an applier owns after
// applying it. Scalars, atomic lists and atomic maps are leaves; associative list items are
// members in their own right; a map key is a member when it is not a declared field, or when its
// value is null or an empty map (so that "set to {}" is owned too). Declared struct fields with
// content are owned through their contents only.

import type { JsonObject } from '../object.js';
import {
  type FieldSet,
  FieldSetBuilder,
  fieldElement,
  type PathElement,
  serializeElement,
} from './fieldpath.js';
import { itemElement } from './list-items.js';
import { atomFor, deduced, type ListType, type MapType, type TypeNode } from './types.js';
import { isEmptyMap, isMap } from './value.js';

export function fieldSetOf(value: unknown, type: TypeNode): FieldSet {
  const root = new FieldSetBuilder();
  visitContents(value, type, root, undefined);
  return root.build();
}

/**
 * Records the value found at `parent`/`pe` (`key` is the element's serialized form when the
 * caller already has it). At the root (`pe` undefined) the value itself is never a member:
 * nobody owns "the whole object".
 */
function visit(value: unknown, type: TypeNode, parent: FieldSetBuilder, pe: PathElement, key?: string): void {
  const atom = atomFor(type, value);
  if (
    atom === 'scalar' ||
    atom === 'none' ||
    (atom === 'list' && type.list!.atomic) ||
    (atom === 'map' && type.map!.atomic)
  ) {
    parent.member(pe, key);
    return;
  }
  visitContents(value, type, parent, pe, key);
}

function visitContents(
  value: unknown,
  type: TypeNode,
  parent: FieldSetBuilder,
  pe: PathElement | undefined,
  key?: string,
): void {
  const atom = atomFor(type, value);
  const here = (): FieldSetBuilder => (pe ? parent.child(pe, key) : parent);
  if (atom === 'list' && Array.isArray(value)) visitList(value, type.list!, here, parent, pe);
  else if (atom === 'map' && isMap(value)) visitMap(value, type.map!, here);
}

function visitList(
  items: unknown[],
  list: ListType,
  here: () => FieldSetBuilder,
  parent: FieldSetBuilder,
  pe: PathElement | undefined,
): void {
  if (items.length === 0) return;
  const pes: PathElement[] = [];
  for (const item of items) {
    const r = itemElement(list, item);
    // An item that cannot be named makes the list impossible to track item by item.
    if (!r.ok) {
      if (pe) parent.member(pe);
      return;
    }
    pes.push(r.pe);
  }
  const b = here();
  // An item whose key appears twice is owned as a whole and not looked into.
  const keys = pes.map((p) => serializeElement(p));
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) duplicated.add(k);
    else seen.add(k);
  }
  for (let i = 0; i < items.length; i++) {
    const p = pes[i]!;
    const k = keys[i]!;
    if (duplicated.size === 0 || !duplicated.has(k)) visit(items[i], list.element, b, p, k);
    b.member(p, k);
  }
}

function visitMap(m: JsonObject, map: MapType, here: () => FieldSetBuilder): void {
  let b: FieldSetBuilder | undefined;
  for (const key in m) {
    if (!Object.hasOwn(m, key)) continue;
    const v = m[key];
    if (v === undefined) continue;
    b ??= here();
    const declared = map.fields.get(key);
    const pe = fieldElement(key);
    visit(v, declared ?? map.element ?? deduced, b, pe);
    if (!declared || v === null || (isMap(v) && isEmptyMap(v))) b.member(pe);
  }
}
