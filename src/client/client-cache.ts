// HTTPS clients for many servers, shared by every controller of a process that reaches them (the
// hub's controllers and its member clusters): one client per distinct connection — server, CA,
// credential, TLS settings — made on first use, told apart from a changed connection by a
// fingerprint of all of those, and closed once nobody has held it for a while.

import { createHash } from 'node:crypto';
import type { ResolvedKubeconfig } from '../machinery/kubeconfig.js';
import { HttpsClient, type HttpsClientOptions } from './https.js';

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
      entry = { client: new HttpsClient(config, this.opts.clientOptions), holders: 0, idleTimer: undefined };
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
