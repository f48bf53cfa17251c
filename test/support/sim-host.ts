// A sim host in a process of its own, for tests whose hub must not share an event loop with the
// members it watches: `node --import tsx test/support/sim-host.ts DATA_DIR NAME...` starts one
// simulated cluster of two nodes per name, prints "sim host ready", and stops on SIGTERM. Faults
// are injected through its control API (requestFault), as `concord fault` does.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimHost } from '../../src/sim/host.js';

const READY = 'sim host ready';

export interface SimHostProcess {
  child: ChildProcess;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts the child and resolves once every cluster runs. */
export async function startSimHostProcess(dataDir: string, names: string[]): Promise<SimHostProcess> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, ...names], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const started = Date.now();
  while (!output.includes(READY)) {
    if (child.exitCode !== null) throw new Error(`the sim host exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      throw new Error(`the sim host did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    dataDir,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function main(dataDir: string, names: string[]): Promise<void> {
  const host = await SimHost.start({ dataDir, defaults: { nodes: 2 } });
  for (const name of names) await host.startCluster({ name });
  process.stdout.write(`${READY}\n`);
  const stop = async () => {
    await host.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataDir, ...names] = process.argv.slice(2);
  await main(dataDir!, names);
}
