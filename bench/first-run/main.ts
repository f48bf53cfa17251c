// `concord up` start time: from launching `bin/concord.js up` to its "Ctrl-C stops everything."
// line, for a fresh data dir (the CAs, certificates and stores are created) and for a restart on
// the same one (everything is read back), with the simulated clusters on each store. Stores take
// turns within each round, so that the machine's load favours neither. Prints one JSON document
// and a one-line summary per store.
//
//   npm run build && node dist/bench/first-run/main.js [--cluster-stores memory,sqlite] [--clusters N]
//                                               [--nodes N] [--runs N]

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchOptions, countOption, usageError } from '../cli.js';

const USAGE = `usage: node dist/bench/first-run/main.js [--cluster-stores memory,sqlite] [--clusters N] [--nodes N] [--runs N]

How long \`concord up\` takes to be up: on a fresh data dir and on a restart, with the simulated
clusters on each store. Runs the built command (bin/concord.js: run npm run build first).

  --cluster-stores LIST    stores of the simulated clusters, of memory and sqlite (default memory,sqlite)
  --clusters N             simulated clusters (default 3, as concord up)
  --nodes N                nodes per cluster (default 3, as concord up)
  --runs N                 rounds; each starts fresh and restarts once per store (default 3)
  -h, --help               this text`;

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'concord.js');
const READY = 'Ctrl-C stops everything.';

/** Starts `concord up`, resolves with the milliseconds until it is up, then stops it. */
async function timeUp(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=64', BIN, 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ms = await new Promise<number>((resolveUp, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes(READY)) resolveUp(performance.now() - started);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`concord up exited with ${code}:\n${output}`)));
  });
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`concord up stopped with ${code}:\n${output}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
}

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    'cluster-stores': { type: 'string', default: 'memory,sqlite' },
    clusters: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
  });
  const stores = values['cluster-stores'].split(',');
  for (const s of stores) {
    if (s !== 'memory' && s !== 'sqlite') usageError(USAGE, `--cluster-stores: unknown store "${s}"`);
  }
  const clusters = countOption(USAGE, 'clusters', values.clusters, 0);
  const nodes = countOption(USAGE, 'nodes', values.nodes);
  const runs = countOption(USAGE, 'runs', values.runs);
  const loadBefore = loadavg()[0]!;
  const times = new Map(stores.map((s) => [s, { fresh: [] as number[], restart: [] as number[] }]));
  for (let round = 0; round < runs; round++) {
    for (const store of stores) {
      const dir = await mkdtemp(join(tmpdir(), 'concord-bench-up-'));
      try {
        const args = [
          '--port',
          '0',
          '--dns-port',
          '0',
          '--clusters',
          String(clusters),
          '--nodes',
          String(nodes),
        ];
        args.push('--cluster-store', store, '--data-dir', dir);
        times.get(store)!.fresh.push(await timeUp(args));
        times.get(store)!.restart.push(await timeUp(args));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  const results = stores.map((store) => {
    const t = times.get(store)!;
    return {
      clusterStore: store,
      freshMs: t.fresh.map(Math.round),
      restartMs: t.restart.map(Math.round),
      freshMedianMs: median(t.fresh),
      restartMedianMs: median(t.restart),
    };
  });
  const report = {
    benchmark: 'up',
    node: process.version,
    cpus: availableParallelism(),
    loadAverage: { start: loadBefore, end: loadavg()[0] },
    clusters,
    nodes,
    runs,
    results,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const r of results) {
    console.log(
      `up (${clusters} clusters of ${nodes} nodes, clusters on ${r.clusterStore}): ` +
        `fresh data dir ${r.freshMedianMs} ms, restart ${r.restartMedianMs} ms (medians of ${runs})`,
    );
  }
}

await main();
