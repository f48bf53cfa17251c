import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import { isPodActive, isPodReady } from '../workloads/pods.js';
import type { ControllerRevision, Node, Pod, Taint } from '../workloads/types.js';
import { startDaemonSetController } from './controller.js';
import { targetNodeName } from './node-fit.js';
import type { DaemonSet } from './types.js';

const WAIT = { timeout: 20_000, interval: 20 };
const NS = { namespace: 'kube-system' };

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: taints.length ? { taints } : {},
  };
}

function daemonSet(
  name: string,
  spec: Partial<DaemonSet['spec']> = {},
  podSpec: Record<string, unknown> = {},
): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...podSpec },
      },
      ...spec,
    },
  };
}

describe('DaemonSet controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController;
  let kubelet: TestKubelet;

  const pods = async (app: string) =>
    (await env.client.list<Pod>(resources.pods, { ...NS, labelSelector: `app=${app}` })).items.filter(
      isPodActive,
    );
  const nodesOf = async (app: string) => (await pods(app)).map((p) => p.spec?.nodeName ?? '?').sort();
  const getDS = (name: string) => env.client.get<DaemonSet>(resources.daemonsets, name, NS);

  beforeEach(async () => {
    env = await startKubeTestEnv();
    // The scheduler's part: daemon pods go to the node their affinity names.
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      schedule: (pod) => targetNodeName(pod.spec),
    });
    controller = startDaemonSetController(env.ctx);
    env.informers.start();
    for (const n of ['a', 'b', 'c']) await env.client.create(resources.nodes, node(n));
  });

  afterEach(async () => {
    kubelet.stop();
    await controller.stop();
    await env.close();
  });

  it('runs one pod per node, pinned by node affinity, and follows nodes as they come and go', async () => {
    await env.client.create(resources.daemonsets, daemonSet('agent'), NS);
    await vi.waitFor(async () => expect(await nodesOf('agent')).toEqual(['a', 'b', 'c']), WAIT);
    const [pod] = await pods('agent');
    expect(pod!.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod!.spec?.nodeName] }] },
      ],
    });
    expect(pod!.spec?.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    );
    const ds = await getDS('agent');
    expect(pod!.metadata.labels).toMatchObject({
      'pod-template-generation': '1',
      'controller-revision-hash': expect.any(String),
    });
    expect(pod!.metadata.generateName).toBe('agent-');
    await vi.waitFor(async () => {
      expect((await getDS('agent')).status).toMatchObject({
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 3,
        numberAvailable: 3,
        updatedNumberScheduled: 3,
        numberMisscheduled: 0,
        observedGeneration: ds.metadata.generation,
      });
    }, WAIT);
    const revisions = (await env.client.list<ControllerRevision>(resources.controllerrevisions, NS)).items;
    expect(revisions).toHaveLength(1);
    expect(revisions[0]!.metadata.labels?.['controller-revision-hash']).toBe(
      pod!.metadata.labels?.['controller-revision-hash'],
    );

    await env.client.create(resources.nodes, node('d'));
    await vi.waitFor(async () => expect(await nodesOf('agent')).toEqual(['a', 'b', 'c', 'd']), WAIT);
    await env.client.delete(resources.nodes, 'b');
    await vi.waitFor(async () => expect(await nodesOf('agent')).toEqual(['a', 'c', 'd']), WAIT);
    await vi.waitFor(async () => expect((await getDS('agent')).status?.desiredNumberScheduled).toBe(3), WAIT);
  });

  it('places pods only on nodes the nodeSelector, affinity and taints allow', async () => {
    await env.client.patch(resources.nodes, 'a', { metadata: { labels: { disk: 'ssd' } } }, 'merge');
    await env.client.patch(resources.nodes, 'b', { metadata: { labels: { disk: 'ssd' } } }, 'merge');
    await env.client.patch(
      resources.nodes,
      'b',
      { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } },
      'merge',
    );
    await env.client.create(
      resources.daemonsets,
      daemonSet('ssd', {}, { nodeSelector: { disk: 'ssd' } }),
      NS,
    );
    await vi.waitFor(async () => expect(await nodesOf('ssd')).toEqual(['a']), WAIT);
    // A toleration lets it onto b.
    await env.client.create(
      resources.daemonsets,
      daemonSet(
        'tolerant',
        {},
        { nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
      ),
      NS,
    );
    await vi.waitFor(async () => expect(await nodesOf('tolerant')).toEqual(['a', 'b']), WAIT);
    // A node that stops matching loses its pod.
    await env.client.patch(resources.nodes, 'a', { metadata: { labels: { disk: null } } }, 'merge');
    await vi.waitFor(async () => expect(await nodesOf('ssd')).toEqual([]), WAIT);
    await vi.waitFor(async () => expect(await nodesOf('tolerant')).toEqual(['b']), WAIT);
    // A NoExecute taint the pods do not tolerate evicts them; node affinity picks nodes by label.
    await env.client.create(
      resources.daemonsets,
      daemonSet(
        'zonal',
        {},
        {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['b', 'c'] }],
                  },
                ],
              },
            },
          },
        },
      ),
      NS,
    );
    await vi.waitFor(async () => expect(await nodesOf('zonal')).toEqual(['c']), WAIT);
    await env.client.patch(
      resources.nodes,
      'c',
      { spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } },
      'merge',
    );
    await vi.waitFor(async () => expect(await nodesOf('zonal')).toEqual([]), WAIT);
  });

  it('rolls out a new template one node at a time (maxUnavailable 1)', async () => {
    await env.client.create(resources.daemonsets, daemonSet('agent'), NS);
    await vi.waitFor(async () => expect((await getDS('agent')).status?.numberAvailable).toBe(3), WAIT);
    const informer = env.informers.informerFor<Pod>(resources.pods);
    let minReady = 3;
    const check = () => {
      const ready = informer
        .list({ namespace: 'kube-system', labelSelector: 'app=agent' })
        .filter((p) => isPodActive(p) && isPodReady(p));
      minReady = Math.min(minReady, ready.length);
    };
    const off = informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    await env.client.patch(
      resources.daemonsets,
      'agent',
      { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } },
      'strategic',
      NS,
    );
    await vi.waitFor(async () => {
      const ds = await getDS('agent');
      expect(ds.status).toMatchObject({
        updatedNumberScheduled: 3,
        numberAvailable: 3,
        observedGeneration: 2,
      });
      const live = await pods('agent');
      expect(live).toHaveLength(3);
      expect(new Set(live.map((p) => p.spec?.containers?.[0]?.image))).toEqual(new Set(['agent:2']));
    }, WAIT);
    off();
    expect(minReady).toBe(2);
    const revisions = (await env.client.list<ControllerRevision>(resources.controllerrevisions, NS)).items;
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
    for (const p of await pods('agent')) expect(p.metadata.labels?.['pod-template-generation']).toBe('2');
  });

  it('surges a new pod beside each old one (maxSurge) and keeps every node served', async () => {
    await env.client.create(
      resources.daemonsets,
      daemonSet('surge', {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
      NS,
    );
    await vi.waitFor(async () => expect((await getDS('surge')).status?.numberAvailable).toBe(3), WAIT);
    const informer = env.informers.informerFor<Pod>(resources.pods);
    let unserved = 0;
    let maxPods = 0;
    const check = () => {
      const live = informer
        .list({ namespace: 'kube-system', labelSelector: 'app=surge' })
        .filter(isPodActive);
      maxPods = Math.max(maxPods, live.length);
      const served = new Set(live.filter(isPodReady).map((p) => p.spec?.nodeName));
      if (served.size < 3) unserved++;
    };
    const off = informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    await env.client.patch(
      resources.daemonsets,
      'surge',
      { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } },
      'strategic',
      NS,
    );
    await vi.waitFor(async () => {
      const live = await pods('surge');
      expect(live).toHaveLength(3);
      expect(new Set(live.map((p) => p.spec?.containers?.[0]?.image))).toEqual(new Set(['agent:2']));
      expect((await getDS('surge')).status).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 3 });
    }, WAIT);
    off();
    expect(unserved).toBe(0);
    expect(maxPods).toBe(4);
  });

  it('keeps old pods with OnDelete until they are deleted', async () => {
    await env.client.create(
      resources.daemonsets,
      daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }),
      NS,
    );
    await vi.waitFor(async () => expect((await getDS('agent')).status?.numberAvailable).toBe(3), WAIT);
    await env.client.patch(
      resources.daemonsets,
      'agent',
      { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } },
      'strategic',
      NS,
    );
    await vi.waitFor(async () => {
      const ds = await getDS('agent');
      expect(ds.status?.observedGeneration).toBe(2);
      expect(ds.status?.updatedNumberScheduled ?? 0).toBe(0);
    }, WAIT);
    const onA = (await pods('agent')).find((p) => p.spec?.nodeName === 'a')!;
    await env.client.delete(resources.pods, onA.metadata.name!, NS);
    await vi.waitFor(async () => {
      const images = Object.fromEntries(
        (await pods('agent')).map((p) => [p.spec?.nodeName, p.spec?.containers?.[0]?.image]),
      );
      expect(images).toEqual({ a: 'agent:2', b: 'agent:1', c: 'agent:1' });
    }, WAIT);
    expect(
      (await env.client.list(resources.events, NS)).items.some(
        (e: KubeObject) => e.reason === 'SuccessfulCreate',
      ),
    ).toBe(true);
  });
});
