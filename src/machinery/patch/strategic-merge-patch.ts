// Strategic merge patch (`application/strategic-merge-patch+json`), the patch kubectl sends for
// built-in kinds. Like a merge patch, but lists follow the schema: a list with patch strategy
// "merge" and a merge key (containers by name, ports by containerPort, env by name...) is merged
// item by item; a list of scalars with strategy "merge" (finalizers) is a union; other lists are
// replaced. Directives in the patch refine this:
//   $patch: replace | delete | merge          on a map or on a list item
//   $retainKeys: [fields]                      clear the fields of a map not listed
//   $deleteFromPrimitiveList/<field>: [values] remove values from a merged scalar list
//   $setElementOrder/<field>: [items]          the order of a merged list after the patch
// Also the client side: the two-way patch between two versions of an object and the three-way
// patch of `kubectl apply` (last applied, new configuration, live object).
// Semantics follow k8s.io/apimachinery/pkg/util/strategicpatch; schemas are the structural
// OpenAPI schemas of src/machinery/schema.ts (x-kubernetes-patch-strategy / -merge-key).

import { deepClone, deepEqual, isPlainObject, type JsonKind, jsonKind } from '../json.js';
import type { JsonObject } from '../object.js';
import { propertySchema, type Schema } from '../schema.js';
import { ApiError, errors } from '../status.js';
import { checkPreconditions, PatchConflictError, type PreconditionFunc, setOwn } from './merge-patch.js';

export {
  KUBECTL_APPLY_PRECONDITIONS,
  PatchConflictError,
  PreconditionFailedError,
  type PreconditionFunc,
  requireKeyUnchanged,
  requireMetadataKeyUnchanged,
} from './merge-patch.js';

type Obj = Record<string, unknown>;

export const DIRECTIVE_MARKER = '$patch';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

const DELETE = 'delete';
const REPLACE = 'replace';
const MERGE = 'merge';
const RETAIN_KEYS = 'retainKeys';

// --- errors ---------------------------------------------------------------------------------

// Kubernetes' texts for malformed patches (k8s.io/apimachinery/pkg/util/mergepatch).
const ERR_BAD_JSON_DOC = 'invalid JSON document';
const ERR_NO_LIST_OF_LISTS = 'lists of lists are not supported';
const ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = 'invalid patch format of retainKeys';
const ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST = 'invalid patch format of setElementOrder list';

/** A malformed patch: 400 with Kubernetes' text. */
function bad(message: string): ApiError {
  return errors.badRequest(message);
}

/** Go's %v of a JSON value, used in Kubernetes' messages: map[a:1 b:x], [a b], <nil>. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's name for the type of a decoded JSON value. */
function goType(v: unknown): string {
  switch (jsonKind(v)) {
    case 'null':
      return '<nil>';
    case 'array':
      return '[]interface {}';
    case 'object':
      return 'map[string]interface {}';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'string';
  }
}

function errBadArgType(expected: 'map' | 'list', actual: unknown): ApiError {
  return bad(
    `expected a ${expected === 'map' ? 'map[string]interface {}' : '[]interface {}'}, but received a ${goType(actual)}`,
  );
}

