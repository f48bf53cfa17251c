// Merging an applied configuration into the live object, by the schema: granular maps key by
// key, map-lists item by item (by key), sets by value, and atomic values replaced whole. The
// configuration wins wherever both have a value. Item order: the applied order for the items the
// configuration lists, live-only items kept where they were.

import type { JsonObject, JsonValue } from '../object.js';
import { serializeElement } from './fieldpath.js';
import { itemElement } from './list-items.js';
import { atomFor, deduced, type ListType, type MapType, type TypeNode } from './types.js';
import { isMap } from './value.js';

/**
 * The merge of `rhs` (applied) into `lhs` (live). The result may share unchanged subtrees with
 * its inputs: clone it before mutating.
 */
export function mergeValues(lhs: unknown, rhs: unknown, type: TypeNode): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  const aL = atomFor(type, lhs);
  const aR = atomFor(type, rhs);
  if (aL !== aR) return rhs;
  switch (aR) {
    case 'list': {
      const ll = Array.isArray(lhs) ? lhs : undefined;
      const rl = Array.isArray(rhs) ? rhs : undefined;
      if (type.list!.atomic || ((ll?.length ?? 0) === 0 && (rl?.length ?? 0) === 0)) return rhs;
      return mergeItems(ll ?? [], rl ?? [], type.list!) ?? rhs;
    }
    case 'map': {
      const lm = isMap(lhs) ? lhs : undefined;
      const rm = isMap(rhs) ? rhs : undefined;
      if (type.map!.atomic || (empty(lm) && empty(rm))) return rhs;
      return mergeFields(lm, rm, type.map!);
    }
    default:
      return rhs;
  }
}

function empty(m: JsonObject | undefined): boolean {
  if (!m) return true;
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) return false;
  return true;
}

function mergeFields(lm: JsonObject | undefined, rm: JsonObject | undefined, map: MapType): JsonObject {
  const out: JsonObject = {};
  if (lm) {
    for (const k in lm) {
      if (!Object.hasOwn(lm, k) || lm[k] === undefined) continue;
      const v = mergeValues(lm[k], rm?.[k], map.fields.get(k) ?? map.element ?? deduced);
      if (v !== undefined) out[k] = v as JsonValue;
    }
  }
  if (rm) {
    for (const k in rm) {
      if (!Object.hasOwn(rm, k) || rm[k] === undefined || (lm !== undefined && lm[k] !== undefined)) continue;
      out[k] = rm[k];
    }
  }
  return out;
}

/**
 * Merges two associative lists. Items the configuration lists come out in its order; a live-only
 * item stays in front of the next item both lists share. Returns undefined when some item cannot
 * be named (the configuration then replaces the list).
 */
function mergeItems(ll: unknown[], rl: unknown[], list: ListType): unknown[] | undefined {
  const lKeys: string[] = [];
  const rKeys: string[] = [];
  const lByKey = new Map<string, unknown>();
  const rByKey = new Map<string, unknown>();
  const duplicate = Symbol('duplicate');
  for (const item of ll) {
    const r = itemElement(list, item);
    if (!r.ok) return undefined;
    const k = serializeElement(r.pe);
    lKeys.push(k);
    // Live items listed twice are not merged with the configuration's item.
    lByKey.set(k, lByKey.has(k) ? duplicate : item);
  }
  for (const item of rl) {
    const r = itemElement(list, item);
    if (!r.ok) return undefined;
    const k = serializeElement(r.pe);
    rKeys.push(k);
    rByKey.set(k, item);
  }
  const item = (k: string, lItem: unknown): unknown => {
    const l = lItem === duplicate ? undefined : lItem;
    return mergeValues(l, rByKey.get(k), list.element);
  };

  const shared = rKeys.filter((k) => lByKey.has(k));
  let s = 0;
  let nextShared: string | undefined = shared[s++];
  const mergedRight = new Set<string>();
  const out: unknown[] = [];
  let li = 0;
  let ri = 0;
  while (li < lKeys.length || ri < rKeys.length) {
    const before = li + ri;
    if (li < lKeys.length && ri < rKeys.length) {
      const k = lKeys[li]!;
      if (k === rKeys[ri]) {
        mergedRight.add(k);
        out.push(item(k, lByKey.get(k)));
        li++;
        ri++;
        nextShared = shared[s++];
        continue;
      }
      if (rByKey.has(k) && nextShared !== undefined && nextShared !== k) {
        // Shared, but the configuration puts it later: it is emitted when we get there.
        li++;
        continue;
      }
    }
    if (li < lKeys.length) {
      const k = lKeys[li]!;
      if (!rByKey.has(k)) {
        out.push(mergeValues(ll[li], undefined, list.element));
        li++;
        continue;
      }
      if (mergedRight.has(k)) li++;
    }
    if (ri < rKeys.length) {
      const k = rKeys[ri]!;
      mergedRight.add(k);
      out.push(item(k, lByKey.get(k)));
      ri++;
      if (nextShared === k) nextShared = shared[s++];
    }
    // Unreachable with valid lists; guards against looping on an inconsistent one.
    if (li + ri === before) li++;
  }
  return out;
}
