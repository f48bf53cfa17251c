// Scheduling latency of the propagation scheduler, with 10 and 100 members: ResourceBindings of
// four kinds of placement (Duplicated over a region, static weights, dynamic weights, spread over
// regions) are created a few at a time against the hub's API server on SQLite with the scheduler
// running in process. For each decision: the algorithm alone, the whole decision with the writes
// of spec.clusters and status (what Karmada's scheduler reports as its scheduling duration), and
// the time from the binding's create to its Scheduled condition seen by a watch. Prints one JSON
// document, then a one-line summary per fleet size.
//
//   npm run bench:propagation      # = npm run build && node dist/bench/propagation/main.js
//   node --import tsx bench/propagation/main.ts [--members 10,100] [--bindings 400]

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { ApiServer } from '../../src/apiserver/server.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import {
  karmadaApis,
  karmadaResources,
  type Placement,
  type ResourceBinding,
} from '../../src/hub/apis/karmada/index.js';
import { startScheduler } from '../../src/hub/propagation/scheduler/controller.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { benchOptions, countOption } from '../cli.js';

const REGIONS = 5;
const IN_FLIGHT = 4;
/** Bindings scheduled first and not counted (JIT, caches). */
const WARMUP = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const round = (n: number) => Number(n.toFixed(2));
const stats = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return { p50Ms: round(percentile(s, 50)), p99Ms: round(percentile(s, 99)), n: s.length };
};

function placement(i: number, members: number): Placement {
  const divided = (
    weightPreference: NonNullable<Placement['replicaScheduling']>['weightPreference'],
  ): Placement => ({
    replicaScheduling: {
      replicaSchedulingType: 'Divided',
      replicaDivisionPreference: 'Weighted',
      weightPreference,
    },
  });
  switch (i % 4) {
    case 0:
      return {
        clusterAffinity: {
          fieldSelector: {
            matchExpressions: [{ key: 'region', operator: 'In', values: [`r${i % REGIONS}`] }],
          },
        },
      };
    case 1:
      return divided({
        staticWeightList: Array.from({ length: Math.min(members, 8) }, (_, k) => ({
          targetCluster: { clusterNames: [`m${(i + k) % members}`] },
          weight: k + 1,
        })),
      });
    case 2:
      return divided({ dynamicWeight: 'AvailableReplicas' });
    default:
      return {
        spreadConstraints: [
          { spreadByField: 'cluster', minGroups: 2, maxGroups: 4 },
          { spreadByField: 'region', minGroups: 2, maxGroups: 2 },
        ],
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
      };
  }
}