function errNoMergeKey(m: Obj, key: string): ApiError {
  return bad(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

function errBadPatchType(t: unknown, m: Obj): ApiError {
  return bad(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);
}

// --- patch metadata from the schema ----------------------------------------------------------

interface PatchMeta {
  strategies: string[];
  mergeKey: string;
}

interface Lookup {
  /** Schema of the field's value (for lists: of their items); undefined when unknown. */
  schema: Schema | undefined;
  meta: PatchMeta;
}

/** Looks through an `allOf: [X]` wrapper (how OpenAPI v3 attaches a description to a $ref). */
function resolve(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let depth = 0; cur && depth < 8; depth++) {
    const allOf = cur.allOf;
    if (cur.properties || cur.items || cur.additionalProperties !== undefined || !Array.isArray(allOf)) break;
    if (allOf.length !== 1 || typeof allOf[0] !== 'object' || allOf[0] === null) break;
    cur = allOf[0] as Schema;
  }
  return cur;
}

function patchMetaOf(field: Schema | undefined): PatchMeta {
  const layers = [field, resolve(field)];
  let strategy: unknown;
  let mergeKey: unknown;
  for (const l of layers) {
    strategy ??= l?.['x-kubernetes-patch-strategy'];
    mergeKey ??= l?.['x-kubernetes-patch-merge-key'];
  }
  if (strategy !== undefined && typeof strategy !== 'string') {
    throw bad(`expected a string, but received a ${goType(strategy)}`);
  }
  if (mergeKey !== undefined && typeof mergeKey !== 'string') {
    throw bad(`expected a string, but received a ${goType(mergeKey)}`);
  }
  return { strategies: strategy ? strategy.split(',') : [], mergeKey: mergeKey ?? '' };
}

// Where the schema says nothing (no schema, an unknown field, preserve-unknown-fields) the field
// gets the defaults: maps merge key by key, lists are replaced.
function lookupForStruct(schema: Schema | undefined, key: string): Lookup {
  const field = propertySchema(resolve(schema), key);
  return { schema: resolve(field), meta: patchMetaOf(field) };
}

function lookupForSlice(schema: Schema | undefined, key: string): Lookup {
  const field = propertySchema(resolve(schema), key);
  const resolved = resolve(field);
  // A list field normally describes its items; a schema that is not a list type stands for its items itself.
  const items = resolved?.items ?? (resolved?.type === 'array' ? undefined : resolved);
  return { schema: resolve(items), meta: patchMetaOf(field) };
}

/** Splits "merge,retainKeys" into the retainKeys flag and the other strategy. */
function extractRetainKeysPatchStrategy(strategies: string[]): { retainKeys: boolean; strategy: string } {
  if (strategies.length === 0) return { retainKeys: false, strategy: '' };
  if (strategies.length === 1) {
    return strategies[0] === RETAIN_KEYS
      ? { retainKeys: true, strategy: '' }
      : { retainKeys: false, strategy: strategies[0]! };
  }
  if (strategies.length === 2) {
    if (strategies[0] === RETAIN_KEYS) return { retainKeys: true, strategy: strategies[1]! };
    if (strategies[1] === RETAIN_KEYS) return { retainKeys: true, strategy: strategies[0]! };
  }
  throw bad(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

function schemaName(schema: Schema | undefined): string {
  return schema?.type ?? 'Struct';
}

// --- helpers over JSON values ----------------------------------------------------------------

/** Equality of list elements and merge key values (scalars by value, as Go compares interfaces). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object') return deepEqual(a, b);
  return false;
}

/** How Kubernetes orders scalars and merge key values: by their printed form. */
function scalarString(v: unknown): string {
  return goValue(v);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortScalars(list: unknown[]): unknown[] {
  return list
    .map((v, i) => ({ v, i, s: scalarString(v) }))
    .sort((a, b) => compareStrings(a.s, b.s) || a.i - b.i)
    .map((x) => x.v);
}

function dedupeScalars(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (const v of list) {
    if (typeof v !== 'object' || v === null) {
      if (seen.has(v)) continue;
      seen.add(v);
    } else if (out.some((u) => same(u, v))) continue;
    out.push(v);
  }
  return out;
}

function sortMapsByField(list: Obj[], field: string): Obj[] {
  return list
    .map((v, i) => ({ v, i, s: scalarString(v[field]) }))
    .sort((a, b) => compareStrings(a.s, b.s) || a.i - b.i)
    .map((x) => x.v);
}

/** The common element kind of lists; lists of lists and mixed lists are refused. */
function sliceElementKind(...lists: unknown[][]): JsonKind {
  let kind: JsonKind | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = jsonKind(v);
      if (kind === undefined) {
        if (k === 'array') throw new ApiError(422, 'Invalid', ERR_NO_LIST_OF_LISTS);
        kind = k;
      } else if (kind !== k) {
        throw bad(`list element types are not identical: [${lists.map((l) => goValue(l)).join(' ')}]`);
      }
    }
  }
  if (kind === undefined) throw bad('no elements in any of the given slices');
  return kind;
}

function isDirectiveKey(k: string): boolean {
  return (
    k === DIRECTIVE_MARKER ||
    k === RETAIN_KEYS_DIRECTIVE ||
    k.startsWith(`${SET_ELEMENT_ORDER_PREFIX}/`) ||
    k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/`)
  );
}

function containsDirectiveMarker(item: unknown): boolean {
  return isPlainObject(item) && Object.hasOwn(item, DIRECTIVE_MARKER);
}

/**
 * A patch value placed as is into the result: maps carrying a $patch directive are dropped
 * (they only make sense against something to merge with). Returns undefined to drop the value.
 */
function removeDirectives(value: unknown): { keep: boolean; value?: unknown } {
  if (isPlainObject(value)) {
    if (Object.hasOwn(value, DIRECTIVE_MARKER)) return { keep: false };
    for (const [k, v] of Object.entries(value)) {
      const r = removeDirectives(v);
      if (r.keep) value[k] = r.value;
      else delete value[k];
    }
    return { keep: true, value };
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const r = removeDirectives(v);
      if (r.keep) out.push(r.value);
    }
    return { keep: true, value: out };
  }
  return { keep: true, value };
}

/** Drops null members of maps, recursively (a null can only mean "delete" in a patch). */
function discardNulls(value: unknown): void {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else discardNulls(v);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) discardNulls(v);
  }
}

/**
 * Directive keys left in a value taken from the patch as is (a replaced map or list, a new list
 * item). Kubernetes drops them when decoding into its typed objects; we drop them here.
 */
function stripDirectiveKeys(value: unknown): void {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (isDirectiveKey(k)) delete value[k];
      else stripDirectiveKeys(v);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) stripDirectiveKeys(v);
  }
}

function asMap(v: unknown): Obj {
  if (!isPlainObject(v)) throw errBadArgType('map', v);
  return v;
}

function asList(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw errBadArgType('list', v);
  return v;
}

/** The prefix's field: "$setElementOrder/containers" -> "containers". */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX) throw bad(ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST);
    if (prefix === SET_ELEMENT_ORDER_PREFIX) throw bad(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST);
    throw bad(`fail to find unknown prefix "${prefix}" in ${s}`);
  }
  return s.slice(slash + 1);
}

function findMapByKey(list: unknown[], key: string, value: unknown): { map: Obj; index: number } | undefined {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isPlainObject(item)) throw bad(`value for key ${i} is not a map`);
    if (Object.hasOwn(item, key) && same(item[key], value)) return { map: item, index: i };
  }
  return undefined;
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return same(left, right);
  const l = asMap(left);
  const r = asMap(right);
  if (!Object.hasOwn(l, mergeKey)) throw errNoMergeKey(l, mergeKey);
  if (!Object.hasOwn(r, mergeKey)) throw errNoMergeKey(r, mergeKey);
  return same(l[mergeKey], r[mergeKey]);
}

// --- ordering of merged lists ----------------------------------------------------------------

/**
 * Finds the position of items in a list (by merge key for maps, by value for scalars), first
 * occurrence first. Scalar keys are looked up in a Map so that long lists stay linear.
 */
function indexer(list: unknown[], mergeKey: string, kind: JsonKind): (item: unknown) => number {
  const keyOf =
    kind === 'object' ? (v: unknown) => (isPlainObject(v) ? v[mergeKey] : undefined) : (v: unknown) => v;
  const byScalar = new Map<unknown, number>();
  list.forEach((v, i) => {
    const k = keyOf(v);
    if ((typeof k !== 'object' || k === null) && !byScalar.has(k)) byScalar.set(k, i);
  });
  return (item) => {
    const wanted = keyOf(item);
    if (typeof wanted !== 'object' || wanted === null) return byScalar.get(wanted) ?? -1;
    return list.findIndex((v) => same(keyOf(v), wanted));
  };
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      const m = asMap(item);
      if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    }
  }
}

/** Items with `$patch: delete` apart from the others. */
function extractToDeleteItems(list: unknown[]): { keep: unknown[]; toDelete: unknown[] } {
  const keep: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of list) {
    const m = asMap(v);
    if (m[DIRECTIVE_MARKER] === DELETE) toDelete.push(v);
    else keep.push(v);
  }
  return { keep, toDelete };
}

/** Sorts a list by the positions of its items in `order` (stable; deletions go last). */
function normalizeSliceOrder(
  toSort: unknown[],
  order: unknown[],
  mergeKey: string,
  kind: JsonKind,
): unknown[] {
  let items = toSort;
  let toDelete: unknown[] = [];
  if (kind === 'object') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    ({ keep: items, toDelete } = extractToDeleteItems(toSort));
  }
  const indexOf = indexer(order, mergeKey, kind);
  const ranked = items.map((v, i) => ({ v, i, at: indexOf(v) }));
  ranked.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.i - b.i;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.i - b.i;
  });
  return [...ranked.map((x) => x.v), ...toDelete];
}

/**
 * Interleaves server-only items (left) into the patch's items (right), keeping each side's
 * order: a server-only item goes before a patch item only if it came before it on the server.
 */
function mergeSortedSlice(
  left: unknown[],
  right: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: JsonKind,
): unknown[] {
  const out: unknown[] = [];
  const indexOf = indexer(serverOrder, mergeKey, kind);
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexOf(left[i]);
      const ri = indexOf(right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** The order of a merged list: patch items in patch order, server-only items woven in by server order. */
function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: JsonKind,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function partitionPrimitives(list: unknown[], by: unknown[]): { inPatch: unknown[]; serverOnly: unknown[] } {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  const indexOf = indexer(by, '', 'string');
  for (const v of list) (indexOf(v) >= 0 ? inPatch : serverOnly).push(v);
  return { inPatch, serverOnly };
}

function partitionMaps(
  list: unknown[],
  by: unknown[],
  mergeKey: string,
): { inPatch: unknown[]; serverOnly: unknown[] } {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  by.forEach((b, i) => {
    if (!isPlainObject(b)) throw bad(`value for key ${i} is not a map`);
  });
  // Items of `by` without the merge key match nothing.
  const indexOf = indexer(
    by.filter((b) => Object.hasOwn(b as Obj, mergeKey)),
    mergeKey,
    'object',
  );
  for (const v of list) {
    const m = asMap(v);
    if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    (indexOf(m) >= 0 ? inPatch : serverOnly).push(v);
  }
  return { inPatch, serverOnly };
}

// --- applying a patch ------------------------------------------------------------------------

/**
 * What the original list looks like to Kubernetes after a merge that deleted and appended items.
 * Its merge edits the list's backing array in place (a deletion shifts the tail left, an append
 * reuses the freed slots), and $setElementOrder then weaves server-only items in by the order of
 * that edited array. The results users see depend on it, so it is reproduced here.
 */
class EditedOrder {
  private readonly backing: unknown[];
  private len: number;
  private detached = false;

  constructor(original: readonly unknown[]) {
    this.backing = [...original];
    this.len = original.length;
  }

  deleted(index: number): void {
    if (this.detached) return;
    for (let k = index; k < this.len - 1; k++) this.backing[k] = this.backing[k + 1];
    this.len--;
  }

  appended(item: unknown): void {
    if (this.detached) return;
    if (this.len < this.backing.length) this.backing[this.len++] = item;
    else this.detached = true; // a longer list lives elsewhere; the original stays as it is
  }

  view(): unknown[] {
    return this.backing;
  }
}

interface MergeOptions {
  /** Server side: apply $deleteFromPrimitiveList and $setElementOrder. Off when merging two patches. */
  mergeParallelList: boolean;
  /** Server side: a null for a field the original lacks is dropped, not kept. */
  ignoreUnmatchedNulls: boolean;
}

function handleDirectiveInMergeMap(
  original: Obj,
  patch: Obj,
  schema: Schema | undefined,
  opts: MergeOptions,
): Obj {
  const directive = patch[DIRECTIVE_MARKER];
  if (directive === REPLACE) {
    // The patch is the new map, whatever the original held.
    delete patch[DIRECTIVE_MARKER];
    return patch;
  }
  if (directive === DELETE) return {};
  if (directive === MERGE) {
    // The default made explicit.
    delete patch[DIRECTIVE_MARKER];
    return mergeMap(original, patch, schema, opts);
  }
  throw errBadPatchType(directive, patch);
}

/** $retainKeys: fields of the original not listed are cleared; the patch may only set listed fields. */
function applyRetainKeysDirective(original: Obj, patch: Obj, opts: MergeOptions): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retain = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!opts.mergeParallelList) {
    // Merging two patches: both must agree on the directive, which is carried over.
    if (Object.hasOwn(original, RETAIN_KEYS_DIRECTIVE)) {
      if (!deepEqual(original[RETAIN_KEYS_DIRECTIVE], retain)) {
        throw bad(
          `${goValue(original[RETAIN_KEYS_DIRECTIVE])} and ${goValue(retain)} are not deep equal: this may happen when calculating the 3-way diff patch`,
        );
      }
    } else original[RETAIN_KEYS_DIRECTIVE] = retain;
    return;
  }
  if (!Array.isArray(retain)) throw bad(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  const keep = new Set(retain.filter((v) => typeof v === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (
      v === null ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      k.startsWith(SET_ELEMENT_ORDER_PREFIX)
    )
      continue;
    if (!keep.has(k)) throw bad(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Checks that the patch list's items appear in $setElementOrder, in the same relative order. */
function validatePatchWithSetOrderList(patchList: unknown[], setOrder: unknown[], mergeKey: string): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey !== '' ? extractToDeleteItems(patchList).keep : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrder.length) {
    if (containsDirectiveMarker(nonDelete[p])) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[p], setOrder[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrder.length) {
    throw bad(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goValue(setOrder)}\n`,
    );
  }
}

/** Processes every $setElementOrder/<field> with its list: merge the list, then put it in order. */
function mergePatchIntoOriginal(
  original: Obj,
  patch: Obj,
  schema: Schema | undefined,
  opts: MergeOptions,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setOrderValue = patch[key];
    if (!opts.mergeParallelList) {
      if (Object.hasOwn(original, key)) {
        if (!deepEqual(original[key], setOrderValue))
          throw bad(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST);
      } else original[key] = setOrderValue;
    }
    delete patch[key];
    if (!Array.isArray(setOrderValue)) throw bad(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST);
    const setOrder = setOrderValue;
    const field = extractKey(key, SET_ELEMENT_ORDER_PREFIX);
    const foundOriginal = Object.hasOwn(original, field);
    const foundPatch = Object.hasOwn(patch, field);
    const originalList = foundOriginal ? asList(original[field]) : [];
    const patchList = foundPatch ? asList(patch[field]) : [];
    const { schema: sub, meta } = lookupForSlice(schema, field);
    const { strategy } = extractRetainKeysPatchStrategy(meta.strategies);
    validatePatchWithSetOrderList(patchList, setOrder, meta.mergeKey);

    let merged: unknown[];
    const edits = new EditedOrder(originalList);
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchList).value as unknown[];
    else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(originalList, patchList, sub, strategy, meta.mergeKey, false, opts, edits);
    } else continue;

    const all = [...originalList, ...patchList];
    if (all.length === 0 && merged.length === 0) {
      original[field] = merged;
      delete patch[field];
      continue;
    }
    const { inPatch, serverOnly } =
      meta.mergeKey === ''
        ? partitionPrimitives(merged, setOrder)
        : partitionMaps(merged, setOrder, meta.mergeKey);
    const kind = sliceElementKind(all.length > 0 ? all : merged);
    original[field] = normalizeElementOrder(inPatch, serverOnly, setOrder, edits.view(), meta.mergeKey, kind);
    delete patch[field];
  }
}

