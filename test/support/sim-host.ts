// A sim host in a process of its own, for tests whose hub must not share an event loop with the
// members it watches: `node --import tsx test/support/sim-host.ts [--data-plane] DATA_DIR NAME...`
// starts one simulated cluster of two nodes per name (NAME@REGION puts it in a region; --data-plane
// gives each cluster pods that answer, a service proxy and DNS), prints "sim host ready", and stops
// on SIGTERM. Faults are injected through its control API (requestFault), as `concord fault` does.

import { fileURLToPath } from 'node:url';
import { SimHost } from '../../src/sim/host.js';
import { startNodeChild, type TestChild } from './child.js';

const READY = 'sim host ready';

export interface SimHostProcess extends TestChild {
  dataDir: string;
}

/** Starts the child and resolves once every cluster runs. */
export async function startSimHostProcess(
  dataDir: string,
  names: string[],
  opts: { dataPlane?: boolean } = {},
): Promise<SimHostProcess> {
  const script = fileURLToPath(import.meta.url);
  const child = await startNodeChild(
    'the sim host',
    ['--import', 'tsx', script, ...(opts.dataPlane ? ['--data-plane'] : []), dataDir, ...names],
    new RegExp(READY),
  );
  return { ...child, dataDir };
}

async function main(dataDir: string, names: string[], dataPlane: boolean): Promise<void> {
  const host = await SimHost.start({ dataDir, defaults: { nodes: 2 } });
  for (const spec of names) {
    const [name, region] = spec.split('@') as [string, string | undefined];
    await host.startCluster({
      name,
      ...(region ? { region } : {}),
      ...(dataPlane ? { dataPlane: true } : {}),
    });
  }
  process.stdout.write(`${READY}\n`);
  const stop = async () => {
    await host.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dataPlane = args[0] === '--data-plane';
  const [dataDir, ...names] = dataPlane ? args.slice(1) : args;
  await main(dataDir!, names, dataPlane);
}
