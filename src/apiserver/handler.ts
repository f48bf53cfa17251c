// Serves one resource request: finds the resource, authorizes the user, and dispatches the verb
// to the REST storage or to a subresource. Both the HTTPS front end and the in-process client
// come through here.

import { isJsonObject } from '../machinery/object.js';
import { errors } from '../machinery/status.js';
import { StoreUnavailableError } from '../storage/store.js';
import type { FieldValidation } from './admission/admit.js';
import type { Authorizer } from './authorization.js';
import type { ResourceRegistry } from './registry/registry.js';
import type { ResourceInfo } from './registry/resource-info.js';
import type { DeleteRequest, RestStorage, WriteScope } from './registry/rest.js';
import { startWatch, type WatchDeps } from './registry/watch.js';
import type { ApiWatch, ApiWatchSink, ResourceRequest } from './request.js';

export interface HandlerResult {
  code: number;
  body: unknown;
  warnings: string[];
}

/** A subresource served by special code (scale, binding, eviction, finalize, reviews). */
export interface SubresourceHandler {
  serve(req: ResourceRequest, info: ResourceInfo, scope: WriteScope): Promise<HandlerResult>;
}

export interface HandlerDeps {
  registry: ResourceRegistry;
  rest: RestStorage;
  watch: WatchDeps;
  authorizer: Authorizer;
  /** "pods/binding", "deployments/scale", "selfsubjectaccessreviews" (no subresource) ... */
  special: Map<string, SubresourceHandler>;
}

const MAX_FIELD_MANAGER_LENGTH = 128;

/** Kubernetes derives a default field manager from the User-Agent: "kubectl/v1.27.3 (...)" -> "kubectl". */
export function defaultFieldManager(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  const slash = ua.indexOf('/');
  const prefix = slash >= 0 ? ua.slice(0, slash) : ua;
  return prefix.slice(0, MAX_FIELD_MANAGER_LENGTH) || 'unknown';
}

export class ResourceHandler {
  constructor(private readonly deps: HandlerDeps) {}

  /** The resource a request addresses, after checking scope and verb. */
  resolve(req: ResourceRequest): ResourceInfo {
    const info = this.deps.registry.get(req.group, req.version, req.resource);
    if (!info) throw errors.noSuchResource();
    if (req.namespace !== undefined && !info.namespaced) throw errors.noSuchResource();
    if (req.subresource) {
      const known =
        (req.subresource === 'status' && info.status) ||
        (req.subresource === 'scale' && info.scale !== undefined) ||
        info.extraSubresources.some((s) => s.name === req.subresource);
      if (!known || !req.name) throw errors.noSuchResource();
    } else if (!info.verbs.includes(req.verb)) {
      throw errors.methodNotSupported(info.group, info.resource, req.verb);
    }
    if (info.namespaced && req.namespace === undefined) {
      // Across all namespaces a namespaced resource can only be listed and watched.
      if (req.name !== undefined) throw errors.noSuchResource();
      if (req.verb !== 'list' && req.verb !== 'watch')
        throw errors.methodNotSupported(info.group, info.resource, req.verb);
    }
    return info;
  }

  /**
   * Authorizes, then resolves a request: the HTTPS front end does this before reading a body.
   * Authorization comes first, as in kube-apiserver: who may not ask learns nothing of what exists.
   */
  async check(req: ResourceRequest): Promise<ResourceInfo> {
    await this.authorize(req);
    return this.resolve(req);
  }

  /** Serves a request; `checked` when check() already ran for it. */
  async serve(req: ResourceRequest, checked = false): Promise<HandlerResult> {
    try {
      return await this.dispatch(req, checked);
    } catch (err) {
      throw unavailableStoreToApi(err);
    }
  }

  private async dispatch(req: ResourceRequest, checked: boolean): Promise<HandlerResult> {
    const info = checked ? this.resolve(req) : await this.check(req);
    const scope = this.writeScope(req);
    const specialKey = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
    const special =
      this.deps.special.get(`${req.group}/${specialKey}`) ??
      (req.subresource ? this.deps.special.get(`*/${req.subresource}`) : undefined);
    if (special) return special.serve(req, info, scope);

    const { rest } = this.deps;
    const ns = req.namespace;
    // A write retried after a conflict may have warned twice about the same thing.
    const ok = (code: number, body: unknown): HandlerResult => ({
      code,
      body,
      warnings: [...new Set(scope.warnings)],
    });
    switch (req.verb) {
      case 'get':
        return ok(200, await rest.get(info, ns, req.name!));
      case 'list':
        return ok(200, await rest.list(info, ns, req.query));
      case 'create': {
        if (req.name !== undefined && !req.subresource)
          throw errors.methodNotSupported(info.group, info.resource, 'create');
        return ok(201, await rest.create(info, ns, req.body, scope));
      }
      case 'update': {
        const { object, created } = await rest.update(info, ns, req.name!, req.body, scope);
        return ok(created ? 201 : 200, object);
      }
      case 'patch': {
        if (!req.patchType) throw errors.unsupportedMediaType('');
        if (req.patchType === 'apply' && !req.query.fieldManager) {
          throw errors.badRequest('fieldManager is required for apply requests');
        }
        const { object, created } = await rest.patch(info, ns, req.name!, req.body, req.patchType, {
          ...scope,
          force: req.query.force,
        });
        return ok(created ? 201 : 200, object);
      }
      case 'delete': {
        const result = await rest.delete(info, ns, req.name!, deleteRequest(req));
        if (result.deleted) return ok(200, rest.deletedStatus(info, result.object));
        return ok(202, result.object);
      }
      case 'deletecollection':
        return ok(200, await rest.deleteCollection(info, ns, req.query, deleteRequest(req)));
      default:
        throw errors.methodNotSupported(info.group, info.resource, req.verb);
    }
  }

