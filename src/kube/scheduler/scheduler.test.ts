import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type RunningScheduler, type SchedulerOptions, startScheduler } from './index.js';

interface Pod extends KubeObject {
  spec: Record<string, unknown> & { nodeName?: string };
  status?: {
    phase?: string;
    nominatedNodeName?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface CoreEvent extends KubeObject {
  involvedObject: { name?: string; kind?: string };
  reason: string;
  message: string;
  type: string;
  source: { component?: string };
}

let env: KubeTestEnv;
let scheduler: RunningScheduler | undefined;

beforeEach(async () => {
  env = await startKubeTestEnv();
});

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  await env.close();
});

function start(opts: SchedulerOptions = {}): void {
  env.informers.start();
  scheduler = startScheduler(env.ctx, { seed: 7, podInitialBackoffMs: 20, podMaxBackoffMs: 100, ...opts });
}

interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
}

async function createNode(name: string, n: NodeSpec = {}): Promise<void> {
  const allocatable = { cpu: n.cpu ?? '4', memory: n.memory ?? '8Gi', pods: n.pods ?? '110', ...n.extra };
  await env.client.create(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...n.labels } },
    spec: { taints: n.taints, unschedulable: n.unschedulable },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
    },
  });
}

interface PodOpts {
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
  namespace?: string;
}

async function createPod(name: string, o: PodOpts = {}): Promise<void> {
  const requests: Record<string, string> = { ...o.requests };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  await env.client.create(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          resources: {
            ...(Object.keys(requests).length ? { requests } : {}),
            ...(o.limits ? { limits: o.limits } : {}),
          },
        },
      ],
      ...o.spec,
    },
  });
}

