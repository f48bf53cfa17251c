// The steady client of a drill: one request after another (every intervalMs at most), each to an
// address the resolver gives at that moment (the application's global name through the hub's DNS
// server, or the Service of the members the strategy currently serves from), with a short timeout
// so that a partitioned member counts as a failure rather than a hang. Answers of the simulated
// echo pods say which member served them. Only loopback addresses are ever dialled.

import http from 'node:http';
import net from 'node:net';

export interface TrafficTarget {
  address: string;
  port: number;
  /** The member behind the address, when the resolver knows it. */
  cluster?: string;
  /** Host header (the global name), if any. */
  host?: string;
}

export interface Sample {
  start: number;
  end: number;
  ok: boolean;
  /** The member that answered (from the echo pod's answer, else the resolver's). */
  cluster?: string;
  error?: string;
}

export type Resolver = () => Promise<TrafficTarget[]>;

export function isLoopback(address: string): boolean {
  if (address === '::1') return true;
  return net.isIPv4(address) && address.startsWith('127.');
}

function get(target: TrafficTarget, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.address,
        port: target.port,
        path: '/',
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        headers: target.host ? { host: target.host } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export class TrafficDriver {
  readonly samples: Sample[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private turn = 0;

  constructor(
    private readonly resolve: Resolver,
    private readonly opts: { intervalMs?: number; timeoutMs?: number; now?: () => number } = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async run(): Promise<void> {
    const interval = this.opts.intervalMs ?? 100;
    while (this.running) {
      const start = this.now();
      this.samples.push(await this.once(start));
      const wait = interval - (this.now() - start);
      if (wait > 0 && this.running) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async once(start: number): Promise<Sample> {
    const timeoutMs = this.opts.timeoutMs ?? 1000;
    let target: TrafficTarget | undefined;
    try {
      const targets = await this.resolve();
      if (targets.length === 0) throw new Error('the name resolves to no address');
      target = targets[this.turn++ % targets.length]!;
      if (!isLoopback(target.address)) {
        throw new Error(`${target.address} is not a loopback address: not dialled`);
      }
      const res = await get(target, timeoutMs);
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      let cluster = target.cluster;
      try {
        const who = JSON.parse(res.body) as { cluster?: unknown };
        if (typeof who.cluster === 'string') cluster = who.cluster;
      } catch {
        // Not an echo pod: the resolver's member stands.
      }
      return { start, end: this.now(), ok: true, ...(cluster ? { cluster } : {}) };
    } catch (err) {
      return {
        start,
        end: this.now(),
        ok: false,
        ...(target?.cluster ? { cluster: target.cluster } : {}),
        error: (err as Error).message,
      };
    }
  }
}
