// The wire under HttpsClient: TLS connections to one API server, kept alive and shared by every
// request, with request timeouts and network failures turned into NetworkError.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { type ConnectionOptions, createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { NetworkError, toNetworkError } from './network-error.js';

export interface TlsSettings {
  /** PEM bundle to trust; absent: the system's roots. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Name to verify the server's certificate against (kubeconfig tls-server-name). */
  servername?: string;
  /** False only for kubeconfig insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
}

/** A proxy between the client and the server: every connection is tunnelled through it. */
export interface ProxySettings {
  /** http, https (an HTTP CONNECT proxy) or socks5. */
  url: string;
  /** Headers of the CONNECT request (Proxy-Authorization and the like). */
  headers?: Record<string, string>;
}

export interface HttpRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Gives up (NetworkError 'Timeout') when the whole exchange takes longer; 0 = never. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A response whose body is read as it arrives (watches). */
export interface HttpStream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Abandons the response and releases the connection's stream. */
  close(): void;
  /** After the body closed: the error if the response was cut off rather than finished. */
  brokenOff?(): Error | undefined;
}

export interface Transport {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Resolves when the response headers arrive. */
  stream(req: HttpRequest): Promise<HttpStream>;
  close(): void;
}

// One TLS context per trust and credential, shared by every connection and every client that
// uses them: Node otherwise builds a context (parsing the CA, certificate and key) for each new
// connection, which a hub with a thousand members, each reached by several clients, pays
// again and again. A context nobody holds any more is collected, and its entry with it.
const contexts = new Map<string, WeakRef<SecureContext>>();
const forgetContext = new FinalizationRegistry<string>((key) => {
  if (contexts.get(key)?.deref() === undefined) contexts.delete(key);
});

/** The shared context, or undefined when the settings are bad (each connection then fails with why). */
export function sharedSecureContext(tls: TlsSettings): SecureContext | undefined {
  const key = createHash('sha256')
    .update([tls.ca ?? '', tls.cert ?? '', tls.key ?? ''].join('\u0000'))
    .digest('hex');
  const known = contexts.get(key)?.deref();
  if (known) return known;
  let context: SecureContext;
  try {
    context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  } catch {
    return undefined;
  }
  contexts.set(key, new WeakRef(context));
  forgetContext.register(context, key);
  return context;
}

function describe(origin: URL, req: HttpRequest): string {
  return `${req.method} ${origin.origin}${req.path.split('?')[0]}`;
}

function timeoutError(what: string, ms: number): NetworkError {
  return new NetworkError('Timeout', what, `no response within ${ms} ms`, 'ETIMEDOUT');
}

