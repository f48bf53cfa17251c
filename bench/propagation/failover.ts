// Failover time with default settings: `concord up --clusters N` (hub and simulated members, as a
// user runs it), then rounds of: Deployments divided over every member by a PropagationPolicy
// (equal static weights, nothing about failover), all their replicas Ready on the members, one member
// taken down with fault injection (`concord fault down`: its API server refuses connections). For
// each round, from the fault: the hub's NoExecute taint on the member (detection), every binding
// moved off it (eviction and scheduling), and every Deployment's replicas Ready again on the
// members left, read from the members themselves (apply and start). Then the member is healed and
// waits Ready. Prints one JSON document, then a one-line summary.
//
//   npm run bench:failover     # = npm run build && node dist/bench/propagation/failover.js
//   node dist/bench/propagation/failover.js [--members 3] [--rounds 5] [--deployments 10] [--replicas 6]

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { type Cluster, karmadaResources, type ResourceBinding } from '../../src/hub/apis/karmada/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { requestFault } from '../../src/sim/control.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/propagation/failover.js [--members 3] [--rounds 5] [--deployments 10] [--replicas 6]

Failover time with default settings on a concord up fleet: per round, Deployments divided equally
over every member, one member taken down; from the fault to its NoExecute taint, to every binding moved
off it, and to every replica Ready again on the others.

  --members N      simulated members of concord up (default 3)
  --rounds N       members taken down, one per round (default 5)
  --deployments N  Deployments per round (default 10)
  --replicas N     replicas of each (default 6)
  -h, --help       this text`;

const values = benchOptions(USAGE, {
  members: { type: 'string', default: '3' },
  rounds: { type: 'string', default: '5' },
  deployments: { type: 'string', default: '10' },
  replicas: { type: 'string', default: '6' },
});
const MEMBERS = countOption(USAGE, 'members', values.members, 2);
const ROUNDS = countOption(USAGE, 'rounds', values.rounds);
const DEPLOYMENTS = countOption(USAGE, 'deployments', values.deployments);
const REPLICAS = countOption(USAGE, 'replicas', values.replicas);

const progress = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 50;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const sec = (n: number) => Number((n / 1000).toFixed(2));
  return { p50S: sec(percentile(s, 50)), p99S: sec(percentile(s, 99)), maxS: sec(s.at(-1)!) };
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** `concord up`, resolved once it says everything runs. */
async function up(dir: string): Promise<ChildProcess> {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main))
    throw new Error('the CLI is not built: run npm run build (npm run bench:failover does)');
  const child = spawn(
    process.execPath,
    [main, 'up', '--clusters', String(MEMBERS), '--nodes', '1', '--port', '0', '--data-dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  await until('concord up', async () => {
    if (child.exitCode !== null) throw new Error(`concord up exited:\n${output}`);
    return output.includes('Ctrl-C stops everything') ? true : undefined;
  });
  return child;
}

const readyOf = (c: Cluster | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready')?.status;

function workload(ns: string, i: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `app-${i}`, namespace: ns },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '10m' } } }] },
      },
    },
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-failover-'));
  const startLoad = loadavg()[0]!;
  progress(`failover: concord up with ${MEMBERS} members`);
  const proc = await up(dir);
  const hub = await HttpsClient.fromKubeconfigFile(join(dir, 'hub.kubeconfig'), undefined, {
    timeoutMs: 10_000,
  });
  const names = (await hub.list<Cluster>(karmadaResources.clusters)).items
    .map((c) => c.metadata.name!)
    .sort();
  const members = new Map<string, HttpsClient>();
  for (const n of names) {
    members.set(
      n,
      await HttpsClient.fromKubeconfigFile(join(dir, 'clusters', `${n}.kubeconfig`), undefined, {
        timeoutMs: 2_000,
      }),
    );
  }
  const detection: number[] = [];
  const evicted: number[] = [];
  const ready: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const ns = `failover-${r}`;
      const victim = names[r % names.length]!;
      await until('every member Ready and untainted', async () => {
        const cs = (await hub.list<Cluster>(karmadaResources.clusters)).items;
        return cs.every((c) => readyOf(c) === 'True' && !(c.spec?.taints ?? []).length) ? true : undefined;
      });
      await hub.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await hub.create(
        karmadaResources.propagationpolicies,
        {
          apiVersion: 'policy.karmada.io/v1alpha1',
          kind: 'PropagationPolicy',
          metadata: { name: 'apps', namespace: ns },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
            placement: {
              replicaScheduling: {
                replicaSchedulingType: 'Divided',
                replicaDivisionPreference: 'Weighted',
                weightPreference: {
                  staticWeightList: names.map((n) => ({ targetCluster: { clusterNames: [n] }, weight: 1 })),
                },
              },
            },
          },
        },
        { namespace: ns },
      );
      for (let i = 0; i < DEPLOYMENTS; i++)
        await hub.create(resources.deployments, workload(ns, i), { namespace: ns });
      /** Ready replicas per Deployment over `on`, read from the members. */
      const readyOn = async (on: string[]) => {
        const sums = new Map<string, number>();
        for (const m of on) {
          const list = await members.get(m)!.list<KubeObject>(resources.deployments, { namespace: ns });
          for (const d of list.items) {
            const n = (d.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
            sums.set(d.metadata.name!, (sums.get(d.metadata.name!) ?? 0) + n);
          }
        }
        return sums.size === DEPLOYMENTS && [...sums.values()].every((n) => n === REPLICAS);
      };
      let last = '';
      await until(`every replica Ready, on ${victim} too`, async () => {
        const bindings = (
          await hub.list<ResourceBinding>(karmadaResources.resourcebindings, { namespace: ns })
        ).items;
        const onVictim = bindings.filter((b) =>
          b.spec.clusters?.some((c) => c.name === victim && c.replicas),
        );
        last = JSON.stringify(bindings.map((b) => [b.metadata.name, b.spec.clusters, b.status?.conditions]));
        return onVictim.length === DEPLOYMENTS && (await readyOn(names)) ? true : undefined;
      }).catch((err) => {
        throw new Error(`${(err as Error).message} (bindings: ${last})`);
      });

      // The hub's view through watches (exact times); the members' by polling them.
      let tTaint: number | undefined;
      let tEvicted: number | undefined;
      let tReady: number | undefined;
      let t0 = performance.now();
      const moved = new Set<string>();
      const sum = (b: ResourceBinding) => (b.spec.clusters ?? []).reduce((s, c) => s + (c.replicas ?? 0), 0);
      const clusterWatch = await hub.watch<Cluster>(
        karmadaResources.clusters,
        { fieldSelector: `metadata.name=${victim}` },
        {
          onEvent: (e) => {
            const c = e.object as Cluster;
            if (tTaint === undefined && (c.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) {
              tTaint = performance.now() - t0;
            }
          },
          onClose: () => {},
        },
      );
      const bindingWatch = await hub.watch<ResourceBinding>(
        karmadaResources.resourcebindings,
        { namespace: ns },
        {
          onEvent: (e) => {
            const b = e.object as ResourceBinding;
            if (!b.spec?.clusters?.some((c) => c.name === victim) && sum(b) === REPLICAS) {
              moved.add(b.metadata.name!);
              if (tEvicted === undefined && moved.size === DEPLOYMENTS) tEvicted = performance.now() - t0;
            }
          },
          onClose: () => {},
        },
      );
      t0 = performance.now();
      await requestFault(dir, victim, { action: 'down' });
      const others = names.filter((n) => n !== victim);
      const deadline = Date.now() + 180_000;
      while (tTaint === undefined || tEvicted === undefined || tReady === undefined) {
        if (Date.now() > deadline) {
          throw new Error(`round ${r}: failover of ${victim} did not finish within 180 s`);
        }
        if (tReady === undefined && (await readyOn(others).catch(() => false)))
          tReady = performance.now() - t0;
        await sleep(POLL_MS);
      }
      clusterWatch.stop();
      bindingWatch.stop();
      detection.push(tTaint);
      evicted.push(tEvicted);
      ready.push(tReady);
      progress(
        `  round ${r + 1}/${ROUNDS}: ${victim} down -> NoExecute ${(tTaint / 1000).toFixed(1)} s, ` +
          `bindings moved ${(tEvicted / 1000).toFixed(1)} s, every replica Ready elsewhere ${(tReady / 1000).toFixed(1)} s`,
      );
      await requestFault(dir, victim, { action: 'heal' });
      // The round's Deployments go, so that the members keep room for the next ones.
      for (let i = 0; i < DEPLOYMENTS; i++) {
        await hub.delete(resources.deployments, `app-${i}`, { namespace: ns });
      }
    }
  } finally {
    hub.close();
    for (const c of members.values()) c.close();
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  const doc = {
    benchmark: 'propagation-failover',
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    loadAverage: { start: Number(startLoad.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
    members: MEMBERS,
    rounds: ROUNDS,
    deploymentsPerRound: DEPLOYMENTS,
    replicas: REPLICAS,
    noExecuteTaint: stats(detection),
    bindingsMoved: stats(evicted),
    replicasReadyElsewhere: stats(ready),
  };
  console.log(JSON.stringify(doc, null, 2));
  const s = doc.replicasReadyElsewhere;
  console.log(
    `failover: member down -> every replica Ready elsewhere p50 ${s.p50S} s p99 ${s.p99S} s max ${s.maxS} s ` +
      `(goal <= 15 s; NoExecute p50 ${doc.noExecuteTaint.p50S} s, bindings moved p50 ${doc.bindingsMoved.p50S} s; ` +
      `${ROUNDS} rounds of ${DEPLOYMENTS} Deployments x ${REPLICAS} on ${MEMBERS} members)`,
  );
  process.exit(0);
}

await main();
