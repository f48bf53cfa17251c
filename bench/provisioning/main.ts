// Provisioning benchmark: N clusters of 3 nodes declared at once on a hub (startHub with all its
// controllers, SQLite store, in this process): for each, a Cluster, a LocalCluster, a
// LocalMachineTemplate and a MachineDeployment of 3 replicas, created together. Measures the time
// until every cluster is a Ready member of the hub with its 3 nodes Ready (the member registry's
// nodeSummary), the registration latency per cluster (its objects created -> member Ready with 3
// nodes) p50/p99, and the process's RSS and CPU while idle once steady.
// Prints one JSON document, then a one-line summary.
//
//   npm run bench:provisioning [-- --clusters 100] [--timeout-seconds 600] [--idle-seconds 30]

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { InProcessClient } from '../../src/client/in-process.js';
import { Informer } from '../../src/client/informer.js';
import { type Cluster as CapiCluster, clusterApiResources } from '../../src/hub/apis/cluster-api/index.js';
import { infrastructureResources } from '../../src/hub/apis/infrastructure/index.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { startHub } from '../../src/hub/hub.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/provisioning/main.js [--clusters N] [--timeout-seconds S] [--idle-seconds S]

N clusters of 3 nodes declared at once on a hub (Cluster, LocalCluster, LocalMachineTemplate and
a MachineDeployment of 3 each): the time until all are Ready members, the registration latency
p50/p99 and its stages, and the process's RSS and idle CPU once steady (hub and simulated
clusters: one process). Prints one JSON document and a summary.

  --clusters N          clusters declared (default 100)
  --timeout-seconds S   give up after S seconds (default 600)
  --idle-seconds S      seconds of idle CPU measured once all are Ready (default 30)
  -h, --help            this text