function mergeMap(
  original: Obj | undefined,
  patch: Obj,
  schema: Schema | undefined,
  opts: MergeOptions,
): Obj {
  const orig: Obj = original ?? {};
  if (Object.hasOwn(patch, DIRECTIVE_MARKER)) return handleDirectiveInMergeMap(orig, patch, schema, opts);

  applyRetainKeysDirective(orig, patch, opts);
  mergePatchIntoOriginal(orig, patch, schema, opts);

  for (const [patchKey, patchV] of Object.entries(patch)) {
    let k = patchKey;
    let isDeleteList = false;
    if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      if (!opts.mergeParallelList) {
        // Merging two patches: the deletion list is carried over for the server to apply.
        orig[k] = patchV;
        continue;
      }
      k = extractKey(k, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      isDeleteList = true;
    }

    if (patchV === null) {
      delete orig[k];
      if (opts.ignoreUnmatchedNulls) continue;
    }

    if (!Object.hasOwn(orig, k) || jsonKind(orig[k]) !== jsonKind(patchV)) {
      // Nothing to merge with: the patch value is taken as it stands.
      if (!isDeleteList) {
        if (opts.ignoreUnmatchedNulls) discardNulls(patchV);
        const r = removeDirectives(patchV);
        if (r.keep) setOwn(orig, k, r.value);
        else delete orig[k];
      }
      continue;
    }

    const kind = jsonKind(orig[k]);
    if (kind === 'object') {
      const { schema: sub, meta } = lookupForStruct(schema, k);
      const { strategy } = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] = strategy === REPLACE ? patchV : mergeMap(asMap(orig[k]), asMap(patchV), sub, opts);
    } else if (kind === 'array') {
      const { schema: sub, meta } = lookupForSlice(schema, k);
      const { strategy } = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] = mergeSliceHandler(
        asList(orig[k]),
        asList(patchV),
        sub,
        strategy,
        meta.mergeKey,
        isDeleteList,
        opts,
      );
    } else {
      orig[k] = patchV;
    }
  }
  return orig;
}

