// API server benchmark: Pod creates/s and gets/s over HTTPS with 32 concurrent clients (p50/p99),
// a list of 10,000 Pods, and the latency of one write reaching 1,000 watchers (p50/p99), on the
// sqlite and etcd stores. Beside each, the raw engine (better-sqlite3 alone, etcd3 alone) writing
// the same Pods with the same concurrency, and the ratio API server / raw. The API server runs in
// a child process; the clients (src/client/https.ts) in this one. Prints one JSON document and a
// one-line summary per backend.
//
//   node --import tsx bench/apiserver/main.ts [--backends sqlite,sqlite-full,etcd,etcd-cache] [--objects 10000]
//                                             [--concurrency 32] [--watchers 1000]
//                                             [--watch-threads <cores>]
//   node --import tsx bench/apiserver/main.ts --compare-watch-cache   etcd without and with the
//                                             watch cache, in turns on one etcd

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { parseKubeconfig, resolveContext } from '../../src/machinery/kubeconfig.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { startEtcd } from '../../test/support/etcd.js';
import { benchOptions, countOption, usageError } from '../cli.js';
import { pod, rawEtcd, rawSqlite, type Subject } from '../store/subjects.js';
import type { RoundSeen, WatchersTask } from './watchers.js';

const NAMESPACE = 'bench';
const WATCH_EVENTS = 50;

type Backend = 'sqlite' | 'sqlite-full' | 'etcd' | 'etcd-cache';
const BACKENDS: readonly Backend[] = ['sqlite', 'sqlite-full', 'etcd', 'etcd-cache'];

/** The store a backend names: its spec (@DIR@ for the server's folder) and options. */
function storeOf(backend: Backend, etcdUrl?: string): { spec: string; watchCache: boolean } {
  if (backend === 'sqlite') return { spec: 'sqlite:@DIR@/store.db', watchCache: false };
  if (backend === 'sqlite-full') return { spec: 'sqlite:@DIR@/store.db?sync=full', watchCache: false };
  return { spec: `etcd:${etcdUrl}`, watchCache: backend === 'etcd-cache' };
}

/** Child mode: serve an API server over the given store until told to stop. */
async function serve(storeArg: string): Promise<void> {
  const { serveApiServer } = await import('../../src/apiserver/serving.js');
  const { openStore } = await import('../../src/storage/open.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-apiserver-'));
  const { spec, watchCache } = JSON.parse(storeArg) as ReturnType<typeof storeOf>;
  const store = await openStore(spec.replace('@DIR@', dir), { watchCache });
  const running = await serveApiServer({ name: 'bench', stateDir: dir, store, port: 0 });
  process.send?.({ kubeconfig: running.kubeconfig });
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m) => {
    if (m === 'cpu') {
      // The server's own CPU time so far, so the benchmark can tell server from client cost.
      process.send?.({ cpu: process.cpuUsage() });
      return;
    }
    await running.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

function startServer(storeSpec: string): Promise<{ child: ChildProcess; kubeconfig: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', storeSpec], {
    // CONCORD_BENCH_PROFILE=DIR writes a CPU profile of the API server there.
    execArgv: [
      ...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []),
      ...(process.env.CONCORD_BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CONCORD_BENCH_PROFILE}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, kubeconfig: (m as { kubeconfig: string }).kubeconfig }));
    child.once('exit', (code) => reject(new Error(`API server exited with ${code}`)));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** The Pod of bench/store, as a client submits it (the server sets identity and status). */
function podRequest(name: string, n: number): KubeObject {
  const p = pod(name, n) as unknown as KubeObject;
  const { uid: _uid, ...meta } = p.metadata;
  const { status: _status, ...rest } = p;
  return { ...rest, metadata: { ...meta, namespace: NAMESPACE } } as KubeObject;
}

async function timed(count: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSec: Math.round(count / seconds),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
  };
}

/**
 * One update at a time, each after every watcher saw the previous; latency from write start to
 * each delivery. The watchers are spread over worker threads, each with its own connection, as
 * independent clients would be (one thread decoding every event would measure that thread).
 */