  async watch(req: ResourceRequest, sink: ApiWatchSink): Promise<ApiWatch> {
    const info = await this.check(req);
    const query = { ...req.query };
    if (req.name !== undefined) {
      // A watch on a single object is a watch on its collection filtered by name.
      const byName = `metadata.name=${req.name}`;
      query.fieldSelector = query.fieldSelector ? `${query.fieldSelector},${byName}` : byName;
    }
    return startWatch(this.deps.watch, info, req.namespace, query, sink).catch((err) => {
      throw unavailableStoreToApi(err);
    });
  }

  /** Refuses with 403 what RBAC does not allow the request's user. */
  async authorize(req: ResourceRequest): Promise<void> {
    const decision = await this.deps.authorizer.authorize({
      user: req.user,
      verb: req.verb,
      apiGroup: req.group,
      apiVersion: req.version,
      resource: req.resource,
      subresource: req.subresource ?? '',
      namespace: req.namespace ?? (req.group === '' && req.resource === 'namespaces' ? (req.name ?? '') : ''),
      name: req.name ?? fieldSelectedName(req.query.fieldSelector) ?? '',
      isResourceRequest: true,
      path: '',
    });
    if (!decision.allowed) {
      throw errors.forbidden(req.user.username, req.verb, req.group, req.resource, {
        namespace: req.namespace,
        name: req.name,
        subresource: req.subresource,
        reason: decision.reason,
      });
    }
  }

  private writeScope(req: ResourceRequest): WriteScope {
    const manager = req.query.fieldManager ?? defaultFieldManager(req.userAgent);
    if (manager.length > MAX_FIELD_MANAGER_LENGTH) {
      throw errors.badRequest(`fieldManager: Too long: may not be longer than ${MAX_FIELD_MANAGER_LENGTH}`);
    }
    const fieldValidation: FieldValidation = req.query.fieldValidation ?? 'Warn';
    return {
      dryRun: req.query.dryRun === true,
      fieldManager: manager,
      subresource: req.subresource,
      fieldValidation,
      warnings: [],
      user: req.user,
    };
  }
}

/**
 * A store that cannot serve (closed, failing to write, etcd out of reach) is a 503 the client may
 * retry, not an internal error: the request may well succeed once the store is back.
 */
function unavailableStoreToApi(err: unknown): unknown {
  if (!(err instanceof StoreUnavailableError)) return err;
  return errors.serviceUnavailable(`storage is unavailable: ${err.message}`);
}

/** A list or watch narrowed to one object by `metadata.name=x` is authorized as that object. */
function fieldSelectedName(selector: string | undefined): string | undefined {
  if (!selector) return undefined;
  const m = /(?:^|,)metadata\.name==?([^,]*)(?:,|$)/.exec(selector);
  return m ? m[1] : undefined;
}

/** DeleteOptions from the body and the query (the query wins, as in Kubernetes). */
export function deleteRequest(req: ResourceRequest): DeleteRequest {
  const body = isJsonObject(req.body) ? (req.body as Record<string, unknown>) : {};
  const pre = isJsonObject(body.preconditions)
    ? (body.preconditions as DeleteRequest['preconditions'])
    : undefined;
  let policy = req.query.propagationPolicy ?? (body.propagationPolicy as DeleteRequest['propagationPolicy']);
  const orphan = req.query.orphanDependents ?? (body.orphanDependents as boolean | undefined);
  if (policy === undefined && orphan !== undefined) policy = orphan ? 'Orphan' : 'Background';
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw errors.badRequest(
      `propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`,
    );
  }
  let grace = req.query.gracePeriodSeconds ?? (body.gracePeriodSeconds as number | undefined);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    if (typeof grace === 'number' && grace < 0) grace = 1;
    else throw errors.badRequest('gracePeriodSeconds: Invalid value: must be a non-negative integer');
  }
  const dryRun = req.query.dryRun === true || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
  return { propagationPolicy: policy, gracePeriodSeconds: grace, preconditions: pre, dryRun };
}