function mergeSliceHandler(
  original: unknown[],
  patch: unknown[],
  schema: Schema | undefined,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
  opts: MergeOptions,
  edits?: EditedOrder,
): unknown[] {
  // Deletion lists apply to scalar lists whatever the field's strategy.
  if (strategy === MERGE || isDeleteList)
    return mergeSlice(original, patch, schema, mergeKey, opts, isDeleteList, edits);
  return patch;
}

/** `$patch` items of a list of maps: delete by merge key, replace the whole list, or merge (the default). */
function mergeSliceWithSpecialElements(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  edits?: EditedOrder,
): { original: unknown[]; patch: unknown[] } {
  const plain: unknown[] = [];
  let replace = false;
  const orig = [...original];
  for (const v of patch) {
    const m = v as Obj;
    if (!Object.hasOwn(m, DIRECTIVE_MARKER)) {
      plain.push(v);
      continue;
    }
    const directive = m[DIRECTIVE_MARKER];
    if (directive === DELETE) {
      if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      // Every item with that merge key value goes.
      for (;;) {
        const found = findMapByKey(orig, mergeKey, m[mergeKey]);
        if (!found) break;
        orig.splice(found.index, 1);
        edits?.deleted(found.index);
      }
    } else if (directive === REPLACE) {
      replace = true;
    } else if (directive === MERGE) {
      // An item marked merge merges like any other; a bare {$patch: merge} just restates the default.
      if (Object.hasOwn(m, mergeKey)) {
        const { [DIRECTIVE_MARKER]: _, ...item } = m;
        plain.push(item);
      }
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  return replace ? { original: plain, patch: [] } : { original: orig, patch: plain };
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  schema: Schema | undefined,
  mergeKey: string,
  opts: MergeOptions,
  isDeleteList: boolean,
  edits?: EditedOrder,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: unknown[];
  let orig = original;
  let items = patch;
  if (kind !== 'object') {
    if (opts.mergeParallelList && isDeleteList) {
      const indexOf = indexer(patch, '', kind);
      return original.filter((v) => indexOf(v) < 0);
    }
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (mergeKey === '') throw bad(`cannot merge lists without merge key for ${schemaName(schema)}`);
    ({ original: orig, patch: items } = mergeSliceWithSpecialElements(original, patch, mergeKey, edits));
    merged = [...orig];
    for (const v of items) {
      const m = v as Obj;
      if (!Object.hasOwn(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      const found = findMapByKey(merged, mergeKey, m[mergeKey]);
      if (found) merged[found.index] = mergeMap(found.map, m, schema, opts);
      else {
        if (opts.ignoreUnmatchedNulls) discardNulls(m);
        merged.push(m);
        edits?.appended(m);
      }
    }
  }
  const { inPatch, serverOnly } =
    mergeKey === '' ? partitionPrimitives(merged, items) : partitionMaps(merged, items, mergeKey);
  return normalizeElementOrder(inPatch, serverOnly, items, orig, mergeKey, kind);
}

/**
 * Applies a strategic merge patch to an object, driven by the object's schema, and returns the
 * result; neither input is modified. A malformed patch is an ApiError 400 naming the problem
 * (422 for a list of lists, as Kubernetes answers).
 */
export function applyStrategicMergePatch<T = JsonObject>(
  original: unknown,
  patch: unknown,
  schema: Schema | undefined,
): T {
  if (!isPlainObject(patch)) throw bad(`${ERR_BAD_JSON_DOC}: a strategic merge patch must be a JSON object`);
  if (original !== undefined && original !== null && !isPlainObject(original)) throw bad(ERR_BAD_JSON_DOC);
  const result = mergeMap(deepClone((original ?? {}) as Obj), deepClone(patch), schema, {
    mergeParallelList: true,
    ignoreUnmatchedNulls: true,
  });
  stripDirectiveKeys(result);
  return result as T;
}

/**
 * Combines strategic merge patches into one, later ones winning where they touch the same
 * field; applying the result equals applying each in turn.
 */
export function mergeStrategicMergePatches(schema: Schema | undefined, ...patches: unknown[]): JsonObject {
  let merged: Obj = {};
  for (const p of patches) {
    if (!isPlainObject(p)) throw bad(`${ERR_BAD_JSON_DOC}: a strategic merge patch must be a JSON object`);
    merged = mergeMap(merged, deepClone(p), schema, {
      mergeParallelList: false,
      ignoreUnmatchedNulls: false,
    });
  }
  return merged as JsonObject;
}

// --- creating patches ------------------------------------------------------------------------

interface DiffOptions {
  /** Emit $setElementOrder lists for merged lists. */
  setElementOrder?: boolean;
  /** Leave out additions and changes (only deletions). */
  ignoreChangesAndAdditions?: boolean;
  /** Leave out deletions (only additions and changes). */
  ignoreDeletions?: boolean;
  /** Emit $retainKeys for this map (its field has the retainKeys strategy). */
  buildRetainKeysDirective?: boolean;
}

function diffMaps(original: Obj, modified: Obj, schema: Schema | undefined, opts: DiffOptions): Obj {
  const patch: Obj = {};
  const retainKeys: string[] = [];
  for (const [key, modifiedValue] of Object.entries(modified)) {
    if (opts.buildRetainKeysDirective && modifiedValue !== null) retainKeys.push(key);
    if (!Object.hasOwn(original, key)) {
      if (!opts.ignoreChangesAndAdditions) setOwn(patch, key, modifiedValue);
      continue;
    }
    const originalValue = original[key];
    if (key === DIRECTIVE_MARKER) {
      if (typeof originalValue !== 'string' || typeof modifiedValue !== 'string') {
        throw bad(`invalid value for special key: ${DIRECTIVE_MARKER}`);
      }
      if (originalValue !== modifiedValue) patch[key] = modifiedValue;
      continue;
    }
    if (jsonKind(originalValue) !== jsonKind(modifiedValue)) {
      if (!opts.ignoreChangesAndAdditions) setOwn(patch, key, modifiedValue);
      continue;
    }
    if (isPlainObject(originalValue))
      handleMapDiff(key, originalValue, modifiedValue as Obj, patch, schema, opts);
    else if (Array.isArray(originalValue))
      handleSliceDiff(key, originalValue, modifiedValue as unknown[], patch, schema, opts);
    else if (!opts.ignoreChangesAndAdditions && !deepEqual(originalValue, modifiedValue))
      setOwn(patch, key, modifiedValue);
  }
  if (!opts.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) setOwn(patch, key, null);
  }
  if (retainKeys.length > 0 && (Object.keys(patch).length > 0 || hasAdditionalNewField(original, modified))) {
    patch[RETAIN_KEYS_DIRECTIVE] = sortScalars(retainKeys);
  }
  return patch;
}

function hasAdditionalNewField(original: Obj, modified: Obj): boolean {
  return Object.entries(original).some(([k, v]) => v !== null && !Object.hasOwn(modified, k));
}

function handleMapDiff(
  key: string,
  original: Obj,
  modified: Obj,
  patch: Obj,
  schema: Schema | undefined,
  opts: DiffOptions,
): void {
  const { schema: sub, meta } = lookupForStruct(schema, key);
  const { retainKeys, strategy } = extractRetainKeysPatchStrategy(meta.strategies);
  if (strategy === REPLACE) {
    if (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified)) setOwn(patch, key, modified);
    return;
  }
  const value = diffMaps(original, modified, sub, { ...opts, buildRetainKeysDirective: retainKeys });
  if (Object.keys(value).length > 0) setOwn(patch, key, value);
}

function handleSliceDiff(
  key: string,
  original: unknown[],
  modified: unknown[],
  patch: Obj,
  schema: Schema | undefined,
  opts: DiffOptions,
): void {
  const { schema: sub, meta } = lookupForSlice(schema, key);
  const { retainKeys, strategy } = extractRetainKeysPatchStrategy(meta.strategies);
  if (strategy !== MERGE) {
    if (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified)) setOwn(patch, key, modified);
    return;
  }
  const { add, del, order } = diffLists(original, modified, sub, meta.mergeKey, {
    ...opts,
    buildRetainKeysDirective: retainKeys,
  });
  if (add.length > 0) setOwn(patch, key, add);
  if (del.length > 0) patch[`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/${key}`] = del;
  if (order.length > 0) patch[`${SET_ELEMENT_ORDER_PREFIX}/${key}`] = order;
}

function mapAndMergeKey(list: unknown[], i: number, mergeKey: string): { map: Obj; value: unknown } {
  const map = asMap(list[i]);
  if (!Object.hasOwn(map, mergeKey)) throw errNoMergeKey(map, mergeKey);
  return { map, value: map[mergeKey] };
}

function diffListsOfMaps(
  original: unknown[],
  modified: unknown[],
  schema: Schema | undefined,
  mergeKey: string,
  opts: DiffOptions,
): { patch: unknown[]; deletions: unknown[] } {
  const patch: unknown[] = [];
  const deletions: unknown[] = [];
  validateMergeKeyInLists(mergeKey, original, modified);
  const o = sortMapsByField(original as Obj[], mergeKey);
  const m = sortMapsByField(modified as Obj[], mergeKey);
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const orig = i < o.length ? mapAndMergeKey(o, i, mergeKey) : undefined;
    const mod = j < m.length ? mapAndMergeKey(m, j, mergeKey) : undefined;
    const cmp =
      orig && mod ? compareStrings(scalarString(orig.value), scalarString(mod.value)) : orig ? -1 : 1;
    if (orig && mod && cmp === 0) {
      const value = diffMaps(orig.map, mod.map, schema, opts);
      if (Object.keys(value).length > 0) patch.push({ [mergeKey]: mod.value, ...value });
      i++;
      j++;
    } else if (mod && cmp > 0) {
      if (!opts.ignoreChangesAndAdditions) patch.push(mod.map);
      j++;
    } else if (orig) {
      if (!opts.ignoreDeletions) deletions.push({ [mergeKey]: orig.value, [DIRECTIVE_MARKER]: DELETE });
      i++;
    }
  }
  return { patch, deletions };
}

