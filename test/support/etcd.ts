// A real etcd member for tests and benchmarks: free loopback ports, a temporary data dir, and
// the crash controls durability tests need (kill -9, restart on the same data dir).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdOptions {
  /** etcd's --max-request-bytes; etcd's default (1.5 MiB) when absent. */
  maxRequestBytes?: number;
  /** How long to wait for the member to report healthy. */
  startTimeoutMs?: number;
}

function etcdBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'etcd'))) return join(dir, 'etcd');
  }
  if (existsSync('/usr/bin/etcd')) return '/usr/bin/etcd';
  throw new Error('etcd is not installed: run scripts/install-test-deps.sh (installs Debian etcd-server)');
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const running = new Set<ChildProcess>();
// A test runner that exits without stopping its members must not leave them behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class EtcdMember {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly options: EtcdOptions,
  ) {}

  /** Starts a single-member cluster and resolves once it is healthy. */
  static async start(options: EtcdOptions = {}): Promise<EtcdMember> {
    let lastError: unknown;
    // A free port can be taken by someone else before etcd binds it: try again with new ones.
    for (let attempt = 0; attempt < 3; attempt++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'concord-etcd-'));
      const member = new EtcdMember(dataDir, await freePort(), await freePort(), options);
      try {
        await member.launch();
        return member;
      } catch (err) {
        lastError = err;
        await member.stop();
      }
    }
    throw lastError;
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kills the member with SIGKILL (a crash) and keeps its data dir for restart(). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Starts the member again on the same data dir and ports; resolves once healthy. */
  async restart(): Promise<void> {
    if (this.child) await this.signal('SIGTERM');
    await this.launch();
  }

  /** Stops the member and removes its data dir. */
  async stop(): Promise<void> {
    if (this.child) await this.signal('SIGTERM');
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private async launch(): Promise<void> {
    const name = 'concord-test';
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      `--name=${name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${name}=${peer}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=concord-test',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=error',
    ];
    if (this.options.maxRequestBytes) args.push(`--max-request-bytes=${this.options.maxRequestBytes}`);
    this.stderr = '';
    const child = spawn(etcdBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    running.add(child);
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`etcd exited with code ${exitCode} while starting: ${this.stderr}`);
      }
      try {
        const res = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (res.ok && body.health === 'true') return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.signal('SIGKILL');
    throw new Error(`etcd did not become healthy in time: ${this.stderr}`);
  }
}

export function startEtcd(options?: EtcdOptions): Promise<EtcdMember> {
  return EtcdMember.start(options);
}