function readAll(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    body.once('error', reject);
    body.once('aborted', () =>
      reject(Object.assign(new Error('the response was aborted'), { code: 'ECONNRESET' })),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 with a keep-alive Agent

const DEFAULT_PROXY_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'socks5:': 1080 };

export class Http1Transport implements Transport {
  private readonly agent: https.Agent;
  /** The TLS settings of each request, when the agent is a proxy's (it must not use them for the proxy). */
  private readonly requestTls: ConnectionOptions = {};
  /** The proxy, without its credentials, for messages. */
  private readonly proxyName: string | undefined;
  private readonly proxyAddress: string | undefined;
  private closed = false;

  constructor(
    private readonly origin: URL,
    tls: TlsSettings,
    proxy?: ProxySettings,
  ) {
    const secureContext = sharedSecureContext(tls);
    // TLS to the server: the agent's own settings, or each request's when a proxy agent tunnels.
    const serverTls: ConnectionOptions = {
      ...(secureContext ? { secureContext } : {}),
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      servername: tls.servername,
      rejectUnauthorized: tls.rejectUnauthorized,
    };
    if (proxy) {
      this.requestTls = serverTls;
      const url = new URL(proxy.url);
      this.proxyName = `${url.protocol}//${url.host}`;
      this.proxyAddress = `${url.hostname.replace(/^\[|\]$/g, '')}:${url.port || DEFAULT_PROXY_PORTS[url.protocol]}`;
      this.agent = url.protocol.startsWith('socks')
        ? new SocksProxyAgent(proxy.url, { keepAlive: true })
        : new HttpsProxyAgent(proxy.url, { keepAlive: true, headers: { ...proxy.headers } });
      return;
    }
    this.agent = new https.Agent({ keepAlive: true, scheduling: 'lifo', maxFreeSockets: 64, ...serverTls });
  }

  /**
   * Sends the request; resolves with the response once its headers arrive. `handle.abort`
   * destroys whichever request is current, before or after the response began.
   */
  private open(req: HttpRequest, handle: { abort(): void }, attempt = 0): Promise<IncomingMessage> {
    const what = describe(this.origin, req);
    if (this.closed) return Promise.reject(new NetworkError('Closed', what, 'the client is closed'));
    return new Promise((resolve, reject) => {
      const r = https.request({
        ...this.requestTls,
        agent: this.agent,
        protocol: 'https:',
        hostname: this.origin.hostname.replace(/^\[|\]$/g, ''),
        port: this.origin.port || 443,
        method: req.method,
        path: req.path,
        // Node frames a DELETE body only when told its length.
        headers:
          req.body === undefined
            ? req.headers
            : { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
      });
      handle.abort = () => r.destroy();
      let answered = false;
      r.once('response', (res) => {
        answered = true;
        // The proxy agent hands the proxy's own answer to a refused CONNECT over a plain socket:
        // it is the proxy speaking, not the server.
        if (this.proxyName && !(res.socket instanceof TLSSocket)) {
          res.resume();
          const status = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
          reject(
            new NetworkError('Proxy', what, `the proxy ${this.proxyName} refused the tunnel: ${status}`),
          );
          return;
        }
        resolve(res);
      });
      r.once('error', (err) => {
        // A kept-alive socket the server closed just as we reused it: nothing reached the
        // server, so sending again is safe.
        const code = (err as NodeJS.ErrnoException).code;
        if (!answered && r.reusedSocket && attempt === 0 && (code === 'ECONNRESET' || code === 'EPIPE')) {
          this.open(req, handle, 1).then(resolve, reject);
          return;
        }
        reject((!answered && this.proxyError(err, what)) || toNetworkError(err, what));
      });
      r.end(req.body);
    });
  }

  /** A failure to reach the proxy, or its refusal (the SOCKS client's errors name their proxy). */
  private proxyError(err: Error, what: string): NetworkError | undefined {
    if (!this.proxyName) return undefined;
    const e = err as NodeJS.ErrnoException & {
      address?: string;
      port?: number;
      options?: { proxy?: unknown };
    };
    const atProxy = e.address !== undefined && `${e.address}:${e.port}` === this.proxyAddress;
    if (!atProxy && !e.options?.proxy) return undefined;
    const unreachable = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(
      `${e.code ?? ''} ${e.message}`,
    );
    const message = unreachable
      ? `cannot reach the proxy ${this.proxyName} (${e.message})`
      : `the proxy ${this.proxyName} refused the tunnel: ${e.message}`;
    return new NetworkError('Proxy', what, message, e.code, { cause: err });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const what = describe(this.origin, req);
    return withTimeout(req.timeoutMs, what, async (onAbort) => {
      const handle: { abort(): void } = { abort: () => undefined };
      onAbort(() => handle.abort());
      const res = await this.open(req, handle);
      try {
        const body = await readAll(res);
        return { status: res.statusCode ?? 0, headers: res.headers, body };
      } catch (err) {
        throw toNetworkError(err, what);
      }
    });
  }

  async stream(req: HttpRequest): Promise<HttpStream> {
    const what = describe(this.origin, req);
    const handle: { abort(): void } = { abort: () => undefined };
    const res = await withTimeout(req.timeoutMs, what, (onAbort) => {
      onAbort(() => handle.abort());
      return this.open(req, handle);
    });
    let closedHere = false;
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: res,
      close: () => {
        closedHere = true;
        handle.abort();
      },
      brokenOff: () =>
        !closedHere && !res.complete
          ? toNetworkError(Object.assign(new Error('the response was cut off'), { code: 'ECONNRESET' }), what)
          : undefined,
    };
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP/2: one session per server, every request a stream on it

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH } = http2.constants;

export class Http2Transport implements Transport {
  private session: { session: http2.ClientHttp2Session; state: SessionState } | undefined;
  private closed = false;

  constructor(
    private readonly origin: URL,
    private readonly tls: TlsSettings,
  ) {
    this.secureContext = sharedSecureContext(tls);
  }

  private readonly secureContext: SecureContext | undefined;

  private getSession(): { session: http2.ClientHttp2Session; state: SessionState } {
    const current = this.session;
    if (current && !current.session.closed && !current.session.destroyed) return current;
    const state: SessionState = { active: 0 };
    const session = http2.connect(this.origin.origin, {
      ...(this.secureContext ? { secureContext: this.secureContext } : {}),
      ca: this.tls.ca,
      cert: this.tls.cert,
      key: this.tls.key,
      servername: this.tls.servername,
      rejectUnauthorized: this.tls.rejectUnauthorized,
      settings: { enablePush: false },
    });
    const entry = { session, state };
    const forget = () => {
      if (this.session === entry) this.session = undefined;
    };
    session.on('error', (err) => {
      state.error = err;
      forget();
    });
    session.on('goaway', forget);
    session.on('close', forget);
    // Idle sessions do not keep the process alive; streams in flight ref it (see track()).
    session.unref();
    this.session = entry;
    return entry;
  }

  private track(
    session: http2.ClientHttp2Session,
    state: SessionState,
    stream: http2.ClientHttp2Stream,
  ): void {
    if (state.active++ === 0) session.ref();
    stream.once('close', () => {
      if (--state.active === 0 && !session.destroyed) session.unref();
    });
  }

  private start(req: HttpRequest): {
    stream: http2.ClientHttp2Stream;
    response: Promise<IncomingHttpHeaders>;
    state: SessionState;
  } {
    const what = describe(this.origin, req);
    if (this.closed) throw new NetworkError('Closed', what, 'the client is closed');
    const { session, state } = this.getSession();
    const headers: OutgoingHttpHeaders = { [HTTP2_HEADER_METHOD]: req.method, [HTTP2_HEADER_PATH]: req.path };
    for (const [k, v] of Object.entries(req.headers)) {
      const lower = k.toLowerCase();
      if (lower !== 'connection' && lower !== 'host' && lower !== 'content-length') headers[lower] = v;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: req.body === undefined });
    } catch (err) {
      throw toNetworkError(state.error ?? err, what);
    }
    this.track(session, state, stream);
    const response = new Promise<IncomingHttpHeaders>((resolve, reject) => {
      // A stream fails as a consequence of its session failing (refused, TLS); the session's
      // error, which may be reported just after the stream's, says what really happened.
      const fail = (err: unknown) =>
        setImmediate(() => reject(toNetworkError(sessionCause(state, err), what)));
      stream.once('response', (h) => resolve(h as IncomingHttpHeaders));
      stream.once('error', fail);
      stream.once('close', () =>
        fail(Object.assign(new Error('the stream was closed'), { code: 'ECONNRESET' })),
      );
    });
    if (req.body !== undefined) stream.end(req.body);
    return { stream, response, state };
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const what = describe(this.origin, req);
    return withTimeout(req.timeoutMs, what, async (onAbort) => {
      const { stream, response, state } = this.start(req);
      onAbort(() => this.abandon(stream));
      const headers = await response;
      try {
        const body = await readAll(stream);
        return { status: Number(headers[HTTP2_HEADER_STATUS]), headers, body };
      } catch (err) {
        throw toNetworkError(sessionCause(state, err), what);
      }
    });
  }

  async stream(req: HttpRequest): Promise<HttpStream> {
    const what = describe(this.origin, req);
    return withTimeout(req.timeoutMs, what, async (onAbort) => {
      const { stream, response, state } = this.start(req);
      let closedHere = false;
      const close = () => {
        closedHere = true;
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      onAbort(() => {
        closedHere = true;
        this.abandon(stream);
      });
      const headers = await response;
      const brokenOff = () => {
        // A response ends well with END_STREAM (reset code NO_ERROR); a reset or a session torn
        // down (server stopped) ends it with another code, even if 'end' was emitted.
        if (
          closedHere ||
          stream.rstCode === undefined ||
          stream.rstCode === http2.constants.NGHTTP2_NO_ERROR
        ) {
          return undefined;
        }
        const err =
          state.error ??
          Object.assign(new Error(`stream reset with code ${stream.rstCode}`), { code: 'ECONNRESET' });
        return toNetworkError(err, what);
      };
      return { status: Number(headers[HTTP2_HEADER_STATUS]), headers, body: stream, close, brokenOff };
    });
  }

  /** Gives up on a stream that timed out; a session that never connected goes with it. */
  private abandon(stream: http2.ClientHttp2Stream): void {
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    const entry = this.session;
    if (entry && entry.session === stream.session && entry.session.connecting) {
      this.session = undefined;
      entry.session.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.session?.session.destroy();
    this.session = undefined;
  }
}

interface SessionState {
  /** Why the session failed, once it has. */
  error?: Error;
  /** Streams open on it: while there are any, the session keeps the process alive. */
  active: number;
}

function sessionCause(state: SessionState, err: unknown): unknown {
  return state.error ?? (err as { cause?: unknown } | undefined)?.cause ?? err;
}

/** Runs `fn`, failing with a Timeout NetworkError (and aborting what fn registered) after ms. */
async function withTimeout<T>(
  ms: number,
  what: string,
  fn: (onAbort: (abort: () => void) => void) => Promise<T>,
): Promise<T> {
  if (!ms || ms <= 0) return fn(() => undefined);
  const aborts: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const a of aborts) a();
      reject(timeoutError(what, ms));
    }, ms);
  });
  const work = fn((a) => aborts.push(a));
  // The loser of the race must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