function diffListsOfScalars(
  original: unknown[],
  modified: unknown[],
  opts: DiffOptions,
): { add: unknown[]; del: unknown[] } {
  const o = sortScalars(original);
  const m = sortScalars(modified);
  const add: unknown[] = [];
  const del: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const cmp =
      i < o.length && j < m.length
        ? compareStrings(scalarString(o[i]), scalarString(m[j]))
        : i < o.length
          ? -1
          : 1;
    if (cmp === 0) {
      i++;
      j++;
    } else if (cmp < 0) {
      if (!opts.ignoreDeletions) del.push(o[i]);
      i++;
    } else {
      if (!opts.ignoreChangesAndAdditions) add.push(m[j]);
      j++;
    }
  }
  return { add, del: dedupeScalars(del) };
}

function isOrderSame(original: unknown[], modified: unknown[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  return modified.every((v, i) => mergeKeyValueEqual(original[i], v, mergeKey));
}

/** The patch list, the deletion list ($deleteFromPrimitiveList) and the order list ($setElementOrder) of a merged list. */
function diffLists(
  original: unknown[],
  modified: unknown[],
  schema: Schema | undefined,
  mergeKey: string,
  opts: DiffOptions,
): { add: unknown[]; del: unknown[]; order: unknown[] } {
  if (original.length === 0) {
    if (modified.length === 0 || opts.ignoreChangesAndAdditions) return { add: [], del: [], order: [] };
    return { add: modified, del: [], order: [] };
  }
  const kind = sliceElementKind(original, modified);
  if (kind === 'object') {
    const { patch, deletions } = diffListsOfMaps(original, modified, schema, mergeKey, opts);
    const ordered = normalizeSliceOrder(patch, modified, mergeKey, kind);
    const orderSame = isOrderSame(original, modified, mergeKey);
    const add = [...ordered, ...deletions];
    let order: unknown[] = [];
    if (
      opts.setElementOrder &&
      ((!opts.ignoreChangesAndAdditions && (add.length > 0 || !orderSame)) ||
        (!opts.ignoreDeletions && add.length > 0))
    ) {
      order = modified.map((v) => ({ [mergeKey]: (v as Obj)[mergeKey] }));
    }
    return { add, del: [], order };
  }
  const { add, del } = diffListsOfScalars(original, modified, opts);
  const ordered = normalizeSliceOrder(add, modified, mergeKey, kind);
  let order: unknown[] = [];
  if (
    opts.setElementOrder &&
    ((!opts.ignoreDeletions && del.length > 0) ||
      (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified)))
  ) {
    order = modified;
  }
  return { add: ordered, del, order };
}

