// The HTTPS front end: one request in, one Kubernetes response out. Authentication, request
// parsing and limits, content negotiation, non-resource endpoints (discovery, OpenAPI, version,
// health, metrics) and streaming watches. Every failure is answered with a metav1.Status; no
// input can take the server down.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type Http2ServerRequest, type Http2ServerResponse, constants as http2Constants } from 'node:http2';
import type { Logger } from 'pino';
import type { Counter, Histogram, Registry } from 'prom-client';
import { stringify as toYaml } from 'yaml';
import type { KubeList, KubeObject } from '../../machinery/object.js';
import { ApiError, errorMessage, errors, type Status } from '../../machinery/status.js';
import type { Authenticator, UserInfo } from '../authn.js';
import type { Authorizer } from '../authorization.js';
import { aggregatedContentType, type Discovery } from '../discovery.js';
import type { HandlerResult, ResourceHandler } from '../handler.js';
import type { ResourceInfo } from '../registry/resource-info.js';
import type { ApiWatch, ResourceQuery, ResourceRequest } from '../request.js';
import { type IncludeObject, toTable } from '../tables.js';
import { decodeBody, negotiate, patchTypeOf, type Representation } from './negotiation.js';
import { parseRequestInfo, type ResourceRequestInfo } from './request-info.js';
import { type HttpRoute, matchRoute } from './routes.js';

/** Kubernetes' limit on request bodies. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface OpenApiEndpoints {
  /**
   * Answers /openapi/v2 and /openapi/v3/... paths; undefined when the path is unknown. The body
   * is a JSON value, or bytes to send as they are (the protobuf form of /openapi/v2).
   */
  document(
    path: string,
    accept: string | undefined,
  ): { body: unknown; etag: string; contentType: string } | undefined;
}

export interface FrontDeps {
  authenticator: Authenticator;
  authorizer: Authorizer;
  handler: ResourceHandler;
  discovery: Discovery;
  openapi?: OpenApiEndpoints;
  version: Record<string, string>;
  metrics: { registry: Registry; requests: Counter<string>; latency: Histogram<string> };
  logger: Logger;
  now(): Date;
  /** Whether the server is ready to serve (bootstrap finished). */
  ready(): boolean;
  /** Paths served beside the API (see HttpRoute). */
  routes?: readonly HttpRoute[];
}

function statusOf(err: unknown, logger: Logger, request: { verb: string; path: string }): Status {
  if (err instanceof ApiError) return err.status;
  // Structured: which request failed is a field (`request`), as `cluster` and `binding` are elsewhere.
  logger.error({ err, request }, 'internal error');
  return errors.internal(errorMessage(err)).status;
}

function warningHeader(warnings: string[]): string[] {
  return warnings.map((w) => `299 - ${JSON.stringify(w)}`);
}

