// Propagation latency end to end: from a Deployment's create request to the hub (over HTTPS, as
// kubectl sends it) to that Deployment present on every target member, with 10 and 100 members,
// push (the hub's execution controller) and pull (one agent per member, run in this process with
// the same code `concord agent` runs). The hub runs in this process with its default controllers
// (registry, propagation, execution, status) on SQLite; the members are simulated clusters in a
// sim host process of their own. One PropagationPolicy duplicates every Deployment labelled
// bench=latency to all members; Deployments are created one at a time (after a few not counted)
// and each member's arrival is seen by a watch on that member. Prints one JSON document, then a
// one-line summary per run.
//
//   node --import tsx bench/propagation/execution.ts [--members 10,100] [--modes push,pull] [--workloads 40]

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startAgent } from '../../src/agent/agent.js';
import { HttpsClient } from '../../src/client/https.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { Informer } from '../../src/client/informer.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { resources } from '../../src/client/resources.js';
import {
  type Cluster,
  karmadaResources,
  type ResourceBinding,
  WORK_APPLIED,
  type Work,
} from '../../src/hub/apis/karmada/index.js';
import { agentKubeconfig, grantAgentAccess, loadHubCA } from '../../src/hub/clusters/agent-access.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import { startHub } from '../../src/hub/hub.js';
import { isConditionTrue } from '../../src/machinery/conditions.js';
import { parseKubeconfig, resolveContext } from '../../src/machinery/kubeconfig.js';
import { startSimHostProcess } from '../../test/support/sim-host.js';
import { benchOptions, countOption, usageError } from '../cli.js';
import { type Arrivals, watchArrivals } from './arrivals.js';
import { round, stats } from './latency-stats.js';
import { queueFigures } from './queues.js';
import { benchDeployment } from './workload.js';

const USAGE = `usage: node dist/bench/propagation/execution.js [--members 10,100] [--modes push,pull] [--workloads N]

  --members LIST   member counts to measure, comma-separated (default 10,100)
  --modes LIST     sync modes to measure, comma-separated (default push,pull)
  --workloads N    Deployments applied per measurement (default 40)
  -h, --help       this text`;
const WARMUP = 3;

