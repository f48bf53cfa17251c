// The generic REST storage: Kubernetes' create/get/list/update/patch/delete semantics for any
// resource, over a Store. Optimistic concurrency, generation, status/spec split, finalizers and
// graceful deletion, no-op updates, paging and selectors all live here once for every kind.

import { isDeepStrictEqual } from 'node:util';
import { formatApiVersion } from '../../machinery/gvk.js';
import { cloneJson } from '../../machinery/json.js';
import { generateName } from '../../machinery/names.js';
import type { KubeList, KubeObject } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import type { PatchType } from '../../machinery/patch/patch-type.js';
import { ApiError, errors, type Status, successStatus } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { resourceKey, resourcePrefix } from '../../storage/keys.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidContinueError,
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  type Store,
  ValueTooLargeError,
} from '../../storage/store.js';
import {
  type AdmissionScope,
  admitUnknownFields,
  applyDefaults,
  validateObject,
} from '../admission/admit.js';
import type { ValidatingAdmissionChain } from '../admission/validating.js';
import type { UserInfo } from '../authn.js';
import type { ResourceQuery } from '../request.js';
import { applyPatchDocument, trackApply, trackUpdate } from './field-manager.js';
import {
  fromStored,
  initializeForCreate,
  metaForStatusWrite,
  preserveImmutableMeta,
  specChanged,
  toStored,
} from './object-meta.js';
import type { ResourceInfo } from './resource-info.js';
import { compileSelectors } from './selection.js';

/** Checks that a namespace can receive new objects (exists, not terminating). */
export interface NamespaceGate {
  /** Throws 404 for a missing namespace and 403 for one being terminated. */
  admitCreate(namespace: string, info: ResourceInfo, name: string): Promise<void>;
}

export interface RestDeps {
  store: Store;
  now(): Date;
  namespaces: NamespaceGate;
  /** Checks that read other objects, run on creates and updates of the main resource. */
  admission?: ValidatingAdmissionChain;
}

/** Per-request context for writes. */
export interface WriteScope extends AdmissionScope {
  dryRun: boolean;
  fieldManager: string;
  subresource?: string;
  /** Who writes: validating admission (RBAC's escalation checks) asks. */
  user?: UserInfo;
}

export interface DeleteRequest {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

/** What a PUT or patch did: the object written, and whether the write created it (201) or not (200). */
export interface WriteResult {
  object: KubeObject;
  created: boolean;
}

export interface DeleteResult {
  /** The object as it lingers (finalizers, graceful deletion) or as it was when removed. */
  object: KubeObject;
  /** True when the object is gone from the store. */
  deleted: boolean;
}

const GENERATE_NAME_ATTEMPTS = 8;
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

/** Where an object of `info` is stored. */
export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return resourceKey({
    group: info.group,
    resource: info.resource,
    namespace: info.namespaced ? namespace : undefined,
    name,
  });
}

/** The object as a client of `info`'s version sees it (custom resources may store another version). */
function present(info: ResourceInfo, value: unknown, revision: number): KubeObject {
  const obj = fromStored(value, revision);
  const apiVersion = formatApiVersion(info);
  if (obj.apiVersion !== apiVersion) obj.apiVersion = apiVersion;
  return obj;
}

function presentKv(info: ResourceInfo, kv: KeyValue): KubeObject {
  return present(info, kv.value, kv.modRevision);
}

/** A deep copy of an object, to change. */
function mutableCopy(info: ResourceInfo, obj: KubeObject): KubeObject {
  const copy = cloneJson(obj);
  copy.apiVersion = formatApiVersion(info);
  return copy;
}

/** The stored form: storage version's apiVersion, no resourceVersion. */
function storedForm(info: ResourceInfo, obj: KubeObject): KubeObject {
  const stored = toStored(obj);
  const storageApiVersion = formatApiVersion({ group: info.group, version: info.storageVersion });
  return stored.apiVersion === storageApiVersion ? stored : { ...stored, apiVersion: storageApiVersion };
}

function parseRevision(rv: string, field = 'resourceVersion'): number {
  if (!/^\d+$/.test(rv))
    throw errors.badRequest(`${field}: Invalid value: "${rv}": must be a non-negative integer`);
  return Number(rv);
}