async function getPod(name: string, namespace = 'default'): Promise<Pod> {
  return env.client.get<Pod>(resources.pods, name, { namespace });
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function nodeOf(name: string, namespace = 'default'): Promise<string> {
  return waitFor(
    `pod ${name} to be bound`,
    async () => (await getPod(name, namespace)).spec.nodeName || undefined,
  );
}

async function unschedulableMessage(name: string): Promise<string> {
  return waitFor(`pod ${name} to be marked unschedulable`, async () => {
    const c = (await getPod(name)).status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' && c.reason === 'Unschedulable' ? c.message : undefined;
  });
}

async function eventsFor(name: string, reason: string): Promise<CoreEvent[]> {
  const list = await env.client.list<CoreEvent>(resources.events, { namespace: 'default' });
  return list.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
}

/** Settles: informer events and bindings in flight. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
}

describe('scheduler', () => {
  it('binds a pod through pods/binding and records a Scheduled event', async () => {
    await createNode('node-a');
    start();
    await createPod('web');
    expect(await nodeOf('web')).toBe('node-a');
    const events = await waitFor('Scheduled event', async () => {
      const e = await eventsFor('web', 'Scheduled');
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]!.type).toBe('Normal');
    expect(events[0]!.message).toBe('Successfully assigned default/web to node-a');
    expect(events[0]!.source.component).toBe('default-scheduler');
  });

  it('places pods by nodeSelector', async () => {
    await createNode('hdd-1', { labels: { disktype: 'hdd' } });
    await createNode('ssd-1', { labels: { disktype: 'ssd' } });
    await createNode('hdd-2', { labels: { disktype: 'hdd' } });
    start();
    for (let i = 0; i < 4; i++) await createPod(`db-${i}`, { spec: { nodeSelector: { disktype: 'ssd' } } });
    for (let i = 0; i < 4; i++) expect(await nodeOf(`db-${i}`)).toBe('ssd-1');

    await createPod('nowhere', { spec: { nodeSelector: { disktype: 'nvme' } } });
    expect(await unschedulableMessage('nowhere')).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  it('honours required node affinity: In, NotIn, Exists, Gt and metadata.name fields', async () => {
    await createNode('a', { labels: { 'topology.kubernetes.io/zone': 'z1', cores: '8' } });
    await createNode('b', { labels: { 'topology.kubernetes.io/zone': 'z2', cores: '16', gpu: 'yes' } });
    await createNode('c', { labels: { 'topology.kubernetes.io/zone': 'z3', cores: '32' } });
    start();
    const required = (terms: unknown[]) => ({
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
      },
    });
    await createPod('in-z2', {
      spec: required([
        { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['z2'] }] },
      ]),
    });
    await createPod('not-z1-z2', {
      spec: required([
        {
          matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['z1', 'z2'] }],
        },
      ]),
    });
    await createPod('has-gpu', {
      spec: required([{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }]),
    });
    await createPod('big', {
      spec: required([
        {
          matchExpressions: [
            { key: 'cores', operator: 'Gt', values: ['8'] },
            { key: 'cores', operator: 'Lt', values: ['20'] },
          ],
        },
      ]),
    });
    // Terms are ORed: the first matches nothing, the second pins node "a" by name (as DaemonSets do).
    await createPod('pinned', {
      spec: required([
        { matchExpressions: [{ key: 'missing', operator: 'Exists' }] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] },
      ]),
    });
    expect(await nodeOf('in-z2')).toBe('b');
    expect(await nodeOf('not-z1-z2')).toBe('c');
    expect(await nodeOf('has-gpu')).toBe('b');
    expect(await nodeOf('big')).toBe('b');
    expect(await nodeOf('pinned')).toBe('a');
  });

  it('tells which nodes a pinned pod was not checked on', async () => {
    await createNode('a', { cpu: '1' });
    await createNode('b');
    await createNode('c');
    start();
    await createPod('ds-pod', {
      cpu: '2',
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }],
            },
          },
        },
      },
    });
    expect(await unschedulableMessage('ds-pod')).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '2 Preemption is not helpful for scheduling.',
    );
  });

  it('prefers nodes matching preferred node affinity, by weight', async () => {
    await createNode('plain-1');
    await createNode('spot', { labels: { lifecycle: 'spot' } });
    await createNode('ondemand', { labels: { lifecycle: 'ondemand' } });
    await createNode('plain-2');
    start();
    const preferred = (lifecycle: string, weight: number) => ({
      weight,
      preference: { matchExpressions: [{ key: 'lifecycle', operator: 'In', values: [lifecycle] }] },
    });
    for (let i = 0; i < 3; i++) {
      await createPod(`p-${i}`, {
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                preferred('spot', 10),
                preferred('ondemand', 80),
              ],
            },
          },
        },
      });
    }
    for (let i = 0; i < 3; i++) expect(await nodeOf(`p-${i}`)).toBe('ondemand');
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    await createNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await createNode('general');
    start();
    for (let i = 0; i < 3; i++) await createPod(`plain-${i}`);
    for (let i = 0; i < 3; i++) expect(await nodeOf(`plain-${i}`)).toBe('general');

    await createPod('tolerant', {
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': 'gpu' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      },
    });
    expect(await nodeOf('tolerant')).toBe('gpu');

    await createPod('intolerant', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'gpu' } } });
    expect(await unschedulableMessage('intolerant')).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, " +
        '1 node(s) had untolerated taint {dedicated: gpu}. ' +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });

  it('avoids PreferNoSchedule taints when it can, and uses them when it must', async () => {
    await createNode('soft', { taints: [{ key: 'maintenance', effect: 'PreferNoSchedule' }] });
    await createNode('clean');
    start();
    for (let i = 0; i < 4; i++) await createPod(`p-${i}`);
    for (let i = 0; i < 4; i++) expect(await nodeOf(`p-${i}`)).toBe('clean');
    await createPod('only-soft', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'soft' } } });
    expect(await nodeOf('only-soft')).toBe('soft');
  });

  it('does not schedule onto cordoned nodes unless the pod tolerates unschedulable', async () => {
    await createNode('cordoned', { unschedulable: true });
    start();
    await createPod('p');
    expect(await unschedulableMessage('p')).toBe(
      '0/1 nodes are available: 1 node(s) were unschedulable. ' +
        'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    await createPod('daemon', {
      spec: {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    expect(await nodeOf('daemon')).toBe('cordoned');
  });

  it('counts cpu, memory and extended resources against allocatable, and says what is short', async () => {
    await createNode('gpu-node', { cpu: '8', memory: '16Gi', extra: { 'nvidia.com/gpu': '2' } });
    start();
    for (let i = 0; i < 3; i++) {
      // Extended resources are not overcommitted: the request equals the limit.
      await createPod(`train-${i}`, {
        cpu: '1',
        memory: '1Gi',
        requests: { 'nvidia.com/gpu': '1' },
        limits: { 'nvidia.com/gpu': '1' },
      });
    }
    await waitFor('two pods bound', async () => {
      const list = await env.client.list<Pod>(resources.pods, { namespace: 'default' });
      return list.items.filter((p) => p.spec.nodeName === 'gpu-node').length === 2;
    });
    await settle();
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const pending = pods.filter((p) => !p.spec.nodeName);
    expect(pending).toHaveLength(1);
    const message = await unschedulableMessage(pending[0]!.metadata.name!);
    expect(message).toBe(
      '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );

    await createPod('hungry', { cpu: '7', memory: '15Gi' });
    expect(await unschedulableMessage('hungry')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('counts the pods a node allows', async () => {
    await createNode('small', { pods: '2' });
    start();
    for (let i = 0; i < 3; i++) await createPod(`p-${i}`);
    await waitFor('a pod refused for too many pods', async () => {
      const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      const msgs = pods.flatMap((p) => p.status?.conditions ?? []).map((c) => c.message ?? '');
      return msgs.some((m) => m.startsWith('0/1 nodes are available: 1 Too many pods.'));
    });
  });

  it('takes the largest init container and the pod overhead into account', async () => {
    await createNode('n', { cpu: '2' });
    start();
    await createPod('init-heavy', {
      cpu: '500m',
      spec: {
        initContainers: [{ name: 'migrate', image: 'busybox', resources: { requests: { cpu: '3' } } }],
      },
    });
    expect(await unschedulableMessage('init-heavy')).toContain('1 Insufficient cpu.');
    await createPod('with-overhead', { cpu: '1500m', spec: { overhead: { cpu: '600m' } } });
    expect(await unschedulableMessage('with-overhead')).toContain('1 Insufficient cpu.');
    await createPod('fits', {
      cpu: '1',
      spec: { initContainers: [{ name: 'i', image: 'busybox', resources: { requests: { cpu: '2' } } }] },
    });
    expect(await nodeOf('fits')).toBe('n');
  });

  it('spreads pods with required anti-affinity on hostname one per node and leaves the rest Pending', async () => {
    for (const n of ['n1', 'n2', 'n3']) await createNode(n);
    start();
    const antiAffinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    };
    for (let i = 0; i < 5; i++)
      await createPod(`cache-${i}`, { labels: { app: 'cache' }, spec: { affinity: antiAffinity } });
    await waitFor('three cache pods bound', async () => {
      const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      return pods.filter((p) => p.spec.nodeName).length === 3;
    });
    await settle();
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const bound = pods.filter((p) => p.spec.nodeName).map((p) => p.spec.nodeName);
    expect(new Set(bound)).toEqual(new Set(['n1', 'n2', 'n3']));
    const pending = pods.filter((p) => !p.spec.nodeName);
    expect(pending).toHaveLength(2);
    for (const p of pending) {
      expect(await unschedulableMessage(p.metadata.name!)).toBe(
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. " +
          'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      );
    }
    // Other pods are not bothered by the cache pods' anti-affinity...
    await createPod('web');
    await nodeOf('web');
    // ...unless the cache pods' rule selects them: then no node will do.
    await createPod('intruder', { labels: { app: 'cache' } });
    expect(await unschedulableMessage('intruder')).toBe(
      "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. " +
        'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
    // A node added later takes one of the waiting pods.
    await createNode('n4');
    await waitFor('a fourth cache pod bound to n4', async () => {
      const list = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      return list.some((p) => p.metadata.labels?.app === 'cache' && p.spec.nodeName === 'n4');
    });
    // A cache pod that goes leaves its node to one still waiting.
    const before = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const leaving = before.find((p) => p.metadata.labels?.app === 'cache' && p.spec.nodeName === 'n1')!;
    await env.client.delete(resources.pods, leaving.metadata.name!, {
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    await waitFor('another cache pod bound to n1', async () => {
      const list = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      return list.some(
        (p) =>
          p.metadata.labels?.app === 'cache' &&
          p.spec.nodeName === 'n1' &&
          p.metadata.uid !== leaving.metadata.uid,
      );
    });
  });

  it('follows required pod affinity to the zone of the pods it selects', async () => {
    await createNode('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } });
    await createNode('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } });
    await createNode('b2', { labels: { 'topology.kubernetes.io/zone': 'b' } });
    start();
    await createPod('db', {
      labels: { app: 'db' },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'a1' } },
    });
    expect(await nodeOf('db')).toBe('a1');
    const affinity = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'topology.kubernetes.io/zone' },
        ],
      },
    };
    for (let i = 0; i < 3; i++) await createPod(`api-${i}`, { spec: { affinity } });
    for (let i = 0; i < 3; i++) expect(await nodeOf(`api-${i}`)).toBe('a1');
    // The first pod of a group with affinity to itself may go anywhere.
    const self = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'group' } }, topologyKey: 'topology.kubernetes.io/zone' },
        ],
      },
    };
    await createPod('group-0', { labels: { app: 'group' }, spec: { affinity: self } });
    const first = await nodeOf('group-0');
    await createPod('group-1', { labels: { app: 'group' }, spec: { affinity: self } });
    const second = await nodeOf('group-1');
    const zone = (n: string) => (n === 'a1' ? 'a' : 'b');
    expect(zone(second)).toBe(zone(first));
  });

  it('spreads pods with preferred anti-affinity before doubling up', async () => {
    for (const n of ['n1', 'n2', 'n3']) await createNode(n);
    start();
    const affinity = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'web' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    };
    // A busy node would lose on resources alone; anti-affinity still keeps web pods apart first.
    for (let i = 0; i < 6; i++) {
      await createPod(`web-${i}`, { labels: { app: 'web' }, spec: { affinity } });
      await nodeOf(`web-${i}`);
    }
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.values()].sort()).toEqual([2, 2, 2]);
  });

  it('keeps DoNotSchedule topology spread constraints', async () => {
    await createNode('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } });
    await createNode('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } });
    await createNode('nolabel');
    start();
    // Two web pods already run in zone a.
    for (let i = 0; i < 2; i++)
      await createPod(`old-${i}`, { labels: { app: 'web' }, spec: { nodeName: 'a1' } });
    const spread = (extra: Record<string, unknown> = {}) => ({
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          ...extra,
        },
      ],
    });
    // a: 2, b: 0 -> only b keeps the skew within 1; then a: 2, b: 1 -> still b.
    await createPod('new-0', { labels: { app: 'web' }, spec: spread() });
    expect(await nodeOf('new-0')).toBe('b1');
    await createPod('new-1', { labels: { app: 'web' }, spec: spread() });
    expect(await nodeOf('new-1')).toBe('b1');
    // Only zone a is eligible (node affinity is honoured): one domain, no skew; with minDomains 2 the
    // missing domain counts as empty and zone a is too full.
    const onlyA = { nodeSelector: { 'topology.kubernetes.io/zone': 'a' } };
    await createPod('a-only', { labels: { app: 'web' }, spec: { ...onlyA, ...spread() } });
    expect(await nodeOf('a-only')).toBe('a1');
    await createPod('a-min', { labels: { app: 'web' }, spec: { ...onlyA, ...spread({ minDomains: 2 }) } });
    expect(await unschedulableMessage('a-min')).toBe(
      "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, " +
        "2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, ' +
        '2 Preemption is not helpful for scheduling.',
    );
    await createPod('anywhere', {
      labels: { app: 'web' },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'nolabel' }, ...spread() },
    });
    expect(await unschedulableMessage('anywhere')).toContain(
      "1 node(s) didn't match pod topology spread constraints (missing required label)",
    );
  });

  it('scores ScheduleAnyway spread constraints over resource balance', async () => {
    for (const n of ['a1', 'a2', 'a3'])
      await createNode(n, { labels: { 'topology.kubernetes.io/zone': 'a' } });
    await createNode('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } });
    start();
    const spec = {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { app: 'api' } },
        },
      ],
    };
    for (let i = 0; i < 4; i++) {
      await createPod(`api-${i}`, { labels: { app: 'api' }, cpu: '100m', spec });
      await nodeOf(`api-${i}`);
    }
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    // Spread by resources alone would leave zone b one pod of four.
    expect(pods.filter((p) => p.spec.nodeName === 'b1')).toHaveLength(2);
  });

  it('spreads the pods of a ReplicaSet over nodes by default, other pods by resources only', async () => {
    await createNode('large', { cpu: '16', memory: '32Gi' });
    await createNode('small', { cpu: '2', memory: '4Gi' });
    start();
    const rs = await env.client.create<KubeObject>(resources.replicasets, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-abc', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      },
    });
    const owned = (name: string) =>
      env.client.create(resources.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: 'default',
          labels: { app: 'web' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'web-abc',
              uid: rs.metadata.uid!,
              controller: true,
            },
          ],
        },
        spec: {
          containers: [
            { name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '128Mi' } } },
          ],
        },
      });
    await owned('web-1');
    expect(await nodeOf('web-1')).toBe('large');
    await owned('web-2');
    expect(await nodeOf('web-2')).toBe('small');
    // Unrelated pods follow the resources: the large node stays the emptier.
    await createPod('solo-1', { cpu: '100m', memory: '128Mi', labels: { app: 'solo' } });
    await createPod('solo-2', { cpu: '100m', memory: '128Mi', labels: { app: 'solo' } });
    expect(await nodeOf('solo-1')).toBe('large');
    expect(await nodeOf('solo-2')).toBe('large');
  });

  it('spreads equal pods evenly by least allocation', async () => {
    for (const n of ['n1', 'n2', 'n3', 'n4']) await createNode(n, { cpu: '8', memory: '16Gi' });
    start();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => createPod(`w-${i}`, { cpu: '250m', memory: '256Mi' })),
    );
    await waitFor('all bound', async () => {
      const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      return pods.every((p) => p.spec.nodeName);
    });
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([5, 5, 5, 5]);
  });

  it('prefers the least allocated node, counting pods without requests at 100m/200Mi', async () => {
    await createNode('busy', { cpu: '4', memory: '8Gi' });
    await createNode('idle', { cpu: '4', memory: '8Gi' });
    start();
    await createPod('big', {
      cpu: '3',
      memory: '6Gi',
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'busy' } },
    });
    await nodeOf('big');
    for (let i = 0; i < 3; i++) {
      await createPod(`besteffort-${i}`);
      expect(await nodeOf(`besteffort-${i}`)).toBe('idle');
    }
  });

  it('does not overcommit a node when a burst of pods arrives at once (assumed pods)', async () => {
    await createNode('n1', { cpu: '2' });
    await createNode('n2', { cpu: '2' });
    start();
    await Promise.all(Array.from({ length: 12 }, (_, i) => createPod(`burst-${i}`, { cpu: '500m' })));
    await waitFor('eight pods bound and four refused', async () => {
      const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      const refused = pods.filter((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable'));
      return pods.filter((p) => p.spec.nodeName).length === 8 && refused.length === 4;
    });
    await settle();
    const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
    const perNode = new Map<string, number>();
    for (const p of pods)
      if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ n1: 4, n2: 4 });
  });

  it('writes the reason as PodScheduled=False and a FailedScheduling event, as kube-scheduler words it', async () => {
    await createNode('gone', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] });
    await createNode('full-1', { cpu: '1' });
    await createNode('full-2', { cpu: '1' });
    start();
    await createPod('big', { cpu: '2' });
    const expected =
      '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, ' +
      '2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, ' +
      '2 No preemption victims found for incoming pod.';
    expect(await unschedulableMessage('big')).toBe(expected);
    const pod = await getPod('big');
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec.nodeName ?? '').toBe('');
    const events = await waitFor('FailedScheduling event', async () => {
      const e = await eventsFor('big', 'FailedScheduling');
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]!.type).toBe('Warning');
    expect(events[0]!.message).toBe(expected);
    expect(events[0]!.involvedObject.kind).toBe('Pod');
    expect(events[0]!.source.component).toBe('default-scheduler');
  });

  it('schedules pending pods when a node is added or capacity is freed', async () => {
    await createNode('small', { cpu: '1' });
    start();
    await createPod('occupant', { cpu: '800m' });
    expect(await nodeOf('occupant')).toBe('small');
    await createPod('waiting', { cpu: '2' });
    await unschedulableMessage('waiting');
    await createNode('large', { cpu: '4' });
    expect(await nodeOf('waiting')).toBe('large');

    await createPod('second', { cpu: '3500m' });
    await unschedulableMessage('second');
    // The running pod on "large" goes; its room goes to the waiting one.
    await env.client.delete(resources.pods, 'waiting', { namespace: 'default', gracePeriodSeconds: 0 });
    expect(await nodeOf('second')).toBe('large');
  });

  it('retries pending pods when a node changes: taint removed, uncordoned, relabelled', async () => {
    await createNode('n', {
      unschedulable: true,
      taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
    });
    start();
    await createPod('p', { spec: { nodeSelector: { pool: 'blue' } } });
    await unschedulableMessage('p');
    const patchNode = (patch: unknown) => env.client.patch(resources.nodes, 'n', patch, 'merge');
    // As the node lifecycle controller does when the node turns Ready.
    await patchNode({ spec: { taints: null } });
    await waitFor('the cordon to be the reason', async () => {
      const c = (await getPod('p')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.message?.startsWith('0/1 nodes are available: 1 node(s) were unschedulable.');
    });
    await patchNode({ spec: { unschedulable: null } });
    await waitFor('the selector to be the reason', async () => {
      const c = (await getPod('p')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.message?.startsWith(
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
      );
    });
    await patchNode({ metadata: { labels: { pool: 'blue' } } });
    expect(await nodeOf('p')).toBe('n');
  });

  it('says so when there are no nodes at all, and schedules once one registers', async () => {
    start();
    await createPod('early');
    await waitFor('no nodes message', async () => {
      const c = (await getPod('early')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.message === 'no nodes available to schedule pods' && c.reason === 'Unschedulable';
    });
    await createNode('first');
    expect(await nodeOf('early')).toBe('first');
  });

  it('leaves gated pods alone until their scheduling gates are removed', async () => {
    await createNode('n');
    start();
    await createPod('gated', { spec: { schedulingGates: [{ name: 'example.com/quota' }] } });
    await settle();
    const pod = await getPod('gated');
    expect(pod.spec.nodeName ?? '').toBe('');
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason).toBe('SchedulingGated');
    expect(scheduler!.pending().gated).toBe(1);
    await env.client.patch(resources.pods, 'gated', { spec: { schedulingGates: null } }, 'merge', {
      namespace: 'default',
    });
    expect(await nodeOf('gated')).toBe('n');
  });

  it('leaves pods of other schedulers and already bound pods alone, but counts what they use', async () => {
    await createNode('n', { cpu: '2' });
    start();
    await createPod('other', { cpu: '1', spec: { schedulerName: 'my-scheduler' } });
    await createPod('manual', { cpu: '1500m', spec: { nodeName: 'n' } });
    await createPod('mine', { cpu: '1' });
    expect(await unschedulableMessage('mine')).toContain('1 Insufficient cpu.');
    expect((await getPod('other')).spec.nodeName ?? '').toBe('');
    expect(await eventsFor('other', 'FailedScheduling')).toHaveLength(0);
  });

  it('frees the room of pods that finished', async () => {
    await createNode('n', { cpu: '1' });
    start();
    await createPod('job', { cpu: '1' });
    expect(await nodeOf('job')).toBe('n');
    await createPod('next', { cpu: '1' });
    await unschedulableMessage('next');
    // As the kubelet reports a completed pod.
    const job = await getPod('job');
    await env.client.update(
      resources.pods,
      { ...job, status: { ...job.status, phase: 'Succeeded' } },
      { subresource: 'status' },
    );
    expect(await nodeOf('next')).toBe('n');
  });

  it('refuses host ports already taken on a node', async () => {
    await createNode('n1');
    await createNode('n2');
    start();
    const withPort = {
      containers: [
        { name: 'dns', image: 'coredns', ports: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }] },
      ],
    };
    await createPod('dns-1', { spec: withPort });
    await createPod('dns-2', { spec: withPort });
    const a = await nodeOf('dns-1');
    const b = await nodeOf('dns-2');
    expect(new Set([a, b])).toEqual(new Set(['n1', 'n2']));
    await createPod('dns-3', { spec: withPort });
    expect(await unschedulableMessage('dns-3')).toBe(
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. " +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
  });

  it('waits for a missing PersistentVolumeClaim', async () => {
    await createNode('n');
    start();
    await createPod('stateful', {
      spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] },
    });
    expect(await unschedulableMessage('stateful')).toBe(
      '0/1 nodes are available: persistentvolumeclaim "data" not found. ' +
        'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    await env.client.create(resources.persistentvolumeclaims, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(await nodeOf('stateful')).toBe('n');
  });

  it('preempts lower-priority pods for a higher-priority one', async () => {
    await createNode('n', { cpu: '2' });
    start();
    for (let i = 0; i < 2; i++) await createPod(`low-${i}`, { cpu: '1', spec: { priority: 10 } });
    for (let i = 0; i < 2; i++) await nodeOf(`low-${i}`);
    await createPod('never', { cpu: '1', spec: { priority: 1000, preemptionPolicy: 'Never' } });
    expect(await unschedulableMessage('never')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
    await createPod('high', { cpu: '1', spec: { priority: 1000 } });
    const nominated = await waitFor(
      'nomination',
      async () => (await getPod('high')).status?.nominatedNodeName,
    );
    expect(nominated).toBe('n');
    // One victim is enough; it is marked and deleted (gracefully: it lingers until its kubelet lets go).
    const victims = await waitFor('a victim', async () => {
      const pods = (await env.client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      const v = pods.filter((p) => p.metadata.name?.startsWith('low-') && p.metadata.deletionTimestamp);
      return v.length > 0 ? v : undefined;
    });
    expect(victims).toHaveLength(1);
    const victim = victims[0]!;
    expect(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: 'default-scheduler: preempting to accommodate a higher priority pod',
    });
    const preempted = await waitFor('Preempted event', async () => {
      const e = await eventsFor(victim.metadata.name!, 'Preempted');
      return e.length > 0 ? e : undefined;
    });
    const high = await getPod('high');
    expect(preempted[0]!.message).toBe(`Preempted by pod ${high.metadata.uid} on node n`);
    // As the kubelet finishes the deletion.
    await env.client.delete(resources.pods, victim.metadata.name!, {
      namespace: 'default',
      gracePeriodSeconds: 0,
    });
    expect(await nodeOf('high')).toBe('n');
    // The pod that may not preempt is still waiting; the other low pod stays.
    expect((await getPod('never')).spec.nodeName ?? '').toBe('');
  });

  it('exports its metrics per cluster and removes them when stopped', async () => {
    await createNode('n', { cpu: '1' });
    const metrics = new Registry();
    env.informers.start();
    scheduler = startScheduler({ ...env.ctx, metrics }, { seed: 1 });
    await createPod('ok');
    await createPod('too-big', { cpu: '2' });
    await nodeOf('ok');
    await unschedulableMessage('too-big');
    const text = await metrics.metrics();
    expect(text).toContain(
      'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler",cluster="test"} 1',
    );
    expect(text).toMatch(
      /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler",cluster="test"\} [1-9]/,
    );
    expect(text).toContain('scheduler_pending_pods{queue="unschedulable",cluster="test"} 1');
    await scheduler.stop();
    scheduler = undefined;
    expect(await metrics.metrics()).not.toContain('cluster="test"');
  });

  it('forgets the assumed pod when its binding fails, and tries again', async () => {
    await createNode('only', { cpu: '1' });
    let failures = 0;
    // The API server refuses the first binding, as an overloaded one would.
    const client = new Proxy(env.client, {
      get(target, prop, receiver) {
        if (prop === 'create') {
          return (ref: { resource: string }, obj: KubeObject, opts?: { subresource?: string }) => {
            if (opts?.subresource === 'binding' && failures++ === 0) {
              return Promise.reject(new ApiError(500, 'InternalError', 'etcdserver: request timed out'));
            }
            return target.create(ref as never, obj, opts);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Client;
    env.informers.start();
    scheduler = startScheduler(
      { ...env.ctx, client },
      { seed: 1, podInitialBackoffMs: 20, podMaxBackoffMs: 100 },
    );
    await createPod('flaky', { cpu: '1' });
    // Had the failed assumption stayed, the node would look full and the pod would never fit.
    expect(await nodeOf('flaky')).toBe('only');
    expect(failures).toBe(2);
    const events = await waitFor('FailedScheduling event', async () => {
      const e = await eventsFor('flaky', 'FailedScheduling');
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]!.message).toBe('etcdserver: request timed out');
  });

  it('stops cleanly with work in flight', async () => {
    await createNode('n');
    start();
    await Promise.all(Array.from({ length: 30 }, (_, i) => createPod(`p-${i}`)));
    await scheduler!.stop();
    scheduler = undefined;
  });
});
