// Simulated clusters benchmark:
//  (a) deployment: one cluster with 100 nodes; time from creating a Deployment of 10,000
//      replicas to 10,000 pods Running (with the times at which they were all created and all
//      scheduled);
//  (b) idle: one process hosting simulated clusters of 3 nodes: idle CPU of the first 100 over a
//      minute, then RSS with 1,000.
// Each part runs in its own child process so that neither inherits the other's memory. Prints
// one JSON document, then a one-line summary.
//
//   npm run bench:sim [-- --parts deployment,idle] [--replicas N] [--nodes N] [--clusters N]
//                       [--cpu-clusters N] [--cpu-seconds S]

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { SimCluster } from '../../src/sim/cluster.js';
import { SimHost } from '../../src/sim/host.js';
import { benchOptions, countOption, usageError } from '../cli.js';

const USAGE = `usage: node dist/bench/sim/main.js [--parts deployment,idle] [--replicas N] [--nodes N]
                                 [--clusters N] [--cpu-clusters N] [--cpu-seconds S]

Simulated clusters: (deployment) one cluster of N nodes, the time from creating a Deployment to
all its pods Running; (idle) one process hosting clusters of 3 nodes, the idle CPU of some over a
while, then the memory of many. Each part runs in a child process. Prints one JSON document and a
one-line summary.

  --parts LIST        parts to run, of deployment and idle (default deployment,idle)
  --replicas N        replicas of the Deployment (default 10000)
  --nodes N           nodes of its cluster (default 100)
  --clusters N        clusters whose memory is measured (default 1000)
  --cpu-clusters N    clusters whose idle CPU is measured (default 100)
  --cpu-seconds S     how long idle CPU is measured (default 60)
  -h, --help          this text`;

const values = benchOptions(USAGE, {
  part: { type: 'string' },
  parts: { type: 'string', default: 'deployment,idle' },
  replicas: { type: 'string', default: '10000' },
  nodes: { type: 'string', default: '100' },
  clusters: { type: 'string', default: '1000' },
  'cpu-clusters': { type: 'string', default: '100' },
  'cpu-seconds': { type: 'string', default: '60' },
});
for (const k of ['replicas', 'nodes', 'clusters', 'cpu-clusters', 'cpu-seconds'] as const)
  countOption(USAGE, k, values[k]);

const MARK = 'BENCH-RESULT ';
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const progress = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DeploymentFigures {
  replicas: number;
  nodes: number;
  allCreatedMs: number;
  allScheduledMs: number;
  allRunningMs: number;
}

