// Fault injection at the network edge of a simulated cluster. The cluster's public port is a
// FaultGate: it accepts the TCP connections and hands them to the API server (which has no
// listener of its own). Since TLS runs end to end, a client sees exactly what a real outage
// looks like:
// - down:      nothing listens on the port (connection refused) and open connections are cut;
// - partition: connections are accepted but no byte goes through in either direction, so requests
//              hang until the client gives up and watches go silent;
// - slow:      every byte towards the server is held back by the given latency.
// heal() undoes any of them (bytes held during a partition are then delivered, as TCP would).
// A connection accepted while healthy goes straight to the API server: one socket in this
// process and no copy of its bytes. Its bytes cannot be held, so partition and slow cut such
// connections; the client reconnects, and a connection accepted while faulted is relayed
// through the gate, which holds or delays its bytes (and stays relayed until it closes).
// Node failures are the kubelet's (SimKubelet.failNode); a cluster's fault state gathers both.

import net from 'node:net';
import { Duplex } from 'node:stream';

export type FaultKind = 'down' | 'partition' | 'slow';

/** What is wrong with a cluster now, as the control API reports it. */
export interface FaultState {
  /** "up" when the network edge is healthy. */
  network: 'up' | FaultKind;
  /** Added latency per request (slow). */
  latencyMs?: number;
  /** Nodes whose kubelet is stopped. */
  failedNodes: string[];
}

export interface FaultGateOptions {
  /** Serves one accepted connection (ApiServer.acceptConnections). */
  serve: (socket: Duplex) => void;
  /** The public address (port 0 picks a free one; heal() from down reuses the port picked). */
  host?: string;
  port?: number;
}

interface Pending {
  chunk: Buffer;
  timer?: NodeJS.Timeout;
}

/** A connection accepted while faulted: its bytes pass through the gate, which can hold them. */
class Link {
  /** The API server's end: what it reads from and writes to instead of a socket. */
  readonly inner: Duplex;
  /** Chunks waiting to go to the server (held by a partition, or delayed). */
  private readonly toServer: Pending[] = [];
  /** Chunks waiting to go to the client (held by a partition). */
  private readonly toClient: Buffer[] = [];
  private closed = false;

  constructor(
    readonly client: net.Socket,
    private readonly gate: FaultGate,
  ) {
    this.inner = new Duplex({
      // The server wants more: let the client's bytes flow again.
      read: () => client.resume(),
      write: (chunk: Buffer, _encoding, done) => this.fromServer(chunk, done),
      destroy: (err, done) => {
        this.close();
        done(err);
      },
    });
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    const end = () => this.close();
    client.on('close', end);
    client.on('error', end);
    this.inner.on('error', end);
  }

  private fromClient(chunk: Buffer): void {
    const mode = this.gate.mode;
    // Keep the order: once something waits, everything after it waits too.
    if (mode === 'partition' || mode === 'slow' || this.toServer.length > 0) {
      const pending: Pending = { chunk };
      this.toServer.push(pending);
      if (mode === 'slow') this.delay(pending);
      return;
    }
    this.toInner(chunk);
  }

  private fromServer(chunk: Buffer, done: () => void): void {
    if (this.gate.mode === 'partition' || this.toClient.length > 0) {
      this.toClient.push(chunk);
      done();
      return;
    }
    // The server writes on once the client has taken this chunk (or the link is gone).
    if (this.closed || this.client.write(chunk)) done();
    else {
      const go = () => {
        this.client.off('drain', go).off('close', go);
        done();
      };
      this.client.on('drain', go).on('close', go);
    }
  }

  private delay(p: Pending): void {
    p.timer = setTimeout(() => {
      p.timer = undefined;
      this.flushToServer();
    }, this.gate.latencyMs);
  }

  /** Sends waiting chunks towards the server, in order, as far as their delays allow. */
  private flushToServer(): void {
    if (this.gate.mode === 'partition') return;
    while (this.toServer.length > 0 && this.toServer[0]!.timer === undefined) {
      this.toInner(this.toServer.shift()!.chunk);
    }
  }

