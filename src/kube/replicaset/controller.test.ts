import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type PodFate, startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import type { Pod, ReplicaSet } from '../workloads/types.js';
import { startReplicaSetController } from './controller.js';

const WAIT = { timeout: 15_000, interval: 20 };

function replicaSet(name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' }, annotations: { note: 'from-template' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
      ...extra,
    },
  };
}

describe('ReplicaSet controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController | undefined;
  let kubelet: TestKubelet | undefined;
  let fates: Map<string, PodFate>;
  /** The cluster's clock runs ahead of real time by this much (ms): ages without waiting. */
  let skew = 0;
  const now = () => new Date(Date.now() + skew);

  const pods = async (selector: string) =>
    (await env.client.list<Pod>(resources.pods, { namespace: 'default', labelSelector: selector })).items;
  const getRS = (name: string) =>
    env.client.get<ReplicaSet>(resources.replicasets, name, { namespace: 'default' });

  beforeEach(async () => {
    skew = 0;
    env = await startKubeTestEnv({ now });
    fates = new Map();
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      now,
      schedule: (pod) => (fates.get(pod.metadata.name ?? '') === 'pending' ? undefined : 'node-1'),
      fate: (pod) => fates.get(pod.metadata.name ?? '') ?? 'ready',
    });
    env.informers.start();
  });

  afterEach(async () => {
    kubelet?.stop();
    await controller?.stop();
    controller = undefined;
    await env.close();
  });

  it('creates owned pods from the template and reports their status', async () => {
    await env.client.create(resources.replicasets, replicaSet('web', 3), { namespace: 'default' });
    controller = startReplicaSetController(env.ctx);
    await vi.waitFor(async () => {
      const rs = await getRS('web');
      expect(rs.status).toMatchObject({
        replicas: 3,
        fullyLabeledReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        observedGeneration: 1,
      });
    }, WAIT);
    const rs = await getRS('web');
    const list = await pods('app=web');
    expect(list).toHaveLength(3);
    for (const p of list) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(p.metadata.annotations).toEqual({ note: 'from-template' });
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    // Events as `kubectl describe rs` shows them.
    await vi.waitFor(async () => {
      const events = (await env.client.list(resources.events, { namespace: 'default' }))
        .items as KubeObject[];
      const created = events.filter((e) => e.reason === 'SuccessfulCreate');
      expect(created).toHaveLength(3);
      expect(created[0]).toMatchObject({
        type: 'Normal',
        source: { component: 'replicaset-controller' },
        involvedObject: { kind: 'ReplicaSet', name: 'web' },
      });
      expect(String(created[0]!.message)).toMatch(/^Created pod: web-/);
    }, WAIT);
  });

  it('replaces deleted pods and scales down preferring unscheduled, then not ready, then younger pods', async () => {
    await env.client.create(resources.replicasets, replicaSet('web', 2), { namespace: 'default' });
    controller = startReplicaSetController(env.ctx);
    await vi.waitFor(async () => expect((await getRS('web')).status?.readyReplicas).toBe(2), WAIT);
    const [first, second] = await pods('app=web');
    // An hour later one of them is deleted: it is replaced.
    skew = 3600_000;
    await env.client.delete(resources.pods, second!.metadata.name!, { namespace: 'default' });
    await vi.waitFor(async () => {
      const names = (await pods('app=web')).map((p) => p.metadata.name);
      expect(names).toHaveLength(2);
      expect(names).not.toContain(second!.metadata.name);
    }, WAIT);
    await vi.waitFor(async () => expect((await getRS('web')).status?.readyReplicas).toBe(2), WAIT);

    // Another hour later, grow to 4: one new pod will not become ready, one cannot be scheduled.
    skew = 7200_000;
    const before = new Set((await pods('app=web')).map((p) => p.metadata.name));
    let seen = 0;
    const informer = env.informers.informerFor<Pod>(resources.pods);
    const stopFates = informer.addEventHandler({
      onAdd: (p) => {
        if (before.has(p.metadata.name)) return;
        seen++;
        fates.set(p.metadata.name!, seen === 1 ? 'running' : 'pending');
      },
    });
    await env.client.patch(resources.replicasets, 'web', { spec: { replicas: 4 } }, 'merge', {
      namespace: 'default',
    });
    await vi.waitFor(async () => {
      const s = (await getRS('web')).status;
      expect(s?.replicas).toBe(4);
      expect(s?.readyReplicas).toBe(2);
    }, WAIT);
    // The status can count the new pods before the scheduler has bound the one it can place.
    const { unscheduled, notReady } = await vi.waitFor(async () => {
      const all = await pods('app=web');
      const found = {
        unscheduled: all.find((p) => !p.spec?.nodeName),
        notReady: all.find((p) => p.spec?.nodeName && fates.get(p.metadata.name!) === 'running'),
      };
      expect(found.unscheduled).toBeDefined();
      expect(found.notReady).toBeDefined();
      return found as { unscheduled: Pod; notReady: Pod };
    }, WAIT);
    stopFates();

    const scaleTo = (replicas: number) =>
      env.client.patch(resources.replicasets, 'web', { spec: { replicas } }, 'merge', {
        namespace: 'default',
      });
    const remaining = async () => (await pods('app=web')).map((p) => p.metadata.name);
    // Down to 3: the unscheduled pod goes first.
    await scaleTo(3);
    await vi.waitFor(async () => {
      expect(await remaining()).toHaveLength(3);
      expect(await remaining()).not.toContain(unscheduled.metadata.name);
    }, WAIT);
    // Down to 2: then the one that is not ready.
    await scaleTo(2);
    await vi.waitFor(async () => {
      expect(await remaining()).toHaveLength(2);
      expect(await remaining()).not.toContain(notReady.metadata.name);
    }, WAIT);
    // Down to 1: of two ready pods, the one ready for less time (the replacement) goes.
    await scaleTo(1);
    await vi.waitFor(async () => expect(await remaining()).toEqual([first!.metadata.name]), WAIT);
    await vi.waitFor(async () => expect((await getRS('web')).status?.replicas).toBe(1), WAIT);
  });

  it('adopts matching orphans and releases pods whose labels stop matching', async () => {
    await env.client.create(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
      { namespace: 'default' },
    );
    await env.client.create(resources.replicasets, replicaSet('web', 2), { namespace: 'default' });
    controller = startReplicaSetController(env.ctx);
    await vi.waitFor(async () => {
      const orphan = await env.client.get<Pod>(resources.pods, 'orphan', { namespace: 'default' });
      expect(orphan.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: 'web',
        controller: true,
      });
      expect(await pods('app=web')).toHaveLength(2);
    }, WAIT);
    // Relabelled: released, and replaced by a new pod.
    await env.client.patch(resources.pods, 'orphan', { metadata: { labels: { app: 'other' } } }, 'merge', {
      namespace: 'default',
    });
    await vi.waitFor(async () => {
      const orphan = await env.client.get<Pod>(resources.pods, 'orphan', { namespace: 'default' });
      expect(orphan.metadata.ownerReferences ?? []).toEqual([]);
      expect(await pods('app=web')).toHaveLength(2);
    }, WAIT);
  });

  it('creates a burst once (expectations) and never more pods than asked', async () => {
    let maxSeen = 0;
    const informer = env.informers.informerFor<Pod>(resources.pods);
    const off = informer.addEventHandler({
      onAdd: () => {
        maxSeen = Math.max(maxSeen, informer.list({ labelSelector: 'app=burst' }).length);
      },
    });
    await env.client.create(resources.replicasets, replicaSet('burst', 40), { namespace: 'default' });
    controller = startReplicaSetController(env.ctx);
    await vi.waitFor(async () => expect((await getRS('burst')).status?.availableReplicas).toBe(40), WAIT);
    off();
    expect(maxSeen).toBe(40);
    expect(await pods('app=burst')).toHaveLength(40);
  });

  it('reports availability only after minReadySeconds', async () => {
    const statuses: ReplicaSet['status'][] = [];
    const off = env.informers
      .informerFor<ReplicaSet>(resources.replicasets)
      .addEventHandler({ onUpdate: (_o, rs) => statuses.push(rs.status) });
    await env.client.create(resources.replicasets, replicaSet('slow', 2, { minReadySeconds: 2 }), {
      namespace: 'default',
    });
    controller = startReplicaSetController(env.ctx);
    await vi.waitFor(async () => expect((await getRS('slow')).status?.availableReplicas).toBe(2), WAIT);
    off();
    // Ready first, available only later.
    expect(statuses.some((s) => s?.readyReplicas === 2 && !s.availableReplicas)).toBe(true);
  });

  it('sets ReplicaFailure when pods cannot be created, and clears it once they can', async () => {
    // The controller runs as a user that may not create pods.
    await env.client.create(resources.clusterroles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'rs-controller' },
      rules: [
        {
          apiGroups: ['', 'apps'],
          resources: ['*'],
          verbs: ['get', 'list', 'watch', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    });
    await env.client.create(resources.clusterrolebindings, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rs-controller' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rs-controller' },
      subjects: [{ kind: 'User', name: 'rs-controller', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    const limited = env.client.as({ username: 'rs-controller', groups: ['system:authenticated'] });
    await env.client.create(resources.replicasets, replicaSet('denied', 2), { namespace: 'default' });
    controller = startReplicaSetController({ ...env.ctx, client: limited });
    await vi.waitFor(async () => {
      const cond = (await getRS('denied')).status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      expect(cond).toMatchObject({ status: 'True', reason: 'FailedCreate' });
      expect(cond?.message).toMatch(/forbidden/);
    }, WAIT);
    const events = (await env.client.list(resources.events, { namespace: 'default' })).items as KubeObject[];
    expect(
      events.some((e) => e.reason === 'FailedCreate' && String(e.message).startsWith('Error creating:')),
    ).toBe(true);
    // Allowed now: the pods come and the condition goes.
    await env.client.patch(
      resources.clusterroles,
      'rs-controller',
      { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
      'merge',
    );
    await vi.waitFor(async () => {
      const rs = await getRS('denied');
      expect(rs.status?.replicas).toBe(2);
      expect(rs.status?.conditions ?? []).toEqual([]);
    }, WAIT);
  });
});
