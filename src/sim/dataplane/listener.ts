// A TCP listener whose reachability can be taken away, the way a fault takes away a machine:
//   up      connections are handed to the owner;
//   down    nothing listens (connection refused) and open connections are cut;
//   silent  connections are accepted but held unanswered, open ones stop being read (a
//           partition); back up, the held ones are handed over and the open ones resume.
// Every data-plane listener (pod responders, the service proxy, DNS over TCP) is one of these, so
// one switch takes a cluster's or a node's data plane away.

import net from 'node:net';
import { isLoopbackIPv4 } from './addresses.js';

export type Reachability = 'up' | 'down' | 'silent';

export class TcpListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly held: net.Socket[] = [];
  private state: Reachability = 'up';
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly onConnection: (socket: net.Socket) => void,
  ) {
    if (!isLoopbackIPv4(host)) throw new Error(`the data plane listens on 127.0.0.0/8 only, not ${host}`);
  }

  get reachability(): Reachability {
    return this.state;
  }

  /** Open connections (handed over or held). */
  get connections(): number {
    return this.sockets.size;
  }

  /** Starts listening (unless down); rejects with the bind error (EADDRINUSE ...). */
  async listen(): Promise<void> {
    if (this.server || this.closed || this.state === 'down') return;
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {
      // An accept error (EMFILE ...) drops that connection; the listener stays.
    });
    this.server = server;
  }

  async setReachability(mode: Reachability): Promise<void> {
    if (this.closed || mode === this.state) return;
    const previous = this.state;
    this.state = mode;
    if (mode === 'down') {
      await this.stopListening();
      return;
    }
    if (previous === 'down') await this.listen();
    if (mode === 'silent') {
      for (const s of this.sockets) s.pause();
      return;
    }
    for (const s of this.sockets) if (!this.held.includes(s)) s.resume();
    for (const s of this.held.splice(0)) if (!s.destroyed) this.onConnection(s);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopListening();
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (this.state === 'silent') {
      socket.pause();
      this.held.push(socket);
      return;
    }
    this.onConnection(socket);
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.held.length = 0;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
