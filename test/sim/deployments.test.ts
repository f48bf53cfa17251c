// Deployments on a simulated cluster, driven with the real kubectl as a user would: create,
// rollout status, a rolling update watched pod by pod against maxSurge/maxUnavailable, rollout
// undo, scaling past capacity, cordon and drain.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { type Json, podReady, startTestSim, type TestSim, waitFor } from './support.js';

let sim: TestSim;

beforeAll(async () => {
  // Nodes of 4 CPUs: room for two pods asking 1500m each, six in all.
  sim = await startTestSim({
    name: 'deploy',
    nodeShape: { instanceType: 'sim.test', cpu: '4', memory: '16Gi', pods: 110, ephemeralStorage: '100Gi' },
  });
});

afterAll(async () => {
  await sim?.stop();
});

async function pods(selector: string): Promise<Json[]> {
  return (await sim.json(['get', 'pods', '-l', selector])).items as Json[];
}

function image(pod: Json): string {
  return pod.spec.containers[0].image;
}

describe('Deployments with kubectl [sqlite]', () => {
  it('creates 3 Running pods spread over the nodes, and rollout status returns when done', async () => {
    await sim.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3']);
    const status = await sim.ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], {
      version: '1.27',
    });
    expect(status).toContain('successfully rolled out');
    const list = await pods('app=web');
    expect(list).toHaveLength(3);
    for (const p of list) {
      expect(p.status.phase).toBe('Running');
      expect(podReady(p)).toBe(true);
      expect(p.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    }
    expect(new Set(list.map((p) => p.spec.nodeName)).size).toBe(3);
    const deploy = await sim.json(['get', 'deployment', 'web']);
    expect(deploy.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
    });
  });

  it('rolls a new image out within maxSurge and maxUnavailable, watched pod by pod, and undoes it', async () => {
    await sim.ok([
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { replicas: 4, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } },
      }),
    ]);
    await sim.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);

    // Every change to the web pods, as a watcher sees it.
    const current = new Map<string, KubeObject>();
    const states: { total: number; ready: number; images: string[] }[] = [];
    const watch = await sim.cluster.client.watch(
      resources.pods,
      { namespace: 'default', labelSelector: 'app=web' },
      {
        onEvent: (e) => {
          const pod = e.object as KubeObject;
          if (e.type === 'DELETED') current.delete(pod.metadata.name!);
          else if (e.type === 'ADDED' || e.type === 'MODIFIED') current.set(pod.metadata.name!, pod);
          else return;
          const live = [...current.values()].filter((p) => !p.metadata.deletionTimestamp);
          states.push({
            total: live.length,
            ready: live.filter((p) => podReady(p as Json)).length,
            images: [...new Set(live.map((p) => image(p as Json)))].sort(),
          });
        },
        onClose: () => {},
      },
    );
    try {
      await sim.ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
      await sim.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      await waitFor('only new pods left', () => {
        const last = states.at(-1);
        return last?.total === 4 && last.ready === 4 && last.images.join() === 'nginx:1.28';
      });
    } finally {
      watch.stop();
    }
    // Once the initial listing is in, every intermediate state keeps within the bounds.
    const settled = states.findIndex((s) => s.total === 4 && s.ready === 4);
    expect(settled).toBeGreaterThanOrEqual(0);
    const during = states.slice(settled);
    expect(during.some((s) => s.images.length === 2)).toBe(true); // old and new side by side at some point
    for (const s of during) {
      expect(s.total).toBeLessThanOrEqual(4 + 1); // replicas + maxSurge
      expect(s.ready).toBeGreaterThanOrEqual(4 - 1); // replicas - maxUnavailable
    }

    const history = await sim.ok(['rollout', 'history', 'deployment/web']);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);

    await sim.ok(['rollout', 'undo', 'deployment/web'], { version: '1.27' });
    await sim.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await waitFor('the old image back on every pod', async () => {
      const list = (await pods('app=web')).filter((p) => !p.metadata.deletionTimestamp);
      return list.length === 4 && list.every((p) => image(p) === 'nginx:1.27' && podReady(p));
    });
    const deploy = await sim.json(['get', 'deployment', 'web']);
    expect(deploy.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('leaves pods Pending with the scheduler reason when scaled beyond capacity', async () => {
    await sim.ok(['create', 'deployment', 'big', '--image=nginx:1.27', '--replicas=1']);
    await sim.ok(['set', 'resources', 'deployment/big', '--requests=cpu=1500m']);
    await sim.ok(['rollout', 'status', 'deployment/big', '--timeout=60s']);
    await sim.ok(['scale', 'deployment/big', '--replicas=8']);
    const pending = await waitFor('two unschedulable pods', async () => {
      const list = await pods('app=big');
      const stuck = list.filter((p) =>
        (p.status.conditions ?? []).some(
          (c: Json) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
        ),
      );
      const running = list.filter((p) => p.status.phase === 'Running');
      return running.length === 6 && stuck.length === 2 ? stuck : undefined;
    });
    for (const p of pending) {
      expect(p.status.phase).toBe('Pending');
      const cond = p.status.conditions.find((c: Json) => c.type === 'PodScheduled');
      expect(cond.message).toMatch(/^0\/3 nodes are available: 3 Insufficient cpu\./);
    }
    const events = await sim.json(['get', 'events', '--field-selector', 'reason=FailedScheduling']);
    expect(events.items.some((e: Json) => /Insufficient cpu/.test(e.message) && e.type === 'Warning')).toBe(
      true,
    );
    await sim.ok(['delete', 'deployment', 'big', '--wait=true', '--timeout=60s']);
    await waitFor('the big pods gone', async () => (await pods('app=big')).length === 0);
  });

  it('moves pods off a cordoned and drained node', async () => {
    const before = (await pods('app=web')).filter((p) => !p.metadata.deletionTimestamp);
    const node = before[0]!.spec.nodeName as string;
    await sim.ok(['cordon', node]);
    const cordoned = await sim.json(['get', 'node', node]);
    expect(cordoned.spec.unschedulable).toBe(true);
    const out = await sim.ok(
      ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s'],
      {
        timeoutMs: 90_000,
      },
    );
    expect(out).toContain('drained');
    const after = await waitFor('the pods running elsewhere', async () => {
      const list = (await pods('app=web')).filter((p) => !p.metadata.deletionTimestamp);
      return list.length === 4 && list.every((p) => p.status.phase === 'Running' && p.spec.nodeName !== node)
        ? list
        : undefined;
    });
    expect(after.every((p) => p.spec.nodeName !== node)).toBe(true);
    await sim.ok(['uncordon', node]);
    expect((await sim.json(['get', 'node', node])).spec.unschedulable).toBeUndefined();
  });
});
