// The HTTPS transport of the Client: a Kubernetes API server reached through a kubeconfig
// (server, CA, bearer token or client certificate).
//
// Connections: unary calls go over a keep-alive HTTP/1.1 pool, which bench/client/transport.ts
// measured faster than one HTTP/2 session at 32 concurrent callers (about 1.2x the creates and
// 1.4x the gets per second, at the same client CPU per call); watches go over one HTTP/2 session
// per server, so that a process watching many resources of many clusters holds one connection
// per cluster for all of them rather than one per watch.

import type { OutgoingHttpHeaders } from 'node:http';
import type { ResolvedKubeconfig } from '../machinery/kubeconfig.js';
import { KubeconfigError } from '../machinery/kubeconfig.js';
import type { KubeList, KubeObject } from '../machinery/object.js';
import { patchContentTypes } from '../machinery/patch/patch-type.js';
import type { Status } from '../machinery/status.js';
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
import { loadKubeconfig } from './kubeconfig-file.js';
import { NetworkError, toNetworkError } from './network-error.js';
import { deleteOptionsBody, listQuery, resourcePath, watchQuery, writeQuery } from './paths.js';
import { type ErrorContext, responseError } from './response-error.js';
import type { DiscoveryClient } from './rest-mapper.js';
import { collectionTarget, createTarget, objectTarget, type Target, writeTarget } from './target.js';
import { Http1Transport, Http2Transport, type HttpStream, type Transport } from './transport.js';
import { DEFAULT_USER_AGENT } from './version.js';
import { parseWarnings } from './warnings.js';
import { WatchDecoder } from './watch-decoder.js';

export interface HttpsClientOptions {
  /** Sent as User-Agent; the server derives default field managers from it. Default concord/<version>. */
  userAgent?: string;
  /** Limit for each non-watch call, and for a watch to be accepted. Default 30 s; 0 = none. */
  timeoutMs?: number;
  /**
   * 'auto' (default): HTTP/1.1 for calls, HTTP/2 for watches. 'h2': HTTP/2 for everything.
   * 'http/1.1': HTTP/1.1 for everything (servers and proxies without HTTP/2).
   */
  protocol?: 'auto' | 'h2' | 'http/1.1';
  /** Called with the text of each Warning header the server sends. */
  onWarning?: (warning: string) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// Aggregated discovery first (one request for everything), the legacy documents otherwise.
export const DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

function checkCredentials(cfg: ResolvedKubeconfig): void {
  const where = `kubeconfig context "${cfg.contextName}"`;
  if (cfg.caFile && !cfg.caPem)
    throw new KubeconfigError(
      `${where}: certificate-authority ${cfg.caFile} is not loaded (use loadKubeconfig)`,
    );
  if (cfg.certFile && !cfg.certPem)
    throw new KubeconfigError(
      `${where}: client-certificate ${cfg.certFile} is not loaded (use loadKubeconfig)`,
    );
  if (cfg.keyFile && !cfg.keyPem)
    throw new KubeconfigError(`${where}: client-key ${cfg.keyFile} is not loaded (use loadKubeconfig)`);
  if (cfg.tokenFile && !cfg.token)
    throw new KubeconfigError(`${where}: tokenFile ${cfg.tokenFile} is not loaded (use loadKubeconfig)`);
  if (Boolean(cfg.certPem) !== Boolean(cfg.keyPem))
    throw new KubeconfigError(`${where}: a client certificate needs both the certificate and its key`);
}

/** The connections of a client: calls and watches (the same transport unless the protocol is 'auto'). */
export interface HttpsTransports {
  calls: Transport;
  streams: Transport;
}

/** Connections to the kubeconfig's server with its credentials, by the protocol (default 'auto'). */
export function openTransports(
  config: ResolvedKubeconfig,
  protocol: HttpsClientOptions['protocol'] = 'auto',
): HttpsTransports {
  if (protocol !== 'auto' && protocol !== 'h2' && protocol !== 'http/1.1') {
    throw new TypeError(`protocol must be "auto", "h2" or "http/1.1", not "${String(protocol)}"`);
  }
  const origin = new URL(new URL(config.server).origin);
  const tls = {
    ca: config.caPem,
    cert: config.certPem,
    key: config.keyPem,
    servername: config.tlsServerName,
    rejectUnauthorized: !config.insecure,
  };
  if (config.proxyUrl) {
    // Through a proxy, HTTP/1.1 only: the tunnel is made per connection by the proxy agent.
    const proxied = new Http1Transport(origin, tls, {
      url: config.proxyUrl,
      ...(config.proxyHeaders ? { headers: config.proxyHeaders } : {}),
    });
    return { calls: proxied, streams: proxied };
  }
  const calls = protocol === 'h2' ? new Http2Transport(origin, tls) : new Http1Transport(origin, tls);
  return { calls, streams: protocol === 'auto' ? new Http2Transport(origin, tls) : calls };
}

export class HttpsClient implements Client, DiscoveryClient {
  /** The server URL from the kubeconfig. */
  readonly server: string;
  /** The kubeconfig context's namespace, if it names one (callers decide whether to use it). */
  readonly namespace: string | undefined;
  private readonly origin: URL;
  /** A path prefix of the server URL (servers behind a proxy: https://host/k8s/clusters/x). */
  private readonly basePath: string;
  /** For calls. */
  private readonly transport: Transport;
  /** For watches (may be the same). */
  private readonly streams: Transport;
  private readonly headers: OutgoingHttpHeaders;
  private readonly timeoutMs: number;
  private readonly onWarning: ((warning: string) => void) | undefined;