async function waitUntil(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(members: number, mode: 'push' | 'pull', workloads: number) {
  const dir = await mkdtemp(join(tmpdir(), `concord-bench-exec-${mode}-${members}-`));
  const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'error' });
  const names = Array.from({ length: members }, (_, i) => `m${i}`);
  const hubDir = join(dir, 'hub');
  const [hub, sims] = await Promise.all([
    startHub({ dataDir: hubDir, port: 0, logger }),
    startSimHostProcess(join(dir, 'sims'), names),
  ]);
  const inProcess = new InProcessClient(hub.api.server);
  const admin = new HttpsClient(await loadKubeconfig(hub.kubeconfigPath));
  const kubeconfigOf = (n: string) => join(dir, 'sims', 'clusters', `${n}.kubeconfig`);
  const agents: { stop(): Promise<void> }[] = [];
  const clients: HttpsClient[] = [admin];
  const watchers: Informer[] = [];
  try {
    const ca = mode === 'pull' ? await loadHubCA(hubDir) : undefined;
    for (const name of names) {
      await joinCluster(inProcess, {
        name,
        kubeconfig: kubeconfigOf(name),
        syncMode: mode === 'push' ? 'Push' : 'Pull',
      });
      if (mode === 'pull') {
        await grantAgentAccess(inProcess, name);
        const text = await agentKubeconfig({ cluster: name, ca: ca!, server: hub.url });
        const hubClient = new HttpsClient(resolveContext(parseKubeconfig(text)));
        const member = new HttpsClient(await loadKubeconfig(kubeconfigOf(name)));
        clients.push(hubClient, member);
        agents.push(
          startAgent({ cluster: name, hub: hubClient, member, logger, statusUpdateFrequencyMs: 10_000 }),
        );
      }
    }
    await waitUntil('every member Ready', async () => {
      const list = await inProcess.list<Cluster>(karmadaResources.clusters);
      return (
        list.items.filter((c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
          .length === members
      );
    });

    // Arrivals on the members, seen by a watch on each.
    const seen: Arrivals = new Map();
    for (const name of names) {
      const member = new HttpsClient(await loadKubeconfig(kubeconfigOf(name)));
      clients.push(member);
      watchers.push(watchArrivals(member, name, seen, logger));
    }
    await Promise.all(watchers.map((w) => w.waitForSync()));

    // The hub's side of each Deployment's way, seen by watches on the hub: its binding, the
    // binding scheduled onto every member, a Work for every member, every Work reported Applied.
    const stages = new Map<
      string,
      {
        binding?: number;
        scheduled?: number;
        works: Set<string>;
        worksAt?: number;
        applied: Set<string>;
        appliedAt?: number;
      }
    >();
    const stageOf = (name: string) => {
      let s = stages.get(name);
      if (!s) {
        s = { works: new Set(), applied: new Set() };
        stages.set(name, s);
      }
      return s;
    };
    const onBinding = (b: ResourceBinding) => {
      const s = stageOf(b.spec.resource.name);
      s.binding ??= performance.now();
      if ((b.spec.clusters?.length ?? 0) === members) s.scheduled ??= performance.now();
    };
    const onWork = (w: Work) => {
      const template = w.spec.workload?.manifests?.[0]?.metadata.name;
      if (!template) return;
      const s = stageOf(template);
      s.works.add(w.metadata.namespace!);
      if (s.works.size === members) s.worksAt ??= performance.now();
      if (isConditionTrue(w.status?.conditions, WORK_APPLIED)) s.applied.add(w.metadata.namespace!);
      if (s.applied.size === members) s.appliedAt ??= performance.now();
    };
    const bindingWatch = new Informer<ResourceBinding>(inProcess, karmadaResources.resourcebindings, {
      namespace: 'default',
      logger,
    });
    bindingWatch.addEventHandler({ onAdd: onBinding, onUpdate: (_o, b) => onBinding(b) });
    const workWatch = new Informer<Work>(inProcess, karmadaResources.works, { logger });
    workWatch.addEventHandler({ onAdd: onWork, onUpdate: (_o, w) => onWork(w) });
    for (const w of [bindingWatch, workWatch]) {
      w.start();
      watchers.push(w as unknown as Informer);
    }
    await Promise.all([bindingWatch.waitForSync(), workWatch.waitForSync()]);

    await admin.create(
      karmadaResources.propagationpolicies,
      {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name: 'latency', namespace: 'default' },
        spec: {
          resourceSelectors: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              labelSelector: { matchLabels: { bench: 'latency' } },
            },
          ],
          placement: {},
        },
      },
      { namespace: 'default' },
    );

    const all: number[] = [];
    const perMember: number[] = [];
    const stageTimes = { binding: [] as number[], scheduled: [] as number[], works: [] as number[] };
    const appliedNames: [string, number][] = [];
    const started = performance.now();
    for (let i = 0; i < WARMUP + workloads; i++) {
      const name = `web-${i}`;
      const t0 = performance.now();
      await admin.create(resources.deployments, benchDeployment(name, { bench: 'latency' }), {
        namespace: 'default',
      });
      await waitUntil(`${name} on every member`, () => (seen.get(name)?.size ?? 0) === members);
      if (i < WARMUP) continue;
      const arrivals = [...seen.get(name)!.values()].map((t) => t - t0);
      all.push(Math.max(...arrivals));
      perMember.push(...arrivals);
      const st = stages.get(name);
      if (st?.binding !== undefined) stageTimes.binding.push(st.binding - t0);
      if (st?.scheduled !== undefined) stageTimes.scheduled.push(st.scheduled - t0);
      if (st?.worksAt !== undefined) stageTimes.works.push(st.worksAt - t0);
      appliedNames.push([name, t0]);
    }
    // Work status lags the arrival on the members: wait for the last reports.
    await waitUntil(
      'every Work Applied',
      () => appliedNames.every(([n]) => stages.get(n)?.appliedAt !== undefined),
      120_000,
    ).catch(() => undefined);
    const applied = appliedNames.flatMap(([n, t0]) => {
      const at = stages.get(n)?.appliedAt;
      return at === undefined ? [] : [at - t0];
    });
    const seconds = (performance.now() - started) / 1000;
    const queues = queueFigures(await hub.api.server.metrics.metrics());
    return {
      members,
      mode,
      workloads,
      everyMember: stats(all),
      eachMember: stats(perMember),
      // From the create request to: the binding, the binding scheduled, every member's Work
      // written, every Work's status Applied (reported after the member has the object).
      stages: {
        binding: stats(stageTimes.binding),
        scheduled: stats(stageTimes.scheduled),
        works: stats(stageTimes.works),
        applied: stats(applied),
      },
      seconds: round(seconds),
      queues,
      load: loadavg().map(round),
    };
  } finally {
    for (const w of watchers) w.stop();
    for (const a of agents) await a.stop();
    for (const c of clients) c.close();
    await hub.close();
    await sims.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const opts = benchOptions(USAGE, {
  members: { type: 'string', default: '10,100' },
  modes: { type: 'string', default: 'push,pull' },
  workloads: { type: 'string', default: '40' },
});
const memberCounts = (opts.members as string).split(',').map((m) => countOption(USAGE, 'members', m));
const modes = (opts.modes as string).split(',');
for (const m of modes) if (m !== 'push' && m !== 'pull') usageError(USAGE, `--modes: push or pull, not ${m}`);
const workloads = countOption(USAGE, 'workloads', opts.workloads as string);

const results = [];
for (const members of memberCounts) {
  for (const mode of modes as ('push' | 'pull')[]) results.push(await run(members, mode, workloads));
}
process.stdout.write(
  `${JSON.stringify({ benchmark: 'propagation-latency', loadStart: loadavg(), results }, null, 2)}\n`,
);
for (const r of results) {
  process.stdout.write(
    `${r.mode} ${r.members} members: template applied -> on every member p50 ${r.everyMember.p50Ms} ms, p90 ${r.everyMember.p90Ms} ms, p99 ${r.everyMember.p99Ms} ms (${r.workloads} Deployments; p50/p99 binding ${r.stages.binding.p50Ms}/${r.stages.binding.p99Ms} ms, scheduled ${r.stages.scheduled.p50Ms}/${r.stages.scheduled.p99Ms} ms, every Work ${r.stages.works.p50Ms}/${r.stages.works.p99Ms} ms, every Work Applied ${r.stages.applied.p50Ms}/${r.stages.applied.p99Ms} ms; load ${r.load.join(' ')})\n`,
  );
}
process.exit(0);
