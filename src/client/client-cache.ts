// HTTPS clients for many servers, shared by every controller of a process that reaches them (the
// hub's controllers and its member clusters): one client per distinct connection — server, CA,
// credential, TLS settings — made on first use, told apart from a changed connection by a
// fingerprint of all of those, and closed once nobody has held it for a while. The connections
// themselves (the HTTP/1.1 pool and the HTTP/2 session) are shared further, by every cache of the
// process: each controller keeps its own client (its user agent, its timeouts) over the same TLS
// connections, so a member reached by the status, networking, execution and provisioning
// controllers costs the hub and the member one set of connections rather than one each.

import { createHash } from 'node:crypto';
import type { ResolvedKubeconfig } from '../machinery/kubeconfig.js';
import { HttpsClient, type HttpsClientOptions, type HttpsTransports, openTransports } from './https.js';
import { NetworkError } from './network-error.js';
import type { HttpRequest, HttpResponse, HttpStream, Transport } from './transport.js';

/** A client held from the cache; release() when done with it (the cache closes it later). */
export interface ClientLease {
  readonly client: HttpsClient;
  /** The connection's fingerprint: equal fingerprints, same connection. */
  readonly fingerprint: string;
  release(): void;
}

export interface HttpsClientCacheOptions {
  /** Options of every client made (timeouts, protocol, user agent). */
  clientOptions?: HttpsClientOptions;
  /** How long a client nobody holds stays open for the next taker (default 30 s). */
  idleCloseMs?: number;
}

interface Entry {
  client: HttpsClient;
  holders: number;
  idleTimer: NodeJS.Timeout | undefined;
}

interface SharedConnections {
  transports: HttpsTransports;
  /** Clients using them. */
  users: number;
}

/** The process's connections by fingerprint and protocol. */
const connections = new Map<string, SharedConnections>();

/**
 * A client's use of shared connections: it refuses calls once closed, and closing it ends its
 * own watches and gives its hold back (`onClose`).
 */
class HeldTransport implements Transport {
  private closed = false;
  private readonly open = new Set<HttpStream>();

  constructor(
    private readonly shared: Transport,
    private readonly onClose: () => void,
  ) {}

  request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(closedError(req));
    return this.shared.request(req);
  }

  async stream(req: HttpRequest): Promise<HttpStream> {
    if (this.closed) throw closedError(req);
    const stream = await this.shared.stream(req);
    if (this.closed) {
      stream.close();
      throw closedError(req);
    }
    this.open.add(stream);
    stream.body.once('close', () => this.open.delete(stream));
    return stream;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.open) s.close();
    this.open.clear();
    this.onClose();
  }
}

function closedError(req: HttpRequest): NetworkError {
  return new NetworkError('Closed', `${req.method} ${req.path.split('?')[0]}`, 'the client is closed');
}

/** A client over the process's connections for `config`; its close() gives its hold on them back. */
function sharedClient(config: ResolvedKubeconfig, opts: HttpsClientOptions = {}): HttpsClient {
  const key = `${connectionFingerprint(config)}/${opts.protocol ?? 'auto'}`;
  let shared = connections.get(key);
  if (!shared) {
    shared = { transports: openTransports(config, opts.protocol), users: 0 };
    connections.set(key, shared);
  }
  const held = shared;
  let holding = true;
  const release = () => {
    if (!holding) return;
    holding = false;
    if (--held.users > 0) return;
    if (connections.get(key) === held) connections.delete(key);
    held.transports.calls.close();
    held.transports.streams.close();
  };
  held.users++;
  const calls = new HeldTransport(held.transports.calls, release);
  const streams =
    held.transports.streams === held.transports.calls
      ? calls
      : new HeldTransport(held.transports.streams, release);
  try {
    return new HttpsClient(config, opts, { calls, streams });
  } catch (err) {
    release();
    throw err;
  }
}

/** A fingerprint of everything that decides where and as whom a client connects. */
export function connectionFingerprint(config: ResolvedKubeconfig): string {
  const parts = [
    config.server,
    config.caPem ?? '',
    config.certPem ?? '',
    config.keyPem ?? '',
    config.token ?? '',
    config.insecure ? 'insecure' : '',
    config.tlsServerName ?? '',
    config.proxyUrl ?? '',
    JSON.stringify(config.proxyHeaders ?? {}),
  ];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

export class HttpsClientCache {
  private readonly entries = new Map<string, Entry>();
  private readonly idleCloseMs: number;
  private closed = false;

  constructor(private readonly opts: HttpsClientCacheOptions = {}) {
    this.idleCloseMs = opts.idleCloseMs ?? 30_000;
  }

  /**
   * The client for this connection, shared with every other holder of the same connection.
   * `config` carries its credentials inline (as loadKubeconfig returns them); a bad one throws
   * the client's KubeconfigError.
   */
  acquire(config: ResolvedKubeconfig): ClientLease {
    if (this.closed) throw new Error('the client cache is closed');
    const fingerprint = connectionFingerprint(config);
    let entry = this.entries.get(fingerprint);
    if (!entry) {
      entry = { client: sharedClient(config, this.opts.clientOptions), holders: 0, idleTimer: undefined };
      this.entries.set(fingerprint, entry);
    }
    const held = entry;
    clearTimeout(held.idleTimer);
    held.idleTimer = undefined;
    held.holders++;
    let released = false;
    return {
      client: held.client,
      fingerprint,
      release: () => {
        if (released) return;
        released = true;
        this.release(fingerprint, held);
      },
    };
  }

  /** Clients open now (held or idle). */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every client, held or not; later acquire() calls throw. */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) {
      clearTimeout(entry.idleTimer);
      entry.client.close();
    }
    this.entries.clear();
  }

  private release(fingerprint: string, entry: Entry): void {
    if (this.entries.get(fingerprint) !== entry) return;
    if (--entry.holders > 0) return;
    if (this.idleCloseMs <= 0) {
      this.entries.delete(fingerprint);
      entry.client.close();
      return;
    }
    entry.idleTimer = setTimeout(() => {
      if (entry.holders > 0 || this.entries.get(fingerprint) !== entry) return;
      this.entries.delete(fingerprint);
      entry.client.close();
    }, this.idleCloseMs);
    entry.idleTimer.unref();
  }
}