function readBody(req: Req): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      reject(errors.requestEntityTooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(errors.requestEntityTooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/**
 * Whether a request asks to watch. As kube-apiserver, a value that is not a boolean still makes the
 * request a watch for authorization, and is refused (400) only after that.
 */
function watchParam(q: URLSearchParams): { requested: boolean; error?: ApiError } {
  try {
    return { requested: boolParam(q, 'watch') === true };
  } catch (err) {
    return { requested: true, error: err as ApiError };
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  // The spellings Go's strconv.ParseBool accepts, which is what Kubernetes parses query flags with.
  if (v === '' || ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw errors.badRequest(`${name}: Invalid value: "${v}": must be a boolean`);
}

function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw errors.badRequest(
      `${name}: Unsupported value: "${v}": supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  return v as T;
}

export function parseQuery(q: URLSearchParams): ResourceQuery {
  const query: ResourceQuery = {};
  const str = (name: keyof ResourceQuery) => {
    const v = q.get(name);
    if (v !== null) (query as Record<string, unknown>)[name] = v;
  };
  str('labelSelector');
  str('fieldSelector');
  str('continue');
  str('resourceVersion');
  str('fieldManager');
  query.resourceVersionMatch = oneOf(q, 'resourceVersionMatch', ['Exact', 'NotOlderThan'] as const);
  const limit = intParam(q, 'limit');
  if (limit !== undefined) {
    if (limit < 0) throw errors.badRequest(`limit: Invalid value: ${limit}: must be non-negative`);
    query.limit = limit;
  }
  const timeout = intParam(q, 'timeoutSeconds');
  if (timeout !== undefined) query.timeoutSeconds = Math.max(0, timeout);
  query.allowWatchBookmarks = boolParam(q, 'allowWatchBookmarks');
  query.sendInitialEvents = boolParam(q, 'sendInitialEvents');
  const dryRun = q.getAll('dryRun');
  if (dryRun.length > 0) {
    for (const d of dryRun) {
      if (d !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
    }
    query.dryRun = true;
  }
  query.fieldValidation = oneOf(q, 'fieldValidation', ['Ignore', 'Warn', 'Strict'] as const);
  query.force = boolParam(q, 'force');
  query.propagationPolicy = oneOf(q, 'propagationPolicy', ['Background', 'Foreground', 'Orphan'] as const);
  query.gracePeriodSeconds = intParam(q, 'gracePeriodSeconds');
  query.orphanDependents = boolParam(q, 'orphanDependents');
  for (const k of Object.keys(query) as (keyof ResourceQuery)[]) if (query[k] === undefined) delete query[k];
  return query;
}

function includeObjectOf(q: URLSearchParams): IncludeObject {
  return oneOf(q, 'includeObject', ['None', 'Metadata', 'Object'] as const) ?? 'Metadata';
}

export class ApiFront {
  constructor(private readonly deps: FrontDeps) {}

  /** The request listener for an http2 (allowHTTP1) or https server. */
  readonly listener = (req: Req, res: Res): void => {
    const started = process.hrtime.bigint();
    let verbLabel = 'unknown';
    let resourceLabel = '';
    res.on('finish', () => {
      // Answered before the body was read (refused, or too large): stop the client sending it,
      // as Go's server does, or its upload stalls against a connection nobody reads.
      if (!req.complete) abandonBody(req);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const code = String(res.statusCode);
      this.deps.metrics.requests.inc({ verb: verbLabel, resource: resourceLabel, code });
      if (verbLabel !== 'WATCH')
        this.deps.metrics.latency.observe({ verb: verbLabel, resource: resourceLabel }, seconds);
    });
    this.handle(req, res, (verb, resource) => {
      verbLabel = verb;
      resourceLabel = resource;
    }).catch((err) => {
      const path = (req.url ?? '/').split('?')[0]!;
      this.sendStatus(res, statusOf(err, this.deps.logger, { verb: req.method ?? 'GET', path }));
    });
  };

  private async handle(req: Req, res: Res, label: (verb: string, resource: string) => void): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const route = this.deps.routes ? matchRoute(this.deps.routes, url.pathname) : undefined;
    if (route?.public) {
      label(method, '');
      await this.route(req, res, route, method, undefined);
      return;
    }
    const user = this.authenticate(req);
    if (!user) {
      this.sendStatus(res, errors.unauthorized().status);
      return;
    }
    const watch = watchParam(url.searchParams);
    const info = parseRequestInfo(method, url.pathname, watch.requested);
    if (route) {
      label(method, '');
      if (await this.authorizePath(res, user, method, url.pathname)) {
        await this.route(req, res, route, method, user);
      }
      return;
    }
    if (!info.isResourceRequest) {
      label(method, '');
      await this.nonResource(req, res, url, user, method);
      return;
    }
    label(info.verb.toUpperCase(), info.resource);
    await this.resource(req, res, url, user, info, watch.error);
  }

  private authenticate(req: Req): UserInfo | null {
    return this.deps.authenticator.authenticate({ headers: req.headers, socket: req.socket });
  }

  private async route(
    req: Req,
    res: Res,
    route: HttpRoute,
    method: string,
    user: UserInfo | undefined,
  ): Promise<void> {
    if (!(route.methods ?? ['GET', 'HEAD']).includes(method)) {
      this.sendStatus(
        res,
        new ApiError(405, 'MethodNotAllowed', `the server does not allow ${method} on ${route.path}`).status,
      );
      return;
    }
    await route.handle(req, res, user);
  }

  /** RBAC on a non-resource path; answers 403 and returns false when the user may not. */
  private async authorizePath(res: Res, user: UserInfo, method: string, path: string): Promise<boolean> {
    const decision = await this.deps.authorizer.authorize({
      user,
      verb: method.toLowerCase(),
      apiGroup: '',
      apiVersion: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      isResourceRequest: false,
      path,
    });
    if (decision.allowed) return true;
    this.sendStatus(res, errors.forbiddenPath(user.username, method.toLowerCase(), path).status);
    return false;
  }

  private async nonResource(
    req: Req,
    res: Res,
    url: { pathname: string; searchParams: URLSearchParams },
    user: UserInfo,
    method: string,
  ): Promise<void> {
    const path = url.pathname;
    if (!(await this.authorizePath(res, user, method, path))) return;
    if (method !== 'GET' && method !== 'HEAD') {
      this.sendStatus(res, errors.noSuchResource().status);
      return;
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      const ok = path !== '/readyz' || this.deps.ready();
      this.sendText(res, ok ? 200 : 503, ok ? 'ok' : 'not ready');
      return;
    }
    if (path === '/version' || path === '/version/') {
      this.sendJson(res, 200, this.deps.version);
      return;
    }
    if (path === '/metrics') {
      const body = await this.deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (path.startsWith('/openapi/')) {
      const doc = this.deps.openapi?.document(path, header(req.headers, 'accept'));
      if (!doc) {
        this.sendStatus(res, errors.noSuchResource().status);
        return;
      }
      this.sendCached(req, res, doc.body, doc.etag, doc.contentType);
      return;
    }
    if (path === '/api' || path === '/apis' || path.startsWith('/api/') || path.startsWith('/apis/')) {
      const rep = negotiate(req.headers.accept, { discovery: true });
      const aggregated = rep.kind === 'aggregated-discovery' ? rep.version : undefined;
      let doc = this.deps.discovery.document(path, aggregated);
      let contentType = aggregated ? aggregatedContentType(aggregated) : 'application/json';
      if (!doc && aggregated) {
        doc = this.deps.discovery.document(path);
        contentType = 'application/json';
      }
      if (doc) {
        this.sendCached(req, res, doc.body, doc.etag, contentType);
        return;
      }
    }
    this.sendStatus(res, errors.noSuchResource().status);
  }

  private async resource(
    req: Req,
    res: Res,
    url: { pathname: string; searchParams: URLSearchParams },
    user: UserInfo,
    info: ResourceRequestInfo,
    watchError: ApiError | undefined,
  ): Promise<void> {
    const q = url.searchParams;
    const rr: ResourceRequest = {
      verb: info.verb,
      group: info.group,
      version: info.version,
      resource: info.resource,
      query: {},
      user,
      userAgent: header(req.headers, 'user-agent'),
    };
    if (info.subresource !== undefined) rr.subresource = info.subresource;
    if (info.namespace !== undefined) rr.namespace = info.namespace;
    if (info.name !== undefined) rr.name = info.name;
    // A list or watch narrowed to one name is authorized as that object.
    const fieldSelector = q.get('fieldSelector');
    if (fieldSelector !== null) rr.query.fieldSelector = fieldSelector;
    // Who may do what is settled first, as in kube-apiserver: before the query, the resource's
    // existence or a byte of the body is looked at.
    await this.deps.handler.authorize(rr);
    if (watchError) throw watchError;
    rr.query = parseQuery(q);
    const rep = negotiate(req.headers.accept);
    this.deps.handler.resolve(rr);
    const hasBody = ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(info.verb);
    if (hasBody) {
      const raw = await readBody(req);
      if (info.verb === 'patch') rr.patchType = patchTypeOf(header(req.headers, 'content-type'));
      rr.body = decodeBody(raw, header(req.headers, 'content-type'), rr.patchType);
      if (
        (info.verb === 'create' || info.verb === 'update' || info.verb === 'patch') &&
        rr.body === undefined
      ) {
        throw errors.badRequest('the request body is empty');
      }
    }
    if (info.verb === 'watch') {
      await this.watch(req, res, rr, rep, q);
      return;
    }
    const result = await this.deps.handler.serve(rr, true);
    this.sendResult(res, rr, result, rep, q);
  }

  private sendResult(
    res: Res,
    rr: ResourceRequest,
    result: HandlerResult,
    rep: Representation,
    q: URLSearchParams,
  ): void {
    const headers: Record<string, string | string[]> = {};
    if (result.warnings.length > 0) headers.warning = warningHeader(result.warnings);
    const body = result.body as Record<string, unknown>;
    const isStatus = body?.kind === 'Status';
    if (rep.kind === 'table' && !isStatus && (rr.verb === 'get' || rr.verb === 'list')) {
      const info = this.deps.handler.resolve(rr);
      const objects =
        rr.verb === 'list' ? (body as unknown as KubeList).items : [body as unknown as KubeObject];
      const meta =
        rr.verb === 'list'
          ? (body as unknown as KubeList).metadata
          : { resourceVersion: (body as unknown as KubeObject).metadata.resourceVersion };
      const table = toTable(info, objects, meta as Record<string, unknown>, {
        include: includeObjectOf(q),
        metaVersion: rep.version,
        now: this.deps.now(),
      });
      this.sendJson(res, result.code, table, headers);
      return;
    }
    if (rep.kind === 'metadata' && !isStatus && (rr.verb === 'get' || rr.verb === 'list')) {
      this.sendJson(res, result.code, toPartialMetadata(body, rr.verb === 'list', rep.version), headers);
      return;
    }
    if (rep.kind === 'yaml') {
      this.send(res, result.code, toYaml(body), 'application/yaml', headers);
      return;
    }
    this.sendJson(res, result.code, body, headers);
  }

  private async watch(
    req: Req,
    res: Res,
    rr: ResourceRequest,
    rep: Representation,
    q: URLSearchParams,
  ): Promise<void> {
    let info: ResourceInfo | undefined;
    if (rep.kind === 'table') info = this.deps.handler.resolve(rr);
    const include = includeObjectOf(q);
    let headersSent = false;
    let firstTable = true;
    const openStream = () => {
      if (headersSent) return;
      headersSent = true;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      (res as ServerResponse).flushHeaders?.();
    };
    let ended = false;
    const endStream = () => {
      if (ended) return;
      ended = true;
      openStream();
      res.end();
    };
    let handle: ApiWatch | undefined;
    let stopRequested = false;
    const stopWatch = () => {
      stopRequested = true;
      handle?.stop();
    };
    handle = await this.deps.handler.watch(rr, {
      event: (type, object) => {
        if (ended) return;
        openStream();
        let line: string | Buffer;
        if (info && rep.kind === 'table' && type !== 'ERROR' && type !== 'BOOKMARK') {
          const table = toTable(
            info,
            [object as KubeObject],
            { resourceVersion: (object as KubeObject).metadata.resourceVersion },
            {
              include,
              metaVersion: rep.version,
              now: this.deps.now(),
              noHeaders: !firstTable,
            },
          );
          firstTable = false;
          line = `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
        } else if (rep.kind === 'metadata' && type !== 'ERROR' && type !== 'BOOKMARK') {
          line = `{"type":"${type}","object":${JSON.stringify(toPartialMetadata(object as Record<string, unknown>, false, rep.version))}}\n`;
        } else {
          line = watchEventLine(type, object);
        }
        (res as ServerResponse).write(line);
        // A watcher that cannot keep up is cut off rather than buffering without bound.
        if (res.writableLength > 64 * 1024 * 1024) {
          this.deps.logger.warn({ resource: rr.resource }, 'closing a watch that does not read its events');
          stopWatch();
        }
      },
      end: endStream,
    });
    if (stopRequested) handle.stop();
    openStream();
    req.on('close', stopWatch);
    res.on('close', stopWatch);
  }

  private sendCached(req: Req, res: Res, body: unknown, etag: string, contentType: string): void {
    if (header(req.headers, 'if-none-match') === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    const payload = body instanceof Uint8Array ? body : serializeShared(body);
    this.send(res, 200, payload, contentType, { etag });
  }

  private sendStatus(res: Res, status: Status): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    this.sendJson(res, status.code, status);
  }

  private sendJson(
    res: Res,
    code: number,
    body: unknown,
    headers: Record<string, string | string[]> = {},
  ): void {
    this.send(res, code, JSON.stringify(body), 'application/json', headers);
  }

  private sendText(res: Res, code: number, text: string): void {
    this.send(res, code, text, 'text/plain; charset=utf-8');
  }

  private send(
    res: Res,
    code: number,
    text: string | Uint8Array,
    contentType: string,
    headers: Record<string, string | string[]> = {},
  ): void {
    const all: Record<string, string | string[]> = {
      'content-type': contentType,
      'cache-control': 'no-cache, private',
      ...headers,
    };
    // An answer before the whole body came in ends an HTTP/1.1 connection (see abandonBody): the
    // client must not send its next request on it.
    if (!res.req.complete && !('stream' in res.req)) all.connection = 'close';
    res.writeHead(code, all);
    res.end(text);
  }
}