async function run(members: number, bindings: number) {
  const dir = mkdtempSync(join(tmpdir(), 'concord-bench-propagation-'));
  const store = await SqliteStore.open({ path: join(dir, 'state.db') });
  const logger = pino({ level: 'silent' });
  const server = await ApiServer.start({
    name: 'hub',
    store,
    tokens: [],
    tls: { caPem: '', certPem: '', keyPem: '' },
    logger,
    extensions: [karmadaApis],
  });
  const client = new InProcessClient(server);
  for (let m = 0; m < members; m++) {
    const c = await client.create(karmadaResources.clusters, {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: `m${m}` },
      spec: { syncMode: 'Push', region: `r${m % REGIONS}`, zones: [`z${m % 10}`] },
    });
    await client.update(
      karmadaResources.clusters,
      {
        ...c,
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ClusterReady',
              message: '',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
          resourceSummary: { allocatable: { cpu: '64', memory: '256Gi', pods: '500' } },
        },
      },
      { subresource: 'status' },
    );
  }
  await client.create(
    { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
  );
  const informers = new InformerFactory(client, { logger });
  const algorithm: number[] = [];
  const decision: number[] = [];
  const decided = new Set<string>();
  const scheduler = startScheduler(
    { cluster: 'hub', client, informers, logger, now: () => new Date() },
    {
      onScheduled: (t, key) => {
        // The first decision of each binding (a duplicated one is looked at again after its own write).
        if (Number(key.split('-')[1]) < WARMUP || decided.has(key)) return;
        decided.add(key);
        algorithm.push(t.algorithmMs);
        decision.push(t.totalMs);
      },
    },
  );
  informers.start();
  await informers.waitForSync();

  // Create-to-Scheduled, seen by a watch of the bindings.
  const created = new Map<string, number>();
  const endToEnd: number[] = [];
  let seen = 0;
  let done: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    done = r;
  });
  const watch = await client.watch<ResourceBinding>(
    karmadaResources.resourcebindings,
    { namespace: 'bench', resourceVersion: '0' },
    {
      onEvent: (e) => {
        const b = e.object as ResourceBinding;
        const start = created.get(b.metadata?.name ?? '');
        if (start === undefined) return;
        if (b.status?.conditions?.some((c) => c.type === 'Scheduled')) {
          if (Number(b.metadata.name!.split('-')[1]) >= WARMUP) endToEnd.push(performance.now() - start);
          created.delete(b.metadata.name!);
          if (++seen === WARMUP + bindings) done();
        }
      },
      onClose: () => {},
    },
  );
  let next = 0;
  const worker = async () => {
    while (next < WARMUP + bindings) {
      const i = next++;
      const name = `app-${i}-deployment`;
      const b: KubeObject = {
        apiVersion: 'work.karmada.io/v1alpha2',
        kind: 'ResourceBinding',
        metadata: { name, namespace: 'bench' },
        spec: {
          resource: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'bench',
            name: `app-${i}`,
            uid: `uid-${i}`,
          },
          replicas: 2 + (i % 20),
          replicaRequirements: { resourceRequest: { cpu: '250m', memory: '256Mi' } },
          placement: placement(i, members),
        },
      };
      created.set(name, performance.now());
      await client.create(karmadaResources.resourcebindings, b, { namespace: 'bench' });
      // A few in flight, as a detector creating bindings would keep them.
      while (created.size >= IN_FLIGHT) await new Promise((r) => setTimeout(r, 1));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await allDone;
  const wallMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 100));
  watch.stop();
  await scheduler.stop();
  informers.stop();
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    members,
    bindings,
    algorithm: stats(algorithm),
    decision: stats(decision),
    createToScheduled: stats(endToEnd),
    bindingsPerSec: round((WARMUP + bindings) / (wallMs / 1000)),
  };
}

const USAGE = `usage: node dist/bench/propagation/main.js [--members 10,100] [--bindings 400]

Scheduling latency of the hub's scheduler: ResourceBindings created against N simulated member
Cluster objects, each until its Scheduled condition; p50/p99 of the decision, of the algorithm
alone, and from create to Scheduled. A first run of the first fleet size warms the process
up and is printed apart (cold, not counted).

  --members N,N   fleet sizes to measure, one run each (default 10,100)
  --bindings N    bindings per run (default 400)
  -h, --help      this text`;

async function main() {
  const values = benchOptions(USAGE, {
    members: { type: 'string', default: '10,100' },
    bindings: { type: 'string', default: '400' },
  });
  const sizes = values.members.split(',').map((m) => countOption(USAGE, 'members', m));
  const bindings = countOption(USAGE, 'bindings', values.bindings);
  const startLoad = loadavg()[0]!;
  // A whole run first, not counted: in a fresh process the first few hundred decisions run
  // before the JIT has compiled the scheduler and the API server's write path, and a hub's
  // scheduler is a long-running process (the first run's figures are printed as coldRun).
  const coldRun = await run(sizes[0]!, bindings);
  const results = [];
  for (const m of sizes) results.push(await run(m, bindings));
  const doc = {
    benchmark: 'propagation-scheduling',
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    loadAverage: { start: round(startLoad), end: round(loadavg()[0]!) },
    coldRun,
    results,
  };
  console.log(JSON.stringify(doc, null, 2));
  for (const r of [{ ...coldRun, members: `${coldRun.members} (cold, not counted)` }, ...results]) {
    console.log(
      `${r.members} members: decision p50 ${r.decision.p50Ms} ms p99 ${r.decision.p99Ms} ms ` +
        `(algorithm p50 ${r.algorithm.p50Ms} p99 ${r.algorithm.p99Ms}; create to Scheduled p50 ` +
        `${r.createToScheduled.p50Ms} p99 ${r.createToScheduled.p99Ms}; ${r.bindingsPerSec} bindings/s)`,
    );
  }
}

await main();
