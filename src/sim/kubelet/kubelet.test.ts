import { afterEach, describe, expect, it } from 'vitest';
import { resources } from '../../client/resources.js';
import { type KubeTestEnv, startKubeTestEnv } from '../../kube/support.testing.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { Ticker } from '../ticker.js';
import { parseCidr } from './addresses.js';
import { SimKubelet, type SimKubeletOptions } from './kubelet.js';
import type { PodStatus } from './pod-lifecycle.js';

let env: KubeTestEnv | undefined;
let kubelet: SimKubelet | undefined;
let ticker: Ticker | undefined;

afterEach(async () => {
  await kubelet?.stop();
  ticker?.stop();
  await env?.close();
  kubelet = undefined;
  env = undefined;
  ticker = undefined;
});

async function start(
  opts: Partial<SimKubeletOptions> = {},
): Promise<{ env: KubeTestEnv; kubelet: SimKubelet }> {
  env ??= await startKubeTestEnv({ name: 'kubelet-test' });
  ticker ??= new Ticker();
  kubelet = new SimKubelet({
    cluster: 'east',
    region: 'europe',
    client: env.client,
    informers: env.informers,
    ticker,
    timings: { startDelayMs: 20, backoffBaseMs: 300, crashAfterMs: 200, runTimeMs: 200 },
    ...opts,
  });
  env.informers.start();
  await kubelet.start();
  return { env, kubelet };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
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
    await new Promise((r) => setTimeout(r, 25));
  }
}

function podObject(
  name: string,
  node: string,
  extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.27' }], ...(extra.spec ?? {}) },
  };
}

async function getPod(e: KubeTestEnv, name: string): Promise<KubeObject & { status: PodStatus }> {
  return (await e.client.get(resources.pods, name, { namespace: 'default' })) as KubeObject & {
    status: PodStatus;
  };
}

function condition(obj: KubeObject, type: string): Condition | undefined {
  return ((obj.status as { conditions?: Condition[] })?.conditions ?? []).find((c) => c.type === type);
}

