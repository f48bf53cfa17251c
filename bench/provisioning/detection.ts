// Member health benchmark (the detection part of bench/provisioning):
//  (a) detection: a hub (startHub, as `concord hub` runs it: API server on SQLite, the registry's
//      controllers with their defaults; in a process of its own) watching simulated members that
//      run in a sim host process and were joined with joinCluster; rounds in which several
//      members go down at once (`fault down`: the port refuses and open connections are cut, as
//      when a member's API server dies); the time from the fault to Ready=False and to the
//      NoExecute taint, as a watch on the hub sees them; p50/p99 over every member of every round.
//  (b) idle: 1,000 simulated members of 3 nodes in a sim host process, registered with the hub;
//      once every one is Ready with its summary and things have settled, the hub process's CPU
//      over a minute (its controllers probing each member every 2 s) and its RSS.
// Prints one JSON document, then a one-line summary.
//
//   npm run bench:detection [-- --parts detection,idle] [--members 10] [--rounds 8] [--per-round 5]
//                             [--idle-members 1000] [--settle-seconds 30] [--cpu-seconds 60]

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import inspector from 'node:inspector';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { HttpsClient } from '../../src/client/https.js';
import { Informer } from '../../src/client/informer.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { joinCluster, registerCluster } from '../../src/hub/clusters/join.js';
import { startHub } from '../../src/hub/hub.js';
import { requestFault } from '../../src/sim/control.js';
import { SimHost } from '../../src/sim/host.js';
import { benchOptions, countOption, usageError } from '../cli.js';

const USAGE = `usage: node dist/bench/provisioning/detection.js [--parts detection,idle] [--members N]
       [--rounds N] [--per-round N] [--idle-members N] [--settle-seconds S] [--cpu-seconds S]

Member health on a hub in a process of its own, the members simulated in another: (detection)
members killed a few at a time, the time to Ready=False and to the NoExecute taint p50/p99;
(idle) N members registered and Ready, the hub's CPU and RSS while it probes them. Prints one
JSON document and a summary.

  --parts P             detection, idle or both (default detection,idle)
  --members N           members watched in the detection part (default 10)
  --rounds N            rounds of members going down (default 8)
  --per-round N         members going down at once in a round (default 5)
  --idle-members N      members of the idle part (default 1000)
  --settle-seconds S    wait once all are Ready, before measuring (default 30)
  --cpu-seconds S       the hub's CPU measured over S seconds (default 60)
  -h, --help            this text
`;
const values = benchOptions(USAGE, {
  // The child processes' own options (the sim host's and the hub's).
  role: { type: 'string' },
  dir: { type: 'string' },
  count: { type: 'string' },
  parts: { type: 'string', default: 'detection,idle' },
  members: { type: 'string', default: '10' },
  rounds: { type: 'string', default: '8' },
  'per-round': { type: 'string', default: '5' },
  'idle-members': { type: 'string', default: '1000' },
  'settle-seconds': { type: 'string', default: '30' },
  'cpu-seconds': { type: 'string', default: '60' },
});
if (values.role === undefined) {
  countOption(USAGE, 'members', values.members);
  countOption(USAGE, 'rounds', values.rounds);
  countOption(USAGE, 'per-round', values['per-round']);
  countOption(USAGE, 'idle-members', values['idle-members']);
  countOption(USAGE, 'settle-seconds', values['settle-seconds'], 0);
  countOption(USAGE, 'cpu-seconds', values['cpu-seconds']);
  for (const part of values.parts.split(',')) {
    if (!['detection', 'idle'].includes(part.trim())) usageError(USAGE, `--parts: unknown part "${part}"`);
  }
}

const progress = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

// Child roles -------------------------------------------------------------------------------

/** The sim host: `count` members of 3 nodes, m-0 ... */
async function simsRole(dir: string, count: number): Promise<void> {
  const host = await SimHost.start({ dataDir: dir, defaults: { nodes: 3 } });
  for (let i = 0; i < count; i++) {
    await host.startCluster({ name: `m-${i}` });
    if (count > 50 && (i + 1) % 100 === 0) progress(`  sim host: ${i + 1}/${count} members`);
  }
  process.send?.({ ready: true });
  process.on('message', (m: { usage?: boolean }) => {
    if (m.usage) process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  });
  process.once('SIGTERM', () => void host.stop().then(() => process.exit(0)));
}

/** The hub as `concord hub` runs it: API server on SQLite, controller manager with its defaults. */
async function hubRole(dir: string): Promise<void> {
  const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'error' });
  const hub = await startHub({ dataDir: dir, port: 0, logger });
  process.send?.({ kubeconfig: hub.kubeconfigPath });
  // CONCORD_BENCH_PROFILE=DIR: a CPU profile of the hub over the measured window, written there.
  const profiling = process.env.CONCORD_BENCH_PROFILE ? new inspector.Session() : undefined;
  profiling?.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      profiling!.post(method, (err, result) => (err ? reject(err) : resolve(result))),
    );
  process.on('message', async (m: { usage?: boolean; gc?: boolean; profile?: 'start' | 'stop' }) => {
    if (profiling && m.profile === 'start') {
      await post('Profiler.enable');
      await post('Profiler.start');
    } else if (profiling && m.profile === 'stop') {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      await writeFile(
        join(process.env.CONCORD_BENCH_PROFILE!, `hub-${Date.now()}.cpuprofile`),
        JSON.stringify(profile),
      );
    }
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    if (m.usage || m.gc) {
      const mem = process.memoryUsage();
      process.send?.({ cpu: process.cpuUsage(), rss: mem.rss, heapUsed: mem.heapUsed });
    }
  });
  process.once('SIGTERM', async () => {
    await hub.close();
    process.exit(0);
  });
}

