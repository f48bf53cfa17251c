import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpsClient } from '../client/https.js';
import { NetworkError } from '../client/network-error.js';
import { resources } from '../client/resources.js';
import type { Condition, KubeObject } from '../machinery/object.js';
import { SimCluster } from './cluster.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-sim-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function cluster(
  opts: Partial<Parameters<typeof SimCluster.start>[0]> & { dataDir: string },
): Promise<SimCluster> {
  const c = await SimCluster.start({
    name: 'east',
    region: 'europe',
    nodes: 2,
    kubelet: { timings: { startDelayMs: 20 } },
    ...opts,
  });
  cleanups.push(() => c.stop());
  return c;
}

async function client(c: SimCluster, timeoutMs = 10_000): Promise<HttpsClient> {
  const k = await HttpsClient.fromKubeconfigFile(c.kubeconfigPath, undefined, { timeoutMs });
  cleanups.push(async () => k.close());
  return k;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function failure(p: Promise<unknown>): Promise<NetworkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NetworkError) return err;
    throw err;
  }
  throw new Error('the request succeeded');
}

function pod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

describe('SimCluster', () => {
  it('serves HTTPS from its own kubeconfig, with its nodes registered and pods scheduled and running', async () => {
    const dir = await dataDir();
    const c = await cluster({ dataDir: dir });
    expect(c.kubeconfigPath).toBe(join(dir, 'clusters', 'east.kubeconfig'));
    const text = await readFile(c.kubeconfigPath, 'utf8');
    expect(text).toContain(c.url);
    const k = await client(c);
    const nodes = (await k.list(resources.nodes)).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(['east-node-1', 'east-node-2']);
    await k.create(resources.pods, pod('web'));
    const running = await until('the pod running', async () => {
      const p = await k.get(resources.pods, 'web', { namespace: 'default' });
      const ready = ((p.status as { conditions?: Condition[] }).conditions ?? []).find(
        (x) => x.type === 'Ready',
      );
      return ready?.status === 'True' ? p : undefined;
    });
    expect((running.spec as { nodeName: string }).nodeName).toMatch(/^east-node-[12]$/);
  });

  it('refuses connections while down, and serves again when healed', async () => {
    const c = await cluster({ dataDir: await dataDir() });
    const k = await client(c);
    await k.list(resources.namespaces);
    await c.inject('down');
    expect(c.faults()).toEqual({ network: 'down', failedNodes: [] });
    const err = await failure(k.list(resources.namespaces));
    expect(err.reason).toBe('ConnectionRefused');
    await c.heal();
    await until('served again', async () => (await k.list(resources.namespaces)).items.length > 0);
  });

  it('lets requests hang while partitioned, until the client times out; watches go silent', async () => {
    const c = await cluster({ dataDir: await dataDir() });
    const k = await client(c, 1500);
    const listed = await k.list(resources.configmaps, { namespace: 'default' });
    const cut: (Error | undefined)[] = [];
    const open = await k.watch(
      resources.configmaps,
      { namespace: 'default' },
      { onEvent: () => {}, onClose: (err) => cut.push(err) },
    );
    cleanups.push(async () => open.stop());
    await c.inject('partition');
    // A connection opened while healthy goes straight to the API server: it is cut.
    await until('the open watch cut', async () => cut.length > 0);
    const err = await failure(k.list(resources.namespaces));
    expect(err.reason).toBe('Timeout');
    // A watch started across the partition (resuming where the list left off, as an informer
    // does) waits, and so does a change made meanwhile (in-process).
    const patient = await client(c);
    const events: string[] = [];
    const resumed = patient.watch(
      resources.configmaps,
      { namespace: 'default', resourceVersion: listed.metadata.resourceVersion },
      {
        onEvent: (e) => events.push(`${e.type} ${(e.object as KubeObject).metadata.name}`),
        onClose: () => {},
      },
    );
    cleanups.push(async () => (await resumed).stop());
    await c.client.create(resources.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'during', namespace: 'default' },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual([]);
    await c.heal();
    await until('the held event arrives', async () => events.includes('ADDED during'));
    await k.list(resources.namespaces);
  });

  it('adds latency to every request while slow', async () => {
    const c = await cluster({ dataDir: await dataDir() });
    const k = await client(c);
    await k.list(resources.namespaces);
    await c.inject('slow', { latencyMs: 400 });
    expect(c.faults()).toEqual({ network: 'slow', latencyMs: 400, failedNodes: [] });
    const started = Date.now();
    await k.get(resources.namespaces, 'default');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await c.heal();
    expect(c.faults().network).toBe('up');
  });

  it('keeps every object, its port and credentials across a restart with the sqlite store', async () => {
    const dir = await dataDir();
    const first = await SimCluster.start({
      name: 'keep',
      dataDir: dir,
      store: 'sqlite',
      nodes: 2,
      kubelet: { timings: { startDelayMs: 20 } },
    });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await first.stop();
    });
    const k1 = await client(first);
    await k1.create(resources.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default' },
      data: { a: '1' },
    });
    await k1.create(resources.pods, pod('survivor'));
    const runningBefore = await until('running', async () => {
      const p = await k1.get(resources.pods, 'survivor', { namespace: 'default' });
      return (p.status as { phase?: string }).phase === 'Running' ? p : undefined;
    });
    const port = first.port;
    k1.close();
    await first.stop();
    stopped = true;

    const second = await SimCluster.start({ name: 'keep', dataDir: dir, store: 'sqlite', nodes: 2 });
    cleanups.push(() => second.stop());
    expect(second.port).toBe(port);
    const k2 = await client(second);
    const cm = await k2.get(resources.configmaps, 'settings', { namespace: 'default' });
    expect(cm.data).toEqual({ a: '1' });
    const p = await k2.get(resources.pods, 'survivor', { namespace: 'default' });
    expect((p.status as { podIP?: string }).podIP).toBe((runningBefore.status as { podIP?: string }).podIP);
    expect((await k2.list(resources.nodes)).items).toHaveLength(2);
  });

  it('rejects a bad name', async () => {
    await expect(SimCluster.start({ name: 'Bad_Name', dataDir: await dataDir() })).rejects.toThrow(
      /cluster name "Bad_Name"/,
    );
  });
});
