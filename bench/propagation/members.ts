// The members' side of propagation alone: a sim host process of its own runs N simulated members
// (two nodes each); this process applies each Deployment to every member at once over HTTPS as
// the hub's execution controller does (server-side apply, field manager `concord`, force), and
// times each member's answer and the Deployment's arrival on every member, seen by a watch on
// each. Deployments go one at a time (after a few not counted), so that the members' controllers
// (ReplicaSet, Pod, scheduling, status) for one are still at work when the next arrives, as in
// bench/propagation/execution.ts without the hub. Prints one JSON document, then a one-line summary.
//
//   node dist/bench/propagation/members.js [--members 100] [--workloads 20]

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HttpsClient } from '../../src/client/https.js';
import type { Informer } from '../../src/client/informer.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { resources } from '../../src/client/resources.js';
import { EXECUTION_FIELD_MANAGER } from '../../src/hub/apis/karmada/execution/executor.js';
import { startSimHostProcess } from '../../test/support/sim-host.js';
import { benchOptions, countOption } from '../cli.js';
import { type Arrivals, watchArrivals } from './arrivals.js';
import { round, stats } from './latency-stats.js';
import { benchDeployment } from './workload.js';

const USAGE = `usage: node dist/bench/propagation/members.js [--members N] [--workloads N]

  --members N      simulated members in the sim host (default 100)
  --workloads N    Deployments applied to every member, one at a time (default 20)
  -h, --help       this text`;
const WARMUP = 3;

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const opts = benchOptions(USAGE, {
  members: { type: 'string', default: '100' },
  workloads: { type: 'string', default: '20' },
});
const members = countOption(USAGE, 'members', opts.members as string);
const workloads = countOption(USAGE, 'workloads', opts.workloads as string);
const loadStart = loadavg().map(round);

const dir = await mkdtemp(join(tmpdir(), 'concord-bench-members-'));
const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'error' });
const names = Array.from({ length: members }, (_, i) => `m${i}`);
const sims = await startSimHostProcess(join(dir, 'sims'), names);
const clients: HttpsClient[] = [];
const watchers: Informer[] = [];
try {
  const seen: Arrivals = new Map();
  const memberClients = new Map<string, HttpsClient>();
  for (const name of names) {
    const kubeconfig = await loadKubeconfig(join(dir, 'sims', 'clusters', `${name}.kubeconfig`));
    // One client to apply (as the hub's execution holds one per member), one to watch.
    const client = new HttpsClient(kubeconfig);
    const watchClient = new HttpsClient(kubeconfig);
    clients.push(client, watchClient);
    memberClients.set(name, client);
    watchers.push(watchArrivals(watchClient, name, seen, logger));
  }
  await Promise.all(watchers.map((w) => w.waitForSync()));

  const everyMember: number[] = [];
  const eachMember: number[] = [];
  const answers: number[] = [];
  let cpuStart = 0;
  let started = performance.now();
  for (let i = 0; i < WARMUP + workloads; i++) {
    const name = `web-${i}`;
    const body = benchDeployment(name, { bench: 'latency' });
    if (i === WARMUP) {
      cpuStart = await cpuSeconds(sims.child.pid!);
      started = performance.now();
    }
    const t0 = performance.now();
    const answered = await Promise.all(
      names.map(async (m) => {
        await memberClients
          .get(m)!
          .apply(resources.deployments, body, { fieldManager: EXECUTION_FIELD_MANAGER, force: true });
        return performance.now() - t0;
      }),
    );
    while ((seen.get(name)?.size ?? 0) < members) await new Promise((r) => setTimeout(r, 5));
    if (i < WARMUP) continue;
    const arrivals = [...seen.get(name)!.values()].map((t) => t - t0);
    everyMember.push(Math.max(...arrivals));
    eachMember.push(...arrivals);
    answers.push(...answered);
  }
  const seconds = (performance.now() - started) / 1000;
  const simCpu = (await cpuSeconds(sims.child.pid!)) - cpuStart;
  // The members' controllers may still be at work on the last Deployments (they run behind the
  // requests): their CPU counts too, up to when the sim host is idle (under 5 % of a core).
  let settled = simCpu;
  for (let idle = false; !idle; ) {
    const before = await cpuSeconds(sims.child.pid!);
    await new Promise((r) => setTimeout(r, 400));
    const after = await cpuSeconds(sims.child.pid!);
    settled = after - cpuStart;
    idle = after - before < 0.02;
  }
  const result = {
    benchmark: 'propagation-members',
    members,
    workloads,
    everyMember: stats(everyMember),
    eachMember: stats(eachMember),
    answer: stats(answers),
    seconds: round(seconds),
    // The sim host's CPU over the measured Deployments: per Deployment (on every member), and as
    // a share of one core.
    simHostCpuMsPerDeployment: round((1000 * simCpu) / workloads),
    simHostCores: Number((simCpu / seconds).toFixed(2)),
    // The same with the work left when the last Deployment had arrived everywhere.
    simHostCpuMsPerDeploymentUntilIdle: round((1000 * settled) / workloads),
    loadStart,
    loadEnd: loadavg().map(round),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `${members} members: applied to every member at once -> on every member p50 ${result.everyMember.p50Ms} ms, p90 ${result.everyMember.p90Ms} ms, p99 ${result.everyMember.p99Ms} ms; each member's answer p50 ${result.answer.p50Ms} ms, p99 ${result.answer.p99Ms} ms; sim host CPU ${result.simHostCpuMsPerDeployment} ms per Deployment, ${result.simHostCores} cores, ${result.simHostCpuMsPerDeploymentUntilIdle} ms until idle (${workloads} Deployments; load ${result.loadStart.join(' ')} -> ${result.loadEnd.join(' ')})\n`,
  );
} finally {
  for (const w of watchers) w.stop();
  for (const c of clients) c.close();
  await sims.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