function asPatchInput(v: unknown, what: string): Obj {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) throw bad(`${ERR_BAD_JSON_DOC}: the ${what} object must be a JSON object`);
  return deepClone(v);
}

/**
 * The strategic merge patch that turns `original` into `modified` (what `kubectl edit` and
 * `kubectl patch`-like tools compute): `{}` when they are equal.
 */
export function createTwoWayMergePatch(
  original: unknown,
  modified: unknown,
  schema: Schema | undefined,
  opts: { preconditions?: PreconditionFunc[] } = {},
): JsonObject {
  const patch = diffMaps(asPatchInput(original, 'original'), asPatchInput(modified, 'modified'), schema, {
    setElementOrder: true,
  }) as JsonObject;
  checkPreconditions(patch, opts.preconditions);
  return patch;
}

/**
 * The three-way patch of client-side `kubectl apply`: what changed from `current` (the live
 * object) to `modified` (the new configuration), without deleting what others added, plus the
 * deletions from `original` (the last applied configuration) to `modified`. With
 * `overwrite: false`, a patch that would undo someone else's change to the same fields is
 * refused with PatchConflictError (409).
 */
export function createThreeWayMergePatch(
  original: unknown,
  modified: unknown,
  current: unknown,
  schema: Schema | undefined,
  opts: { overwrite?: boolean; preconditions?: PreconditionFunc[] } = {},
): JsonObject {
  const o = asPatchInput(original, 'original');
  const m = asPatchInput(modified, 'modified');
  const c = asPatchInput(current, 'current');
  const delta = diffMaps(c, m, schema, { ignoreDeletions: true, setElementOrder: true });
  const deletions = diffMaps(o, m, schema, { ignoreChangesAndAdditions: true, setElementOrder: true });
  const patch = mergeMap(deletions, delta, schema, {
    mergeParallelList: false,
    ignoreUnmatchedNulls: false,
  }) as JsonObject;
  checkPreconditions(patch, opts.preconditions);
  if (opts.overwrite === false) {
    const changed = diffMaps(o, c, schema, {});
    if (mergingMapsHaveConflicts(patch, changed, schema)) throw new PatchConflictError(patch, changed);
  }
  return patch;
}