`;
const values = benchOptions(USAGE, {
  clusters: { type: 'string', default: '100' },
  'timeout-seconds': { type: 'string', default: '600' },
  'idle-seconds': { type: 'string', default: '30' },
});
const N = countOption(USAGE, 'clusters', values.clusters);
const TIMEOUT_S = countOption(USAGE, 'timeout-seconds', values['timeout-seconds']);
const IDLE_S = countOption(USAGE, 'idle-seconds', values['idle-seconds'], 0);

const progress = (text: string) => process.stderr.write(`${text}\n`);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const name = (i: number) => `c-${i}`;
/** "secrets", "clusters.cluster.x-k8s.io" ... of a store key (/registry/{core|group}/resource/...). */
function resourceOfKey(key: string): string {
  const parts = key.split('/').filter(Boolean);
  if (parts[0] === 'registry') parts.shift();
  if (parts[0] === 'core') return parts[1] ?? key;
  return parts[0]?.includes('.') ? `${parts[1]}.${parts[0]}` : (parts[0] ?? key);
}
const LOCAL = 'infrastructure.concord.dev/v1alpha1';

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-provisioning-'));
  const load = { start: round(loadavg()[0]!, 2), end: 0 };
  const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'error' });
  const hub = await startHub({ dataDir: dir, port: 0, logger });
  const client = new InProcessClient(hub.api.server, { userAgent: 'bench-provisioning' });
  const created = new Map<string, number>();
  const ready = new Map<string, number>();
  // Stages of each cluster, as the hub's watches see them.
  const provisioned = new Map<string, number>();
  const registered = new Map<string, number>();
  const memberReady = new Map<string, number>();
  const first = (m: Map<string, number>, n: string) => {
    if (created.has(n) && !m.has(n)) m.set(n, performance.now());
  };
  let allReady: () => void = () => {};
  const done = new Promise<void>((r) => {
    allReady = r;
  });
  const members = new Informer<Cluster>(client, karmadaResources.clusters);
  const check = (c: Cluster) => {
    const n = c.metadata.name ?? '';
    const isReady = c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    first(registered, n);
    if (isReady) first(memberReady, n);
    if (isReady && (c.status?.nodeSummary?.readyNum ?? 0) >= 3 && !ready.has(n) && created.has(n)) {
      ready.set(n, performance.now());
      if (ready.size === N) allReady();
    }
  };
  members.addEventHandler({ onAdd: check, onUpdate: (_o, c) => check(c) });
  // Writes to the hub's store while the clusters come up, by resource: what the controllers cost.
  const writes = new Map<string, number>();
  let counting = true;
  const writeWatch = hub.store.watch('/', await hub.store.currentRevision(), {
    onEvent: (e) => {
      if (!counting) return;
      const what = `${resourceOfKey(e.key)} ${e.type}`;
      writes.set(what, (writes.get(what) ?? 0) + 1);
    },
    onError: () => undefined,
  });
  const capi = new Informer<CapiCluster>(client, clusterApiResources.clusters);
  const phase = (c: CapiCluster) => {
    if (c.status?.phase === 'Provisioned') first(provisioned, c.metadata.name ?? '');
  };
  capi.addEventHandler({ onAdd: phase, onUpdate: (_o, c) => phase(c) });
  members.start();
  capi.start();
  await Promise.all([members.waitForSync(), capi.waitForSync()]);

  progress(`declaring ${N} clusters of 3 nodes`);
  const t0 = performance.now();
  const cpuStart = process.cpuUsage();
  const ns = { namespace: 'default' };
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const n = name(i);
      created.set(n, performance.now());
      await client.create(
        infrastructureResources.localmachinetemplates,
        {
          apiVersion: LOCAL,
          kind: 'LocalMachineTemplate',
          metadata: { name: n, namespace: 'default' },
          spec: { template: { spec: { instanceType: 'sim.medium' } } },
        },
        ns,
      );
      await client.create(
        infrastructureResources.localclusters,
        {
          apiVersion: LOCAL,
          kind: 'LocalCluster',
          metadata: { name: n, namespace: 'default' },
          spec: { region: ['europe', 'us', 'asia'][i % 3] },
        },
        ns,
      );
      await client.create(
        clusterApiResources.clusters,
        {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          metadata: { name: n, namespace: 'default' },
          spec: { infrastructureRef: { apiVersion: LOCAL, kind: 'LocalCluster', name: n } },
        },
        ns,
      );
      await client.create(
        clusterApiResources.machinedeployments,
        {
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'MachineDeployment',
          metadata: { name: `${n}-md-0`, namespace: 'default' },
          spec: {
            clusterName: n,
            replicas: 3,
            selector: {},
            template: {
              spec: {
                clusterName: n,
                version: 'v1.33.0',
                bootstrap: { dataSecretName: '' },
                infrastructureRef: { apiVersion: LOCAL, kind: 'LocalMachineTemplate', name: n },
              },
            },
          },
        },
        ns,
      );
    }),
  );
  const declaredMs = performance.now() - t0;
  progress(`declared in ${round(declaredMs)} ms; waiting for ${N} Ready members`);
  const ticker = setInterval(() => progress(`  ${ready.size}/${N} Ready`), 5000);
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), TIMEOUT_S * 1000)),
  ]);
  clearInterval(ticker);
  // CPU time of the process (hub and clusters) until all were Ready: what the work cost, which a
  // busy machine changes less than the wall-clock figures.
  const cpuToReady = process.cpuUsage(cpuStart);
  counting = false;
  writeWatch.close();
  const allReadyMs = performance.now() - t0;
  const since = (m: Map<string, number>) => {
    const xs = [...m.entries()].map(([n, t]) => t - (created.get(n) ?? t0)).sort((a, b) => a - b);
    return { p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) };
  };
  const latencies = [...ready.entries()].map(([n, t]) => t - (created.get(n) ?? t0)).sort((a, b) => a - b);

  // Idle: CPU of this process (hub, its controllers, the simulated clusters) once steady.
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const cpu = process.cpuUsage(cpu0);
  const idleCpu = IDLE_S > 0 ? (cpu.user + cpu.system) / 1000 / (performance.now() - w0) : Number.NaN;
  load.end = round(loadavg()[0]!, 2);
  const result = {
    benchmark: 'provisioning',
    date: new Date().toISOString(),
    node: process.version,
    clusters: N,
    nodesPerCluster: 3,
    cores: availableParallelism(),
    loadAverage: load,
    readyMembers: ready.size,
    timedOut,
    declareMs: round(declaredMs),
    allReadyMs: round(allReadyMs),
    cpuSecondsToReady: round((cpuToReady.user + cpuToReady.system) / 1e6, 1),
    registrationLatencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    // Objects created -> each stage (the last one, 3 nodes counted, is the registration latency).
    stagesMs: {
      clusterProvisioned: since(provisioned),
      memberRegistered: since(registered),
      memberReady: since(memberReady),
      nodesCounted: since(ready),
    },
    // Writes to the hub's store per cluster until all were Ready, by resource and type.
    hubWritesPerCluster: Object.fromEntries(
      [...writes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / N, 1)]),
    ),
    rssMiB: round(process.memoryUsage().rss / 2 ** 20),
    idleCpuPercentOfOneCore: round(idleCpu * 100, 1),
    idleSeconds: IDLE_S,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `provisioning: ${ready.size}/${N} clusters Ready members in ${round(allReadyMs / 1000, 1)} s (CPU ${result.cpuSecondsToReady} s; p50 ${round(result.registrationLatencyMs.p50 / 1000, 1)} s, p99 ${round(result.registrationLatencyMs.p99 / 1000, 1)} s), RSS ${result.rssMiB} MiB, idle CPU ${result.idleCpuPercentOfOneCore}% of a core; load ${load.start}\n`,
  );
  members.stop();
  capi.stop();
  await hub.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(timedOut ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`bench:provisioning: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
