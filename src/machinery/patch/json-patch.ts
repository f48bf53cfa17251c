// JSON patch (RFC 6902, `application/json-patch+json`), applied the way the Kubernetes API
// server does: on a copy, operation by operation. A body that is not a list of operation objects
// is a 400; more than 10,000 operations a 413; an operation that cannot apply (missing path,
// failed test, unknown op) a 422 Invalid, as Kubernetes answers. Kubernetes replaces that 422's
// text with a generic sentence; ours keeps the reason (e.g. which path was missing).

import jsonPatch from 'fast-json-patch';
import { deepClone, deepEqual, isPlainObject } from '../json.js';
import { ApiError, errors } from '../status.js';

/** The largest patch Kubernetes accepts. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
export type JsonPatchOp = (typeof JSON_PATCH_OPS)[number];

export interface JsonPatchOperation {
  op: JsonPatchOp;
  path: string;
  value?: unknown;
  from?: string;
}

/** The 422 Kubernetes gives for a patch that does not apply to the object. */
export function jsonPatchNotApplicable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

/**
 * Checks the shape of a patch document: a JSON array of objects, at most 10,000 of them.
 * The operations themselves are checked as they are applied (as Kubernetes does).
 */
export function decodeJsonPatch(patch: unknown): Record<string, unknown>[] {
  if (!Array.isArray(patch)) {
    throw errors.badRequest(
      `json: cannot unmarshal ${patch === null ? 'null' : typeof patch === 'object' ? 'object' : typeof patch} into Go value of type jsonpatch.Patch: a JSON patch must be a list of operations`,
    );
  }
  patch.forEach((op, i) => {
    if (!isPlainObject(op) && op !== null) {
      throw errors.badRequest(
        `json: cannot unmarshal ${Array.isArray(op) ? 'array' : typeof op} into Go value of type jsonpatch.Operation: operation ${i} is not an object`,
      );
    }
  });
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.requestEntityTooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  return patch as Record<string, unknown>[];
}

/** Parses the text of a patch body: malformed JSON is a 400. */
export function parseJsonPatch(text: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`invalid JSON patch: ${(e as Error).message}`);
  }
  return decodeJsonPatch(parsed);
}

const MISSING = ': missing value';

function pointerTokens(pointer: string, what: string, op: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw jsonPatchNotApplicable(
      `${op} operation has an invalid ${what}: "${pointer}" must be empty or start with '/'`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map((t) => jsonPatch.unescapePathComponent(t));
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * The value at a pointer, looking only at own properties (so "constructor" is an ordinary key)
 * and at valid array indices. `found` is false when any step is missing.
 */
function lookup(doc: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(t) || Number(t) >= cur.length) return { found: false };
      cur = cur[Number(t)];
    } else if (isPlainObject(cur)) {
      if (!Object.hasOwn(cur, t)) return { found: false };
      cur = cur[t];
    } else return { found: false };
  }
  return { found: true, value: cur };
}

/** Whether a value may be added at the pointer: its parent exists and can hold it there. */
function canAdd(doc: unknown, tokens: string[]): boolean {
  if (tokens.length === 0) return true;
  const parent = lookup(doc, tokens.slice(0, -1));
  if (!parent.found) return false;
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent.value))
    return last === '-' || (ARRAY_INDEX.test(last) && Number(last) <= parent.value.length);
  return isPlainObject(parent.value);
}

function fieldOf(op: Record<string, unknown>, field: 'path' | 'from', kind: string): string {
  const v = op[field];
  if (typeof v !== 'string')
    throw jsonPatchNotApplicable(`${kind} operation missing ${field} field${MISSING}`);
  return v;
}

function operationValue(op: Record<string, unknown>, kind: string): unknown {
  if (!Object.hasOwn(op, 'value'))
    throw jsonPatchNotApplicable(`${kind} operation missing value field${MISSING}`);
  return op.value;
}