// --- conflicts between two patches -----------------------------------------------------------

/** Whether two strategic merge patches set the same field to different values. */
export function mergingMapsHaveConflicts(left: unknown, right: unknown, schema: Schema | undefined): boolean {
  return fieldsHaveConflicts(left, right, schema, '', '');
}

function fieldsHaveConflicts(
  left: unknown,
  right: unknown,
  schema: Schema | undefined,
  strategy: string,
  mergeKey: string,
): boolean {
  if (isPlainObject(left)) {
    if (!isPlainObject(right)) return true;
    const l = Object.hasOwn(left, DIRECTIVE_MARKER);
    const r = Object.hasOwn(right, DIRECTIVE_MARKER);
    // A directive acts on the whole map: one side with it and one without, or two different ones, conflict.
    if ((l || r) && (l !== r || left[DIRECTIVE_MARKER] !== right[DIRECTIVE_MARKER])) return true;
    if (strategy === REPLACE) return false;
    return mapsHaveConflicts(left, right, schema);
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right)) return true;
    return slicesHaveConflicts(left, right, schema, strategy, mergeKey);
  }
  return !deepEqual(left, right);
}

function mapsHaveConflicts(left: Obj, right: Obj, schema: Schema | undefined): boolean {
  for (const [key, lv] of Object.entries(left)) {
    if (key === DIRECTIVE_MARKER || key === RETAIN_KEYS_DIRECTIVE || !Object.hasOwn(right, key)) continue;
    let sub: Schema | undefined;
    let strategy = '';
    let mergeKey = '';
    if (Array.isArray(lv) || isPlainObject(lv)) {
      const found = Array.isArray(lv) ? lookupForSlice(schema, key) : lookupForStruct(schema, key);
      sub = found.schema;
      strategy = extractRetainKeysPatchStrategy(found.meta.strategies).strategy;
      mergeKey = found.meta.mergeKey;
    }
    if (fieldsHaveConflicts(lv, right[key], sub, strategy, mergeKey)) return true;
  }
  return false;
}

