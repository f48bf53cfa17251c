// The Store contract: a revisioned key-value store with etcd's semantics. Every backend
// (memory, sqlite, etcd) implements it and passes the same conformance suite.
//
// - One global revision, strictly increasing; every write (create, update, delete) takes the
//   next one. A key's modRevision is the revision of its last write and becomes the
//   object's metadata.resourceVersion in the API server.
// - Values are JSON objects. Values handed out by the store may be shared between callers
//   (a watch event goes to every watcher as one object): treat them as read-only.

import type { JsonObject } from '../machinery/object.js';

/** etcd's default request limit; a larger value is refused with ValueTooLargeError. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

export interface KeyValue {
  key: string;
  value: JsonObject;
  /** Revision at which this key was created (since it last did not exist). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Number of writes to the key since it was created, starting at 1. */
  version: number;
}

export interface WatchEvent {
  type: 'create' | 'update' | 'delete';
  key: string;
  /** Revision of this change (for a delete: the revision the delete took). */
  revision: number;
  /** The key's value after the change; for a delete, the last value it had. */
  value: JsonObject;
  /** Value before an update or delete. */
  prevValue?: JsonObject;
  /** modRevision of prevValue. */
  prevRevision?: number;
  createRevision: number;
}

export interface ListOptions {
  /** Maximum number of items in this page; 0 or absent means no limit. */
  limit?: number;
  /** Token from a previous page: paging continues at that page's revision. */
  continue?: string;
  /**
   * Read at this revision (must not be compacted). Absent: the current revision.
   * Ignored when `continue` is given (the token carries the revision).
   */
  revision?: number;
  /**
   * Without `revision`: any revision at least this new will do (Kubernetes' resourceVersion
   * "not older than"; 0 for any), so a store with a cache may answer from it. A store that has
   * not reached it fails with FutureRevisionError. Absent: the current revision (a consistent
   * read, which a cache serves only once it has caught up with the store).
   */
  minRevision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the whole listing is consistent at. */
  revision: number;
  /** Present when more items remain: pass back as ListOptions.continue. */
  continue?: string;
  /** How many items remain after this page, when the backend can tell cheaply. */
  remaining?: number;
}

export interface WatchSink {
  /** Called once per change, in revision order, never twice for the same revision. */
  onEvent(event: WatchEvent): void;
  /**
   * The watch ended with an error (CompactedError when the start revision is too old,
   * StoreUnavailableError when the backend went away). No event follows.
   */
  onError(err: Error): void;
  /**
   * Optional: every change under the prefix up to `revision` has been delivered. A backend may
   * call it when its revision moves without a change under the prefix (etcd: a write outside
   * the store's key prefix), so that a watcher knows how far it has caught up.
   */
  onProgress?(revision: number): void;
}

export interface Watcher {
  /** Stops delivery; no event is delivered after close() returns. */
  close(): void;
}

export interface Store {
  /** A short description for logs: "memory", "sqlite:/path/db", "etcd:http://..." */
  readonly description: string;

  /** Creates the key; KeyExistsError if it exists. Returns the stored entry. */
  create(key: string, value: JsonObject): Promise<KeyValue>;

  /**
   * Replaces the value of an existing key (KeyNotFoundError otherwise). With
   * expectedRevision, the write happens only if the key's modRevision still equals it;
   * otherwise ConflictError, carrying the current entry.
   */
  update(key: string, value: JsonObject, expectedRevision?: number): Promise<KeyValue>;

  /**
   * Deletes an existing key (KeyNotFoundError otherwise), guarded like update. Returns the
   * entry as it was before the delete, with modRevision set to the delete's revision.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;

  get(key: string): Promise<KeyValue | undefined>;

  /** Keys starting with prefix, in key order, consistent at one revision. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /** Number of keys under prefix at the current revision. */
  count(prefix: string): Promise<number>;

  /**
   * Every change under prefix with revision > afterRevision, in order, exactly once.
   * If afterRevision is older than the compaction point, sink.onError(CompactedError).
   */
  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher;

  /** The newest revision (0 for an empty store that never had a write). */
  currentRevision(): Promise<number>;

  /** Forgets history before `revision`: reads and watches from older revisions fail. */
  compact(revision: number): Promise<void>;

  /** The oldest revision still readable (history before it has been compacted away). */
  compactedRevision(): Promise<number>;

  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class KeyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key already exists: ${key}`);
  }
}

export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

export class ConflictError extends StoreError {
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
    /** The entry as it is now, so the caller can retry without another read. */
    readonly current: KeyValue,
  ) {
    super(`revision conflict on ${key}: expected ${expectedRevision}, is ${current.modRevision}`);
  }
}

/** A read or watch from a revision older than the compaction point ("too old"). */
export class CompactedError extends StoreError {
  constructor(
    readonly requestedRevision: number,
    readonly compactRevision: number,
  ) {
    super(`required revision ${requestedRevision} has been compacted (compacted up to ${compactRevision})`);
  }
}

export class ValueTooLargeError extends StoreError {
  constructor(
    readonly key: string,
    readonly size: number,
    readonly limit: number = MAX_VALUE_BYTES,
  ) {
    super(`value for ${key} is ${size} bytes, over the limit of ${limit} bytes`);
  }
}

/** A continue token that this store did not issue or cannot read. */
export class InvalidContinueError extends StoreError {
  constructor(readonly token: string) {
    super('continue token is malformed');
  }
}

export class StoreUnavailableError extends StoreError {}

/**
 * A read at, or compaction to, a revision the store has not reached yet (etcd's "required
 * revision is a future revision"). Answering with the current data instead would be wrong: a
 * later write may still take that revision.
 */
export class FutureRevisionError extends StoreError {
  constructor(
    readonly requestedRevision: number,
    readonly currentRevision: number,
  ) {
    super(
      `required revision ${requestedRevision} is a future revision (current revision is ${currentRevision})`,
    );
  }
}
