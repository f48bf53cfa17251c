// The in-process transport of the Client: calls go straight into an ApiServer's ResourceHandler,
// through the same authorization, admission and storage code as HTTPS requests, without
// serializing to the wire.
//
// Ownership (callers rely on this):
// - What get/list/create/update/patch/apply/delete return is the caller's own copy: change it
//   freely. Objects passed in are copied too, so the server never holds on to the caller's.
// - Watch events are shared with every other watcher of the same change (and informers keep
//   them in their caches): treat them as read-only; copy before changing.

import type { UserInfo } from '../apiserver/authn.js';
import { Discovery } from '../apiserver/discovery.js';
import type { ApiWatch, ResourceQuery, ResourceRequest, Verb } from '../apiserver/request.js';
import type { ApiServer } from '../apiserver/server.js';
import { cloneJson } from '../machinery/json.js';
import type { KubeList, KubeObject } from '../machinery/object.js';
import { patchContentTypes } from '../machinery/patch/patch-type.js';
import { ApiError, errorMessage, errors, type Status } from '../machinery/status.js';
import type {
  Client,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  ResourceRef,
  WatchCallbacks,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './client.js';
import { deleteOptionsBody } from './paths.js';
import type { DiscoveryClient } from './rest-mapper.js';
import { collectionTarget, createTarget, objectTarget, type Target, writeTarget } from './target.js';
import { DEFAULT_USER_AGENT } from './version.js';

export interface InProcessClientOptions {
  /** Who the calls are made as; default the server's own system user (system:masters). */
  user?: UserInfo;
  /** As an HTTPS client's User-Agent: default field managers derive from it. Default concord/<version>. */
  userAgent?: string;
  /** Called with each warning the server returns (unknown fields under Warn, deprecations). */
  onWarning?: (warning: string) => void;
}

/** A deep copy with a JSON round trip's result (what a client on the wire would get), sharing nothing. */
function copy<T>(value: T): T {
  return cloneJson(value);
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // The HTTPS front end turns anything else into a 500; so does this transport.
  const wrapped = errors.internal(errorMessage(err));
  (wrapped as { cause?: unknown }).cause = err;
  return wrapped;
}

function listQuery(opts: ListOptions): ResourceQuery {
  const q: ResourceQuery = {};
  if (opts.labelSelector) q.labelSelector = opts.labelSelector;
  if (opts.fieldSelector) q.fieldSelector = opts.fieldSelector;
  if (opts.limit !== undefined) q.limit = opts.limit;
  if (opts.continue) q.continue = opts.continue;
  if (opts.resourceVersion !== undefined && opts.resourceVersion !== '')
    q.resourceVersion = opts.resourceVersion;
  if (opts.resourceVersionMatch) q.resourceVersionMatch = opts.resourceVersionMatch;
  return q;
}

function writeQuery(opts: {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: ResourceQuery['fieldValidation'];
  force?: boolean;
}): ResourceQuery {
  const q: ResourceQuery = {};
  if (opts.dryRun) q.dryRun = true;
  if (opts.fieldManager !== undefined && opts.fieldManager !== '') q.fieldManager = opts.fieldManager;
  if (opts.fieldValidation) q.fieldValidation = opts.fieldValidation;
  if (opts.force !== undefined) q.force = opts.force;
  return q;
}

export class InProcessClient implements Client, DiscoveryClient {
  private readonly user: UserInfo;
  private readonly userAgent: string;
  private readonly onWarning: ((warning: string) => void) | undefined;
  private discovery: Discovery | undefined;

  constructor(
    private readonly server: ApiServer,
    opts: InProcessClientOptions = {},
  ) {
    this.user = opts.user ?? server.systemUser;
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.onWarning = opts.onWarning;
  }

  /** The same server, called as another user (to act for a service account, or to test RBAC). */
  as(user: UserInfo, opts: Omit<InProcessClientOptions, 'user'> = {}): InProcessClient {
    return new InProcessClient(this.server, {
      user,
      userAgent: opts.userAgent ?? this.userAgent,
      onWarning: opts.onWarning ?? this.onWarning,
    });
  }

  async get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    opts: { namespace?: string; subresource?: string } = {},
  ): Promise<T> {
    return this.serve<T>('get', ref, objectTarget(ref, name, opts.namespace, opts.subresource), {});
  }

  async list<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.serve<KubeList<T>>('list', ref, collectionTarget(ref, opts.namespace), listQuery(opts));
  }

  async create<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    const target = createTarget(ref, obj, opts.namespace, opts.subresource);
    return this.serve<T>('create', ref, target, writeQuery(opts), { body: copy(obj) });
  }

  async update<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    const target = writeTarget(ref, obj, opts.namespace, opts.subresource);
    return this.serve<T>('update', ref, target, writeQuery(opts), { body: copy(obj) });
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    if (!patchContentTypes[type]) throw new TypeError(`unknown patch type "${String(type)}"`);
    const target = objectTarget(ref, name, opts.namespace, opts.subresource);
    let body: unknown;
    if (typeof patch === 'string') {
      // A patch given as text is decoded as the server would decode the request body.
      try {
        body = JSON.parse(patch);
      } catch (err) {
        throw errors.badRequest(`error decoding patch: ${(err as Error).message}`);
      }
    } else {
      body = copy(patch);
    }
    return this.serve<T>('patch', ref, target, writeQuery(opts), { body, patchType: type });
  }

  async apply<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean },
  ): Promise<T> {
    const target = writeTarget(ref, obj, undefined, opts.subresource);
    return this.serve<T>('patch', ref, target, writeQuery(opts), { body: copy(obj), patchType: 'apply' });
  }

  async delete(ref: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    const target = objectTarget(ref, name, opts.namespace);
    return this.serve<KubeObject | Status>('delete', ref, target, {}, { body: deleteOptionsBody(opts) });
  }

  async deleteCollection(
    ref: ResourceRef,
    opts: ListOptions & DeleteOptions = {},
  ): Promise<Status | KubeList> {
    const target = collectionTarget(ref, opts.namespace);
    return this.serve<Status | KubeList>('deletecollection', ref, target, listQuery(opts), {
      body: deleteOptionsBody(opts),
    });
  }

  async watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    callbacks: WatchCallbacks<T>,
  ): Promise<WatchHandle> {
    const target = collectionTarget(ref, opts.namespace);
    const query: ResourceQuery = {};
    if (opts.labelSelector) query.labelSelector = opts.labelSelector;
    if (opts.fieldSelector) query.fieldSelector = opts.fieldSelector;
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== '')
      query.resourceVersion = opts.resourceVersion;
    if (opts.allowWatchBookmarks) query.allowWatchBookmarks = true;
    if (opts.timeoutSeconds !== undefined) query.timeoutSeconds = opts.timeoutSeconds;

    let closed = false;
    let handle: ApiWatch | undefined;
    let stopWanted = false;
    const finish = (err?: Error) => {
      if (closed) return;
      closed = true;
      if (handle) handle.stop();
      else stopWanted = true;
      callbacks.onClose(err);
    };
    const req = this.request('watch', ref, target, query);
    try {
      handle = await this.server.handler.watch(req, {
        event: (type, object) => {
          if (closed) return;
          try {
            // Shared with the server's other watchers: see the note at the top of this file.
            callbacks.onEvent({ type, object } as WatchEvent<T>);
          } catch (err) {
            // A failing consumer must not disturb the writer whose change this event carries.
            finish(err instanceof Error ? err : new Error(String(err)));
          }
        },
        end: () => finish(),
      });
    } catch (err) {
      closed = true;
      throw asApiError(err);
    }
    if (stopWanted) handle.stop();
    return { stop: () => finish() };
  }

  /** Discovery documents, as the HTTPS transport would get them (aggregated /api and /apis). */
  async discover(path: string): Promise<unknown> {
    this.discovery ??= new Discovery(this.server.registry, () => '127.0.0.1');
    const doc = this.discovery.document(path, 'v2') ?? this.discovery.document(path);
    if (!doc) throw errors.noSuchResource();
    return copy(doc.body);
  }

  private request(verb: Verb, ref: ResourceRef, target: Target, query: ResourceQuery): ResourceRequest {
    const req: ResourceRequest = {
      verb,
      group: ref.group,
      version: ref.version,
      resource: ref.resource,
      query,
      user: this.user,
      userAgent: this.userAgent,
    };
    if (target.namespace !== undefined) req.namespace = target.namespace;
    if (target.name !== undefined) req.name = target.name;
    if (target.subresource !== undefined) req.subresource = target.subresource;
    return req;
  }

  private async serve<T>(
    verb: Verb,
    ref: ResourceRef,
    target: Target,
    query: ResourceQuery,
    extra: { body?: unknown; patchType?: PatchType } = {},
  ): Promise<T> {
    const req = this.request(verb, ref, target, query);
    if (extra.body !== undefined) req.body = extra.body;
    if (extra.patchType) req.patchType = extra.patchType;
    let result: Awaited<ReturnType<ApiServer['handler']['serve']>>;
    try {
      result = await this.server.handler.serve(req);
    } catch (err) {
      throw asApiError(err);
    }
    if (this.onWarning) for (const w of result.warnings) this.onWarning(w);
    // Results may share parts with what the store holds: the caller gets its own copy.
    return copy(result.body) as T;
  }
}
