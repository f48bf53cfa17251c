// Fault injection at the network edge of a simulated cluster. The cluster's public port is a
// FaultGate: a TCP relay in front of the API server's own (private, loopback) listener. Since
// TLS runs end to end through it, a client sees exactly what a real outage looks like:
// - down:      nothing listens on the port (connection refused) and open connections are cut;
// - partition: connections are accepted but no byte goes through in either direction, so requests
//              hang until the client gives up and open watches go silent;
// - slow:      every byte towards the server is held back by the given latency.
// heal() undoes any of them (bytes held during a partition are then delivered, as TCP would).
// Node failures are the kubelet's (SimKubelet.failNode); a cluster's fault state gathers both.

import net from 'node:net';

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
  /** Where the API server really listens. */
  target: { host: string; port: number };
  /** The public address (port 0 picks a free one; heal() from down reuses the port picked). */
  host?: string;
  port?: number;
}

interface Pending {
  chunk: Buffer;
  timer?: NodeJS.Timeout;
}

/** One client connection and its connection to the API server. */
class Link {
  readonly upstream: net.Socket;
  /** Chunks waiting to go to the server (held by a partition, or delayed). */
  private readonly toServer: Pending[] = [];
  /** Chunks waiting to go to the client (held by a partition). */
  private readonly toClient: Buffer[] = [];
  private closed = false;

  constructor(
    readonly client: net.Socket,
    private readonly gate: FaultGate,
    target: { host: string; port: number },
  ) {
    this.upstream = net.connect(target.port, target.host);
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    this.upstream.on('data', (chunk: Buffer) => this.fromServer(chunk));
    const end = () => this.close();
    client.on('close', end);
    this.upstream.on('close', end);
    client.on('error', end);
    this.upstream.on('error', end);
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
    this.send(this.upstream, this.client, chunk);
  }

  private fromServer(chunk: Buffer): void {
    if (this.gate.mode === 'partition' || this.toClient.length > 0) {
      this.toClient.push(chunk);
      return;
    }
    this.send(this.client, this.upstream, chunk);
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
      this.send(this.upstream, this.client, this.toServer.shift()!.chunk);
    }
  }

  private send(to: net.Socket, from: net.Socket, chunk: Buffer): void {
    if (this.closed) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  }

  /** The partition ended: what was held goes through (delays for slow start now). */
  release(): void {
    const mode = this.gate.mode;
    for (const p of this.toServer) {
      if (mode === 'slow' && p.timer === undefined) this.delay(p);
    }
    this.flushToServer();
    while (this.toClient.length > 0) this.send(this.client, this.upstream, this.toClient.shift()!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.toServer) clearTimeout(p.timer);
    this.toServer.length = 0;
    this.toClient.length = 0;
    this.client.destroy();
    this.upstream.destroy();
    this.gate.forget(this);
  }
}

export class FaultGate {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private readonly target: { host: string; port: number };
  private readonly host: string;
  private boundPort: number;
  private state: 'up' | FaultKind = 'up';
  private latency = 0;

  constructor(opts: FaultGateOptions) {
    this.target = opts.target;
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
    return this.links.size;
  }

  async listen(): Promise<number> {
    if (this.server) return this.boundPort;
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.links.add(new Link(socket, this, this.target));
    });
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

  /** The port stops listening and every open connection is cut. */
  async down(): Promise<void> {
    this.state = 'down';
    const closed = this.closeListener();
    for (const link of [...this.links]) link.close();
    await closed;
  }

  /** Connections are accepted but nothing goes through, until heal(). */
  async partition(): Promise<void> {
    if (this.state === 'down') await this.listen();
    this.state = 'partition';
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
    for (const link of [...this.links]) link.close();
    await closed;
  }

  forget(link: Link): void {
    this.links.delete(link);
  }

  /** Stops listening; resolves once the listener's connections are gone too (cut them meanwhile). */
  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
