// A layer-4 load balancer over TCP, kube-proxy's job for one frontend address after another:
// each frontend (address:port) forwards every new connection to the next of its backends in turn
// (round robin), bytes both ways, with back-pressure. Backends change live; open connections stay
// with the backend they went to. A frontend without a backend resets a connection at once (where
// kube-proxy's REJECT answers "refused": either fails fast). A backend that refuses resets the
// client's connection; nothing is retried, as with kube-proxy.
//
// Only addresses in 127.0.0.0/8 are bound or dialled: a backend elsewhere is dropped, never
// contacted. Nothing here knows Kubernetes (service-proxy.ts feeds it from Services and
// EndpointSlices; the hub can feed it clusterset IPs).

import net from 'node:net';
import { isLoopbackIPv4 } from '../addresses.js';
import { type Reachability, TcpListener } from '../listener.js';

export interface Backend {
  host: string;
  port: number;
}

export interface ProxyStats {
  connections: number;
  /** Connections reset because the frontend had no backend. */
  rejected: number;
  /** Connections whose backend could not be reached. */
  failed: number;
}

interface Frontend {
  host: string;
  port: number;
  listener: TcpListener;
  backends: Backend[];
  next: number;
  /** Listening: the listen promise, shared by concurrent callers. */
  ready: Promise<void>;
}

function frontendKey(host: string, port: number): string {
  return `${host}:${port}`;
}

export class TcpProxy {
  private readonly frontends = new Map<string, Frontend>();
  private state: Reachability = 'up';
  readonly stats: ProxyStats = { connections: 0, rejected: 0, failed: 0 };

  backendsOf(host: string, port: number): Backend[] {
    return [...(this.frontends.get(frontendKey(host, port))?.backends ?? [])];
  }

  /**
   * Makes host:port forward to `backends` (listening first if it did not). Backends outside
   * 127.0.0.0/8 are left out. Rejects when the address cannot be bound.
   */
  async set(host: string, port: number, backends: Backend[]): Promise<void> {
    const key = frontendKey(host, port);
    const usable = backends.filter((b) => isLoopbackIPv4(b.host) && b.port > 0 && b.port < 65536);
    let f = this.frontends.get(key);
    if (!f) {
      const listener = new TcpListener(host, port, (socket) => this.forward(f!, socket));
      f = { host, port, listener, backends: usable, next: 0, ready: Promise.resolve() };
      this.frontends.set(key, f);
      const created = f;
      f.ready = (async () => {
        if (this.state !== 'up') await listener.setReachability(this.state);
        await listener.listen();
      })().catch((err) => {
        if (this.frontends.get(key) === created) this.frontends.delete(key);
        throw err;
      });
    } else {
      f.backends = usable;
    }
    await f.ready;
  }

  /** Stops forwarding host:port (open connections are cut). */
  async remove(host: string, port: number): Promise<void> {
    const key = frontendKey(host, port);
    const f = this.frontends.get(key);
    if (!f) return;
    this.frontends.delete(key);
    await f.ready.catch(() => {});
    await f.listener.close();
  }

  async setReachability(mode: Reachability): Promise<void> {
    this.state = mode;
    await Promise.all([...this.frontends.values()].map((f) => f.listener.setReachability(mode)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.frontends.values()].map((f) => this.remove(f.host, f.port)));
  }

  private forward(f: Frontend, client: net.Socket): void {
    this.stats.connections++;
    if (f.backends.length === 0) {
      this.stats.rejected++;
      client.resetAndDestroy();
      return;
    }
    const backend = f.backends[f.next++ % f.backends.length]!;
    if (f.next >= f.backends.length) f.next = 0;
    const upstream = net.connect({ host: backend.host, port: backend.port, noDelay: true });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => {
      if (!connected) this.stats.failed++;
      client.resetAndDestroy();
    });
    upstream.on('close', () => {
      if (!client.destroyed) client.end();
    });
  }
}