function slicesHaveConflicts(
  left: unknown[],
  right: unknown[],
  schema: Schema | undefined,
  strategy: string,
  mergeKey: string,
): boolean {
  if (left.length === 0 && right.length === 0) return false;
  const kind = sliceElementKind(left, right);
  if (strategy === MERGE) {
    // Merged scalar lists never conflict; merged lists of maps conflict item by item.
    if (kind !== 'object') return false;
    const l = byMergeKey(left, mergeKey);
    const r = byMergeKey(right, mergeKey);
    for (const [k, lv] of l) {
      if (r.has(k) && fieldsHaveConflicts(lv, r.get(k), schema, '', '')) return true;
    }
    return false;
  }
  if (left.length !== right.length) return true;
  const l = kind === 'object' ? left : sortScalars(dedupeScalars(left));
  const r = kind === 'object' ? right : sortScalars(dedupeScalars(right));
  if (l.length !== r.length) return true;
  return l.some((v, i) => fieldsHaveConflicts(v, r[i], schema, '', ''));
}

function byMergeKey(list: unknown[], mergeKey: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const v of list) {
    if (!isPlainObject(v)) throw bad(`invalid element type in merging list:${goValue(list)}`);
    if (!Object.hasOwn(v, mergeKey)) {
      throw bad(`cannot find merge key \`${mergeKey}\` in merging list element:${goValue(v)}`);
    }
    out.set(scalarString(v[mergeKey]), v);
  }
  return out;
}