/** Runs one checked operation through fast-json-patch, which does the actual mutation. */
function run(doc: unknown, op: jsonPatch.Operation, index: number): unknown {
  try {
    return jsonPatch.applyOperation(doc, op, false, true, true, index).newDocument;
  } catch (e) {
    if (e instanceof jsonPatch.JsonPatchError && e.name === 'TEST_OPERATION_FAILED') {
      throw jsonPatchNotApplicable(`testing value ${op.path} failed: test failed`);
    }
    if (e instanceof TypeError) {
      // fast-json-patch refuses to write through __proto__ (a prototype-pollution guard).
      throw jsonPatchNotApplicable(
        `${op.op} operation does not apply: path "${op.path}" uses a reserved key`,
      );
    }
    throw e;
  }
}

function applyOne(doc: unknown, raw: Record<string, unknown> | null, index: number): unknown {
  const kind = raw === null ? 'unknown' : typeof raw.op === 'string' ? raw.op : 'unknown';
  if (raw === null || !(JSON_PATCH_OPS as readonly string[]).includes(kind)) {
    throw jsonPatchNotApplicable(`Unexpected kind: ${kind}`);
  }
  const path = fieldOf(raw, 'path', kind);
  const tokens = pointerTokens(path, 'path', kind);
  switch (kind as JsonPatchOp) {
    case 'add': {
      const value = deepClone(operationValue(raw, kind));
      if (!canAdd(doc, tokens)) {
        throw jsonPatchNotApplicable(
          `add operation does not apply: doc is missing path: "${path}"${MISSING}`,
        );
      }
      return run(doc, { op: 'add', path, value }, index);
    }
    case 'remove': {
      if (tokens.length === 0)
        throw jsonPatchNotApplicable('remove operation does not apply: cannot remove the whole document');
      if (!lookup(doc, tokens).found) {
        throw jsonPatchNotApplicable(
          `remove operation does not apply: doc is missing path: "${path}"${MISSING}`,
        );
      }
      return run(doc, { op: 'remove', path }, index);
    }
    case 'replace': {
      const value = deepClone(operationValue(raw, kind));
      if (!lookup(doc, tokens).found) {
        throw jsonPatchNotApplicable(
          `replace operation does not apply: doc is missing key: ${path}${MISSING}`,
        );
      }
      return run(doc, { op: 'replace', path, value }, index);
    }
    case 'test': {
      const value = operationValue(raw, kind);
      const target = lookup(doc, tokens);
      if (!target.found || !deepEqual(target.value, value)) {
        throw jsonPatchNotApplicable(`testing value ${path} failed: test failed`);
      }
      return doc;
    }
    case 'move':
    case 'copy': {
      const from = fieldOf(raw, 'from', kind);
      const fromTokens = pointerTokens(from, 'from', kind);
      const source = lookup(doc, fromTokens);
      if (!source.found) {
        throw jsonPatchNotApplicable(
          `${kind} operation does not apply: doc is missing from path: ${from}${MISSING}`,
        );
      }
      if (kind === 'move') {
        if (from === path) return doc;
        if (path.startsWith(`${from}/`)) {
          throw jsonPatchNotApplicable(
            `move operation does not apply: cannot move ${from} into its own child ${path}`,
          );
        }
        const without = fromTokens.length === 0 ? doc : run(doc, { op: 'remove', path: from }, index);
        if (!canAdd(without, tokens)) {
          throw jsonPatchNotApplicable(
            `move operation does not apply: doc is missing destination path: ${path}${MISSING}`,
          );
        }
        return run(without, { op: 'add', path, value: source.value }, index);
      }
      if (!canAdd(doc, tokens)) {
        throw jsonPatchNotApplicable(
          `copy operation does not apply: doc is missing destination path: ${path}${MISSING}`,
        );
      }
      return run(doc, { op: 'add', path, value: deepClone(source.value) }, index);
    }
  }
}

/**
 * Applies a JSON patch to a document and returns the result. The document and the patch are
 * never modified. Throws ApiError: 400 for a malformed patch, 413 for too many operations,
 * 422 for an operation that does not apply.
 */
export function applyJsonPatch<T = unknown>(document: T, patch: unknown): T {
  const ops = decodeJsonPatch(patch);
  let doc: unknown = deepClone(document);
  ops.forEach((op, i) => {
    doc = applyOne(doc, op as Record<string, unknown> | null, i);
  });
  return doc as T;
}