  /** Reads a kubeconfig file (and the files it names) and connects to its context's server. */
  static async fromKubeconfigFile(
    path: string,
    context?: string,
    opts: HttpsClientOptions = {},
  ): Promise<HttpsClient> {
    return new HttpsClient(await loadKubeconfig(path, context), opts);
  }

  /**
   * `config` must carry its credentials inline (as loadKubeconfig returns them). With
   * `transports` (to the same server with the same credentials, see openTransports) the client
   * uses those instead of opening its own; close() closes them all the same.
   */
  constructor(config: ResolvedKubeconfig, opts: HttpsClientOptions = {}, transports?: HttpsTransports) {
    checkCredentials(config);
    this.server = config.server;
    this.namespace = config.namespace;
    const url = new URL(config.server);
    if (url.protocol !== 'https:') {
      throw new KubeconfigError(
        `kubeconfig context "${config.contextName}": server ${config.server} is not an https URL`,
      );
    }
    this.origin = new URL(url.origin);
    this.basePath = url.pathname.replace(/\/+$/, '');
    const own = transports ?? openTransports(config, opts.protocol);
    this.transport = own.calls;
    this.streams = own.streams;
    this.headers = { 'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT, accept: 'application/json' };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onWarning = opts.onWarning;
  }

  /** Closes the connection; calls in flight and open watches fail or end. */
  close(): void {
    this.transport.close();
    this.streams.close();
  }

  async get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    opts: { namespace?: string; subresource?: string } = {},
  ): Promise<T> {
    const target = objectTarget(ref, name, opts.namespace, opts.subresource);
    return this.call<T>('GET', ref, target, '');
  }

  async list<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    const target = collectionTarget(ref, opts.namespace);
    return this.call<KubeList<T>>('GET', ref, target, listQuery(opts));
  }

