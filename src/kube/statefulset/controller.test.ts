import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type PodFate, startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import { isPodReady } from '../workloads/pods.js';
import type { ControllerRevision, PersistentVolumeClaim, Pod } from '../workloads/types.js';
import { startStatefulSetController } from './controller.js';
import type { StatefulSet } from './identity.js';

const WAIT = { timeout: 20_000, interval: 20 };
const NS = { namespace: 'default' };

function statefulSet(name: string, replicas: number, spec: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'db', image: 'postgres:16' }] },
      },
      ...spec,
    },
  };
}

const image = (p: Pod) => p.spec?.containers?.[0]?.image;

describe('StatefulSet controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController;
  let kubelet: TestKubelet;
  let fate: (pod: Pod) => PodFate;

  const getSet = (name: string) => env.client.get<StatefulSet>(resources.statefulsets, name, NS);
  const pods = async (app: string) =>
    (await env.client.list<Pod>(resources.pods, { ...NS, labelSelector: `app=${app}` })).items;
  const names = async (app: string) => (await pods(app)).map((p) => p.metadata.name).sort();
  const settled = async (name: string) => {
    const s = await getSet(name);
    const want = s.spec.replicas ?? 1;
    expect(s.status).toMatchObject({
      observedGeneration: s.metadata.generation,
      replicas: want,
      readyReplicas: want,
      updatedReplicas: want,
      currentReplicas: want,
      availableReplicas: want,
    });
    expect(s.status?.currentRevision).toBe(s.status?.updateRevision);
    return s;
  };

  beforeEach(async () => {
    env = await startKubeTestEnv();
    fate = () => 'ready';
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      schedule: () => 'node-1',
      fate: (pod) => fate(pod),
    });
    controller = startStatefulSetController(env.ctx);
    env.informers.start();
  });

  afterEach(async () => {
    kubelet.stop();
    await controller.stop();
    await env.close();
  });

  it('creates pods in order, each after its predecessors are Running and Ready, with stable identities and claims', async () => {
    const informer = env.informers.informerFor<Pod>(resources.pods);
    const outOfOrder: string[] = [];
    const created: string[] = [];
    const off = informer.addEventHandler({
      onAdd: (pod) => {
        created.push(pod.metadata.name!);
        const ordinal = Number(pod.metadata.name!.split('-').pop());
        for (let i = 0; i < ordinal; i++) {
          const prev = informer.get(`db-${i}`, 'default');
          if (prev?.status?.phase !== 'Running' || !isPodReady(prev)) outOfOrder.push(pod.metadata.name!);
        }
      },
    });
    await env.client.create(
      resources.statefulsets,
      statefulSet('db', 3, {
        volumeClaimTemplates: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'data', labels: { tier: 'storage' } },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      }),
      NS,
    );
    const set = await vi.waitFor(() => settled('db'), WAIT);
    off();
    expect(created).toEqual(['db-0', 'db-1', 'db-2']);
    expect(outOfOrder).toEqual([]);
    const revision = set.status?.updateRevision;
    expect(revision).toMatch(/^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
    for (const pod of await pods('db')) {
      const ordinal = pod.metadata.name!.split('-').pop();
      expect(pod.spec?.hostname).toBe(pod.metadata.name);
      expect(pod.spec?.subdomain).toBe('db');
      expect(pod.metadata.labels).toMatchObject({
        'statefulset.kubernetes.io/pod-name': pod.metadata.name,
        'apps.kubernetes.io/pod-index': ordinal,
        'controller-revision-hash': revision,
      });
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'StatefulSet',
        name: 'db',
        controller: true,
      });
      expect(pod.spec?.volumes).toContainEqual({
        name: 'data',
        persistentVolumeClaim: { claimName: `data-db-${ordinal}` },
      });
    }
    const claims = (await env.client.list<PersistentVolumeClaim>(resources.persistentvolumeclaims, NS)).items;
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    expect(claims[0]!.metadata.labels).toEqual({ tier: 'storage', app: 'db' });
    // The default policy (Retain/Retain) gives claims no owners: they outlive the set.
    expect(claims.every((c) => !c.metadata.ownerReferences?.length)).toBe(true);
    const revisions = (await env.client.list<ControllerRevision>(resources.controllerrevisions, NS)).items;
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatchObject({ revision: 1, metadata: { name: revision } });
    const events = ((await env.client.list(resources.events, NS)).items as KubeObject[]).map(
      (e) => e.message,
    );
    expect(events).toContain('create Pod db-0 in StatefulSet db successful');
    expect(events).toContain('create Claim data-db-0 Pod db-0 in StatefulSet db success');
  });

  it('waits for a pod that does not become ready before creating the next', async () => {
    fate = (pod) => (pod.metadata.name === 'db-1' ? 'running' : 'ready');
    await env.client.create(resources.statefulsets, statefulSet('db', 3), NS);
    await vi.waitFor(async () => {
      const s = await getSet('db');
      expect(s.status?.replicas).toBe(2);
      expect(s.status?.readyReplicas).toBe(1);
    }, WAIT);
    // Nothing more happens while db-1 is not ready...
    await new Promise((r) => setTimeout(r, 200));
    expect(await names('db')).toEqual(['db-0', 'db-1']);
    // ...until it is.
    await kubelet.setReady((await pods('db')).find((p) => p.metadata.name === 'db-1')!, true);
    fate = () => 'ready';
    await vi.waitFor(() => settled('db'), WAIT);
    expect(await names('db')).toEqual(['db-0', 'db-1', 'db-2']);
  });

  it('scales down from the highest ordinal, one at a time', async () => {
    await env.client.create(resources.statefulsets, statefulSet('db', 4), NS);
    await vi.waitFor(() => settled('db'), WAIT);
    const informer = env.informers.informerFor<Pod>(resources.pods);
    const deleted: string[] = [];
    const off = informer.addEventHandler({ onDelete: (p) => deleted.push(p.metadata.name!) });
    await env.client.patch(resources.statefulsets, 'db', { spec: { replicas: 1 } }, 'merge', NS);
    await vi.waitFor(() => settled('db'), WAIT);
    off();
    expect(deleted).toEqual(['db-3', 'db-2', 'db-1']);
    expect(await names('db')).toEqual(['db-0']);
  });

  it('creates all pods at once with the Parallel policy', async () => {
    fate = () => 'pending';
    await env.client.create(
      resources.statefulsets,
      statefulSet('db', 3, { podManagementPolicy: 'Parallel' }),
      NS,
    );
    await vi.waitFor(async () => expect(await names('db')).toEqual(['db-0', 'db-1', 'db-2']), WAIT);
    expect((await pods('db')).some(isPodReady)).toBe(false);
  });

  it('rolls out a new template from the highest ordinal down to the partition', async () => {
    await env.client.create(
      resources.statefulsets,
      statefulSet('db', 3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }),
      NS,
    );
    const before = await vi.waitFor(() => settled('db'), WAIT);
    const informer = env.informers.informerFor<Pod>(resources.pods);
    const deleted: string[] = [];
    const off = informer.addEventHandler({ onDelete: (p) => deleted.push(p.metadata.name!) });
    await env.client.patch(
      resources.statefulsets,
      'db',
      { spec: { template: { spec: { containers: [{ name: 'db', image: 'postgres:17' }] } } } },
      'strategic',
      NS,
    );
    // Ordinals at or above the partition (1) are updated, highest first; db-0 stays.
    await vi.waitFor(async () => {
      const s = await getSet('db');
      expect(s.status?.updatedReplicas).toBe(2);
      expect(s.status?.readyReplicas).toBe(3);
      expect(s.status?.currentRevision).toBe(before.status?.currentRevision);
      expect(s.status?.updateRevision).not.toBe(before.status?.updateRevision);
    }, WAIT);
    expect(deleted).toEqual(['db-2', 'db-1']);
    const byName = Object.fromEntries((await pods('db')).map((p) => [p.metadata.name, image(p)]));
    expect(byName).toEqual({ 'db-0': 'postgres:16', 'db-1': 'postgres:17', 'db-2': 'postgres:17' });
    // Lowering the partition finishes the rollout.
    await env.client.patch(
      resources.statefulsets,
      'db',
      { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } },
      'merge',
      NS,
    );
    const after = await vi.waitFor(() => settled('db'), WAIT);
    off();
    expect(deleted).toEqual(['db-2', 'db-1', 'db-0']);
    expect(after.status?.currentRevision).toBe(after.status?.updateRevision);
    const revisions = (await env.client.list<ControllerRevision>(resources.controllerrevisions, NS)).items;
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
  });

  it('leaves pods alone with OnDelete until they are deleted', async () => {
    await env.client.create(
      resources.statefulsets,
      statefulSet('db', 2, { updateStrategy: { type: 'OnDelete' } }),
      NS,
    );
    await vi.waitFor(() => settled('db'), WAIT);
    await env.client.patch(
      resources.statefulsets,
      'db',
      { spec: { template: { spec: { containers: [{ name: 'db', image: 'postgres:17' }] } } } },
      'strategic',
      NS,
    );
    await vi.waitFor(async () => {
      const s = await getSet('db');
      expect(s.status?.observedGeneration).toBe(s.metadata.generation);
      expect(s.status?.updatedReplicas ?? 0).toBe(0);
    }, WAIT);
    expect(new Set((await pods('db')).map(image))).toEqual(new Set(['postgres:16']));
    await env.client.delete(resources.pods, 'db-1', NS);
    await vi.waitFor(async () => {
      const byName = Object.fromEntries((await pods('db')).map((p) => [p.metadata.name, image(p)]));
      expect(byName).toEqual({ 'db-0': 'postgres:16', 'db-1': 'postgres:17' });
    }, WAIT);
  });

  it('gives claims the owners their retention policy asks for', async () => {
    await env.client.create(
      resources.statefulsets,
      statefulSet('db', 2, {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        volumeClaimTemplates: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      }),
      NS,
    );
    const set = await vi.waitFor(() => settled('db'), WAIT);
    const claim = (name: string) =>
      env.client.get<PersistentVolumeClaim>(resources.persistentvolumeclaims, name, NS);
    // whenDeleted: Delete -> owned by the set (deleted with it by the garbage collector).
    await vi.waitFor(async () => {
      for (const name of ['data-db-0', 'data-db-1']) {
        expect((await claim(name)).metadata.ownerReferences).toEqual([
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: set.metadata.uid },
        ]);
      }
    }, WAIT);
    // whenScaled: Delete -> a scaled-down pod's claim is handed to the pod before it goes.
    const db1 = (await pods('db')).find((p) => p.metadata.name === 'db-1')!;
    await env.client.patch(resources.statefulsets, 'db', { spec: { replicas: 1 } }, 'merge', NS);
    await vi.waitFor(async () => {
      expect((await claim('data-db-1')).metadata.ownerReferences).toEqual([
        { apiVersion: 'v1', kind: 'Pod', name: 'db-1', uid: db1.metadata.uid },
      ]);
      expect(await names('db')).toEqual(['db-0']);
    }, WAIT);
  });
});
