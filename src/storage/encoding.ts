// How every backend turns keys, values and continue tokens into bytes, so that all three agree
// on what fits, what a prefix covers and what a token means.

import type { JsonObject } from '../machinery/object.js';
import {
  InvalidContinueError,
  type KeyValue,
  MAX_VALUE_BYTES,
  StoreError,
  ValueTooLargeError,
} from './store.js';

/** Refuses keys no backend can hold; NUL is reserved because continue tokens append it. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StoreError('key must be a non-empty string');
  }
  if (key.includes('\0')) {
    throw new StoreError(`key must not contain a NUL character: ${JSON.stringify(key)}`);
  }
}

/**
 * Serializes a value for storage. The store keeps only this text, so later changes to the
 * caller's object never reach it. Throws ValueTooLargeError over the limit.
 */
export function encodeValue(key: string, value: JsonObject): string {
  checkKey(key);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StoreError(`value for ${key} must be a JSON object`);
  }
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreError(`value for ${key} is not serializable as JSON: ${(err as Error).message}`);
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short texts need no exact count.
  if (json.length * 3 > MAX_VALUE_BYTES) {
    const size = Buffer.byteLength(json, 'utf8');
    if (size > MAX_VALUE_BYTES) throw new ValueTooLargeError(key, size);
  }
  return json;
}

/**
 * The first string after every string that starts with prefix (etcd's range_end for a prefix),
 * or undefined when no such bound exists (empty prefix: everything).
 */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix;
  while (end.length > 0 && end.charCodeAt(end.length - 1) === 0xffff) end = end.slice(0, -1);
  if (end.length === 0) return undefined;
  return end.slice(0, -1) + String.fromCharCode(end.charCodeAt(end.length - 1) + 1);
}

/** What a continue token carries: the listing's revision and where the next page starts. */
export interface ContinuePosition {
  revision: number;
  /** Key the next page starts at (inclusive), relative to the listed prefix. */
  start: string;
}

// The same shape as the Kubernetes API server's tokens, so the token a client sees looks familiar.
const TOKEN_VERSION = 'meta.k8s.io/v1';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+$/;

/** Token for the page after lastKey, at revision. */
export function encodeContinue(prefix: string, lastKey: string, revision: number): string {
  const body = { v: TOKEN_VERSION, rv: revision, start: `${lastKey.slice(prefix.length)}\0` };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Reads a token; InvalidContinueError for anything this store could not have issued. */
export function decodeContinue(token: string): ContinuePosition {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new InvalidContinueError(String(token));
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinueError(token);
  }
  if (body === null || typeof body !== 'object') throw new InvalidContinueError(token);
  const { v, rv, start } = body as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== TOKEN_VERSION || typeof start !== 'string' || !Number.isSafeInteger(rv) || (rv as number) < 1) {
    throw new InvalidContinueError(token);
  }
  return { revision: rv as number, start };
}

/**
 * A KeyValue whose value is decoded from its JSON text on first read. Writers mostly need only
 * the revisions of the entry a write returns, so the parse is not paid unless someone looks.
 */
export function lazyKeyValue(
  key: string,
  json: string,
  revisions: { createRevision: number; modRevision: number; version: number },
): KeyValue {
  let value: JsonObject | undefined;
  return {
    key,
    get value(): JsonObject {
      value ??= JSON.parse(json) as JsonObject;
      return value;
    },
    createRevision: revisions.createRevision,
    modRevision: revisions.modRevision,
    version: revisions.version,
  };
}