  async create<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    const target = createTarget(ref, obj, opts.namespace, opts.subresource);
    return this.call<T>('POST', ref, target, writeQuery(opts), JSON.stringify(obj), 'application/json');
  }

  async update<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    const target = writeTarget(ref, obj, opts.namespace, opts.subresource);
    return this.call<T>('PUT', ref, target, writeQuery(opts), JSON.stringify(obj), 'application/json');
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const contentType = patchContentTypes[type];
    if (!contentType) throw new TypeError(`unknown patch type "${String(type)}"`);
    const target = objectTarget(ref, name, opts.namespace, opts.subresource);
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.call<T>('PATCH', ref, target, writeQuery(opts), body, contentType);
  }

  async apply<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean },
  ): Promise<T> {
    const target = writeTarget(ref, obj, undefined, opts.subresource);
    // JSON is YAML: the apply content type takes it as it is.
    return this.call<T>('PATCH', ref, target, writeQuery(opts), JSON.stringify(obj), patchContentTypes.apply);
  }

  async delete(ref: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    const target = objectTarget(ref, name, opts.namespace);
    const body = JSON.stringify(deleteOptionsBody(opts));
    return this.call<KubeObject | Status>('DELETE', ref, target, '', body, 'application/json');
  }

  async deleteCollection(
    ref: ResourceRef,
    opts: ListOptions & DeleteOptions = {},
  ): Promise<Status | KubeList> {
    const target = collectionTarget(ref, opts.namespace);
    const body = JSON.stringify(deleteOptionsBody(opts));
    return this.call<Status | KubeList>('DELETE', ref, target, listQuery(opts), body, 'application/json');
  }

  async watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    callbacks: WatchCallbacks<T>,
  ): Promise<WatchHandle> {
    const target = collectionTarget(ref, opts.namespace);
    const path = this.basePath + resourcePath(ref, target) + watchQuery(opts);
    // The timeout covers the server accepting the watch, not the stream that follows.
    const stream = await this.streams.stream({
      method: 'GET',
      path,
      headers: this.headers,
      timeoutMs: this.timeoutMs,
    });
    if (stream.status !== 200) {
      const body = await this.readErrorBody(stream, `GET ${this.origin.origin}${path}`);
      throw responseError(stream.status, stream.headers, body, errorContext('GET', ref, target));
    }
    this.warn(stream.headers.warning);
    return followWatch(stream, callbacks, `GET ${this.origin.origin}${path.split('?')[0]}`);
  }

  /**
   * A discovery document: /api and /apis answer in the aggregated form when the server has it
   * (APIGroupDiscoveryList), else the legacy forms (APIVersions, APIGroupList, APIResourceList).
   */
  async discover(path: string): Promise<unknown> {
    return this.getRaw(path, DISCOVERY_ACCEPT);
  }

  /** GET of any path (/version, /healthz, /openapi/v3 ...): JSON parsed, anything else as text. */
  async getRaw(path: string, accept = 'application/json'): Promise<unknown> {
    const doc = await this.getDocument(path, { accept });
    return doc.notModified ? undefined : doc.body;
  }

  /**
   * GET of any path, with the ETag the server gave (discovery and OpenAPI documents have one).
   * With `etag`, a document that has not changed since comes back as notModified (304), without
   * a body to transfer and parse. `timeoutMs` overrides the client's limit for this request.
   */
  async getDocument(
    path: string,
    opts: { accept?: string; etag?: string; timeoutMs?: number } = {},
  ): Promise<{ notModified: true } | { notModified: false; body: unknown; etag?: string }> {
    const full = this.basePath + (path.startsWith('/') ? path : `/${path}`);
    const headers: OutgoingHttpHeaders = { ...this.headers, accept: opts.accept ?? 'application/json' };
    if (opts.etag) headers['if-none-match'] = opts.etag;
    const res = await this.transport.request({
      method: 'GET',
      path: full,
      headers,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
    });
    if (res.status === 304 && opts.etag) return { notModified: true };
    if (res.status < 200 || res.status >= 300)
      throw responseError(res.status, res.headers, res.body, { method: 'GET' });
    const etagHeader = res.headers.etag;
    const etag = typeof etagHeader === 'string' ? etagHeader : undefined;
    const type = String(res.headers['content-type'] ?? '');
    const text = res.body.toString('utf8');
    if (!type.includes('json')) return { notModified: false, body: text, ...(etag ? { etag } : {}) };
    try {
      return { notModified: false, body: JSON.parse(text), ...(etag ? { etag } : {}) };
    } catch (err) {
      throw new NetworkError(
        'Protocol',
        `GET ${this.origin.origin}${full}`,
        `response is not JSON: ${(err as Error).message}`,
      );
    }
  }

  private async call<T>(
    method: string,
    ref: ResourceRef,
    target: Target,
    query: string,
    body?: string,
    contentType?: string,
  ): Promise<T> {
    const path = this.basePath + resourcePath(ref, target) + query;
    const headers = contentType ? { ...this.headers, 'content-type': contentType } : this.headers;
    const res = await this.transport.request({ method, path, headers, body, timeoutMs: this.timeoutMs });
    this.warn(res.headers.warning);
    if (res.status < 200 || res.status >= 300) {
      throw responseError(res.status, res.headers, res.body, errorContext(method, ref, target));
    }
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch (err) {
      throw new NetworkError(
        'Protocol',
        `${method} ${this.origin.origin}${path.split('?')[0]}`,
        `response (HTTP ${res.status}) is not JSON: ${(err as Error).message}`,
      );
    }
  }

  private async readErrorBody(stream: HttpStream, what: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new NetworkError('Timeout', what, 'the error body did not arrive')),
          this.timeoutMs || DEFAULT_TIMEOUT_MS,
        );
        stream.body.on('data', (c: Buffer) => chunks.push(c));
        stream.body.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
        stream.body.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } catch (err) {
      stream.close();
      throw toNetworkError(err, what);
    }
    stream.close();
    return Buffer.concat(chunks);
  }

  private warn(header: string | string[] | undefined): void {
    if (!this.onWarning || header === undefined) return;
    for (const w of parseWarnings(header)) this.onWarning(w);
  }
}

