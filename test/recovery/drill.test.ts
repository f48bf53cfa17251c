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
import { CONCORD } from '../support/cli.js';
import { clusterReader } from '../support/clusters.js';
import { type SimHostProcess, startSimHostProcess } from '../support/sim-host.js';

const run = promisify(execFile);
const NS = 'shop';

async function createApp(client: Client) {
  await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await client.create(
    resources.deployments,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
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
    { namespace: NS },
  );
  await client.create(
    resources.services,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    { namespace: NS },
  );
  await client.create(
    resources.configmaps,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: NS },
      data: { mode: 'live' },
    },
    { namespace: NS },
  );
  await client.create(
    recoveryResources.strategies,
    {
      apiVersion: 'recovery.concord.dev/v1alpha1',
      kind: 'DisasterRecoveryStrategy',
      metadata: { name: 'web', namespace: NS },
      spec: {
        strategy: 'ActivePassive',
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          { apiVersion: 'v1', kind: 'Service', name: 'web' },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config' },
        ],
        primary: { regions: ['europe'] },
        secondary: { regions: ['us'] },
        recoveryTimeObjective: '60s',
      },
    } as DisasterRecoveryStrategy,
    { namespace: NS },
  );
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
    await createApp(client);
    await waitFor(
      'the strategy Protected at full capacity',
      async () => {
        const d = await client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', {
          namespace: NS,
        });
        const full = d.status?.conditions?.some((c) => c.type === 'FullCapacity' && c.status === 'True');
        return d.status?.state === 'Protected' && full ? d : undefined;
      },
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await sims?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes the primary down, measures the recovery on us-1, heals, and keeps a DrillRun', async () => {
    // The standby holds the application scaled to zero, with its Service and config.
    const standbyWorks = await client.list<Work>(karmadaResources.works, { namespace: 'karmada-es-us-1' });
    const kinds = standbyWorks.items.flatMap((w) =>
      (w.spec.workload?.manifests ?? []).map((m) => (m as { kind: string }).kind),
    );
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ConfigMap']));

    const { stdout } = await run(
      process.execPath,
      [
        ...CONCORD,
        'drill',
        'web',
        '-n',
        NS,
        '--kubeconfig',
        hub.kubeconfigPath,
        '--data-dir',
        join(dir, 'sims'),
      ],
      { timeout: 150_000 },
    );
    expect(stdout).toMatch(/^drill shop\/web \(ActivePassive, cluster-down\): Succeeded/);
    expect(stdout).toContain('primary:    europe-1 -> us-1');
    expect(stdout).toMatch(/RTO: +first success [0-9.]+s, full capacity [0-9.]+s \(objective 60s: met\)/);
    expect(stdout).toMatch(/objects: +3\/3 in place, lost: none, running twice: none/);
    expect(stdout).toContain('healed:     yes');

    const runs = await client.list<DrillRun>(recoveryResources.drillruns, { namespace: NS });
    expect(runs.items).toHaveLength(1);
    const s = runs.items[0]!.status!;
    expect(s).toMatchObject({
      phase: 'Succeeded',
      method: 'fault',
      targetClusters: ['europe-1'],
      primaryBefore: 'europe-1',
      primaryAfter: 'us-1',
      objectiveMet: true,
      healed: true,
      objects: { expected: 3, found: 3, lost: [], duplicated: [] },
    });
    // Requests went to europe-1 until the failover: some failed, and us-1 answered afterwards.
    expect(s.requests!.failed).toBeGreaterThan(0);
    expect(s.requests!.total).toBeGreaterThan(s.requests!.failed);
    expect(s.rtoFirstSuccessSeconds).toBeGreaterThan(0);
    expect(s.rtoFullCapacitySeconds).toBeGreaterThan(0);
    // The drill's figures agree with the times it recorded.
    const faultTime = new Date(s.faultTime!).getTime();
    expect(new Date(s.healTime!).getTime()).toBeGreaterThan(faultTime);

    // The strategy failed over and, europe-1 healed, stands by on it.
    const drs = await client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', {
      namespace: NS,
    });
    expect(drs.status).toMatchObject({
      currentPrimary: 'us-1',
      currentStandby: 'europe-1',
      state: 'FailedOver',
    });
    expect(drs.status?.lastFailover).toMatchObject({ from: 'europe-1', to: 'us-1' });
    expect(drs.status?.lastFailover?.recoverySeconds).toBeGreaterThan(0);
  }, 180_000);
});
