// Failover with the propagation controllers against a real API server on SQLite: members are
// Cluster objects whose taints and Ready condition the test sets as the registry would, and the
// members' reports (aggregatedStatus) are written as the status controller would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../../client/resources.js';
import type { RunningController } from '../../../controller/context.js';
import type { CoreEvent } from '../../../controller/events.js';
import { waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type AggregatedStatusItem,
  karmadaResources,
  type Placement,
  type PropagationSpec,
  type ResourceBinding,
  type Work,
} from '../../apis/karmada/index.js';
import { startPropagationControllers } from '../index.js';
import { type PropagationTestEnv, putMember, startPropagationTestEnv } from '../propagation.testing.js';

let env: PropagationTestEnv;
let controllers: RunningController;

beforeAll(async () => {
  env = await startPropagationTestEnv();
  // The test writes the members' reports (aggregatedStatus) itself: no execution or status.
  controllers = startPropagationControllers(env.ctx, {
    namespaceSync: false,
    execution: false,
    status: false,
  });
  env.informers.start();
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await env?.close();
});

const client = () => env.client;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** A member as the registry leaves it once it died: Ready Unknown, unreachable NoSchedule and NoExecute. */
const dead = (labels: Record<string, string>, region?: string) => ({
  labels,
  ...(region ? { region } : {}),
  ready: 'Unknown' as const,
  taints: [
    { key: 'cluster.karmada.io/unreachable', effect: 'NoSchedule', timeAdded: now() },
    { key: 'cluster.karmada.io/unreachable', effect: 'NoExecute', timeAdded: now() },
  ],
});

async function setup(
  ns: string,
  replicas: number,
  placement: Placement,
  extra: Partial<PropagationSpec> = {},
) {
  await client().create(resources.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
    },
  };
  await client().create(resources.deployments, deployment, { namespace: ns });
  await client().create(
    karmadaResources.propagationpolicies,
    {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: { name: 'web', namespace: ns },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
        placement,
        ...extra,
      },
    },
    { namespace: ns },
  );
}

const binding = (ns: string) =>
  client().get<ResourceBinding>(karmadaResources.resourcebindings, 'web-deployment', { namespace: ns });

/** The binding once the scheduler has seen its latest spec and `check` holds. */
function settled(
  ns: string,
  check: (b: ResourceBinding) => boolean,
  timeoutMs?: number,
): Promise<ResourceBinding> {
  return waitFor(
    `binding ${ns}/web-deployment`,
    async () => {
      const b = await binding(ns);
      return b.status?.schedulerObservedGeneration === b.metadata.generation && check(b) ? b : undefined;
    },
    timeoutMs,
  );
}

const placed = (b: ResourceBinding) => (b.spec.clusters ?? []).map((c) => c.name).sort();
const total = (b: ResourceBinding) => (b.spec.clusters ?? []).reduce((s, c) => s + (c.replicas ?? 0), 0);
const scheduledCondition = (b: ResourceBinding) => b.status?.conditions?.find((c) => c.type === 'Scheduled');

async function workOn(member: string, ns: string): Promise<Work | undefined> {
  const list = await client().list<Work>(karmadaResources.works, { namespace: `karmada-es-${member}` });
  return list.items.find(
    (w) =>
      w.spec.workload?.manifests?.[0]?.metadata.namespace === ns &&
      w.spec.workload.manifests[0].kind === 'Deployment' &&
      !w.metadata.deletionTimestamp,
  );
}

/** Reports the resource on each member as the status controller would. */
async function report(ns: string, health: Record<string, AggregatedStatusItem['health']>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const b = await binding(ns);
    const aggregatedStatus = Object.entries(health).map(([clusterName, h]) => ({
      clusterName,
      applied: true,
      health: h,
      status: { replicas: 1 },
    }));
    try {
      await client().update(
        karmadaResources.resourcebindings,
        { ...b, status: { ...b.status, aggregatedStatus } },
        { namespace: ns, subresource: 'status' },
      );
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt > 10) throw err;
    }
  }
}

async function events(ns: string, reason: string): Promise<CoreEvent[]> {
  const list = await client().list<CoreEvent>(resources.events, { namespace: ns });
  return list.items.filter((e) => e.reason === reason);
}

const divided = (names: string[]): Placement => ({
  clusterAffinity: { clusterNames: names },
  replicaScheduling: {
    replicaSchedulingType: 'Divided',
    replicaDivisionPreference: 'Weighted',
    weightPreference: { dynamicWeight: 'AvailableReplicas' },
  },
});

