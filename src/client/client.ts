// One Client interface for every consumer of a Kubernetes API: controllers on the hub,
// simulated clusters' built-in controllers, agents and tests. Two transports implement it:
// in-process (straight into an API server object in this process) and HTTPS (from a kubeconfig).
// Failures are thrown as ApiError (machinery/status) carrying the server's Status, on both.

import type { KubeList, KubeObject } from '../machinery/object.js';
import type { PatchType } from '../machinery/patch/patch-type.js';
import type { Status } from '../machinery/status.js';

/** Which resource a call addresses; namespaced decides the URL shape. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Plural resource name, as in URLs: "deployments". */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export type { PatchType };

export interface ListOptions {
  /** Absent for cluster-scoped resources or to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Changes after this version; "" or "0" starts with synthetic ADDED events for what exists. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** The object; for ERROR, the Status (410 Expired when the version is too old). */
  object: T | Status;
}

export interface WatchHandle {
  /** Ends the watch; onClose is then called with no error. */
  stop(): void;
}

export interface WatchCallbacks<T extends KubeObject = KubeObject> {
  onEvent(event: WatchEvent<T>): void;
  /** The stream ended: by stop(), by the server (timeout), or with an error. */
  onClose(err?: Error): void;
}

export interface WriteOptions {
  namespace?: string;
  subresource?: string;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface Client {
  get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    opts?: { namespace?: string; subresource?: string },
  ): Promise<T>;

  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOptions): Promise<KubeList<T>>;

  /** Resolves once the server accepted the watch (an error status rejects instead). */
  watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    callbacks: WatchCallbacks<T>,
  ): Promise<WatchHandle>;

  create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T>;

  /** PUT: the object's metadata.resourceVersion, if set, is the optimistic-concurrency guard. */
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T>;

  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts?: PatchOptions,
  ): Promise<T>;

  /** Server-side apply of a (partial) object as fieldManager. */
  apply<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean },
  ): Promise<T>;

  /** Returns the object when it lingers (finalizers, foreground deletion), else the Status. */
  delete(ref: ResourceRef, name: string, opts?: DeleteOptions): Promise<KubeObject | Status>;

  deleteCollection(ref: ResourceRef, opts?: ListOptions & DeleteOptions): Promise<Status | KubeList>;
}
