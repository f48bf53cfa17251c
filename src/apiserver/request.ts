// A resource request as the API server handles it, whichever way it arrived: parsed from an
// HTTPS request, or built by the in-process client transport. One code path serves both, so
// authorization, admission and semantics are the same for kubectl and for our controllers.

import type { PatchType } from '../machinery/patch/patch-type.js';
import type { UserInfo } from './authn.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  force?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  orphanDependents?: boolean;
}

export interface ResourceRequest {
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  query: ResourceQuery;
  /**
   * Decoded body: the object for create/update, the patch document for patch, DeleteOptions for
   * delete. It belongs to the server from then on, which may change it: callers pass a copy.
   */
  body?: unknown;
  patchType?: PatchType;
  user: UserInfo;
  /** The client's User-Agent, from which Kubernetes derives a default field manager. */
  userAgent?: string;
}

/** Sink for API watch events; the HTTP layer writes them out, the in-process client calls back. */
export interface ApiWatchSink {
  /** `object` is shared with other watchers: never mutate it. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR', object: unknown): void;
  /** The watch ended (timeout, error already sent, or server shutdown). */
  end(): void;
}

export interface ApiWatch {
  stop(): void;
}
