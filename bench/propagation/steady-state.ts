// The hub at rest with many propagated Deployments: `concord hub` in a process of its own (SQLite,
// default controllers) with simulated members (a sim host process) joined in Push mode. Each member
// gets a PropagationPolicy that places the Deployments labelled with its shard on it; --deployments
// Deployments are created over HTTPS (--concurrency in flight), spread over the shards in turn,
// until every one is on its member (watches on the members). Then, after --settle seconds, the hub
// process's RSS and its CPU over --idle seconds (from /proc), against the same figures taken before
// the first Deployment. Prints one JSON document, then a one-line summary.
//
//   npm run build && node dist/bench/propagation/steady-state.js [--deployments 10000] [--members 10]

import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HttpsClient } from '../../src/client/https.js';
import { Informer } from '../../src/client/informer.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { resources } from '../../src/client/resources.js';
import { karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { startHubWithMembers } from '../../test/support/clusters.js';
import { benchOptions, countOption } from '../cli.js';
import { queueFigures } from './queues.js';
import { benchDeployment } from './workload.js';

const USAGE = `usage: node dist/bench/propagation/steady-state.js [--deployments 10000] [--members 10] [--concurrency 32] [--settle 30] [--idle 30]

Hub RSS and idle CPU with many propagated Deployments: each Deployment placed on one of the
members (shards in turn), every one on its member, then the hub process measured at rest.

  --deployments N  Deployments propagated (default 10000)
  --members N      simulated Push members (default 10)
  --concurrency N  creates in flight (default 32)
  --settle N       seconds to wait after the last arrival before measuring (default 30)
  --idle N         seconds over which the hub's CPU is measured (default 30)
  -h, --help       this text`;

const values = benchOptions(USAGE, {
  deployments: { type: 'string', default: '10000' },
  members: { type: 'string', default: '10' },
  concurrency: { type: 'string', default: '32' },
  settle: { type: 'string', default: '30' },
  idle: { type: 'string', default: '30' },
});
const DEPLOYMENTS = countOption(USAGE, 'deployments', values.deployments);
const MEMBERS = countOption(USAGE, 'members', values.members);
const CONCURRENCY = countOption(USAGE, 'concurrency', values.concurrency);
const SETTLE_S = countOption(USAGE, 'settle', values.settle, 0);
const IDLE_S = countOption(USAGE, 'idle', values.idle);

const progress = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 1) => Number(n.toFixed(d));
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** RSS (MiB) and CPU time (s, user + system) of a process, from /proc. */
async function processFigures(pid: number): Promise<{ rssMiB: number; cpuS: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: round(rssKiB / 1024), cpuS };
}

/** The hub's RSS now, and its CPU use (% of one core) over `seconds`. */
async function atRest(pid: number, seconds: number) {
  const before = await processFigures(pid);
  await sleep(seconds * 1000);
  const after = await processFigures(pid);
  return { rssMiB: after.rssMiB, idleCpuPercent: round((100 * (after.cpuS - before.cpuS)) / seconds) };
}

const names = Array.from({ length: MEMBERS }, (_, i) => `m${i}`);
progress(`starting concord hub and ${MEMBERS} simulated members`);
const fleet = await startHubWithMembers([], names);
const logger = pino({ level: 'error' });
const clients: HttpsClient[] = [];
const watchers: Informer[] = [];
try {
  const hubPid = fleet.hub.pid;
  const admin = fleet.client;
  for (const [i, name] of names.entries()) {
    await admin.create(
      karmadaResources.propagationpolicies,
      {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name: `shard-${i}`, namespace: 'default' },
        spec: {
          resourceSelectors: [
            { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { shard: name } } },
          ],
          placement: { clusterAffinity: { clusterNames: [name] } },
        },
      },
      { namespace: 'default' },
    );
  }
  // Arrivals, counted by a watch on each member.
  let arrived = 0;
  for (const name of names) {
    const member = new HttpsClient(
      await loadKubeconfig(join(fleet.dir, 'sims', 'clusters', `${name}.kubeconfig`)),
    );
    clients.push(member);
    const informer = new Informer(member, resources.deployments, {
      namespace: 'default',
      labelSelector: 'bench=steady',
      logger,
    });
    informer.addEventHandler({ onAdd: () => arrived++ });
    informer.start();
    watchers.push(informer);
  }
  await Promise.all(watchers.map((w) => w.waitForSync()));

  await sleep(SETTLE_S * 1000);
  progress(`hub at rest before any Deployment (${IDLE_S} s)`);
  const empty = await atRest(hubPid, IDLE_S);

  progress(`creating ${DEPLOYMENTS} Deployments`);
  const started = performance.now();
  let next = 0;
  const createOne = async (i: number) => {
    const name = `web-${i}`;
    await admin.create(
      resources.deployments,
      benchDeployment(name, { bench: 'steady', shard: names[i % MEMBERS]! }),
      { namespace: 'default' },
    );
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DEPLOYMENTS) await createOne(next++);
    }),
  );
  const createdS = (performance.now() - started) / 1000;
  progress(`created in ${round(createdS)} s; waiting until every one is on its member`);
  let lastReport = 0;
  while (arrived < DEPLOYMENTS) {
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      progress(`${arrived} of ${DEPLOYMENTS} on their members`);
    }
    await sleep(200);
  }
  const propagatedS = (performance.now() - started) / 1000;
  // The hub's queues up to the last arrival: where the time per Deployment went.
  const queues = queueFigures((await admin.getRaw('/metrics', 'text/plain')) as string);
  progress(`every Deployment on its member after ${round(propagatedS)} s; settling ${SETTLE_S} s`);
  await sleep(SETTLE_S * 1000);
  const works = (await admin.list(karmadaResources.works)).items.length;
  const full = await atRest(hubPid, IDLE_S);
  const result = {
    benchmark: 'propagation-steady-state',
    deployments: DEPLOYMENTS,
    members: MEMBERS,
    works,
    createsPerSecond: round(DEPLOYMENTS / createdS),
    propagatedPerSecond: round(DEPLOYMENTS / propagatedS),
    allOnMembersS: round(propagatedS),
    empty,
    full,
    idleSeconds: IDLE_S,
    queues,
    load: loadavg().map((n) => round(n, 2)),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `steady state: ${DEPLOYMENTS} Deployments over ${MEMBERS} members (${works} Works): hub RSS ${full.rssMiB} MiB (${empty.rssMiB} MiB before), idle CPU ${full.idleCpuPercent} % of a core over ${IDLE_S} s (${empty.idleCpuPercent} % before); ${result.createsPerSecond} creates/s, all on their members in ${result.allOnMembersS} s\n`,
  );
} finally {
  for (const w of watchers) w.stop();
  for (const c of clients) c.close();
  await fleet.stop();
}
process.exit(0);