describe('SimKubelet', () => {
  it('registers nodes with capacity, labels, addresses, conditions and a pod CIDR each, and their leases', async () => {
    const { env: e, kubelet: k } = await start({ nodes: 4 });
    expect(k.nodeNames()).toEqual(['east-node-1', 'east-node-2', 'east-node-3', 'east-node-4']);
    const nodes = (await e.client.list(resources.nodes)).items;
    expect(nodes).toHaveLength(4);
    const zones = nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']);
    expect(zones).toEqual(['europe-a', 'europe-b', 'europe-c', 'europe-a']);
    const n1 = nodes.find((n) => n.metadata.name === 'east-node-1')!;
    expect(n1.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'east-node-1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/region': 'europe',
      'node.kubernetes.io/instance-type': 'sim.xlarge',
    });
    const status = n1.status as {
      capacity: Record<string, string>;
      allocatable: Record<string, string>;
      nodeInfo: { kubeletVersion: string };
      addresses: unknown[];
      conditions: Condition[];
    };
    expect(status.capacity).toMatchObject({ cpu: '16', pods: '110', memory: `${64 * 1024 * 1024}Ki` });
    expect(status.allocatable).toMatchObject({
      cpu: '16',
      pods: '110',
      memory: `${64 * 1024 * 1024 - 100 * 1024}Ki`,
    });
    expect(status.nodeInfo.kubeletVersion).toBe('v1.33.0');
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'east-node-1' },
    ]);
    expect(Object.fromEntries((status.conditions as Condition[]).map((c) => [c.type, c.status]))).toEqual({
      MemoryPressure: 'False',
      DiskPressure: 'False',
      PIDPressure: 'False',
      Ready: 'True',
    });
    const cidrs = nodes.map((n) => (n.spec as { podCIDR: string }).podCIDR).sort();
    expect(cidrs).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
    const leases = (await e.client.list(resources.leases, { namespace: 'kube-node-lease' })).items;
    expect(leases.map((l) => l.metadata.name).sort()).toEqual(k.nodeNames());
    expect(leases[0]!.spec).toMatchObject({ leaseDurationSeconds: 40 });
    expect((leases[0]!.spec as { holderIdentity: string }).holderIdentity).toBe(leases[0]!.metadata.name);
    expect(leases[0]!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Node',
      name: leases[0]!.metadata.name,
    });
  });

  it('offers GPUs when the shape has them', async () => {
    const { env: e } = await start({
      nodes: 1,
      nodeShape: {
        instanceType: 'g',
        cpu: '8',
        memory: '32Gi',
        pods: 50,
        ephemeralStorage: '100Gi',
        gpus: 2,
      },
    });
    const [node] = (await e.client.list(resources.nodes)).items;
    expect((node!.status as { allocatable: Record<string, string> }).allocatable['nvidia.com/gpu']).toBe('2');
  });

  it('renews each lease every heartbeat period', async () => {
    const { env: e } = await start({ nodes: 2, heartbeatIntervalMs: 100 });
    const renewTime = async () =>
      (
        (await e.client.get(resources.leases, 'east-node-2', { namespace: 'kube-node-lease' })).spec as {
          renewTime: string;
        }
      ).renewTime;
    const first = await renewTime();
    await until('a renewal', async () => (await renewTime()) !== first);
  });

  it('runs a bound pod: Running and Ready with an address from its node range', async () => {
    const { env: e } = await start({ nodes: 2 });
    await e.client.create(resources.pods, podObject('web', 'east-node-2'));
    const pod = await until('Running', async () => {
      const p = await getPod(e, 'web');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.hostIP).toBe('172.18.0.3');
    const range = parseCidr('10.244.1.0/24');
    const ip = pod.status.podIP!.split('.').map(Number);
    expect(ip.reduce((a, o) => a * 256 + o, 0) - range.base).toBeGreaterThan(1);
    expect(pod.status.podIP!.startsWith('10.244.1.')).toBe(true);
    expect(pod.status.containerStatuses![0]).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
    });
    // Once running, nothing changes: the kubelet does not keep rewriting the same status.
    const rv = pod.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 400));
    expect((await getPod(e, 'web')).metadata.resourceVersion).toBe(rv);
  });

  it('gives every pod on a node its own address', async () => {
    const { env: e } = await start({ nodes: 1 });
    for (let i = 0; i < 20; i++) await e.client.create(resources.pods, podObject(`p${i}`, 'east-node-1'));
    const ips = await until('all running', async () => {
      const list = (await e.client.list(resources.pods, { namespace: 'default' })).items as (KubeObject & {
        status: PodStatus;
      })[];
      return list.every((p) => p.status.phase === 'Running') ? list.map((p) => p.status.podIP) : undefined;
    });
    expect(new Set(ips).size).toBe(20);
  });

  it('completes a Job pod and crash-loops a pod that asks for it', async () => {
    const { env: e } = await start({ nodes: 1 });
    const job = podObject('job-pod', 'east-node-1', { spec: { restartPolicy: 'Never' } });
    job.metadata.ownerReferences = [
      { apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u1', controller: true },
    ];
    await e.client.create(resources.pods, job);
    await e.client.create(
      resources.pods,
      podObject('crasher', 'east-node-1', { annotations: { 'sim.concord.dev/crash-loop': 'true' } }),
    );
    const done = await until('Succeeded', async () => {
      const p = await getPod(e, 'job-pod');
      return p.status.phase === 'Succeeded' ? p : undefined;
    });
    expect(done.status.containerStatuses![0]!.state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    const looping = await until('restarts', async () => {
      const p = await getPod(e, 'crasher');
      const c = p.status.containerStatuses?.[0];
      return c && c.restartCount >= 2 && c.state.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    expect(looping.status.phase).toBe('Running');
    expect(looping.status.containerStatuses![0]!.lastState.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
    // Recorded as a kubelet records it: a Warning from the node's kubelet about the pod.
    const backOff = await until('a BackOff event', async () =>
      (await e.client.list(resources.events, { namespace: 'default' })).items.find(
        (ev) => (ev as { reason?: string }).reason === 'BackOff',
      ),
    );
    expect(backOff).toMatchObject({
      type: 'Warning',
      source: { component: 'kubelet', host: 'east-node-1' },
      involvedObject: { kind: 'Pod', name: 'crasher' },
    });
  });

  it('stops and removes a deleted pod, honouring the stop delay', async () => {
    const { env: e } = await start({ nodes: 1 });
    await e.client.create(
      resources.pods,
      podObject('slow-stop', 'east-node-1', { annotations: { 'sim.concord.dev/stop-delay': '600ms' } }),
    );
    await until('Running', async () => (await getPod(e, 'slow-stop')).status.phase === 'Running');
    const deletedAt = Date.now();
    await e.client.delete(resources.pods, 'slow-stop', { namespace: 'default', gracePeriodSeconds: 30 });
    const terminating = await getPod(e, 'slow-stop');
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await until('gone', async () => {
      try {
        await getPod(e, 'slow-stop');
        return undefined;
      } catch {
        return true;
      }
    });
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(550);
  });

  it('stops heartbeats and pod updates of a failed node, and resumes them when healed', async () => {
    const { env: e, kubelet: k } = await start({ nodes: 2, heartbeatIntervalMs: 100 });
    const renewTime = async (node: string) =>
      (
        (await e.client.get(resources.leases, node, { namespace: 'kube-node-lease' })).spec as {
          renewTime: string;
        }
      ).renewTime;
    k.failNode('east-node-1');
    await new Promise((r) => setTimeout(r, 150));
    const frozen = await renewTime('east-node-1');
    await e.client.create(resources.pods, podObject('stuck', 'east-node-1'));
    await e.client.create(resources.pods, podObject('fine', 'east-node-2'));
    await until(
      'the healthy node runs its pod',
      async () => (await getPod(e, 'fine')).status.phase === 'Running',
    );
    const other = await renewTime('east-node-2');
    await until('the healthy node renews', async () => (await renewTime('east-node-2')) !== other);
    expect(await renewTime('east-node-1')).toBe(frozen);
    expect((await getPod(e, 'stuck')).status.phase).toBe('Pending');
    expect(k.nodeState('east-node-1')?.failed).toBe(true);

    // The control plane marks the node unknown meanwhile (as the node lifecycle controller would).
    const node = await e.client.get(resources.nodes, 'east-node-1');
    const status = node.status as { conditions: Condition[] };
    status.conditions = status.conditions.map((c) =>
      c.type === 'Ready'
        ? {
            ...c,
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
          }
        : c,
    );
    await e.client.update(resources.nodes, node, { subresource: 'status' });

    k.healNode('east-node-1');
    await until('renewals again', async () => (await renewTime('east-node-1')) !== frozen);
    await until('the pod runs', async () => (await getPod(e, 'stuck')).status.phase === 'Running');
    await until(
      'the node reports Ready again',
      async () => condition(await e.client.get(resources.nodes, 'east-node-1'), 'Ready')?.status === 'True',
    );
  });

  it('adds and removes nodes', async () => {
    const { env: e, kubelet: k } = await start({ nodes: 1 });
    const name = await k.addNode({ labels: { pool: 'gpu' }, zone: 'europe-z' });
    expect(name).toBe('east-node-2');
    const node = await e.client.get(resources.nodes, name);
    expect(node.metadata.labels).toMatchObject({ pool: 'gpu', 'topology.kubernetes.io/zone': 'europe-z' });
    await k.removeNode(name);
    await expect(e.client.get(resources.nodes, name)).rejects.toMatchObject({ code: 404 });
    await expect(
      e.client.get(resources.leases, name, { namespace: 'kube-node-lease' }),
    ).rejects.toMatchObject({
      code: 404,
    });
    expect(() => k.failNode(name)).toThrow(/no node "east-node-2"/);
  });

  it('picks up where it left off after a restart: same nodes and ranges, running pods untouched', async () => {
    const { env: e, kubelet: first } = await start({ nodes: 2 });
    await e.client.create(resources.pods, podObject('keep', 'east-node-2'));
    const running = await until('Running', async () => {
      const p = await getPod(e, 'keep');
      return p.status.phase === 'Running' ? p : undefined;
    });
    const nodeRv = (await e.client.get(resources.nodes, 'east-node-2')).spec;
    await first.stop();
    kubelet = new SimKubelet({
      cluster: 'east',
      region: 'europe',
      client: e.client,
      informers: e.informers,
      ticker: ticker!,
      nodes: 2,
      timings: { startDelayMs: 20 },
    });
    await kubelet.start();
    expect(kubelet.nodeNames().sort()).toEqual(['east-node-1', 'east-node-2']);
    expect((await e.client.get(resources.nodes, 'east-node-2')).spec).toEqual(nodeRv);
    // A new pod on the same node does not get the address the running one has.
    await e.client.create(resources.pods, podObject('next', 'east-node-2'));
    const next = await until('Running', async () => {
      const p = await getPod(e, 'next');
      return p.status.phase === 'Running' ? p : undefined;
    });
    expect(next.status.podIP).not.toBe(running.status.podIP);
    expect((await getPod(e, 'keep')).metadata.resourceVersion).toBe(running.metadata.resourceVersion);
  });

  it('refuses more nodes than its address ranges hold', () => {
    expect(
      () =>
        new SimKubelet({
          cluster: 'x',
          region: 'r',
          client: {} as never,
          informers: {} as never,
          nodes: 5,
          podCIDR: '10.0.0.0/22',
        }),
    ).toThrow(/5 nodes do not fit: pod CIDR 10.0.0.0\/22 holds 4/);
  });
});
