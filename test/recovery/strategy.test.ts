// Disaster-recovery strategies on the hub, with the real propagation controllers: members are
// Clusters whose health and reported replicas the test writes, as the registry and the members'
// status would. An ActivePassive strategy keeps its standby scaled to zero, promotes it when the
// primary's Ready goes False, measures the recovery from the failure to full capacity, and fails
// back only when asked; a PilotLight standby holds only config and secrets. On SQLite and memory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { resources } from '../../src/client/resources.js';
import { type Gslb, k8gbResources } from '../../src/hub/apis/k8gb/index.js';
import {
  karmadaResources,
  type OverridePolicy,
  type PropagationPolicy,
  type ResourceBinding,
  type Work,
} from '../../src/hub/apis/karmada/index.js';
import { type DisasterRecoveryStrategy, recoveryResources } from '../../src/hub/apis/recovery/index.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { startPropagationControllers } from '../../src/hub/propagation/index.js';
import { putMember } from '../../src/hub/propagation/propagation.testing.js';
import { startRecoveryControllers } from '../../src/hub/recovery/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { ApiError } from '../../src/machinery/status.js';
import { waitFor } from '../sim/support.js';
import { runKubectl } from '../support/kubectl.js';

const STORES = ['sqlite', 'memory'] as const;

async function ensureNamespace(client: Client, name: string) {
  await client
    .create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
    .catch((err) => {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    });
}

/** A web Deployment with its ConfigMap and Secret in `ns`. */
async function createApp(client: Client, ns: string, replicas: number) {
  await ensureNamespace(client, ns);
  await client.create(
    resources.deployments,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
      },
    },
    { namespace: ns },
  );
  await client.create(
    resources.configmaps,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns, labels: { app: 'web' } },
      data: { greeting: 'hello' },
    },
    { namespace: ns },
  );
  await client.create(
    resources.secrets,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-secret', namespace: ns, labels: { app: 'web' } },
      stringData: { token: 's3cret' },
    },
    { namespace: ns },
  );
}

function strategy(ns: string, kind: string): DisasterRecoveryStrategy {
  return {
    apiVersion: 'recovery.concord.dev/v1alpha1',
    kind: 'DisasterRecoveryStrategy',
    metadata: { name: 'web', namespace: ns },
    spec: {
      strategy: kind as DisasterRecoveryStrategy['spec']['strategy'],
      resourceSelectors: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: { matchLabels: { app: 'web' } } },
        { apiVersion: 'v1', kind: 'Secret', labelSelector: { matchLabels: { app: 'web' } } },
      ],
      primary: { regions: ['europe'] },
      secondary: { regions: ['us'] },
    },
  };
}

/** The kinds and Deployment replicas in the Works of a member for namespace `ns`. */
async function worksOn(client: Client, cluster: string, ns: string) {
  const list = await client.list<Work>(karmadaResources.works, { namespace: `karmada-es-${cluster}` });
  const manifests = list.items
    .flatMap((w) => w.spec.workload?.manifests ?? [])
    .filter((m) => (m as KubeObject).metadata?.namespace === ns) as (KubeObject & {
    spec?: { replicas?: number };
  })[];
  const deployment = manifests.find((m) => m.kind === 'Deployment');
  return {
    kinds: manifests.map((m) => m.kind).sort(),
    replicas: deployment?.spec?.replicas,
  };
}

/** Writes what members report for the binding: ready replicas per member. */
async function reportReady(client: Client, ns: string, ready: Record<string, number>) {
  const b = await client.get<ResourceBinding>(karmadaResources.resourcebindings, 'web-deployment', {
    namespace: ns,
  });
  await client.update<ResourceBinding>(
    karmadaResources.resourcebindings,
    {
      ...b,
      status: {
        ...b.status,
        aggregatedStatus: Object.entries(ready).map(([clusterName, readyReplicas]) => ({
          clusterName,
          applied: true,
          health: 'Healthy' as const,
          status: { replicas: readyReplicas, readyReplicas },
        })),
      },
    },
    { namespace: ns, subresource: 'status' },
  );
}

