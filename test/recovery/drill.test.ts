// A drill on a live simulated fleet: two members in two regions (with data planes, so pods answer
// real requests on loopback) joined to a hub that runs every controller, an application of echo
// pods behind a Service protected by an ActivePassive strategy. `concord drill` takes the primary
// down with the sim's fault injection while a steady client sends requests through the Service of
// the member the strategy serves from; the report and the DrillRun give the recovery times, the
// failed requests, the objects in place and the heal. On SQLite (the hub's default store).

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { resources } from '../../src/client/resources.js';
import { karmadaResources, type Work } from '../../src/hub/apis/karmada/index.js';
import {
  type DisasterRecoveryStrategy,
  type DrillRun,
  recoveryResources,
} from '../../src/hub/apis/recovery/index.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import { hubControllers, type RunningHub, startHub } from '../../src/hub/hub.js';
import { waitFor } from '../sim/support.js';
import { concordArgs } from '../support/cli.js';
import { clusterReader } from '../support/clusters.js';
import { type SimHostProcess, startSimHostProcess } from '../support/sim-host.js';

const run = promisify(execFile);

const STRATEGIES = ['ActivePassive', 'ActiveActive', 'PilotLight', 'WarmStandby'] as const;
const nsOf = (strategy: string) => strategy.toLowerCase();

/** Echo pods behind a Service with their config, protected by `strategy`, in a namespace of its own. */
async function createApp(client: Client, strategy: (typeof STRATEGIES)[number]) {
  const ns = nsOf(strategy);
  await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(
    resources.deployments,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
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
    resources.configmaps,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { mode: 'live' },
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
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config' },
        ],
        primary: { regions: ['europe'] },
        secondary: { regions: ['us'] },
        // Generous: this machine runs the whole suite at once; bench/recovery measures the real figures.
        recoveryTimeObjective: '60s',
      },
    } as DisasterRecoveryStrategy,
    { namespace: ns },
  );
}

/** The kinds a member's Works hold for namespace `ns`, with the Deployment's replicas. */
async function worksOn(client: Client, cluster: string, ns: string) {
  const list = await client.list<Work>(karmadaResources.works, { namespace: `karmada-es-${cluster}` });
  const manifests = list.items
    .flatMap((w) => w.spec.workload?.manifests ?? [])
    .filter((m) => (m as { metadata?: { namespace?: string } }).metadata?.namespace === ns) as {
    kind: string;
    spec?: { replicas?: number };
  }[];
  return {
    kinds: manifests.map((m) => m.kind).sort(),
    replicas: manifests.find((m) => m.kind === 'Deployment')?.spec?.replicas,
  };
}