describe('cluster failover', () => {
  it('moves replicas off a dead member, keeps the old copy until the new placement is healthy, and never moves back by itself', async () => {
    const members = ['cf-a', 'cf-b', 'cf-c'];
    for (const m of members) await putMember(client(), m, { labels: { suite: 'cf' } });
    await setup('cf', 6, divided(members));
    const before = await settled('cf', (b) => placed(b).length === 3 && total(b) === 6);
    const onC = before.spec.clusters!.find((c) => c.name === 'cf-c')!.replicas!;
    await waitFor('work on cf-c', () => workOn('cf-c', 'cf'));

    await putMember(client(), 'cf-c', dead({ suite: 'cf' }));
    const after = await settled('cf', (b) => !placed(b).includes('cf-c') && total(b) === 6);
    expect(placed(after)).toEqual(['cf-a', 'cf-b']);
    expect(after.spec.gracefulEvictionTasks).toHaveLength(1);
    expect(after.spec.gracefulEvictionTasks![0]).toMatchObject({
      fromCluster: 'cf-c',
      reason: 'TaintUntolerated',
      producer: 'TaintManager',
      purgeMode: 'Gracefully',
      replicas: onC,
    });
    expect(Date.parse(after.spec.gracefulEvictionTasks![0]!.creationTimestamp!)).not.toBeNaN();
    expect(scheduledCondition(after)).toMatchObject({ status: 'True', reason: 'Success' });
    // Gracefully: the old copy stays while the new placement is not healthy yet.
    expect(await workOn('cf-c', 'cf')).toBeDefined();
    const evicting = await waitFor(
      'eviction event',
      async () => (await events('cf', 'EvictingWorkloadFromCluster'))[0],
    );
    expect(evicting.involvedObject).toMatchObject({ kind: 'ResourceBinding', name: 'web-deployment' });
    expect(evicting.message).toContain('cf-c');

    // The new placement reports Healthy: the task goes, and with it the Work on the dead member.
    await report('cf', { 'cf-a': 'Healthy', 'cf-b': 'Healthy' });
    await waitFor('task gone', async () => !(await binding('cf')).spec.gracefulEvictionTasks?.length);
    await waitFor('work on cf-c removed', async () => !(await workOn('cf-c', 'cf')));
    const done = await waitFor(
      'eviction done event',
      async () => (await events('cf', 'EvictWorkloadFromClusterSucceed'))[0],
    );
    expect(done.message).toBe('Evict from cluster cf-c succeed.');

    // cf-c recovers: nothing comes back to it. A binding scheduled afterwards onto cf-c shows the
    // scheduler saw the recovery (its queue is in order).
    const placement = JSON.stringify((await binding('cf')).spec.clusters);
    await putMember(client(), 'cf-c', { labels: { suite: 'cf' } });
    await setup('cf-later', 3, divided(['cf-c']));
    await settled('cf-later', (b) => placed(b).includes('cf-c'));
    expect(JSON.stringify((await binding('cf')).spec.clusters)).toBe(placement);
  });

  it('keeps a binding on a member whose taint it tolerates, and moves it once tolerationSeconds pass', async () => {
    const members = ['ct-a', 'ct-b'];
    for (const m of members) await putMember(client(), m);
    const toleration = { key: 'cluster.karmada.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
    await setup('ct', 4, {
      ...divided(members),
      clusterTolerations: [{ ...toleration, tolerationSeconds: 1 }],
    });
    await setup('ct-forever', 4, { ...divided(members), clusterTolerations: [toleration] });
    await settled('ct', (b) => placed(b).length === 2 && total(b) === 4);
    await settled('ct-forever', (b) => placed(b).length === 2 && total(b) === 4);
    await putMember(client(), 'ct-b', dead({}));
    const after = await settled('ct', (b) => !placed(b).includes('ct-b') && total(b) === 4);
    expect(placed(after)).toEqual(['ct-a']);
    expect(after.spec.gracefulEvictionTasks![0]!.fromCluster).toBe('ct-b');
    // The same taint change woke both bindings; the one tolerating it forever stays.
    const forever = await binding('ct-forever');
    expect(placed(forever)).toEqual(['ct-a', 'ct-b']);
    expect(forever.spec.gracefulEvictionTasks ?? []).toEqual([]);
  });

  it('honours purgeMode Directly: the old Work goes at once', async () => {
    const members = ['cd-a', 'cd-b'];
    for (const m of members) await putMember(client(), m);
    await setup('cd', 2, divided(members), { failover: { cluster: { purgeMode: 'Directly' } } });
    await settled('cd', (b) => placed(b).length === 2);
    await waitFor('work on cd-b', () => workOn('cd-b', 'cd'));
    await putMember(client(), 'cd-b', dead({}));
    const after = await settled('cd', (b) => !placed(b).includes('cd-b') && total(b) === 2);
    expect(after.spec.gracefulEvictionTasks![0]).toMatchObject({
      fromCluster: 'cd-b',
      purgeMode: 'Directly',
    });
    await waitFor('work on cd-b removed', async () => !(await workOn('cd-b', 'cd')));
  });

  it('says so in the Scheduled condition when the replicas fit nowhere else', async () => {
    await putMember(client(), 'cn-only');
    await putMember(client(), 'cn-elsewhere');
    await setup('cn', 3, divided(['cn-only']));
    await settled('cn', (b) => placed(b).includes('cn-only'));
    await putMember(client(), 'cn-only', dead({}));
    const after = await settled('cn', (b) => scheduledCondition(b)?.status === 'False');
    expect(placed(after)).toEqual([]);
    expect(scheduledCondition(after)).toMatchObject({ reason: 'NoClusterFit' });
    expect(scheduledCondition(after)?.message).toContain('untolerated taint');
    // Nothing healthy replaces it, so the old copy stays.
    expect(after.spec.gracefulEvictionTasks).toHaveLength(1);
    expect(await workOn('cn-only', 'cn')).toBeDefined();
    // The member comes back: the eviction ends and the binding is placed there again.
    await putMember(client(), 'cn-only');
    const back = await settled(
      'cn',
      (b) => placed(b).includes('cn-only') && !b.spec.gracefulEvictionTasks?.length,
    );
    expect(scheduledCondition(back)).toMatchObject({ status: 'True' });
  });

  it('still honours spread constraints while failing over', async () => {
    await putMember(client(), 'cs-e1', { region: 'east', labels: { suite: 'cs' } });
    await putMember(client(), 'cs-e2', { region: 'east', labels: { suite: 'cs' } });
    await putMember(client(), 'cs-w1', { region: 'west', labels: { suite: 'cs' } });
    await putMember(client(), 'cs-w2', { region: 'west', labels: { suite: 'cs' } });
    await setup('cs', 4, {
      clusterAffinity: { labelSelector: { matchLabels: { suite: 'cs' } } },
      spreadConstraints: [
        { spreadByField: 'region', minGroups: 2, maxGroups: 2 },
        { spreadByField: 'cluster', minGroups: 2, maxGroups: 2 },
      ],
      replicaScheduling: divided([]).replicaScheduling!,
    });
    const before = await settled('cs', (b) => placed(b).length === 2 && total(b) === 4);
    const lost = placed(before).find((n) => n.includes('-w'))!;
    await putMember(client(), lost, dead({ suite: 'cs' }, 'west'));
    const after = await settled('cs', (b) => !placed(b).includes(lost) && total(b) === 4);
    const regions = placed(after).map((n) => (n.includes('-e') ? 'east' : 'west'));
    expect(new Set(regions)).toEqual(new Set(['east', 'west']));
    expect(placed(after)).toHaveLength(2);
  });
});

describe('application failover', () => {
  it('moves a workload its member reports unhealthy for tolerationSeconds', async () => {
    const members = ['af-a', 'af-b'];
    for (const m of members) await putMember(client(), m);
    await setup('af', 4, divided(members), {
      propagateDeps: true,
      failover: { application: { decisionConditions: { tolerationSeconds: 1 }, purgeMode: 'Never' } },
    });
    await settled('af', (b) => placed(b).length === 2 && total(b) === 4);
    await report('af', { 'af-a': 'Healthy', 'af-b': 'Unhealthy' });
    const after = await settled('af', (b) => !placed(b).includes('af-b') && total(b) === 4);
    expect(placed(after)).toEqual(['af-a']);
    expect(after.spec.gracefulEvictionTasks![0]).toMatchObject({
      fromCluster: 'af-b',
      reason: 'ApplicationFailure',
      producer: 'resource-binding-application-failover-controller',
      purgeMode: 'Never',
      suppressDeletion: true,
    });
    // Never: the old copy stays until the user confirms.
    await report('af', { 'af-a': 'Healthy' });
    expect(await workOn('af-b', 'af')).toBeDefined();
    const b = await binding('af');
    await client().update(
      karmadaResources.resourcebindings,
      {
        ...b,
        spec: {
          ...b.spec,
          gracefulEvictionTasks: [{ ...b.spec.gracefulEvictionTasks![0]!, suppressDeletion: false }],
        },
      },
      { namespace: 'af' },
    );
    await waitFor('work on af-b removed', async () => !(await workOn('af-b', 'af')));
  });
});