describe.each(STORES)('disaster-recovery strategies [%s]', (storeKind) => {
  let dir: string;
  let hub: RunningHub;
  let client: InProcessClient;
  const getDrs = (ns: string) =>
    client.get<DisasterRecoveryStrategy>(recoveryResources.strategies, 'web', { namespace: ns });
  const drsWhere = (ns: string, what: string, ok: (d: DisasterRecoveryStrategy) => boolean) =>
    waitFor(what, async () => {
      const d = await getDrs(ns);
      return ok(d) ? d : undefined;
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-recovery-'));
    hub = await startHub({
      dataDir: dir,
      ...(storeKind === 'memory' ? { store: 'memory' } : {}),
      port: 0,
      controllers: [
        // The test writes the members' reports (aggregatedStatus) itself: no execution or status.
        (ctx) => [
          startPropagationControllers(ctx, { namespaceSync: false, execution: false, status: false }),
          startRecoveryControllers(ctx),
        ],
      ],
    });
    client = new InProcessClient(hub.api.server);
    await putMember(client, 'europe-1', { region: 'europe' });
    await putMember(client, 'us-1', { region: 'us' });
    await putMember(client, 'asia-1', { region: 'asia' });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a strategy whose site names no cluster, naming the field', async () => {
    const bad = strategy('default', 'ActivePassive');
    bad.metadata.name = 'bad';
    bad.spec.secondary = {};
    const err = await client
      .create(recoveryResources.strategies, bad, { namespace: 'default' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toContain('spec.secondary');
  });

  it('ActivePassive: standby scaled to zero, promoted when the primary fails, RTO measured, manual failback', async () => {
    const ns = 'shop';
    await createApp(client, ns, 4);
    // k8gb's failover Gslb for the app's global name: the strategy keeps it on the primary's region.
    await client.create(
      k8gbResources.gslbs,
      {
        apiVersion: 'k8gb.io/v1beta1',
        kind: 'Gslb',
        metadata: { name: 'web', namespace: ns },
        spec: {
          ingress: {
            rules: [
              {
                host: 'web.global.example',
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: { service: { name: 'web', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
          strategy: { type: 'failover', primaryGeoTag: 'europe' },
        },
      },
      { namespace: ns },
    );
    const ap = strategy(ns, 'ActivePassive');
    ap.spec.traffic = { gslbName: 'web' };
    await client.create(recoveryResources.strategies, ap, { namespace: ns });
    const geoTag = async () =>
      (await client.get<Gslb>(k8gbResources.gslbs, 'web', { namespace: ns })).spec.strategy.primaryGeoTag;

    // The policies the user can see, owned by the strategy.
    const pp = await waitFor('the workloads policy on both members', async () => {
      const p = await client
        .get<PropagationPolicy>(karmadaResources.propagationpolicies, 'web-workloads', { namespace: ns })
        .catch(() => undefined);
      return p?.spec.placement?.clusterAffinity?.clusterNames?.length === 2 ? p : undefined;
    });
    expect(pp.spec.placement?.clusterAffinity?.clusterNames).toEqual(['europe-1', 'us-1']);
    expect(pp.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DisasterRecoveryStrategy', name: 'web' });
    const op = await client.get<OverridePolicy>(
      karmadaResources.overridepolicies,
      'web-standby-web-deployment',
      {
        namespace: ns,
      },
    );
    expect(op.spec.overrideRules?.[0]).toMatchObject({
      targetCluster: { clusterNames: ['us-1'] },
      overriders: { plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 0 }] },
    });
    await waitFor('the primary runs 4 replicas, the standby 0 with its config', async () => {
      const [eu, us] = await Promise.all([worksOn(client, 'europe-1', ns), worksOn(client, 'us-1', ns)]);
      return eu.replicas === 4 && us.replicas === 0 && us.kinds.join() === 'ConfigMap,Deployment,Secret'
        ? true
        : undefined;
    });
    expect((await worksOn(client, 'asia-1', ns)).kinds).toEqual([]);

    await reportReady(client, ns, { 'europe-1': 4, 'us-1': 0 });
    const protectedDrs = await drsWhere(
      ns,
      'Protected at full capacity',
      (d) =>
        d.status?.state === 'Protected' &&
        d.status.conditions?.some((c) => c.type === 'FullCapacity' && c.status === 'True') === true,
    );
    expect(protectedDrs.status).toMatchObject({ currentPrimary: 'europe-1', currentStandby: 'us-1' });
    expect(protectedDrs.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.role}`).sort()).toEqual([
      'ConfigMap/web-config:Config',
      'Deployment/web:Workload',
      'Secret/web-secret:Config',
    ]);

    // The primary fails.
    const failed = await putMember(client, 'europe-1', { region: 'europe', ready: 'False' });
    const failureTime = failed.status?.conditions?.[0]?.lastTransitionTime;
    const failingOver = await drsWhere(ns, 'FailingOver to us-1', (d) => d.status?.currentPrimary === 'us-1');
    expect(failingOver.status?.state).toBe('FailingOver');
    expect(failingOver.status?.lastFailover).toMatchObject({ from: 'europe-1', to: 'us-1' });
    expect(new Date(failingOver.status!.lastFailover!.failureTime).getTime()).toBe(
      new Date(failureTime!).getTime(),
    );
    await waitFor('the global name follows to the us region', async () =>
      (await geoTag()) === 'us' ? true : undefined,
    );
    expect(failingOver.status?.conditions?.find((c) => c.type === 'TrafficRouted')?.status ?? 'True').toBe(
      'True',
    );
    await waitFor('us-1 runs all 4 replicas, europe-1 is now the standby', async () => {
      const [eu, us] = await Promise.all([worksOn(client, 'europe-1', ns), worksOn(client, 'us-1', ns)]);
      return us.replicas === 4 && eu.replicas === 0 ? true : undefined;
    });

    const reportedAt = Date.now();
    await reportReady(client, ns, { 'us-1': 4 });
    const failedOver = await drsWhere(
      ns,
      'FailedOver with its recovery time',
      (d) => d.status?.state === 'FailedOver',
    );
    const fo = failedOver.status?.lastFailover;
    expect(fo?.fullCapacityTime).toBeDefined();
    // Recovery runs from the Ready transition the registry wrote to the moment us-1 reported all replicas.
    const full = new Date(fo!.fullCapacityTime!).getTime();
    expect(full).toBeGreaterThanOrEqual(reportedAt - 5);
    expect(fo?.recoverySeconds).toBeCloseTo((full - new Date(failureTime!).getTime()) / 1000, 0);
    expect(fo?.recoveryTime).toMatch(/^[0-9.]+s$/);
    expect(failedOver.status?.conditions?.find((c) => c.type === 'TrafficRouted')).toMatchObject({
      status: 'True',
      message: 'Gslb web answers us first',
    });

    // kubectl shows the strategy's columns.
    const table = await runKubectl('1.33', hub.kubeconfigPath, ['get', 'drs', '-n', ns]);
    expect(table.stdout.split('\n')[0]).toMatch(/NAME\s+STRATEGY\s+STATE\s+PRIMARY\s+LAST-RTO\s+AGE/);
    expect(table.stdout).toMatch(
      new RegExp(`web\\s+ActivePassive\\s+FailedOver\\s+us-1\\s+${fo!.recoveryTime!.replace('.', '\\.')}`),
    );

    // europe-1 returns: it is the standby, no automatic failback (Manual by default).
    await putMember(client, 'europe-1', { region: 'europe' });
    await drsWhere(
      ns,
      'europe-1 back as standby',
      (d) => d.status?.conditions?.some((c) => c.type === 'StandbyReady' && c.status === 'True') === true,
    );
    expect((await getDrs(ns)).status).toMatchObject({ state: 'FailedOver', currentPrimary: 'us-1' });

    // Failback when asked: both run full until europe-1 reports all replicas, then us-1 stands by.
    const drs = await getDrs(ns);
    await client.update(
      recoveryResources.strategies,
      {
        ...drs,
        spec: { ...drs.spec, failbackTriggeredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      },
      { namespace: ns },
    );
    await drsWhere(ns, 'failing back to europe-1', (d) => d.status?.currentPrimary === 'europe-1');
    await waitFor('both run 4 during the failback', async () => {
      const [eu, us] = await Promise.all([worksOn(client, 'europe-1', ns), worksOn(client, 'us-1', ns)]);
      return eu.replicas === 4 && us.replicas === 4 ? true : undefined;
    });
    await reportReady(client, ns, { 'europe-1': 4, 'us-1': 4 });
    const back = await drsWhere(ns, 'Protected again', (d) => d.status?.state === 'Protected');
    expect(back.status?.lastFailback).toMatchObject({ from: 'us-1', to: 'europe-1', trigger: 'Manual' });
    expect(back.status?.lastFailback?.completionTime).toBeDefined();
    expect(await geoTag()).toBe('europe');
    await waitFor('us-1 scaled to zero again', async () =>
      (await worksOn(client, 'us-1', ns)).replicas === 0 ? true : undefined,
    );
  });

  it('PilotLight: the standby holds only config and secrets until the primary fails', async () => {
    const ns = 'pilot';
    await createApp(client, ns, 2);
    await client.create(recoveryResources.strategies, strategy(ns, 'PilotLight'), { namespace: ns });
    await waitFor('primary runs the app, standby has only config', async () => {
      const [eu, us] = await Promise.all([worksOn(client, 'europe-1', ns), worksOn(client, 'us-1', ns)]);
      return eu.replicas === 2 && us.kinds.join() === 'ConfigMap,Secret' ? true : undefined;
    });
    await reportReady(client, ns, { 'europe-1': 2 });
    await drsWhere(ns, 'Protected', (d) => d.status?.state === 'Protected');
    // Still only config after the strategy settled.
    expect((await worksOn(client, 'us-1', ns)).kinds).toEqual(['ConfigMap', 'Secret']);

    await putMember(client, 'europe-1', { region: 'europe', ready: 'Unknown' });
    await drsWhere(ns, 'promoted us-1', (d) => d.status?.currentPrimary === 'us-1');
    await waitFor('the Deployment starts on us-1', async () => {
      const us = await worksOn(client, 'us-1', ns);
      return us.replicas === 2 && us.kinds.join() === 'ConfigMap,Deployment,Secret' ? true : undefined;
    });
    await putMember(client, 'europe-1', { region: 'europe' });
  });

  it('deleting a strategy removes the policies it wrote', async () => {
    await client.delete(recoveryResources.strategies, 'web', { namespace: 'pilot' });
    await waitFor('policies gone', async () => {
      const pps = await client.list(karmadaResources.propagationpolicies, { namespace: 'pilot' });
      const gone = await getDrs('pilot').then(
        () => false,
        () => true,
      );
      return pps.items.length === 0 && gone ? true : undefined;
    });
  });
});