  private toInner(chunk: Buffer): void {
    if (!this.closed && !this.inner.push(chunk)) this.client.pause();
  }

  /** The partition ended: what was held goes through (delays for slow start now). */
  release(): void {
    const mode = this.gate.mode;
    for (const p of this.toServer) {
      if (mode === 'slow' && p.timer === undefined) this.delay(p);
    }
    this.flushToServer();
    while (this.toClient.length > 0 && !this.closed) this.client.write(this.toClient.shift()!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.toServer) clearTimeout(p.timer);
    this.toServer.length = 0;
    this.toClient.length = 0;
    this.client.destroy();
    this.inner.destroy();
    this.gate.forget(this);
  }
}

export class FaultGate {
  private server: net.Server | undefined;
  /** Connections accepted while healthy: handed to the API server as they are. */
  private readonly direct = new Set<net.Socket>();
  /** Connections accepted while faulted: relayed. */
  private readonly links = new Set<Link>();
  private readonly serve: (socket: Duplex) => void;
  private readonly host: string;
  private boundPort: number;
  private state: 'up' | FaultKind = 'up';
  private latency = 0;

  constructor(opts: FaultGateOptions) {
    this.serve = opts.serve;
    this.host = opts.host ?? '127.0.0.1';
    this.boundPort = opts.port ?? 0;
  }

  /** The public port (after listen). */
  get port(): number {
    return this.boundPort;
  }

  get mode(): 'up' | FaultKind {
    return this.state;
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** Open client connections. */
  get connections(): number {
    return this.direct.size + this.links.size;
  }

  async listen(): Promise<number> {
    if (this.server) return this.boundPort;
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {
      // Accept errors (EMFILE ...) drop that one connection; the listener stays.
    });
    this.server = server;
    this.boundPort = (server.address() as net.AddressInfo).port;
    return this.boundPort;
  }

  private accept(socket: net.Socket): void {
    if (this.state === 'up') {
      this.direct.add(socket);
      socket.once('close', () => this.direct.delete(socket));
      this.serve(socket);
      return;
    }
    const link = new Link(socket, this);
    this.links.add(link);
    this.serve(link.inner);
  }

  /** The port stops listening and every open connection is cut. */
  async down(): Promise<void> {
    this.state = 'down';
    const closed = this.closeListener();
    this.cutAll();
    await closed;
  }

  /** Connections are accepted but nothing goes through, until heal(). */
  async partition(): Promise<void> {
    if (this.state === 'down') await this.listen();
    this.state = 'partition';
    this.cutDirect();
  }

  /** Every request waits `latencyMs` more. */
  async slow(latencyMs: number): Promise<void> {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) {
      throw new RangeError(`latency must be a non-negative number of ms, got ${latencyMs}`);
    }
    if (this.state === 'down') await this.listen();
    const wasPartitioned = this.state === 'partition';
    this.state = 'slow';
    this.latency = latencyMs;
    this.cutDirect();
    if (wasPartitioned) for (const link of this.links) link.release();
  }

  /** Back to normal: listening again after down, held bytes delivered after a partition. */
  async heal(): Promise<void> {
    const previous = this.state;
    this.state = 'up';
    this.latency = 0;
    if (previous === 'down') await this.listen();
    for (const link of this.links) link.release();
  }

  /** Stops for good. */
  async close(): Promise<void> {
    this.state = 'down';
    const closed = this.closeListener();
    this.cutAll();
    await closed;
  }

  forget(link: Link): void {
    this.links.delete(link);
  }

  /** Connections that go straight to the server cannot be held or delayed: they are cut. */
  private cutDirect(): void {
    for (const socket of [...this.direct]) socket.destroy();
  }

  private cutAll(): void {
    this.cutDirect();
    for (const link of [...this.links]) link.close();
  }

  /** Stops listening; resolves once the listener's connections are gone too (cut them meanwhile). */
  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
