// A real Prometheus (Debian's prometheus package) for tests: started on a free loopback port with
// the given scrape configuration and a fresh data folder, queried over its HTTP API, stopped with
// SIGTERM.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const PROMETHEUS = '/usr/bin/prometheus';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class TestPrometheus {
  output = '';
  private constructor(
    readonly url: string,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    const take = (c: Buffer) => {
      this.output += c.toString();
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
  }

  /** Starts Prometheus with these scrape configs (and whatever files they name, written to its folder). */
  static async start(scrapeConfigs: unknown[], files: Record<string, string> = {}): Promise<TestPrometheus> {
    if (!existsSync(PROMETHEUS)) {
      throw new Error(
        `${PROMETHEUS} not found: this test needs Debian's prometheus package (scripts/install-test-deps.sh installs it)`,
      );
    }
    const dir = await mkdtemp(join(tmpdir(), 'concord-prometheus-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o600 });
    const config = { global: { scrape_interval: '1s', scrape_timeout: '1s' }, scrape_configs: scrapeConfigs };
    await writeFile(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prom = new TestPrometheus(`http://127.0.0.1:${port}`, dir, child);
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`prometheus exited with ${child.exitCode}:\n${prom.output}`);
      const ready = await fetch(`${prom.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return prom;
      if (Date.now() - started > 30_000) {
        child.kill('SIGKILL');
        throw new Error(`prometheus did not become ready:\n${prom.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** An instant query; the result vector. */
  async query(q: string): Promise<VectorSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: VectorSample[] } };
    if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
    return body.data!.result;
  }

  /** What Prometheus says of its targets' last scrapes. */
  async targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]> {
    const res = await fetch(`${this.url}/api/v1/targets`);
    return (
      (await res.json()) as {
        data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
      }
    ).data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
