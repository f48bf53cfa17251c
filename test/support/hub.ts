// `concord hub` as a real process, from the built CLI (bin/concord.js runs dist/: `npm run build`
// first, as `npm test` does): started with the given flags, read until it says where it listens,
// stopped with SIGTERM or killed with SIGKILL; and admin clients for it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpsClient } from '../../src/client/https.js';
import { parseKubeconfig, resolveContext } from '../../src/machinery/kubeconfig.js';

/** The repository: above test/support/ here, above dist/test/support/ when compiled (benchmarks). */
function repositoryRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`no package.json above ${import.meta.url}`);
    dir = dirname(dir);
  }
  return dir;
}

const ROOT = repositoryRoot();
const BIN = join(ROOT, 'bin', 'concord.js');

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class HubProcess {
  output = '';
  url = '';
  identity = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
    const take = (c: Buffer) => {
      this.output += c.toString();
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
  }

  /** Starts `concord hub --data-dir DIR --port 0 ...args` and waits until it serves. */
  static async start(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
      throw new Error('the CLI is not built: run `npm run build` (npm test does) before this test');
    }
    const child = spawn(process.execPath, [BIN, 'hub', '--data-dir', dataDir, '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const hub = new HubProcess(child, dataDir);
    const started = Date.now();
    while (!hub.output.includes('kubeconfig:')) {
      if (child.exitCode !== null)
        throw new Error(`concord hub exited with ${child.exitCode}:\n${hub.output}`);
      if (Date.now() - started > 60_000) {
        child.kill('SIGKILL');
        throw new Error(`concord hub did not start:\n${hub.output}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    hub.url = /listening on (\S+)/.exec(hub.output)![1]!;
    hub.identity = /identity: (\S+)/.exec(hub.output)![1]!;
    return hub;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** An admin client of this hub (credentials from the data dir's kubeconfig, server this hub). */
  async client(): Promise<HttpsClient> {
    const config = resolveContext(
      parseKubeconfig(await readFile(join(this.dataDir, 'hub.kubeconfig'), 'utf8')),
    );
    return new HttpsClient({ ...config, server: this.url });
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL: a crash, nothing flushed or released. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
