import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { getOrUndefined, waitFor } from '../core.testing.js';
import { startGarbageCollector } from '../gc/garbage-collector.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type Endpoints, startEndpointsController } from './endpoints-controller.js';
import { type EndpointSlice, startEndpointSliceController } from './endpointslice-controller.js';

const NS = 'default';

function node(name: string, zone: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone, 'kubernetes.io/hostname': name } },
  };
}

function podSpec(name: string, app: string, nodeName: string, httpPort: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app } },
    spec: {
      nodeName,
      containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: httpPort }] }],
    },
  };
}

describe('EndpointSlice and Endpoints controllers', () => {
  let env: KubeTestEnv;
  const running: RunningController[] = [];

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'endpoints' });
    running.push(
      startEndpointSliceController(env.ctx),
      startEndpointsController(env.ctx),
      startGarbageCollector(env.ctx),
    );
    env.informers.start();
    await env.client.create(resources.nodes, node('node-a', 'zone-1'));
    await env.client.create(resources.nodes, node('node-b', 'zone-2'));
  });
  afterAll(async () => {
    for (const r of running) await r.stop();
    await env.close();
  });

  const c = () => env.client;
  let nextIP = 10;

  /** Plays the kubelet: the pod runs with an IP, ready or not. */
  async function setStatus(name: string, ready: boolean): Promise<void> {
    const pod = await c().get(resources.pods, name, { namespace: NS });
    const status = (pod.status ?? {}) as Record<string, unknown>;
    const ip = (status.podIP as string | undefined) ?? `10.244.0.${nextIP++}`;
    pod.status = {
      ...status,
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    };
    await c().update(resources.pods, pod, { namespace: NS, subresource: 'status' });
  }

  async function runningPod(name: string, app: string, nodeName: string, ready: boolean, httpPort = 8080) {
    await c().create(resources.pods, podSpec(name, app, nodeName, httpPort), { namespace: NS });
    await setStatus(name, ready);
    return c().get(resources.pods, name, { namespace: NS });
  }

  async function slicesOf(service: string): Promise<EndpointSlice[]> {
    const list = await c().list<EndpointSlice>(resources.endpointslices, {
      namespace: NS,
      labelSelector: `kubernetes.io/service-name=${service}`,
    });
    return list.items;
  }

  const allEndpoints = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints ?? []);

  it('publishes selected pods with their conditions, node, zone and ports, and follows readiness', async () => {
    const p0 = await runningPod('web-0', 'web', 'node-a', true);
    await runningPod('web-1', 'web', 'node-b', false);
    await runningPod('other', 'other', 'node-a', true);
    const svc = await c().create<KubeObject>(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: NS, labels: { tier: 'front' } },
        spec: {
          selector: { app: 'web' },
          ports: [
            { name: 'http', port: 80, targetPort: 'http' },
            { name: 'metrics', port: 9090, targetPort: 9090 },
          ],
        },
      },
      { namespace: NS },
    );

    const slices = await waitFor('slices with both pods', async () => {
      const s = await slicesOf('web');
      return allEndpoints(s).length === 2 ? s : undefined;
    });
    expect(slices).toHaveLength(1);
    const slice = slices[0]!;
    expect(slice.addressType).toBe('IPv4');
    expect(slice.metadata.labels).toEqual({
      tier: 'front',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice.metadata.name).toMatch(/^web-/);
    expect(slice.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        uid: svc.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect([...slice.ports!].sort((a, b) => a.port - b.port)).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ]);
    const e0 = slice.endpoints!.find((e) => e.targetRef?.name === 'web-0')!;
    expect(e0).toEqual({
      addresses: [(p0.status as { podIP: string }).podIP],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NS, name: 'web-0', uid: p0.metadata.uid },
      nodeName: 'node-a',
      zone: 'zone-1',
    });
    const e1 = slice.endpoints!.find((e) => e.targetRef?.name === 'web-1')!;
    expect(e1.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(e1.zone).toBe('zone-2');

    // The legacy Endpoints: ready and not-ready addresses.
    const ep = await waitFor('Endpoints', async () => {
      const got = await getOrUndefined<Endpoints>(c(), resources.endpoints, 'web', NS);
      return got?.subsets?.length ? got : undefined;
    });
    expect(ep.metadata.labels).toEqual({ tier: 'front' });
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.addresses!.map((a) => a.targetRef!.name)).toEqual(['web-0']);
    expect(ep.subsets![0]!.notReadyAddresses!.map((a) => a.targetRef!.name)).toEqual(['web-1']);
    expect(ep.subsets![0]!.addresses![0]!.nodeName).toBe('node-a');

    // web-1 becomes ready; web-0 stops being ready.
    await setStatus('web-1', true);
    await setStatus('web-0', false);
    await waitFor('readiness to follow', async () => {
      const eps = allEndpoints(await slicesOf('web'));
      const byName = new Map(eps.map((e) => [e.targetRef!.name, e.conditions.ready]));
      return byName.get('web-0') === false && byName.get('web-1') === true;
    });
    await waitFor('Endpoints to follow', async () => {
      const got = await c().get<Endpoints>(resources.endpoints, 'web', { namespace: NS });
      const s = got.subsets?.[0];
      return (
        s?.addresses?.[0]?.targetRef?.name === 'web-1' &&
        s?.notReadyAddresses?.[0]?.targetRef?.name === 'web-0'
      );
    });

    // A pod that goes away leaves; a new one arrives.
    await c().delete(resources.pods, 'web-0', { namespace: NS, gracePeriodSeconds: 0 });
    await runningPod('web-2', 'web', 'node-a', true);
    await waitFor('web-0 out and web-2 in', async () => {
      const names = allEndpoints(await slicesOf('web'))
        .map((e) => e.targetRef!.name)
        .sort();
      return names.join() === 'web-1,web-2';
    });
  });

  it('marks terminating pods, and splits pods whose named ports differ', async () => {
    await runningPod('split-a', 'split', 'node-a', true, 8080);
    await runningPod('split-b', 'split', 'node-b', true, 8081);
    await c().create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'split', namespace: NS },
        spec: { selector: { app: 'split' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
      { namespace: NS },
    );
    const slices = await waitFor('two slices', async () => {
      const s = await slicesOf('split');
      return s.length === 2 && allEndpoints(s).length === 2 ? s : undefined;
    });
    const ports = slices.map((s) => s.ports![0]!.port).sort();
    expect(ports).toEqual([8080, 8081]);
    const ep = await waitFor('Endpoints with two subsets', async () => {
      const got = await getOrUndefined<Endpoints>(c(), resources.endpoints, 'split', NS);
      return got?.subsets?.length === 2 ? got : undefined;
    });
    expect(ep.subsets!.map((s) => s.ports![0]!.port).sort()).toEqual([8080, 8081]);

    // A pod being deleted (held by a finalizer) is terminating: not ready, still serving.
    await c().patch(resources.pods, 'split-a', { metadata: { finalizers: ['example.com/hold'] } }, 'merge', {
      namespace: NS,
    });
    await c().delete(resources.pods, 'split-a', { namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('the terminating condition', async () => {
      const e = allEndpoints(await slicesOf('split')).find((x) => x.targetRef?.name === 'split-a');
      return (
        e?.conditions.terminating === true && e.conditions.ready === false && e.conditions.serving === true
      );
    });
    await waitFor('Endpoints to drop the terminating pod', async () => {
      const got = await c().get<Endpoints>(resources.endpoints, 'split', { namespace: NS });
      return got.subsets?.length === 1;
    });
    await c().patch(resources.pods, 'split-a', { metadata: { finalizers: null } }, 'merge', {
      namespace: NS,
    });
  });

  it('publishes not-ready addresses when asked, and serves headless services without ports', async () => {
    await runningPod('db-0', 'db', 'node-a', false);
    await c().create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: NS },
        spec: { clusterIP: 'None', selector: { app: 'db' }, publishNotReadyAddresses: true },
      },
      { namespace: NS },
    );
    const slices = await waitFor('a headless slice', async () => {
      const s = await slicesOf('db');
      return allEndpoints(s).length === 1 ? s : undefined;
    });
    expect(slices[0]!.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(slices[0]!.ports ?? []).toEqual([]);
    expect(slices[0]!.endpoints![0]!.conditions).toEqual({ ready: true, serving: false, terminating: false });
    const ep = await waitFor('headless Endpoints', async () => {
      const got = await getOrUndefined<Endpoints>(c(), resources.endpoints, 'db', NS);
      return got?.subsets?.length ? got : undefined;
    });
    expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          expect.objectContaining({
            targetRef: expect.objectContaining({ name: 'db-0' }),
            nodeName: 'node-a',
          }),
        ],
      },
    ]);
  });

  it('keeps one placeholder slice for a service without endpoints, and cleans up after the service', async () => {
    await c().create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'lonely', namespace: NS },
        spec: { selector: { app: 'nobody' }, ports: [{ port: 80 }] },
      },
      { namespace: NS },
    );
    const [placeholder] = await waitFor('a placeholder', async () => {
      const s = await slicesOf('lonely');
      return s.length === 1 ? s : undefined;
    });
    expect(placeholder!.endpoints ?? []).toEqual([]);
    expect(placeholder!.ports ?? []).toEqual([]);
    const ep = await waitFor('empty Endpoints', () =>
      getOrUndefined<Endpoints>(c(), resources.endpoints, 'lonely', NS),
    );
    expect(ep.subsets ?? []).toEqual([]);

    // A pod arrives: the placeholder becomes its slice (rewritten, not replaced).
    await runningPod('lonely-0', 'nobody', 'node-b', true);
    const [filled] = await waitFor('the pod in the slice', async () => {
      const s = await slicesOf('lonely');
      return s.length === 1 && allEndpoints(s).length === 1 ? s : undefined;
    });
    expect(filled!.metadata.name).toBe(placeholder!.metadata.name);

    await c().delete(resources.services, 'lonely', { namespace: NS });
    await waitFor('slices to go with the service', async () => (await slicesOf('lonely')).length === 0);
    await waitFor(
      'Endpoints to go with the service',
      async () => !(await getOrUndefined(c(), resources.endpoints, 'lonely', NS)),
    );
  });

  it('puts at most 100 endpoints in a slice', async () => {
    const n = 105;
    for (let i = 0; i < n; i++) {
      await c().create(resources.pods, podSpec(`many-${i}`, 'many', 'node-a', 8080), { namespace: NS });
      await setStatus(`many-${i}`, true);
    }
    await c().create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'many', namespace: NS },
        spec: { selector: { app: 'many' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
      { namespace: NS },
    );
    const slices = await waitFor('all pods in slices', async () => {
      const s = await slicesOf('many');
      return allEndpoints(s).length === n ? s : undefined;
    });
    expect(slices.map((s) => s.endpoints!.length).sort((a, b) => a - b)).toEqual([5, 100]);
    const ep = await waitFor('Endpoints of all', async () => {
      const got = await getOrUndefined<Endpoints>(c(), resources.endpoints, 'many', NS);
      return got?.subsets?.[0]?.addresses?.length === n ? got : undefined;
    });
    expect(ep.subsets![0]!.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
  });
});