describe('concord drill on a live simulated fleet', () => {
  let dir: string;
  let sims: SimHostProcess;
  let hub: RunningHub;
  let client: InProcessClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-drill-'));
    [sims, hub] = await Promise.all([
      startSimHostProcess(join(dir, 'sims'), ['europe-1@europe', 'us-1@us'], { dataPlane: true }),
      startHub({
        dataDir: join(dir, 'hub'),
        port: 0,
        controllers: hubControllers(),
        logger: pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' }),
      }),
    ]);
    client = new InProcessClient(hub.api.server);
    for (const [name, region] of [
      ['europe-1', 'europe'],
      ['us-1', 'us'],
    ] as const) {
      await joinCluster(client, {
        name,
        region,
        kubeconfig: join(dir, 'sims', 'clusters', `${name}.kubeconfig`),
      });
    }
    const reader = clusterReader(client);
    await Promise.all(['europe-1', 'us-1'].map((n) => reader.readyIs(n, 'True')));
    for (const strategy of STRATEGIES) await createApp(client, strategy);
    for (const strategy of STRATEGIES) {
      await waitFor(
        `the ${strategy} strategy Protected at full capacity`,
        async () => {
          const d = await client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', {
            namespace: nsOf(strategy),
          });
          const full = d.status?.conditions?.some((c) => c.type === 'FullCapacity' && c.status === 'True');
          return d.status?.state === 'Protected' && full ? d : undefined;
        },
        90_000,
      );
    }
  }, 180_000);

  afterAll(async () => {
    await hub?.close();
    await sims?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('puts on the standby what each strategy says', async () => {
    const standby = Object.fromEntries(
      await Promise.all(STRATEGIES.map(async (st) => [st, await worksOn(client, 'us-1', nsOf(st))] as const)),
    );
    expect(standby.ActivePassive).toEqual({ kinds: ['ConfigMap', 'Deployment', 'Service'], replicas: 0 });
    expect(standby.ActiveActive).toEqual({ kinds: ['ConfigMap', 'Deployment', 'Service'], replicas: 2 });
    expect(standby.PilotLight).toEqual({ kinds: ['ConfigMap', 'Service'], replicas: undefined });
    // 25% of 2 replicas, at least one.
    expect(standby.WarmStandby).toEqual({ kinds: ['ConfigMap', 'Deployment', 'Service'], replicas: 1 });
  });

  it('concord drill --all: one outage of europe-1, every application recovered on us-1 and measured', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        ...concordArgs(),
        'drill',
        '--all',
        '--kubeconfig',
        hub.kubeconfigPath,
        '--data-dir',
        join(dir, 'sims'),
      ],
      { timeout: 170_000 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAMESPACE\s+STRATEGY\s+TYPE\s+SCENARIO\s+PHASE\s+FIRST-SUCCESS\s+FULL-CAPACITY\s+OBJECTIVE\s+MET\s+FAILED\s+REQUESTS$/,
    );
    for (const strategy of STRATEGIES) {
      expect(stdout).toMatch(
        new RegExp(
          `${nsOf(strategy)}\\s+web\\s+${strategy}\\s+cluster-down\\s+Succeeded\\s+[0-9.]+s\\s+[0-9.]+s\\s+60s\\s+yes`,
        ),
      );
    }
    expect(lines.at(-1)).toMatch(/^4 drill\(s\) in [0-9.]+s$/);

    for (const strategy of STRATEGIES) {
      const ns = nsOf(strategy);
      const runs = await client.list<DrillRun>(recoveryResources.drillruns, { namespace: ns });
      expect(runs.items).toHaveLength(1);
      const s = runs.items[0]!.status!;
      expect(s, strategy).toMatchObject({
        phase: 'Succeeded',
        method: 'fault',
        targetClusters: ['europe-1'],
        primaryBefore: 'europe-1',
        primaryAfter: 'us-1',
        objectiveMet: true,
        healed: true,
        objects: { expected: 3, found: 3, lost: [], duplicated: [] },
      });
      expect(s.requests!.total, strategy).toBeGreaterThan(s.requests!.failed);
      expect(s.rtoFirstSuccessSeconds, strategy).toBeGreaterThanOrEqual(0);
      expect(s.rtoFullCapacitySeconds, strategy).toBeGreaterThan(0);
      expect(new Date(s.healTime!).getTime()).toBeGreaterThan(new Date(s.faultTime!).getTime());

      // The strategy failed over and, europe-1 healed, stands by on it.
      const drs = await client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', {
        namespace: ns,
      });
      expect(drs.status, strategy).toMatchObject({
        currentPrimary: 'us-1',
        currentStandby: 'europe-1',
        state: 'FailedOver',
      });
      expect(drs.status?.lastFailover).toMatchObject({ from: 'europe-1', to: 'us-1' });
    }
    // Only europe-1 served the active-passive application: its requests failed until us-1 took over.
    const ap = (await client.list<DrillRun>(recoveryResources.drillruns, { namespace: 'activepassive' }))
      .items[0]!;
    expect(ap.status!.requests!.failed).toBeGreaterThan(0);
  }, 180_000);
});