function errorContext(method: string, ref: ResourceRef, target: Target): ErrorContext {
  const ctx: ErrorContext = { method, group: ref.group, resource: ref.resource };
  if (target.name !== undefined) ctx.name = target.name;
  return ctx;
}

/** Delivers a watch response's events until it ends, fails or is stopped; onClose exactly once. */
function followWatch<T extends KubeObject>(
  stream: HttpStream,
  callbacks: WatchCallbacks<T>,
  what: string,
): WatchHandle {
  const decoder = new WatchDecoder();
  let closed = false;
  let ended = false;
  const finish = (err?: Error) => {
    if (closed) return;
    closed = true;
    stream.close();
    callbacks.onClose(err);
  };
  const deliver = (events: WatchEvent[]) => {
    for (const e of events) {
      if (closed) return;
      try {
        callbacks.onEvent(e as WatchEvent<T>);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  };
  stream.body.on('data', (chunk: Buffer) => {
    if (closed) return;
    let events: WatchEvent[];
    try {
      events = decoder.push(chunk);
    } catch (err) {
      finish(new NetworkError('Protocol', what, (err as Error).message));
      return;
    }
    deliver(events);
  });
  stream.body.once('end', () => {
    ended = true;
    if (closed) return;
    try {
      deliver(decoder.end());
    } catch (err) {
      finish(new NetworkError('Protocol', what, (err as Error).message));
    }
  });
  stream.body.once('error', (err) => finish(toNetworkError(err, what)));
  stream.body.once('close', () => {
    // Decided at close, not at end: a response cut off by a reset or by a server that went
    // away may still have emitted 'end'.
    const broken = stream.brokenOff?.();
    if (broken) finish(broken);
    else if (!ended) {
      finish(
        toNetworkError(
          Object.assign(new Error('the watch stream was cut off'), { code: 'ECONNRESET' }),
          what,
        ),
      );
    } else finish();
  });
  return { stop: () => finish() };
}
