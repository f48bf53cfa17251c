// A sim host in a process of its own, for tests whose hub must not share an event loop with the
// members it watches: `node --import tsx test/support/sim-host.ts DATA_DIR NAME...` starts one
// simulated cluster of two nodes per name, prints "sim host ready", and stops on SIGTERM. Faults
// are injected through its control API (requestFault), as `concord fault` does.

import { fileURLToPath } from 'node:url';
import { SimHost } from '../../src/sim/host.js';
import { startNodeChild, type TestChild } from './child.js';

const READY = 'sim host ready';

export interface SimHostProcess extends TestChild {
  dataDir: string;
}

/** Starts the child and resolves once every cluster runs. */
export async function startSimHostProcess(dataDir: string, names: string[]): Promise<SimHostProcess> {
  const script = fileURLToPath(import.meta.url);
  const child = await startNodeChild(
    'the sim host',
    ['--import', 'tsx', script, dataDir, ...names],
    new RegExp(READY),
  );
  return { ...child, dataDir };
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
