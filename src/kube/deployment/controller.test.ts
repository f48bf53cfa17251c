import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { startReplicaSetController } from '../replicaset/controller.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type PodFate, startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import { isPodActive, isPodReady } from '../workloads/pods.js';
import type { Deployment, Pod, ReplicaSet } from '../workloads/types.js';
import { startDeploymentController } from './controller.js';
import { podTemplateHash, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './util.js';

const WAIT = { timeout: 20_000, interval: 20 };
const NS = { namespace: 'default' };

function deployment(name: string, replicas: number, spec: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
      },
      ...spec,
    },
  };
}

function image(pod: Pod): string | undefined {
  return pod.spec?.containers?.[0]?.image;
}

describe('Deployment controller', () => {
  let env: KubeTestEnv;
  let controllers: RunningController[] = [];
  let kubelet: TestKubelet;
  /** What the kubelet does with a pod of this image (default: Running and Ready). */
  let fateByImage: Map<string, PodFate>;

  const getD = (name: string) => env.client.get<Deployment>(resources.deployments, name, NS);
  const replicaSets = async (app: string) =>
    (await env.client.list<ReplicaSet>(resources.replicasets, { ...NS, labelSelector: `app=${app}` })).items;
  const pods = async (app: string) =>
    (await env.client.list<Pod>(resources.pods, { ...NS, labelSelector: `app=${app}` })).items;
  const events = async (reason: string) =>
    ((await env.client.list(resources.events, NS)).items as KubeObject[]).filter((e) => e.reason === reason);
  const setImage = (name: string, img: string) =>
    env.client.patch(
      resources.deployments,
      name,
      { spec: { template: { spec: { containers: [{ name: 'web', image: img }] } } } },
      'strategic',
      NS,
    );
  /** `kubectl rollout status`: done when observed, updated, no old replicas, all available. */
  const rolledOut = async (name: string) => {
    const d = await getD(name);
    const s = d.status ?? {};
    const want = d.spec.replicas ?? 1;
    expect(s.observedGeneration ?? 0).toBeGreaterThanOrEqual(d.metadata.generation ?? 0);
    expect(s.updatedReplicas ?? 0).toBe(want);
    expect(s.replicas ?? 0).toBe(want);
    expect(s.availableReplicas ?? 0).toBe(want);
    return d;
  };

  beforeEach(async () => {
    env = await startKubeTestEnv();
    fateByImage = new Map();
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      schedule: () => 'node-1',
      fate: (pod) => fateByImage.get(image(pod) ?? '') ?? 'ready',
    });
    controllers = [startReplicaSetController(env.ctx), startDeploymentController(env.ctx)];
    env.informers.start();
  });

  afterEach(async () => {
    kubelet.stop();
    for (const c of controllers) await c.stop();
    await env.close();
  });

  it('creates a ReplicaSet per template hash and reports a complete rollout', async () => {
    await env.client.create(resources.deployments, deployment('web', 3), NS);
    const d = await vi.waitFor(() => rolledOut('web'), WAIT);
    const [rs] = await replicaSets('web');
    expect(rs).toBeDefined();
    const hash = rs!.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.selector?.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      uid: d.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(rs!.metadata.annotations).toMatchObject({
      [REVISION_ANNOTATION]: '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    for (const p of await pods('web')) expect(p.metadata.labels?.['pod-template-hash']).toBe(hash);
    const conditions = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.Available).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    await vi.waitFor(async () => {
      const p = (await getD('web')).status?.conditions?.find((c) => c.type === 'Progressing');
      expect(p).toMatchObject({
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "web-${hash}" has successfully progressed.`,
      });
    }, WAIT);
    const scaling = await events('ScalingReplicaSet');
    expect(scaling.map((e) => e.message)).toContain(`Scaled up replica set web-${hash} from 0 to 3`);
    expect(scaling[0]).toMatchObject({ source: { component: 'deployment-controller' } });
  });

  it('rolls out a new template within maxSurge and maxUnavailable, observed at every pod change', async () => {
    const replicas = 6;
    const surge = 2;
    const unavailable = 1;
    await env.client.create(
      resources.deployments,
      deployment('roll', replicas, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      }),
      NS,
    );
    await vi.waitFor(() => rolledOut('roll'), WAIT);

    const podInformer = env.informers.informerFor<Pod>(resources.pods);
    const rsInformer = env.informers.informerFor<ReplicaSet>(resources.replicasets);
    const violations: string[] = [];
    let maxPods = 0;
    let minReady = Number.POSITIVE_INFINITY;
    const check = () => {
      const live = podInformer.list({ labelSelector: 'app=roll' }).filter(isPodActive);
      const ready = live.filter(isPodReady).length;
      maxPods = Math.max(maxPods, live.length);
      minReady = Math.min(minReady, ready);
      if (live.length > replicas + surge) violations.push(`${live.length} pods`);
      if (ready < replicas - unavailable) violations.push(`${ready} ready pods`);
      const specTotal = rsInformer
        .list({ labelSelector: 'app=roll' })
        .reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
      if (specTotal > replicas + surge) violations.push(`ReplicaSets ask for ${specTotal}`);
    };
    const offPods = podInformer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const offRS = rsInformer.addEventHandler({ onUpdate: check });

    await setImage('roll', 'nginx:1.26');
    await vi.waitFor(async () => {
      const d = await rolledOut('roll');
      expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    }, WAIT);
    offPods();
    offRS();
    expect(violations).toEqual([]);
    // It did use the room it has.
    expect(maxPods).toBe(replicas + surge);
    expect(minReady).toBe(replicas - unavailable);
    const live = (await pods('roll')).filter(isPodActive);
    expect(live).toHaveLength(replicas);
    expect(new Set(live.map(image))).toEqual(new Set(['nginx:1.26']));
    const sets = await replicaSets('roll');
    expect(sets).toHaveLength(2);
    const old = sets.find((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION] === '1')!;
    expect(old.spec.replicas).toBe(0);
    const scaled = (await events('ScalingReplicaSet')).map((e) => String(e.message));
    expect(scaled.some((m) => m.startsWith(`Scaled down replica set ${old.metadata.name} from 6 to`))).toBe(
      true,
    );
  });

  it('rolls back to the previous template as kubectl rollout undo does, with the next revision', async () => {
    await env.client.create(resources.deployments, deployment('undo', 2), NS);
    await vi.waitFor(() => rolledOut('undo'), WAIT);
    await setImage('undo', 'nginx:1.26');
    await vi.waitFor(async () => {
      const d = await rolledOut('undo');
      expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    }, WAIT);
    const sets = await replicaSets('undo');
    const first = sets.find((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION] === '1')!;

    // kubectl rollout undo: the revision's template (without its hash label) and annotations are
    // patched into the deployment.
    const d = await getD('undo');
    const template = structuredClone(first.spec.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (k.startsWith('deployment.kubernetes.io/')) annotations[k] = v;
    }
    await env.client.patch(
      resources.deployments,
      'undo',
      [
        { op: 'replace', path: '/spec/template', value: template },
        { op: 'replace', path: '/metadata/annotations', value: annotations },
      ],
      'json',
      NS,
    );
    await vi.waitFor(async () => {
      const after = await rolledOut('undo');
      expect(after.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    }, WAIT);
    // The first ReplicaSet is the new one again: revision 3, remembering it was 1.
    const again = await env.client.get<ReplicaSet>(resources.replicasets, first.metadata.name!, NS);
    expect(again.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(again.metadata.annotations?.[REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect(again.spec.replicas).toBe(2);
    expect(await replicaSets('undo')).toHaveLength(2);
    const live = (await pods('undo')).filter(isPodActive);
    expect(new Set(live.map(image))).toEqual(new Set(['nginx:1.25']));
  });

  it('resolves a pod-template-hash collision with collisionCount', async () => {
    await env.client.create(resources.deployments, deployment('clash', 1, { paused: true }), NS);
    const stored = await vi.waitFor(async () => {
      const d = await getD('clash');
      expect(d.status?.observedGeneration).toBe(d.metadata.generation);
      return d;
    }, WAIT);
    // Someone else's ReplicaSet holds the name the template's hash gives.
    const taken = `clash-${podTemplateHash(stored.spec.template)}`;
    await env.client.create(
      resources.replicasets,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: taken, namespace: 'default' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { other: 'x' } },
          template: {
            metadata: { labels: { other: 'x' } },
            spec: { containers: [{ name: 'x', image: 'x:1' }] },
          },
        },
      },
      NS,
    );
    await env.client.patch(resources.deployments, 'clash', { spec: { paused: false } }, 'merge', NS);
    const d = await vi.waitFor(() => rolledOut('clash'), WAIT);
    expect(d.status?.collisionCount).toBe(1);
    const [rs] = await replicaSets('clash');
    expect(rs!.metadata.name).toBe(`clash-${podTemplateHash(stored.spec.template, 1)}`);
    expect(rs!.metadata.name).not.toBe(taken);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    await env.client.create(resources.deployments, deployment('hist', 1, { revisionHistoryLimit: 1 }), NS);
    await vi.waitFor(() => rolledOut('hist'), WAIT);
    for (const [i, img] of ['nginx:1.26', 'nginx:1.27', 'nginx:1.28'].entries()) {
      await setImage('hist', img);
      await vi.waitFor(async () => {
        const d = await rolledOut('hist');
        expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe(String(i + 2));
      }, WAIT);
    }
    // The current one and one old revision remain.
    await vi.waitFor(async () => {
      const revisions = (await replicaSets('hist'))
        .map((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION])
        .sort();
      expect(revisions).toEqual(['3', '4']);
    }, WAIT);
  });

  it('Recreate removes every old pod before the first new one', async () => {
    await env.client.create(
      resources.deployments,
      deployment('re', 3, { strategy: { type: 'Recreate' } }),
      NS,
    );
    await vi.waitFor(() => rolledOut('re'), WAIT);
    const podInformer = env.informers.informerFor<Pod>(resources.pods);
    let overlap = false;
    const check = () => {
      const images = new Set(podInformer.list({ labelSelector: 'app=re' }).map(image));
      if (images.has('nginx:1.25') && images.has('nginx:1.26')) overlap = true;
    };
    const off = podInformer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    await setImage('re', 'nginx:1.26');
    await vi.waitFor(async () => {
      const d = await rolledOut('re');
      expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    }, WAIT);
    off();
    expect(overlap).toBe(false);
    expect(new Set((await pods('re')).map(image))).toEqual(new Set(['nginx:1.26']));
  });

  it('does not roll out while paused, but scales; resuming rolls out', async () => {
    await env.client.create(resources.deployments, deployment('p', 2), NS);
    await vi.waitFor(() => rolledOut('p'), WAIT);
    await env.client.patch(resources.deployments, 'p', { spec: { paused: true } }, 'merge', NS);
    await vi.waitFor(async () => {
      const c = (await getD('p')).status?.conditions?.find((x) => x.type === 'Progressing');
      expect(c).toMatchObject({
        status: 'Unknown',
        reason: 'DeploymentPaused',
        message: 'Deployment is paused',
      });
    }, WAIT);
    await setImage('p', 'nginx:1.26');
    await env.client.patch(resources.deployments, 'p', { spec: { replicas: 4 } }, 'merge', NS);
    await vi.waitFor(async () => {
      const d = await getD('p');
      expect(d.status?.observedGeneration).toBe(d.metadata.generation);
      expect(d.status?.availableReplicas).toBe(4);
    }, WAIT);
    expect(await replicaSets('p')).toHaveLength(1);
    expect(new Set((await pods('p')).map(image))).toEqual(new Set(['nginx:1.25']));

    await env.client.patch(resources.deployments, 'p', { spec: { paused: false } }, 'merge', NS);
    await vi.waitFor(async () => {
      const d = await rolledOut('p');
      expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    }, WAIT);
    const live = (await pods('p')).filter(isPodActive);
    expect(live).toHaveLength(4);
    expect(new Set(live.map(image))).toEqual(new Set(['nginx:1.26']));
  });

  it('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
    fateByImage.set('nginx:broken', 'running');
    await env.client.create(
      resources.deployments,
      deployment('stuck', 2, { progressDeadlineSeconds: 1 }),
      NS,
    );
    await vi.waitFor(() => rolledOut('stuck'), WAIT);
    await setImage('stuck', 'nginx:broken');
    await vi.waitFor(async () => {
      const d = await getD('stuck');
      const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
      const [rs] = (await replicaSets('stuck')).filter(
        (x) => x.metadata.annotations?.[REVISION_ANNOTATION] === '2',
      );
      expect(c).toMatchObject({
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rs?.metadata.name}" has timed out progressing.`,
      });
    }, WAIT);
  });

  it('scales proportionally during a rollout (the documented 10 -> 15 example)', async () => {
    fateByImage.set('nginx:broken', 'running');
    await env.client.create(
      resources.deployments,
      deployment('prop', 10, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
      }),
      NS,
    );
    await vi.waitFor(() => rolledOut('prop'), WAIT);
    await setImage('prop', 'nginx:broken');
    const sizes = async () => {
      const sets = await replicaSets('prop');
      const rev = (r: string) => sets.find((rs) => rs.metadata.annotations?.[REVISION_ANNOTATION] === r);
      return { old: rev('1')?.spec.replicas, next: rev('2')?.spec.replicas };
    };
    // Stuck mid-way: 8 old (10 - maxUnavailable), 5 new (13 - 8).
    await vi.waitFor(async () => expect(await sizes()).toEqual({ old: 8, next: 5 }), WAIT);
    await env.client.patch(resources.deployments, 'prop', { spec: { replicas: 15 } }, 'merge', NS);
    // 5 more spread 3 to the old and 2 to the new ReplicaSet.
    await vi.waitFor(async () => expect(await sizes()).toEqual({ old: 11, next: 7 }), WAIT);
  });
});
