// Recovery time per disaster-recovery strategy, and the time of a drill of many applications. Two
// simulated members (`concord sim --data-plane`, each in a process of its own: europe-1 and us-1)
// joined to a hub in this process with its default controllers and settings. One application per
// strategy (2 echo replicas behind a Service) is drilled in `--rounds` outages of its primary
// (europe-1, then us-1, and so on), each measured as `concord drill --all` measures it: RTO to the
// first answered request and to full capacity, requests failed. Then `--apps` applications (the
// four strategies in turn, 1 replica each) are drilled in one outage, timed from start to end.
// Prints one JSON document, then a one-line summary.
//
//   npm run bench:recovery          # = npm run build && node dist/bench/recovery/main.js
//   node --import tsx bench/recovery/main.ts [--rounds 3] [--apps 100]

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Client } from '../../src/client/client.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { resources } from '../../src/client/resources.js';
import { CLUSTER_CONDITION_READY, type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import {
  type DisasterRecoveryStrategy,
  type DrillRun,
  recoveryResources,
  STRATEGY_TYPES,
  type StrategyType,
} from '../../src/hub/apis/recovery/index.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import { startHub } from '../../src/hub/hub.js';
import { runDrill } from '../../src/hub/recovery/drill/drill.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/recovery/main.js [--rounds N] [--apps N]

Recovery time per disaster-recovery strategy (RTO to the first answered request and to full
capacity, requests failed), and the time of one drill of many applications.

  --rounds N   outages per strategy (default 3)
  --apps N     applications drilled together at the end (default 100; 0: skip)
  -h, --help   this text
`;

const opts = benchOptions(USAGE, { rounds: { type: 'string' }, apps: { type: 'string' } });
const ROUNDS = countOption(USAGE, 'rounds', opts.rounds ?? '3');
const APPS = countOption(USAGE, 'apps', opts.apps ?? '100', 0);

const ROOT = [resolve(import.meta.dirname, '..', '..'), resolve(import.meta.dirname, '..', '..', '..')].find(
  (d) => existsSync(join(d, 'package.json')),
)!;
const RUNNING_TS = import.meta.url.endsWith('.ts');
const CONCORD = RUNNING_TS
  ? ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')]
  : ['--max-semi-space-size=64', join(ROOT, 'bin', 'concord.js')];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startSim(dataDir: string, name: string, region: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...CONCORD,
      'sim',
      '--name',
      name,
      '--region',
      region,
      '--nodes',
      '3',
      '--data-plane',
      '--data-dir',
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((ok, fail) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes('kubeconfig:')) ok(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => fail(new Error(`concord sim ${name} exited with ${code}:\n${output}`)));
  });
}

async function createApp(client: Client, ns: string, strategy: StrategyType, replicas: number) {
  await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(
    resources.deployments,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'web', image: 'concord.dev/echo:1', ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    },
    { namespace: ns },
  );
  await client.create(
    resources.services,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    { namespace: ns },
  );
  await client.create(
    recoveryResources.strategies,
    {
      apiVersion: 'recovery.concord.dev/v1alpha1',
      kind: 'DisasterRecoveryStrategy',
      metadata: { name: 'web', namespace: ns },
      spec: {
        strategy,
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          { apiVersion: 'v1', kind: 'Service', name: 'web' },
        ],
        primary: { regions: ['europe'] },
        secondary: { regions: ['us'] },
      },
    } as DisasterRecoveryStrategy,
    { namespace: ns },
  );
}

async function strategiesOf(client: Client, namespaces: string[]): Promise<DisasterRecoveryStrategy[]> {
  return Promise.all(
    namespaces.map((ns) =>
      client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', { namespace: ns }),
    ),
  );
}

async function settled(
  client: Client,
  namespaces: string[],
  timeoutMs: number,
): Promise<DisasterRecoveryStrategy[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await strategiesOf(client, namespaces);
    const ready = all.every(
      (d) =>
        (d.status?.state === 'Protected' || d.status?.state === 'FailedOver') &&
        d.status.conditions?.some((c) => c.type === 'FullCapacity' && c.status === 'True') &&
        d.status.conditions?.some((c) => c.type === 'StandbyReady' && c.status === 'True'),
    );
    if (ready) return all;
    if (Date.now() > deadline) throw new Error('the strategies did not settle');
    await sleep(500);
  }
}

function countProblems(runs: DrillRun[], strategies: DisasterRecoveryStrategy[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) {
    if (r.status?.phase === 'Succeeded') continue;
    const type = strategies.find((s) => s.metadata.namespace === r.metadata.namespace)?.spec.strategy;
    for (const p of (r.status?.message ?? 'unknown').split('; ')) {
      const key = `${type}: ${p.replace(/[0-9.]+s/g, 'Ns').replace(/on [a-z0-9-]+/g, 'on X')}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

function median(values: number[]): number | undefined {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'concord-bench-recovery-'));
const sims: ChildProcess[] = [];
const hub = await startHub({
  dataDir: join(dir, 'hub'),
  port: 0,
  logger: pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'silent' }),
});
try {
  const simDir = join(dir, 'sims');
  sims.push(...(await Promise.all([startSim(simDir, 'europe-1', 'europe'), startSim(simDir, 'us-1', 'us')])));
  const client = new InProcessClient(hub.api.server);
  for (const [name, region] of [
    ['europe-1', 'europe'],
    ['us-1', 'us'],
  ] as const) {
    await joinCluster(client, { name, region, kubeconfig: join(simDir, 'clusters', `${name}.kubeconfig`) });
  }
  for (;;) {
    const cs = (await client.list<Cluster>(karmadaResources.clusters)).items;
    if (
      cs.length === 2 &&
      cs.every((c) =>
        c.status?.conditions?.some((x) => x.type === CLUSTER_CONDITION_READY && x.status === 'True'),
      )
    )
      break;
    await sleep(250);
  }

  // RTO per strategy.
  const perStrategy = STRATEGY_TYPES.map((s) => `bench-${s.toLowerCase()}`);
  for (const [i, ns] of perStrategy.entries()) await createApp(client, ns, STRATEGY_TYPES[i]!, 2);
  const rounds: Record<
    string,
    { firstSuccessS?: number; fullCapacityS?: number; failed: number; total: number; phase?: string }[]
  > = {};
  for (let r = 0; r < ROUNDS; r++) {
    const strategies = await settled(client, perStrategy, 120_000);
    const results = await runDrill({ hub: client, strategies, scenario: 'cluster-down', dataDir: simDir });
    for (const { run } of results) {
      const strategy = strategies.find((s) => s.metadata.namespace === run.metadata.namespace)!.spec.strategy;
      const s = run.status ?? {};
      rounds[strategy] ??= [];
      rounds[strategy].push({
        ...(s.rtoFirstSuccessSeconds !== undefined ? { firstSuccessS: s.rtoFirstSuccessSeconds } : {}),
        ...(s.rtoFullCapacitySeconds !== undefined ? { fullCapacityS: s.rtoFullCapacitySeconds } : {}),
        failed: s.requests?.failed ?? 0,
        total: s.requests?.total ?? 0,
        ...(s.phase ? { phase: s.phase } : {}),
      });
    }
    process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
  }
  const rto = Object.fromEntries(
    STRATEGY_TYPES.map((s) => {
      const rs = rounds[s] ?? [];
      return [
        s,
        {
          firstSuccessMedianS: median(rs.map((x) => x.firstSuccessS ?? Number.NaN)),
          fullCapacityMedianS: median(rs.map((x) => x.fullCapacityS ?? Number.NaN)),
          failedRequestsMedian: median(rs.map((x) => x.failed)),
          rounds: rs,
        },
      ];
    }),
  );

  // One drill of many applications.
  let all:
    | {
        apps: number;
        elapsedS: number;
        succeeded: number;
        problems: Record<string, number>;
        fullCapacityS: Record<string, { median?: number; max?: number }>;
      }
    | undefined;
  if (APPS > 0) {
    for (const ns of perStrategy) await client.delete(recoveryResources.strategies, 'web', { namespace: ns });
    const many = Array.from({ length: APPS }, (_, i) => `bench-app-${i}`);
    for (const [i, ns] of many.entries()) await createApp(client, ns, STRATEGY_TYPES[i % 4]!, 1);
    const strategies = await settled(client, many, 600_000);
    const byPrimary = new Map<string, DisasterRecoveryStrategy[]>();
    for (const s of strategies) {
      const p = s.status?.currentPrimary ?? '';
      byPrimary.set(p, [...(byPrimary.get(p) ?? []), s]);
    }
    const started = Date.now();
    const runs: DrillRun[] = [];
    for (const group of byPrimary.values()) {
      const results = await runDrill({
        hub: client,
        strategies: group,
        scenario: 'cluster-down',
        dataDir: simDir,
        intervalMs: 1000,
        recoveryTimeoutMs: 300_000,
      });
      runs.push(...results.map((r) => r.run));
    }
    all = {
      apps: APPS,
      elapsedS: Math.round((Date.now() - started) / 100) / 10,
      succeeded: runs.filter((r) => r.status?.phase === 'Succeeded').length,
      // What made the others fail, by kind of problem and strategy.
      problems: countProblems(runs, strategies),
      // Fault to full capacity per strategy, over the applications drilled together.
      fullCapacityS: Object.fromEntries(
        STRATEGY_TYPES.map((t) => {
          const values = runs
            .filter(
              (r) =>
                strategies.find((s) => s.metadata.namespace === r.metadata.namespace)?.spec.strategy === t,
            )
            .map((r) => r.status?.rtoFullCapacitySeconds ?? Number.NaN);
          const finite = values.filter((v) => Number.isFinite(v));
          return [t, { median: median(values), max: finite.length > 0 ? Math.max(...finite) : undefined }];
        }),
      ),
    };
  }

  const out = {
    benchmark: 'recovery',
    rounds: ROUNDS,
    machine: { cpus: availableParallelism(), loadavg: loadavg().map((l) => Math.round(l * 100) / 100) },
    rto,
    ...(all ? { drillAll: all } : {}),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  const summary = STRATEGY_TYPES.map(
    (s) =>
      `${s} first ${rto[s]!.firstSuccessMedianS ?? '-'}s / full ${rto[s]!.fullCapacityMedianS ?? '-'}s (${rto[s]!.failedRequestsMedian ?? '-'} failed)`,
  ).join('; ');
  process.stdout.write(
    `recovery: ${summary}${all ? `; drill of ${all.apps} apps: ${all.elapsedS}s, ${all.succeeded} succeeded` : ''}\n`,
  );
} finally {
  await hub.close();
  for (const s of sims) s.kill('SIGTERM');
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
}