/** Store errors as the Status a client would get from Kubernetes. */
export function storeErrorToApi(err: unknown, info: ResourceInfo, name: string): never {
  if (err instanceof ApiError) throw err;
  if (err instanceof KeyExistsError) throw errors.alreadyExists(info.group, info.resource, name);
  if (err instanceof KeyNotFoundError) throw errors.notFound(info.group, info.resource, name);
  if (err instanceof ValueTooLargeError) {
    throw errors.requestEntityTooLarge(
      `etcdserver: request is too large: the object is ${err.size} bytes, over ${err.limit}`,
    );
  }
  if (err instanceof CompactedError) {
    throw errors.expired(`The resourceVersion for the provided list is too old.`);
  }
  if (err instanceof InvalidContinueError)
    throw errors.badRequest('continue key is not valid: malformed token');
  throw err;
}

export class RestStorage {
  constructor(private readonly deps: RestDeps) {}

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.deps.store.get(objectKey(info, namespace, name));
    if (!kv) throw errors.notFound(info.group, info.resource, name);
    return presentKv(info, kv);
  }

  async list(info: ResourceInfo, namespace: string | undefined, query: ResourceQuery): Promise<KubeList> {
    const filter = compileSelectors(info, query);
    const prefix = resourcePrefix(info.group, info.resource, info.namespaced ? namespace : undefined);
    let revision: number | undefined;
    // Without an exact revision: how fresh the answer must be (absent: a consistent read).
    let minRevision: number | undefined;
    let token = query.continue;
    if (
      token &&
      query.resourceVersion !== undefined &&
      query.resourceVersion !== '' &&
      query.resourceVersion !== '0'
    ) {
      throw errors.badRequest('specifying resource version is not allowed when using continue');
    }
    if (!token && query.resourceVersion === '0') {
      // "Any": a watch cache answers from what it has.
      minRevision = 0;
    } else if (!token && query.resourceVersion) {
      const rv = parseRevision(query.resourceVersion);
      if (query.resourceVersionMatch === 'Exact') revision = rv;
      else if (query.resourceVersionMatch && query.resourceVersionMatch !== 'NotOlderThan') {
        throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${query.resourceVersionMatch}"`);
      } else {
        minRevision = rv;
      }
    }
    const limit = query.limit && query.limit > 0 ? query.limit : 0;
    const items: KubeObject[] = [];
    let listRevision = 0;
    let remaining: number | undefined;
    try {
      for (;;) {
        const want = limit > 0 ? limit - items.length : 0;
        const page = await this.deps.store.list(prefix, {
          limit: want,
          continue: token,
          revision,
          minRevision,
        });
        listRevision = page.revision;
        revision = page.revision;
        for (const kv of page.items) {
          const obj = presentKv(info, kv);
          if (filter.matches(obj)) items.push(obj);
        }
        token = page.continue;
        remaining = page.remaining;
        if (!token || (limit > 0 && items.length >= limit)) break;
      }
    } catch (err) {
      if (err instanceof FutureRevisionError && minRevision !== undefined) {
        throw errors.timeout(`Too large resource version: ${minRevision}, current: ${err.currentRevision}`);
      }
      if (err instanceof CompactedError && query.continue) {
        throw errors.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      storeErrorToApi(err, info, '');
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(listRevision) };
    if (token) {
      metadata.continue = token;
      if (remaining !== undefined && filter.isEverything) metadata.remainingItemCount = remaining;
    }
    return { apiVersion: formatApiVersion(info), kind: info.listKind, metadata, items };
  }

  async create(
    info: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    scope: WriteScope,
  ): Promise<KubeObject> {
    const obj = this.decodeBody(info, body, namespace);
    if (info.namespaced && !namespace) throw errors.badRequest('the namespace of the object must be set');
    return this.createObject(info, namespace, obj, scope, true);
  }

  /**
   * The create pipeline: identity, preparation, admission, allocation and the store write.
   * `trackFields` is false when server-side apply already computed the field ownership.
   */
  private async createObject(
    info: ResourceInfo,
    namespace: string | undefined,
    obj: KubeObject,
    scope: WriteScope,
    trackFields: boolean,
  ): Promise<KubeObject> {
    const now = this.deps.now();
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    if (generated) obj.metadata.name = generateName(obj.metadata.generateName!);
    if (info.namespaced) await this.deps.namespaces.admitCreate(namespace!, info, obj.metadata.name ?? '');
    initializeForCreate(obj, now, info.tracksGeneration);
    if (info.status && !info.strategy.keepStatusOnCreate && scope.subresource !== 'status') delete obj.status;
    info.strategy.prepareForCreate?.(obj);
    admitUnknownFields(info, obj, scope);
    applyDefaults(info, obj);
    const undoAllocation = info.allocate?.(obj);
    try {
      validateObject(info, obj);
      await this.deps.admission?.admit(info, 'CREATE', obj, undefined, scope.dryRun, scope.user);
      if (trackFields) trackUpdate(info, undefined, obj, scope, now);
      if (scope.dryRun) {
        undoAllocation?.();
        return obj;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          const kv = await this.deps.store.create(
            objectKey(info, namespace, obj.metadata.name!),
            storedForm(info, obj) as never,
          );
          return present(info, obj, kv.modRevision);
        } catch (err) {
          if (err instanceof KeyExistsError && generated && attempt < GENERATE_NAME_ATTEMPTS) {
            obj.metadata.name = generateName(obj.metadata.generateName!);
            continue;
          }
          storeErrorToApi(err, info, obj.metadata.name!);
        }
      }
    } catch (err) {
      undoAllocation?.();
      throw err;
    }
  }

  /** PUT of the main resource or of a subresource (status). */
  async update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    scope: WriteScope,
  ): Promise<WriteResult> {
    const obj = this.decodeBody(info, body, namespace);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    obj.metadata.name = name;
    const precondition = obj.metadata.resourceVersion
      ? parseRevision(obj.metadata.resourceVersion, 'metadata.resourceVersion')
      : undefined;
    const key = objectKey(info, namespace, name);
    // The body is prepared in place; a retry after a conflict starts again from the metadata and
    // status it came with (everything else preparation does is idempotent).
    const requestedMeta = cloneJson(obj.metadata);
    const requestedStatus = obj.status;
    let attempts = 0;
    return this.guaranteedUpdate(info, key, name, precondition, obj.metadata.uid, scope, {
      admit: true,
      mutate: (current) => {
        if (attempts++ > 0) {
          obj.metadata = cloneJson(requestedMeta);
          if (requestedStatus === undefined) delete obj.status;
          else obj.status = requestedStatus;
        }
        return this.prepareUpdate(info, obj, current, scope);
      },
      create:
        info.allowCreateOnUpdate && precondition === undefined && !scope.subresource
          ? () => this.create(info, namespace, obj, scope)
          : undefined,
    });
  }

  async patch(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    scope: WriteScope & { force?: boolean },
  ): Promise<WriteResult> {
    const key = objectKey(info, namespace, name);
    return this.guaranteedUpdate(info, key, name, undefined, undefined, scope, {
      admit: true,
      mutate: (current) => {
        if (type === 'apply') return this.prepareApply(info, current, patch, scope, namespace, name);
        const patched = applyPatchDocument(info, current, patch, type);
        const rv = patched.metadata?.resourceVersion;
        if (rv && rv !== current.metadata.resourceVersion) {
          throw errors.staleResourceVersion(info.group, info.resource, name);
        }
        return this.prepareUpdate(info, patched, current, scope);
      },
      create:
        type === 'apply'
          ? async () => {
              const obj = trackApply(info, undefined, patch, scope, this.deps.now(), namespace, name);
              return this.createObject(info, namespace, obj, scope, false);
            }
          : undefined,
    });
  }

  /**
   * Read-modify-write of one object by server code (subresources such as scale and binding).
   * With `admit`, the change goes through the same preparation and admission as an update;
   * without, only metadata bookkeeping and (unless `trackFields` is false) field ownership.
   */
  async modify(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    scope: WriteScope,
    mutate: (current: KubeObject) => KubeObject,
    opts: {
      precondition?: string;
      admit: boolean;
      trackFields?: boolean;
      /** The mutation builds a new object and leaves its argument alone: no deep copy is made. */
      pure?: boolean;
    },
  ): Promise<KubeObject> {
    const precondition = opts.precondition
      ? parseRevision(opts.precondition, 'metadata.resourceVersion')
      : undefined;
    const result = await this.guaranteedUpdate(
      info,
      objectKey(info, namespace, name),
      name,
      precondition,
      undefined,
      scope,
      {
        admit: opts.admit,
        mutate: (current) => {
          const next = mutate(opts.pure ? current : mutableCopy(info, current));
          if (opts.admit) return this.prepareUpdate(info, next, current, scope);
          if (info.tracksGeneration && specChanged(next, current)) {
            next.metadata.generation = (current.metadata.generation ?? 0) + 1;
          }
          if (opts.trackFields !== false) trackUpdate(info, current, next, scope, this.deps.now());
          return next;
        },
      },
    );
    return result.object;
  }

  async delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    req: DeleteRequest,
  ): Promise<DeleteResult> {
    const key = objectKey(info, namespace, name);
    let kv = await this.deps.store.get(key);
    for (;;) {
      if (!kv) throw errors.notFound(info.group, info.resource, name);
      const current = presentKv(info, kv);
      checkPreconditions(info, name, current, req.preconditions);
      const next = cloneJson(current);
      info.strategy.prepareForDelete?.(next);
      const finalizers = new Set(current.metadata.finalizers ?? []);
      const policy = req.propagationPolicy;
      if (policy === 'Foreground') {
        finalizers.add(FOREGROUND);
        finalizers.delete(ORPHAN);
      } else if (policy === 'Orphan') {
        finalizers.add(ORPHAN);
        finalizers.delete(FOREGROUND);
      }
      const grace = info.strategy.gracefulDeletionSeconds?.(current, req.gracePeriodSeconds) ?? 0;
      const pending = info.strategy.pendingFinalization?.(current) ?? false;
      const lingering = finalizers.size > 0 || grace > 0 || pending;
      if (!lingering) {
        if (req.dryRun) return { object: current, deleted: true };
        try {
          const removed = await this.deps.store.delete(key, kv.modRevision);
          return { object: present(info, removed.value, removed.modRevision), deleted: true };
        } catch (err) {
          if (err instanceof ConflictError) {
            kv = err.current;
            continue;
          }
          if (err instanceof KeyNotFoundError) {
            kv = undefined;
            continue;
          }
          storeErrorToApi(err, info, name);
        }
      }
      const now = this.deps.now();
      const nextMeta = next.metadata;
      if (finalizers.size > 0) nextMeta.finalizers = [...finalizers];
      if (!nextMeta.deletionTimestamp) {
        nextMeta.deletionTimestamp = metaTime(new Date(now.getTime() + grace * 1000));
        nextMeta.deletionGracePeriodSeconds = grace;
      } else if ((nextMeta.deletionGracePeriodSeconds ?? 0) > grace) {
        // A shorter grace period may replace a longer one, never the reverse.
        nextMeta.deletionTimestamp = metaTime(new Date(now.getTime() + grace * 1000));
        nextMeta.deletionGracePeriodSeconds = grace;
      }
      if (isDeepStrictEqual(next, current)) return { object: current, deleted: false };
      if (req.dryRun) return { object: next, deleted: false };
      try {
        const written = await this.deps.store.update(key, storedForm(info, next) as never, kv.modRevision);
        return { object: present(info, next, written.modRevision), deleted: false };
      } catch (err) {
        if (err instanceof ConflictError) {
          kv = err.current;
          continue;
        }
        if (err instanceof KeyNotFoundError) {
          kv = undefined;
          continue;
        }
        storeErrorToApi(err, info, name);
      }
    }
  }

  async deleteCollection(
    info: ResourceInfo,
    namespace: string | undefined,
    query: ResourceQuery,
    req: DeleteRequest,
  ): Promise<KubeList> {
    const list = await this.list(info, namespace, {
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
    });
    const items: KubeObject[] = [];
    for (const item of list.items) {
      try {
        const res = await this.delete(info, item.metadata.namespace, item.metadata.name!, req);
        items.push(res.object);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return {
      apiVersion: formatApiVersion(info),
      kind: info.listKind,
      metadata: { resourceVersion: list.metadata.resourceVersion },
      items,
    };
  }

  /** The Status Kubernetes returns for a delete that removed the object at once. */
  deletedStatus(info: ResourceInfo, obj: KubeObject): Status {
    return successStatus({
      name: obj.metadata.name,
      group: info.group,
      kind: info.resource,
      uid: obj.metadata.uid,
    });
  }

  /**
   * Read-modify-write with compare-and-swap, retried on conflicts unless the client named the
   * resourceVersion it expects. A write that changes nothing is not stored. `created` comes from
   * the store's create itself, so of concurrent writers of a new object exactly one creates it.
   */
  private async guaranteedUpdate(
    info: ResourceInfo,
    key: string,
    name: string,
    precondition: number | undefined,
    uidPrecondition: string | undefined,
    scope: WriteScope,
    ops: {
      /** The object to store, from the current one; must not change `current`. */
      mutate: (current: KubeObject) => KubeObject;
      create?: () => Promise<KubeObject>;
      /** The result goes through validating admission (user writes, not server bookkeeping). */
      admit?: boolean;
    },
  ): Promise<WriteResult> {
    let kv = await this.deps.store.get(key);
    for (;;) {
      if (!kv) {
        if (ops.create) {
          try {
            return { object: await ops.create(), created: true };
          } catch (err) {
            if (err instanceof ApiError && err.reason === 'AlreadyExists') {
              kv = await this.deps.store.get(key);
              continue;
            }
            throw err;
          }
        }
        throw errors.notFound(info.group, info.resource, name);
      }
      if (precondition !== undefined && precondition !== kv.modRevision) {
        throw errors.staleResourceVersion(info.group, info.resource, name);
      }
      // The stored object as this version shows it; read-only: mutate() returns a new object.
      const current = presentKv(info, kv);
      if (uidPrecondition && uidPrecondition !== current.metadata.uid) {
        throw errors.conflict(
          info.group,
          info.resource,
          name,
          `Precondition failed: UID in precondition: ${uidPrecondition}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      const next = ops.mutate(current);
      const unchanged = isDeepStrictEqual(toStored(next), toStored(current));
      if (unchanged) return { object: current, created: false };
      if (ops.admit && scope.subresource === undefined) {
        await this.deps.admission?.admit(info, 'UPDATE', next, current, scope.dryRun, scope.user);
      }
      const finishesDeletion =
        !!next.metadata.deletionTimestamp &&
        (next.metadata.finalizers ?? []).length === 0 &&
        (next.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
        !(info.strategy.pendingFinalization?.(next) ?? false);
      if (scope.dryRun) return { object: next, created: false };
      try {
        if (finishesDeletion) {
          const removed = await this.deps.store.delete(key, kv.modRevision);
          return { object: present(info, next, removed.modRevision), created: false };
        }
        const written = await this.deps.store.update(key, storedForm(info, next) as never, kv.modRevision);
        return { object: present(info, next, written.modRevision), created: false };
      } catch (err) {
        if (err instanceof ConflictError) {
          if (precondition !== undefined) throw errors.staleResourceVersion(info.group, info.resource, name);
          kv = err.current;
          continue;
        }
        if (err instanceof KeyNotFoundError) {
          kv = undefined;
          continue;
        }
        storeErrorToApi(err, info, name);
      }
    }
  }

  /** Turns a requested new state into the object to store, for PUT and non-apply patches. */
  private prepareUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject, scope: WriteScope): KubeObject {
    if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) {
      throw errors.badRequest('metadata: must be an object');
    }
    const now = this.deps.now();
    if (obj.apiVersion !== old.apiVersion || obj.kind !== old.kind) {
      if (obj.kind !== old.kind)
        throw errors.badRequest(`kind: cannot change kind from ${old.kind} to ${String(obj.kind)}`);
      obj.apiVersion = old.apiVersion;
    }
    // An update that names no resourceVersion is unconditional: it applies to what is stored.
    if (!obj.metadata.resourceVersion) obj.metadata.resourceVersion = old.metadata.resourceVersion;
    if (scope.subresource === 'status') {
      const next = this.prepareStatusWrite(
        info,
        obj,
        obj.metadata.managedFields ?? old.metadata.managedFields,
        old,
        scope,
      );
      trackUpdate(info, old, next, scope, now);
      return next;
    }
    preserveImmutableMeta(obj.metadata, old.metadata);
    const next = this.admitMainUpdate(info, obj, old, scope);
    trackUpdate(info, old, next, scope, now);
    return next;
  }

  /**
   * An update through the main resource: status stays as stored, then the kind's preparation,
   * pruning, defaults, the generation and validation.
   */
  private admitMainUpdate(
    info: ResourceInfo,
    next: KubeObject,
    old: KubeObject,
    scope: WriteScope,
  ): KubeObject {
    if (info.status) {
      if (old.status === undefined) delete next.status;
      else next.status = cloneJson(old.status);
    }
    info.strategy.prepareForUpdate?.(next, old);
    admitUnknownFields(info, next, scope);
    applyDefaults(info, next);
    if (info.tracksGeneration && specChanged(next, old)) {
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    validateObject(info, next, old);
    return next;
  }

  /**
   * A write through the status subresource: the stored object with the requested status (and the
   * metadata the kind lets status writers change). Only those parts are admitted and validated;
   * the rest is the stored object, shared read-only with `old`.
   */
  private prepareStatusWrite(
    info: ResourceInfo,
    requested: KubeObject,
    managedFields: KubeObject['metadata']['managedFields'],
    old: KubeObject,
    scope: WriteScope,
  ): KubeObject {
    const part = {
      apiVersion: requested.apiVersion,
      kind: requested.kind,
      metadata: requested.metadata,
      status: requested.status,
    } as KubeObject;
    if (part.status === undefined) delete part.status;
    admitUnknownFields(info, part, scope);
    info.applySchemaDefaults?.(part);
    const next = {
      ...old,
      metadata: metaForStatusWrite(part.metadata, old.metadata, info.strategy.statusResets ?? []),
    } as KubeObject;
    if (part.status === undefined) delete next.status;
    else next.status = part.status;
    next.metadata.managedFields = managedFields;
    info.strategy.prepareForStatusUpdate?.(next, old);
    validateObject(info, next, old, true);
    return next;
  }

  /** Server-side apply onto an existing object, then the same preparation as any update. */
  private prepareApply(
    info: ResourceInfo,
    current: KubeObject,
    patch: unknown,
    scope: WriteScope & { force?: boolean },
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const now = this.deps.now();
    const merged = trackApply(info, current, patch, scope, now, namespace, name);
    preserveImmutableMeta(merged.metadata, current.metadata);
    if (scope.subresource === 'status') {
      // Through the status endpoint only status changes, whatever the applied object says.
      return this.prepareStatusWrite(info, merged, merged.metadata.managedFields, current, scope);
    }
    return this.admitMainUpdate(info, merged, current, scope);
  }

  /** Checks a decoded body is an object of this resource, and fixes its namespace. */
  private decodeBody(info: ResourceInfo, body: unknown, namespace: string | undefined): KubeObject {
    if (!isJsonObject(body)) throw errors.badRequest('the body of the request must be a JSON or YAML object');
    // Request bodies belong to the server (decoded from the wire, or copied by the in-process client).
    const obj = body as unknown as KubeObject;
    const expected = formatApiVersion(info);
    // Like Kubernetes' decoder, the endpoint supplies a kind and apiVersion the body leaves out.
    if (obj.kind === undefined || obj.kind === '') obj.kind = info.kind;
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = expected;
    if (obj.apiVersion !== expected) {
      throw errors.badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (obj.kind !== info.kind) {
      throw errors.badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${info.kind})`,
      );
    }
    if (obj.metadata === undefined) obj.metadata = {};
    if (!isJsonObject(obj.metadata)) throw errors.badRequest('metadata: must be an object');
    if (info.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (namespace) obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }
}

function checkPreconditions(
  info: ResourceInfo,
  name: string,
  current: KubeObject,
  pre: DeleteRequest['preconditions'],
): void {
  if (!pre) return;
  if (pre.uid && pre.uid !== current.metadata.uid) {
    throw errors.conflict(
      info.group,
      info.resource,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw errors.conflict(
      info.group,
      info.resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    );
  }
}