/**
 * Ends a request whose body will not be read, so that its client stops sending into a connection
 * nobody reads. Over HTTP/2 the stream is reset with NO_ERROR (RFC 9113 §8.1: the answer stands);
 * an HTTP/1.1 connection closes once the answer is out (send() announced it with Connection: close).
 */
function abandonBody(req: Req): void {
  if ('stream' in req) {
    if (!req.stream.destroyed) req.stream.close(http2Constants.NGHTTP2_NO_ERROR);
  } else req.socket.destroySoon();
}

/** Path and query of a request target. Never throws: any target is a path to look up. */
function requestUrl(target: string): { pathname: string; searchParams: URLSearchParams } {
  const q = target.indexOf('?');
  const pathname = q >= 0 ? target.slice(0, q) : target;
  return {
    pathname: pathname.startsWith('/') ? pathname : `/${pathname}`,
    searchParams: new URLSearchParams(q >= 0 ? target.slice(q + 1) : ''),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// One change goes to every watcher as the same object: its event line is encoded once and the
// same bytes are written to each stream.
const eventLines = new WeakMap<object, Map<string, Buffer>>();
function watchEventLine(type: string, object: unknown): Buffer {
  if (typeof object !== 'object' || object === null) {
    return Buffer.from(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
  }
  let byType = eventLines.get(object);
  if (!byType) {
    byType = new Map();
    eventLines.set(object, byType);
  }
  let line = byType.get(type);
  if (!line) {
    line = Buffer.from(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
    byType.set(type, line);
  }
  return line;
}

// Objects shared by many watchers (or cached documents) are serialized once.
const serialized = new WeakMap<object, string>();
function serializeShared(obj: unknown): string {
  if (typeof obj !== 'object' || obj === null) return JSON.stringify(obj);
  let s = serialized.get(obj);
  if (s === undefined) {
    s = JSON.stringify(obj);
    serialized.set(obj, s);
  }
  return s;
}

function toPartialMetadata(
  body: Record<string, unknown>,
  isList: boolean,
  version: string,
): Record<string, unknown> {
  const apiVersion = `meta.k8s.io/${version}`;
  if (isList) {
    const list = body as unknown as KubeList;
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion,
      metadata: list.metadata,
      items: list.items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata })),
    };
  }
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: (body as unknown as KubeObject).metadata };
}