async function watchFanOut(client: HttpsClient, kubeconfig: string, watchers: number, threads: number) {
  const target = 'pod-000000';
  // Watch from now, as an informer does after its list: a list's resourceVersion is the current one.
  const now = await client.list(resources.pods, { namespace: NAMESPACE, limit: 1 });
  const workers: Worker[] = [];
  const latencies: number[] = [];
  let writeStarted = 0;
  let pending = 0;
  let roundDone: (() => void) | undefined;
  try {
    await Promise.all(
      Array.from({ length: threads }, (_, t) => {
        const share = Math.floor(watchers / threads) + (t < watchers % threads ? 1 : 0);
        const worker = new Worker(
          new URL(`./watchers${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
          {
            workerData: {
              kubeconfig,
              watchers: share,
              namespace: NAMESPACE,
              target,
              resourceVersion: now.metadata.resourceVersion ?? '0',
            } satisfies WatchersTask,
            execArgv: import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [],
          },
        );
        workers.push(worker);
        worker.on('message', (m: RoundSeen | string) => {
          if (typeof m === 'string') return;
          for (const at of m.seenAt) latencies.push(at - writeStarted);
          if (--pending === 0) roundDone?.();
        });
        return new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.on('message', (m) => m === 'ready' && resolve());
        });
      }),
    );
    for (let round = 1; round <= WATCH_EVENTS; round++) {
      pending = workers.length;
      const all = new Promise<void>((resolve) => {
        roundDone = resolve;
      });
      writeStarted = performance.timeOrigin + performance.now();
      await client.patch(
        resources.pods,
        target,
        { metadata: { labels: { round: String(round) } } },
        'merge',
        {
          namespace: NAMESPACE,
        },
      );
      await all;
    }
  } finally {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.on('message', (m) => m === 'stopped' && resolve());
            w.postMessage('stop');
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
  }
  latencies.sort((a, b) => a - b);
  return { watchP50Ms: round2(percentile(latencies, 50)), watchP99Ms: round2(percentile(latencies, 99)) };
}

function round2(n: number): number {
  return Number(n.toFixed(2));
}

async function rawWrites(subject: Subject, count: number, concurrency: number): Promise<number> {
  const r = await timed(count, concurrency, (i) =>
    subject.write(`/raw/pods/pod-${String(i).padStart(6, '0')}`, pod(`pod-${i}`, i)),
  );
  await subject.close();
  return r.perSec;
}

/** CPU microseconds the API server process has used so far. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      const cpu = (m as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!cpu) return;
      child.off('message', onMessage);
      resolve(cpu.user + cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

async function bench(
  backend: Backend,
  opts: { objects: number; concurrency: number; watchers: number; watchThreads: number },
  etcdUrl?: string,
) {
  const { child, kubeconfig } = await startServer(JSON.stringify(storeOf(backend, etcdUrl)));
  const client = new HttpsClient(resolveContext(parseKubeconfig(kubeconfig)), { timeoutMs: 120_000 });
  try {
    await client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    // Warm-up: connections, code paths, JIT.
    await timed(500, opts.concurrency, (i) => client.create(resources.pods, podRequest(`warm-${i}`, i)));
    let cpu0 = await serverCpu(child);
    let clientCpu0 = process.cpuUsage();
    const creates = await timed(opts.objects, opts.concurrency, (i) =>
      client.create(resources.pods, podRequest(`pod-${String(i).padStart(6, '0')}`, i)),
    );
    let clientCpu = process.cpuUsage(clientCpu0);
    const createServerCpuUs = Math.round(((await serverCpu(child)) - cpu0) / opts.objects);
    const createClientCpuUs = Math.round((clientCpu.user + clientCpu.system) / opts.objects);
    cpu0 = await serverCpu(child);
    clientCpu0 = process.cpuUsage();
    const gets = await timed(opts.objects, opts.concurrency, (i) =>
      client.get(resources.pods, `pod-${String(i).padStart(6, '0')}`, { namespace: NAMESPACE }),
    );
    clientCpu = process.cpuUsage(clientCpu0);
    const getServerCpuUs = Math.round(((await serverCpu(child)) - cpu0) / opts.objects);
    const getClientCpuUs = Math.round((clientCpu.user + clientCpu.system) / opts.objects);
    let listMs = Number.POSITIVE_INFINITY;
    let listed = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const list = await client.list(resources.pods, { namespace: NAMESPACE });
      listMs = Math.min(listMs, performance.now() - t0);
      listed = list.items.length;
    }
    const watch = await watchFanOut(client, kubeconfig, opts.watchers, opts.watchThreads);
    const dir = mkdtempSync(join(tmpdir(), 'bench-raw-'));
    const rawSubject = etcdUrl
      ? rawEtcd(etcdUrl)
      : rawSqlite(join(dir, 'raw.db'), backend === 'sqlite-full' ? 'FULL' : 'NORMAL');
    const raw = await rawWrites(rawSubject, opts.objects, opts.concurrency);
    rmSync(dir, { recursive: true, force: true });
    return {
      backend,
      createsPerSec: creates.perSec,
      createP50Ms: creates.p50Ms,
      createP99Ms: creates.p99Ms,
      createServerCpuUs,
      createClientCpuUs,
      getsPerSec: gets.perSec,
      getP50Ms: gets.p50Ms,
      getP99Ms: gets.p99Ms,
      getServerCpuUs,
      getClientCpuUs,
      listObjects: listed,
      listMs: round(listMs, 1),
      ...watch,
      rawWritesPerSec: raw,
      createsToRaw: round2(creates.perSec / raw),
    };
  } finally {
    await client.close();
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

/**
 * etcd with and without the watch cache, side by side: two API servers on one etcd (as two hubs),
 * one of them with the cache; the same Pods; lists and watch fan-outs taken in turns on each, so
 * that the machine's load weighs on both alike.
 */
async function watchCacheComparison(opts: {
  objects: number;
  concurrency: number;
  watchers: number;
  watchThreads: number;
}) {
  const etcd = await startEtcd();
  const servers: { child: ChildProcess; client: HttpsClient; kubeconfig: string }[] = [];
  try {
    for (const watchCache of [false, true]) {
      const { child, kubeconfig } = await startServer(
        JSON.stringify({ spec: `etcd:${etcd.clientUrl}`, watchCache }),
      );
      servers.push({
        child,
        kubeconfig,
        client: new HttpsClient(resolveContext(parseKubeconfig(kubeconfig)), { timeoutMs: 120_000 }),
      });
    }
    const [plain, cached] = servers as [(typeof servers)[0], (typeof servers)[0]];
    await plain.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    await timed(opts.objects, opts.concurrency, (i) =>
      plain.client.create(resources.pods, podRequest(`pod-${String(i).padStart(6, '0')}`, i)),
    );
    const lists = { etcd: [] as number[], cache: [] as number[] };
    let listed = 0;
    for (let r = 0; r < 5; r++) {
      for (const [name, server] of [
        ['etcd', plain],
        ['cache', cached],
      ] as const) {
        const t0 = performance.now();
        listed = (await server.client.list(resources.pods, { namespace: NAMESPACE })).items.length;
        lists[name].push(performance.now() - t0);
      }
    }
    const watches: Record<'etcd' | 'cache', { watchP50Ms: number; watchP99Ms: number }[]> = {
      etcd: [],
      cache: [],
    };
    for (let r = 0; r < 2; r++) {
      for (const [name, server] of [
        ['etcd', plain],
        ['cache', cached],
      ] as const) {
        watches[name].push(
          await watchFanOut(server.client, server.kubeconfig, opts.watchers, opts.watchThreads),
        );
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const best = (ws: { watchP50Ms: number; watchP99Ms: number }[]) =>
      ws.reduce((a, b) => (b.watchP99Ms < a.watchP99Ms ? b : a));
    return {
      objects: listed,
      listMs: {
        etcd: { best: round(Math.min(...lists.etcd), 1), median: round(median(lists.etcd), 1) },
        cache: { best: round(Math.min(...lists.cache), 1), median: round(median(lists.cache), 1) },
      },
      watch: { etcd: best(watches.etcd), cache: best(watches.cache), runs: watches },
    };
  } finally {
    for (const s of servers) {
      s.client.close();
      s.child.send('stop');
      await new Promise((r) => s.child.once('exit', r));
    }
    await etcd.stop();
  }
}

const USAGE = `usage: node dist/bench/apiserver/main.js [--backends sqlite,sqlite-full,etcd,etcd-cache] [--objects N]
                                       [--concurrency N] [--watchers N] [--watch-threads N]
       node dist/bench/apiserver/main.js --compare-watch-cache [--objects N] [--watchers N]

The API server over HTTPS on each store: Pod creates/s and gets/s with concurrent clients (p50,
p99), a list of every Pod, one write's latency to every watcher; beside it the raw engine doing
the same writes. Prints one JSON document and a one-line summary per store. With
--compare-watch-cache: lists and watch fan-outs through two servers on one etcd, without and with
the watch cache, in turns.

  --backends LIST          stores to measure, of ${BACKENDS.join(', ')} (default sqlite,etcd)
  --objects N              Pods created, read and listed (default 10000)
  --concurrency N          concurrent clients (default 32)
  --watchers N             watchers of the write-to-watchers measurement (default 1000)
  --watch-threads N        threads the watchers run on (default: the cores)
  --compare-watch-cache    etcd without and with the watch cache instead
  -h, --help               this text`;

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    serve: { type: 'string' },
    backends: { type: 'string', default: 'sqlite,etcd' },
    objects: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    watchers: { type: 'string', default: '1000' },
    'watch-threads': { type: 'string', default: String(availableParallelism()) },
    'compare-watch-cache': { type: 'boolean', default: false },
  });
  if (values.serve) {
    await serve(values.serve);
    return;
  }
  const opts = {
    objects: countOption(USAGE, 'objects', values.objects),
    concurrency: countOption(USAGE, 'concurrency', values.concurrency),
    watchers: countOption(USAGE, 'watchers', values.watchers),
    watchThreads: countOption(USAGE, 'watch-threads', values['watch-threads']),
  };
  if (values['compare-watch-cache']) {
    const loadAtStart = loadavg()[0]!;
    const c = await watchCacheComparison(opts);
    console.log(
      JSON.stringify(
        {
          comparison: 'etcd without and with the watch cache',
          loadAverageBefore: loadAtStart,
          loadAverageAfter: loadavg()[0],
          ...opts,
          ...c,
        },
        null,
        2,
      ),
    );
    console.log(
      `list ${c.objects} Pods: etcd ${c.listMs.etcd.median} ms, watch cache ${c.listMs.cache.median} ms (medians of 5 in turns); ` +
        `one write to ${opts.watchers} watchers p50/p99: etcd ${c.watch.etcd.watchP50Ms}/${c.watch.etcd.watchP99Ms} ms, ` +
        `watch cache ${c.watch.cache.watchP50Ms}/${c.watch.cache.watchP99Ms} ms`,
    );
    return;
  }
  const backends = values.backends.split(',') as Backend[];
  for (const b of backends) {
    if (!BACKENDS.includes(b)) usageError(USAGE, `--backends: unknown store "${b}"`);
  }
  const loadBefore = loadavg()[0]!;
  const results = [];
  for (const backend of backends) {
    if (backend.startsWith('etcd')) {
      const etcd = await startEtcd();
      try {
        results.push(await bench(backend, opts, etcd.clientUrl));
      } finally {
        await etcd.stop();
      }
    } else {
      results.push(await bench(backend, opts));
    }
  }
  const report = {
    cpus: availableParallelism(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg()[0],
    ...opts,
    results,
  };
  console.log(JSON.stringify(report, null, 2));
  for (const r of results) {
    console.log(
      `${r.backend}: creates ${r.createsPerSec}/s (p50 ${r.createP50Ms} ms, p99 ${r.createP99Ms} ms; ${r.createsToRaw}x raw ${r.rawWritesPerSec}/s), ` +
        `gets ${r.getsPerSec}/s (p99 ${r.getP99Ms} ms), list ${r.listObjects} in ${r.listMs} ms, ` +
        `one write to ${opts.watchers} watchers p50 ${r.watchP50Ms} ms p99 ${r.watchP99Ms} ms`,
    );
  }
}

await main();
