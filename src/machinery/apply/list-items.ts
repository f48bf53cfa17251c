// How an item of an associative list is named in a field path: by its key fields (map-lists) or
// by its value (sets).

import type { JsonObject, JsonValue } from '../object.js';
import { type KeyField, keyElement, type PathElement, valueElement } from './fieldpath.js';
import type { ListType } from './types.js';
import { isMap, kindOf } from './value.js';

export type ItemElement = { ok: true; pe: PathElement } | { ok: false; error: string };

export function itemElement(list: ListType, item: unknown): ItemElement {
  if (list.keys.length > 0) return keyedItem(list, item);
  switch (kindOf(item)) {
    case 'map':
      return { ok: false, error: "associative list without keys has an element that's a map type" };
    case 'list':
      return { ok: false, error: 'not supported: associative list with lists as elements' };
    case 'null':
      return { ok: false, error: "associative list without keys has an element that's an explicit null" };
    default:
      return { ok: true, pe: valueElement(item as JsonValue) };
  }
}

function keyedItem(list: ListType, item: unknown): ItemElement {
  if (item === null || item === undefined) {
    return { ok: false, error: 'associative list with keys may not have a null element' };
  }
  if (!isMap(item)) return { ok: false, error: 'associative list with keys may not have non-map elements' };
  const fields: KeyField[] = [];
  const m = item as JsonObject;
  for (const name of list.keys) {
    const v = m[name];
    if (v !== undefined) {
      fields.push([name, v]);
      continue;
    }
    // A key the item leaves out takes its schema default (ports: protocol TCP); with no
    // default it is simply not part of the key.
    const def = list.element.map?.fields.get(name)?.default;
    if (def !== undefined) fields.push([name, def]);
  }
  if (fields.length === 0) {
    return {
      ok: false,
      error: `associative list with keys has an element that omits all key fields [${list.keys
        .map((k) => JSON.stringify(k))
        .join(' ')}] (and doesn't have default values for any key fields)`,
    };
  }
  return { ok: true, pe: keyElement(fields) };
}