async function deploymentPart(): Promise<DeploymentFigures> {
  const replicas = Number(values.replicas);
  const nodes = Number(values.nodes);
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-sim-'));
  const cluster = await SimCluster.start({ name: 'bench', dataDir: dir, nodes, region: 'bench' });
  try {
    // Milestones counted from the shared pod informer the controllers use (no extra watch).
    const created = new Set<string>();
    const scheduled = new Set<string>();
    const running = new Set<string>();
    const at: Partial<Record<'created' | 'scheduled' | 'running', number>> = {};
    let t0 = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const see = (pod: KubeObject) => {
      const uid = pod.metadata.uid!;
      created.add(uid);
      if ((pod.spec as { nodeName?: string }).nodeName) scheduled.add(uid);
      if ((pod.status as { phase?: string } | undefined)?.phase === 'Running') running.add(uid);
      const now = performance.now() - t0;
      if (at.created === undefined && created.size >= replicas) at.created = now;
      if (at.scheduled === undefined && scheduled.size >= replicas) at.scheduled = now;
      if (at.running === undefined && running.size >= replicas) {
        at.running = now;
        done();
      }
    };
    cluster.informers.informerFor(resources.pods).addEventHandler({
      onAdd: see,
      onUpdate: (_old, pod) => see(pod),
    });
    const ticker = setInterval(() => {
      progress(
        `  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${created.size} created, ${scheduled.size} scheduled, ${running.size} running`,
      );
    }, 1000);
    t0 = performance.now();
    await cluster.client.create(resources.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scale', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'scale' } },
        template: {
          metadata: { labels: { app: 'scale' } },
          spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    });
    await finished;
    clearInterval(ticker);
    return {
      replicas,
      nodes,
      allCreatedMs: round(at.created!),
      allScheduledMs: round(at.scheduled!),
      allRunningMs: round(at.running!),
    };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface IdleFigures {
  clusters: number;
  nodesPerCluster: number;
  startSecondsPerCluster: number;
  rssMiB: number;
  heapUsedMiB: number;
  rssMiBPerCluster: number;
  cpuClusters: number;
  cpuSeconds: number;
  idleCpuPercentOfOneCore: number;
}

async function idlePart(): Promise<IdleFigures> {
  const total = Number(values.clusters);
  const cpuClusters = Math.min(total, Number(values['cpu-clusters']));
  const cpuSeconds = Number(values['cpu-seconds']);
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-host-'));
  const host = await SimHost.start({ dataDir: dir, defaults: { nodes: 3, region: 'idle' } });
  try {
    global.gc?.();
    const baseRss = process.memoryUsage().rss;
    const regions = ['europe', 'us', 'asia'];
    let started = 0;
    let startMs = 0;
    const startUpTo = async (n: number) => {
      const t = performance.now();
      for (; started < n; started++) {
        await host.startCluster({ name: `idle-${started + 1}`, region: regions[started % regions.length]! });
        if ((started + 1) % 50 === 0) {
          progress(`  ${started + 1} clusters, RSS ${round(process.memoryUsage().rss / 2 ** 20)} MiB`);
        }
      }
      startMs += performance.now() - t;
    };
    await startUpTo(cpuClusters);
    // Let start-up work (informer lists, first node status) settle before measuring.
    await sleep(20_000);
    progress(`  measuring the idle CPU of ${cpuClusters} clusters for ${cpuSeconds} s`);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await sleep(cpuSeconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    const idleCpu = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    await startUpTo(total);
    await sleep(20_000);
    global.gc?.();
    const mem = process.memoryUsage();
    return {
      clusters: total,
      nodesPerCluster: 3,
      startSecondsPerCluster: round(startMs / 1000 / total, 3),
      rssMiB: round(mem.rss / 2 ** 20),
      heapUsedMiB: round(mem.heapUsed / 2 ** 20),
      rssMiBPerCluster: round((mem.rss - baseRss) / 2 ** 20 / total, 2),
      cpuClusters,
      cpuSeconds,
      idleCpuPercentOfOneCore: round(idleCpu, 2),
    };
  } finally {
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs one part in a child process and returns what it reported. */
function runPart(part: string): Promise<unknown> {
  const self = fileURLToPath(import.meta.url);
  // CONCORD_BENCH_PROFILE=DIR writes a CPU profile of each part there.
  const profile = process.env.CONCORD_BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CONCORD_BENCH_PROFILE}`]
    : [];
  // Run as built (npm run bench:sim builds first); from source only when started as .ts.
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  // The young-generation size bin/concord.js runs with.
  const args = [
    '--expose-gc',
    '--max-old-space-size=8192',
    '--max-semi-space-size=64',
    ...profile,
    ...loader,
    self,
    '--part',
    part,
  ];
  for (const k of ['replicas', 'nodes', 'clusters', 'cpu-clusters', 'cpu-seconds'] as const) {
    args.push(`--${k}`, String(values[k]));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code !== 0 || !line) reject(new Error(`bench part ${part} failed (exit ${code})`));
      else resolve(JSON.parse(line.slice(MARK.length)));
    });
  });
}

if (values.part) {
  const result = values.part === 'deployment' ? await deploymentPart() : await idlePart();
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  const parts = values.parts.split(',').map((p) => p.trim());
  const load = { start: loadavg()[0]!, end: 0 };
  const results: Record<string, unknown> = {};
  for (const part of parts) {
    if (part !== 'deployment' && part !== 'idle') usageError(USAGE, `--parts: unknown part "${part}"`);
    progress(`bench:sim ${part}`);
    results[part] = await runPart(part);
  }
  load.end = loadavg()[0]!;
  console.log(
    JSON.stringify(
      {
        benchmark: 'sim',
        node: process.version,
        cpus: availableParallelism(),
        loadAverage: load,
        ...results,
      },
      null,
      2,
    ),
  );
  const summary: string[] = [];
  const d = results.deployment as DeploymentFigures | undefined;
  if (d) {
    summary.push(
      `${d.replicas} replicas on ${d.nodes} nodes: all Running in ${(d.allRunningMs / 1000).toFixed(1)} s (goal <= 10 s; created ${(d.allCreatedMs / 1000).toFixed(1)} s, scheduled ${(d.allScheduledMs / 1000).toFixed(1)} s)`,
    );
  }
  const i = results.idle as IdleFigures | undefined;
  if (i) {
    summary.push(
      `${i.clusters} idle clusters: RSS ${(i.rssMiB / 1024).toFixed(2)} GiB (goal <= 4 GiB); ${i.cpuClusters} idle clusters: ${i.idleCpuPercentOfOneCore}% of one core (goal <= 5%)`,
    );
  }
  console.log(`sim: ${summary.join('; ')}`);
}