// The parent --------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  /** The next message it sends. */
  next(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function start(role: string, dir: string, count = 0): Child {
  const self = fileURLToPath(import.meta.url);
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = fork(self, ['--role', role, '--dir', dir, '--count', String(count)], {
    execArgv: ['--expose-gc', '--max-old-space-size=8192', '--max-semi-space-size=64', ...loader],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  proc.on('message', (m) => waiting.shift()?.(m as Record<string, unknown>));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function usage(child: Child, msg: Record<string, unknown> = { usage: true }) {
  const reply = child.next();
  child.proc.send(msg);
  return (await reply) as { cpu: NodeJS.CpuUsage; rss: number; heapUsed?: number };
}

const readyOf = (c: Cluster | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready')?.status;
const noExecute = (c: Cluster | undefined) => (c?.spec?.taints ?? []).some((t) => t.effect === 'NoExecute');

interface Fleet {
  dir: string;
  sims: Child;
  hubProc: Child;
  hub: HttpsClient;
  clusters: Informer<Cluster>;
  close(): Promise<void>;
}

async function startFleet(count: number, register: 'join' | 'register'): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-detection-'));
  const sims = start('sims', join(dir, 'sims'), count);
  const hubProc = start('hub', dir);
  const [{ kubeconfig }] = await Promise.all([hubProc.next(), sims.next()]);
  const hub = await HttpsClient.fromKubeconfigFile(String(kubeconfig), undefined, { timeoutMs: 120_000 });
  const clusters = new Informer<Cluster>(hub, karmadaResources.clusters, {
    logger: pino({ level: 'silent' }),
  });
  clusters.start();
  await clusters.waitForSync();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const kubeconfigPath = join(dir, 'sims', 'clusters', `m-${i}.kubeconfig`);
    if (register === 'join') {
      await joinCluster(hub, { name: `m-${i}`, kubeconfig: kubeconfigPath });
    } else {
      // As provisioning registers what it made: no check, the Secret and the Cluster.
      await registerCluster(hub, { name: `m-${i}`, connection: await loadKubeconfig(kubeconfigPath) });
    }
    if (count > 50 && (i + 1) % 100 === 0) progress(`  registered ${i + 1}/${count}`);
  }
  const registeredMs = performance.now() - t0;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const all = clusters.list();
    const done = all.filter((c) => readyOf(c) === 'True' && c.status?.resourceSummary?.allocatable).length;
    if (done === count) break;
    if (Date.now() > deadline) throw new Error(`only ${done} of ${count} members became Ready`);
    await sleep(500);
  }
  progress(
    `  ${count} members registered in ${(registeredMs / 1000).toFixed(1)} s, all Ready with their summary after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    dir,
    sims,
    hubProc,
    hub,
    clusters,
    async close() {
      clusters.stop();
      hub.close();
      await hubProc.stop();
      await sims.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface DetectionFigures {
  members: number;
  samples: number;
  notReadyMs: { p50: number; p99: number; max: number };
  noExecuteMs: { p50: number; p99: number; max: number };
}

async function detectionPart(): Promise<DetectionFigures> {
  const members = Number(values.members);
  const rounds = Number(values.rounds);
  const perRound = Math.min(members, Number(values['per-round']));
  progress(`detection: ${members} members, ${rounds} rounds of ${perRound} going down`);
  const fleet = await startFleet(members, 'join');
  const notReady: number[] = [];
  const tainted: number[] = [];
  try {
    let next = 0;
    for (let r = 0; r < rounds; r++) {
      const victims = Array.from({ length: perRound }, () => `m-${next++ % members}`);
      const seen = new Map<string, { t0: number; notReady?: number; noExecute?: number }>();
      const look = (c: Cluster) => {
        const s = seen.get(c.metadata.name ?? '');
        if (!s) return;
        const now = performance.now();
        if (s.notReady === undefined && readyOf(c) === 'False') s.notReady = now - s.t0;
        if (s.noExecute === undefined && noExecute(c)) s.noExecute = now - s.t0;
      };
      const off = fleet.clusters.addEventHandler({ onUpdate: (_o, c) => look(c) });
      // Faults at no particular point of the probes' cycle.
      await sleep(Math.random() * 2000);
      for (const v of victims) {
        seen.set(v, { t0: performance.now() });
        await requestFault(join(fleet.dir, 'sims'), v, { action: 'down' });
      }
      const deadline = Date.now() + 60_000;
      while ([...seen.values()].some((s) => s.noExecute === undefined || s.notReady === undefined)) {
        if (Date.now() > deadline) throw new Error(`round ${r}: not every member was detected within 60 s`);
        await sleep(50);
      }
      off();
      for (const s of seen.values()) {
        notReady.push(s.notReady!);
        tainted.push(s.noExecute!);
      }
      for (const v of victims) await requestFault(join(fleet.dir, 'sims'), v, { action: 'heal' });
      const healed = Date.now() + 60_000;
      while (
        victims.some(
          (v) =>
            readyOf(fleet.clusters.get(v)) !== 'True' ||
            (fleet.clusters.get(v)?.spec?.taints ?? []).length > 0,
        )
      ) {
        if (Date.now() > healed) throw new Error(`round ${r}: the members did not come back within 60 s`);
        await sleep(100);
      }
      progress(
        `  round ${r + 1}/${rounds}: NoExecute after ${[...seen.values()].map((s) => (s.noExecute! / 1000).toFixed(1)).join(', ')} s`,
      );
    }
  } finally {
    await fleet.close();
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return {
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1)!),
    };
  };
  return { members, samples: notReady.length, notReadyMs: stats(notReady), noExecuteMs: stats(tainted) };
}

interface IdleFigures {
  members: number;
  cpuSeconds: number;
  hubIdleCpuPercentOfOneCore: number;
  hubRssMiB: number;
  hubHeapUsedMiB: number;
  simHostIdleCpuPercentOfOneCore: number;
  /** Members whose Ready changed during the measured minute (a false alarm, at idle). */
  readyChangesWhileIdle: number;
}

async function idlePart(): Promise<IdleFigures> {
  const members = Number(values['idle-members']);
  const settleMs = Number(values['settle-seconds']) * 1000;
  const cpuMs = Number(values['cpu-seconds']) * 1000;
  progress(`idle: ${members} members`);
  const fleet = await startFleet(members, 'register');
  try {
    // Nothing of the benchmark's own on the hub while it is measured.
    fleet.clusters.stop();
    await sleep(settleMs);
    const windowStart = Date.now();
    const [h0, s0] = [await usage(fleet.hubProc, { usage: true, profile: 'start' }), await usage(fleet.sims)];
    const t0 = performance.now();
    await sleep(cpuMs);
    const [h1, s1] = [await usage(fleet.hubProc, { usage: true, profile: 'stop' }), await usage(fleet.sims)];
    const elapsed = performance.now() - t0;
    const pct = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) =>
      round(((b.user - a.user + b.system - a.system) / 1000 / elapsed) * 100, 1);
    const mem = await usage(fleet.hubProc, { gc: true });
    const after = await fleet.hub.list<Cluster>(karmadaResources.clusters);
    // lastTransitionTime has whole seconds: a change in the window's first second counts too.
    const readyChangesWhileIdle = after.items.filter((c) => {
      const ready = c.status?.conditions?.find((x) => x.type === 'Ready');
      return Date.parse(ready?.lastTransitionTime ?? '') >= Math.floor(windowStart / 1000) * 1000;
    }).length;
    return {
      readyChangesWhileIdle,
      members,
      cpuSeconds: round(elapsed / 1000),
      hubIdleCpuPercentOfOneCore: pct(h0.cpu, h1.cpu),
      hubRssMiB: round(mem.rss / 2 ** 20),
      hubHeapUsedMiB: round((mem.heapUsed ?? 0) / 2 ** 20),
      simHostIdleCpuPercentOfOneCore: pct(s0.cpu, s1.cpu),
    };
  } finally {
    await fleet.close();
  }
}

if (values.role === 'sims') {
  await simsRole(values.dir!, Number(values.count));
} else if (values.role === 'hub') {
  await hubRole(values.dir!);
} else {
  const parts = values.parts.split(',').map((p) => p.trim());
  const load = { start: loadavg()[0]!, end: 0 };
  const results: { detection?: DetectionFigures; idle?: IdleFigures } = {};
  for (const part of parts) {
    if (part === 'detection') results.detection = await detectionPart();
    else if (part === 'idle') results.idle = await idlePart();
    else throw new Error(`unknown part "${part}": detection or idle`);
  }
  load.end = loadavg()[0]!;
  console.log(
    JSON.stringify(
      {
        benchmark: 'detection',
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
  const d = results.detection;
  if (d) {
    summary.push(
      `member down -> Ready=False p50 ${(d.notReadyMs.p50 / 1000).toFixed(1)} s p99 ${(d.notReadyMs.p99 / 1000).toFixed(1)} s, NoExecute p50 ${(d.noExecuteMs.p50 / 1000).toFixed(1)} s p99 ${(d.noExecuteMs.p99 / 1000).toFixed(1)} s (goal <= 10 s; ${d.samples} samples)`,
    );
  }
  const i = results.idle;
  if (i) {
    summary.push(
      `${i.members} idle members: hub ${i.hubIdleCpuPercentOfOneCore}% of one core (goal <= 25%), RSS ${i.hubRssMiB} MiB, ${i.readyChangesWhileIdle} Ready changes`,
    );
  }
  console.log(`detection: ${summary.join('; ')}`);
  process.exit(0);
}
