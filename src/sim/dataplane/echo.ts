// The echo responder: a small HTTP server that stands for a pod's workload. It listens on the
// pod's own address, on each of its container's ports, and answers every request with who
// answered (pod, namespace, node, cluster, region, zone, address, port) as JSON, so that a client
// sees which pod behind a Service took its request. Health endpoints follow a common convention:
//   GET  /healthz, /readyz                 200 "ok", or 503 once disabled
//   POST /healthz/disable, /readyz/disable make them answer 503 (a probe against them then fails)
//   POST /healthz/enable, /readyz/enable   back to 200
// Every other request gets the identity. TCP probes and clients can connect to any of the ports.

import http from 'node:http';
import { type Reachability, TcpListener } from './listener.js';

export interface EchoIdentity {
  pod: string;
  namespace: string;
  node: string;
  cluster: string;
  region: string;
  zone?: string;
  container?: string;
}

export interface EchoResponderOptions {
  address: string;
  ports: number[];
  identity: EchoIdentity;
}

export class EchoResponder {
  readonly address: string;
  readonly ports: number[];
  readonly identity: EchoIdentity;
  /** Requests answered, health checks included. */
  requests = 0;
  private readonly server: http.Server;
  private readonly listeners: TcpListener[];
  private readonly health = { healthz: true, readyz: true };

  constructor(opts: EchoResponderOptions) {
    this.address = opts.address;
    this.ports = [...new Set(opts.ports)];
    this.identity = opts.identity;
    this.server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => this.handle(req, res));
    this.listeners = this.ports.map(
      (port) => new TcpListener(this.address, port, (socket) => this.server.emit('connection', socket)),
    );
  }

  /** Listens on every port; rejects (and listens on none) when one cannot be bound. */
  async listen(): Promise<void> {
    try {
      for (const l of this.listeners) await l.listen();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async setReachability(mode: Reachability): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.setReachability(mode)));
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
    this.server.closeAllConnections();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    const check = /^\/(healthz|readyz)(?:\/(disable|enable))?$/.exec(path);
    if (check) {
      const which = check[1] as 'healthz' | 'readyz';
      const action = check[2];
      if (!action) {
        this.send(res, this.health[which] ? 200 : 503, this.health[which] ? 'ok\n' : `${which} disabled\n`);
      } else if (req.method !== 'POST') {
        this.send(res, 405, `use POST to ${action} /${which}\n`);
      } else {
        this.health[which] = action === 'enable';
        this.send(res, 200, `${which} ${action}d\n`);
      }
      return;
    }
    const body = {
      ...this.identity,
      ip: this.address,
      port: req.socket.localPort,
      method: req.method,
      path,
    };
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  }

  private send(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(text);
  }
}
