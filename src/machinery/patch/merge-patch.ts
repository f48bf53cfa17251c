// JSON merge patch (RFC 7386, `application/merge-patch+json`): applying one, creating one from two
// versions of an object (what `kubectl edit` sends), and the three-way form `kubectl apply` uses
// for kinds without strategic merge support (custom resources).
//
// Written here rather than with the json-merge-patch package: that package stops applying a patch
// at a key named "constructor" or "prototype" (dropping the keys after it) and throws on a key
// named "hasOwnProperty" — all legal label and annotation keys.

import { deepClone, deepEqual, isPlainObject } from '../json.js';
import type { JsonObject } from '../object.js';
import { ApiError, errors } from '../status.js';

type Obj = Record<string, unknown>;

/** Sets an own property, also for the key "__proto__" (which plain assignment would not create). */
export function setOwn(obj: Obj, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Copies a patch value into the result, dropping null members (a merge patch cannot set null). */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return deepClone(value);
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setOwn(out, k, withoutNulls(v));
  return out;
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return deepClone(patch);
  const out: Obj = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v)) setOwn(out, k, Object.hasOwn(out, k) ? merge(out[k], v) : withoutNulls(v));
    else setOwn(out, k, deepClone(v));
  }
  return out;
}

/**
 * RFC 7386: members of an object patch replace (or with null, remove) the target's members,
 * recursively; any other patch value replaces the target. Neither input is modified.
 */
export function applyMergePatch<T = unknown>(target: unknown, patch: unknown): T {
  // Structured copies keep untouched subtrees from being shared with the input.
  return deepClone(merge(target, patch)) as T;
}

/**
 * The patch body the API server accepts for a merge patch on an object: a JSON object.
 * Anything else is a 400, as Kubernetes answers for a null or scalar patch.
 */
export function decodeMergePatch(patch: unknown): JsonObject {
  if (!isPlainObject(patch)) {
    const kind = patch === null ? 'null' : Array.isArray(patch) ? 'an array' : `a ${typeof patch}`;
    throw errors.badRequest(`Invalid JSON Patch: a merge patch must be a JSON object, got ${kind}`);
  }
  return patch as JsonObject;
}

function diff(original: unknown, modified: unknown): unknown {
  // Returns undefined when there is nothing to change.
  if (isPlainObject(original) && isPlainObject(modified)) {
    const patch: Obj = {};
    for (const [k, v] of Object.entries(modified)) {
      if (v === undefined) continue;
      if (!Object.hasOwn(original, k) || original[k] === undefined) {
        setOwn(patch, k, deepClone(v));
        continue;
      }
      const d = diff(original[k], v);
      if (d !== undefined) setOwn(patch, k, d);
    }
    for (const k of Object.keys(original)) {
      if (original[k] !== undefined && (!Object.hasOwn(modified, k) || modified[k] === undefined))
        setOwn(patch, k, null);
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  return deepEqual(original, modified) ? undefined : deepClone(modified);
}

/**
 * The merge patch that turns `original` into `modified`: changed and added members, null for
 * removed ones, lists replaced whole. `{}` when they are equal. (A merge patch cannot express
 * setting a member to null; such a member in `modified` comes out as a removal.)
 */
export function createMergePatch(original: unknown, modified: unknown): JsonObject {
  if (!isPlainObject(original) || !isPlainObject(modified)) {
    throw errors.badRequest('a merge patch can only be created between two JSON objects');
  }
  return (diff(original, modified) ?? {}) as JsonObject;
}

/** A check on a generated patch; false refuses it (see requireKeyUnchanged). */
export type PreconditionFunc = (patch: JsonObject) => boolean;

/** Refuses a patch that changes a top-level key (kubectl apply: apiVersion, kind). */
export function requireKeyUnchanged(key: string): PreconditionFunc {
  return (patch) => !Object.hasOwn(patch, key);
}

/** Refuses a patch that changes a metadata key (kubectl apply: metadata.name). */
export function requireMetadataKeyUnchanged(key: string): PreconditionFunc {
  return (patch) => {
    const meta = patch.metadata;
    return !isPlainObject(meta) || !Object.hasOwn(meta, key);
  };
}

/** The preconditions kubectl apply passes: identity must not change through a patch. */
export const KUBECTL_APPLY_PRECONDITIONS: PreconditionFunc[] = [
  requireKeyUnchanged('apiVersion'),
  requireKeyUnchanged('kind'),
  requireMetadataKeyUnchanged('name'),
];

/** A generated patch failed a precondition (kubectl reports "At least one of apiVersion, kind and name was changed"). */
export class PreconditionFailedError extends ApiError {
  readonly patch: JsonObject;

  constructor(patch: JsonObject) {
    super(400, 'BadRequest', `precondition failed for: ${JSON.stringify(patch)}`);
    this.name = 'PreconditionFailedError';
    this.patch = patch;
  }
}

/** The live object was changed in a way the patch would silently undo. */
export class PatchConflictError extends ApiError {
  constructor(patch: unknown, changes: unknown) {
    super(
      409,
      'Conflict',
      `patch:\n${JSON.stringify(patch, null, 2)}\nconflicts with changes made from original to current:\n${JSON.stringify(changes, null, 2)}\n`,
    );
    this.name = 'PatchConflictError';
  }
}

export function checkPreconditions(patch: JsonObject, preconditions: PreconditionFunc[] = []): void {
  for (const ok of preconditions) if (!ok(patch)) throw new PreconditionFailedError(patch);
}

// Keeps only the removals (nulls) of a patch, or only its additions and changes.
function filterNulls(m: Obj, keepNull: boolean): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null) {
      if (keepNull) setOwn(out, k, null);
    } else if (isPlainObject(v)) {
      // An explicitly empty object is a value, not an empty patch.
      if (Object.keys(v).length === 0) {
        if (!keepNull) setOwn(out, k, v);
        continue;
      }
      const sub = filterNulls(v, keepNull);
      if (Object.keys(sub).length > 0) setOwn(out, k, sub);
    } else if (!keepNull) setOwn(out, k, v);
  }
  return out;
}

/** Whether two patches touch the same key with different values (lists compared whole). */
export function patchesConflict(left: unknown, right: unknown): boolean {
  if (isPlainObject(left)) {
    if (!isPlainObject(right)) return true;
    for (const [k, v] of Object.entries(left)) {
      if (Object.hasOwn(right, k) && patchesConflict(v, right[k])) return true;
    }
    return false;
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length) return true;
    return left.some((v, i) => patchesConflict(v, right[i]));
  }
  return !deepEqual(left, right);
}

/**
 * The three-way merge patch of client-side apply for kinds without strategic merge support:
 * additions and changes from `current` (the live object) to `modified` (the new configuration),
 * plus removals of what `original` (the last applied configuration) had and `modified` dropped.
 * Fields set by others and never applied by this user are left alone.
 */
export function createThreeWayMergePatch(
  original: unknown,
  modified: unknown,
  current: unknown,
  opts: { preconditions?: PreconditionFunc[] } = {},
): JsonObject {
  const asObject = (v: unknown) => (v === undefined || v === null ? {} : v);
  const addAndChange = filterNulls(createMergePatch(asObject(current), asObject(modified)), false);
  const deletions = filterNulls(createMergePatch(asObject(original), asObject(modified)), true);
  if (patchesConflict(addAndChange, deletions)) throw new PatchConflictError(addAndChange, deletions);
  const patch = merge(deletions, addAndChange) as JsonObject;
  checkPreconditions(patch, opts.preconditions);
  return patch;
}
