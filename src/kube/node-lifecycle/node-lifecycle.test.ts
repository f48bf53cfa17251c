import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Taint, Toleration } from '../../machinery/taints.js';
import { getOrUndefined, waitFor } from '../core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { startNodeLifecycleController } from './node-lifecycle-controller.js';
import { startTaintEvictionController } from './taint-eviction.js';
import type { Node } from './taints.js';

const NS = 'default';
const LEASES = 'kube-node-lease';

interface Pod extends KubeObject {
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

describe('node lifecycle and taint eviction', () => {
  let env: KubeTestEnv;
  const running: RunningController[] = [];
  /** Nodes whose "kubelet" renews its lease. */
  const alive = new Set<string>();
  let heartbeat: NodeJS.Timeout;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'nodes' });
    running.push(
      startNodeLifecycleController(env.ctx, { nodeMonitorPeriodMs: 100, nodeMonitorGracePeriodMs: 1500 }),
      startTaintEvictionController(env.ctx),
    );
    env.informers.start();
    for (const name of ['node-a', 'node-b', 'node-c']) await addNode(name);
    // The kubelets' heartbeats: leases renewed every 200 ms while alive.
    heartbeat = setInterval(() => {
      for (const name of alive) {
        void env.client
          .patch(resources.leases, name, { spec: { renewTime: microTime() } }, 'merge', { namespace: LEASES })
          .catch(() => undefined);
      }
    }, 200);
  });
  afterAll(async () => {
    clearInterval(heartbeat);
    for (const r of running) await r.stop();
    await env.close();
  });

  const c = () => env.client;

  async function addNode(name: string): Promise<void> {
    const node = await c().create<Node>(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'topology.kubernetes.io/zone': 'zone-1', 'kubernetes.io/hostname': name } },
    });
    const now = `${new Date().toISOString().slice(0, 19)}Z`;
    node.status = {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    };
    await c().update(resources.nodes, node, { subresource: 'status' });
    await c().create(
      resources.leases,
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: LEASES },
        spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
      },
      { namespace: LEASES },
    );
    alive.add(name);
  }

  async function readyPod(name: string, nodeName: string, tolerations: Toleration[] = []): Promise<Pod> {
    const pod = await c().create<Pod>(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS },
        spec: { nodeName, tolerations, containers: [{ name: 'c', image: 'nginx' }] },
      },
      { namespace: NS },
    );
    pod.status = {
      ...(pod.status ?? {}),
      phase: 'Running',
      podIP: '10.244.1.1',
      conditions: [{ type: 'Ready', status: 'True' }],
    } as Pod['status'];
    return c().update<Pod>(resources.pods, pod, { namespace: NS, subresource: 'status' });
  }

  const node = (name: string) => c().get<Node>(resources.nodes, name);
  const taintsOf = async (name: string) =>
    ((await node(name)).spec?.taints ?? []).map((t: Taint) => `${t.key}:${t.effect}`).sort();
  const ready = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready');
  const pod = (name: string) => getOrUndefined<Pod>(c(), resources.pods, name, NS);

  it('turns a silent node Unknown, taints it, marks and evicts its pods, and recovers when it heartbeats again', async () => {
    const unreachable = (seconds?: number): Toleration => ({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      ...(seconds === undefined ? {} : { tolerationSeconds: seconds }),
    });
    await readyPod('brief', 'node-c', [unreachable(1)]);
    await readyPod('forever', 'node-c', [unreachable()]);
    await readyPod('patient', 'node-c'); // the default 300 s toleration
    await readyPod('elsewhere', 'node-a');

    alive.delete('node-c');
    const down = await waitFor('node-c to turn Unknown', async () => {
      const n = await node('node-c');
      return ready(n)?.status === 'Unknown' ? n : undefined;
    });
    expect(ready(down)).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(down.status?.conditions?.find((x) => x.type === 'MemoryPressure')?.status).toBe('Unknown');
    await waitFor('the unreachable taints', async () => {
      const t = await taintsOf('node-c');
      return (
        t.includes('node.kubernetes.io/unreachable:NoSchedule') &&
        t.includes('node.kubernetes.io/unreachable:NoExecute')
      );
    });
    const withTime = (await node('node-c')).spec!.taints!.find((t) => t.effect === 'NoExecute')!;
    expect(withTime.timeAdded).toBeTruthy();

    // Its pods are not ready any more.
    await waitFor('the pods to be marked not ready', async () => {
      const p = await pod('patient');
      return p?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False';
    });
    // The pod tolerating it for a second is evicted; the others stay.
    const evicted = await waitFor('the briefly tolerating pod to be evicted', async () => {
      const p = await pod('brief');
      return p?.metadata.deletionTimestamp ? p : undefined;
    });
    expect(evicted.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
    });
    for (const name of ['forever', 'patient', 'elsewhere']) {
      expect((await pod(name))?.metadata.deletionTimestamp).toBeUndefined();
    }
    expect(ready(await node('node-a'))?.status).toBe('True');
    const events = await c().list(resources.events, {
      namespace: NS,
      fieldSelector: 'involvedObject.name=node-c',
    });
    expect(events.items.map((e) => e.reason)).toContain('NodeNotReady');

    // The heartbeats come back: conditions restored, taints removed.
    alive.add('node-c');
    await waitFor('node-c to be Ready again', async () => ready(await node('node-c'))?.status === 'True');
    await waitFor('the taints to go', async () => (await taintsOf('node-c')).length === 0);
    expect((await pod('patient'))?.metadata.deletionTimestamp).toBeUndefined();
    expect((await node('node-c')).status?.conditions?.find((x) => x.type === 'MemoryPressure')?.status).toBe(
      'False',
    );
  });

  it('maps cordoning to the unschedulable taint', async () => {
    await c().patch(resources.nodes, 'node-a', { spec: { unschedulable: true } }, 'merge');
    await waitFor('the unschedulable taint', async () =>
      (await taintsOf('node-a')).includes('node.kubernetes.io/unschedulable:NoSchedule'),
    );
    await c().patch(resources.nodes, 'node-a', { spec: { unschedulable: null } }, 'merge');
    await waitFor('the taint to go', async () => (await taintsOf('node-a')).length === 0);
  });

  it('evicts pods that do not tolerate a NoExecute taint at once', async () => {
    await readyPod('intolerant', 'node-b');
    await readyPod('tolerant', 'node-b', [
      { key: 'example.com/maintenance', operator: 'Exists', effect: 'NoExecute' },
    ]);
    await c().patch(
      resources.nodes,
      'node-b',
      { spec: { taints: [{ key: 'example.com/maintenance', value: 'yes', effect: 'NoExecute' }] } },
      'merge',
    );
    await waitFor(
      'the intolerant pod to be evicted',
      async () => !!(await pod('intolerant'))?.metadata.deletionTimestamp,
    );
    expect((await pod('tolerant'))?.metadata.deletionTimestamp).toBeUndefined();
    await c().patch(resources.nodes, 'node-b', { spec: { taints: null } }, 'merge');
  });
});
