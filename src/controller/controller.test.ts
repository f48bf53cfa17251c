import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { pod } from '../client/conformance.testing.js';
import { Informer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { startTestCluster, type TestCluster } from '../client/support.testing.js';
import { errors } from '../machinery/status.js';
import { Controller, ownerKeysOf, type ReconcileResult } from './controller.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A pino logger writing JSON lines into an array. */
function capturingLogger(level = 'warn') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const v = (
    metric?.values as { labels: Record<string, string | number>; value: number }[] | undefined
  )?.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}

describe('Controller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reconciles keys with bounded concurrency, never one key twice at once', async () => {
    const running = new Set<string>();
    let maxConcurrent = 0;
    let overlaps = 0;
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const calls: string[] = [];
    const c = new Controller({
      name: 'concurrency',
      workers: 2,
      reconcile: async (key) => {
        if (running.has(key)) overlaps++;
        running.add(key);
        maxConcurrent = Math.max(maxConcurrent, running.size);
        calls.push(key);
        const gate = deferred();
        gates.set(key, gate);
        await gate.promise;
        running.delete(key);
      },
    });
    c.enqueue('a');
    c.enqueue('b');
    c.enqueue('c');
    c.start();
    await vi.waitFor(() => expect(running.size).toBe(2));
    // 'a' is in progress: adding it again waits for that run to finish.
    c.enqueue('a');
    c.enqueue('a');
    gates.get('b')!.resolve();
    await vi.waitFor(() => expect(calls).toEqual(['a', 'b', 'c']));
    gates.get('a')!.resolve();
    await vi.waitFor(() => expect(calls).toEqual(['a', 'b', 'c', 'a']));
    gates.get('c')!.resolve();
    gates.get('a')!.resolve();
    await c.stop();
    expect(overlaps).toBe(0);
    expect(maxConcurrent).toBe(2);
  });

  it('retries a failing reconcile with growing backoff, and forgets it on success', async () => {
    vi.useFakeTimers();
    const times: number[] = [];
    let failuresLeft = 4;
    const start = Date.now();
    const c = new Controller({
      name: 'backoff',
      logLevel: 'silent',
      reconcile: () => {
        times.push(Date.now() - start);
        if (failuresLeft-- > 0) throw new Error('not yet');
      },
    });
    c.start();
    c.enqueue('k');
    await vi.advanceTimersByTimeAsync(1000);
    // Tries at 0, then after 5, 10, 20, 40 ms of backoff; the fifth succeeds.
    expect(times).toEqual([0, 5, 15, 35, 75]);
    expect(c.queue.numRequeues('k')).toBe(0);
    await c.stop();
  });

  it('requeues after requeueAfter, and {requeue: true} through the backoff', async () => {
    vi.useFakeTimers();
    const results: (ReconcileResult | undefined)[] = [
      { requeueAfter: 30_000 },
      { requeue: true },
      { requeue: true },
      undefined,
    ];
    const times: number[] = [];
    const start = Date.now();
    const c = new Controller({
      name: 'requeue',
      reconcile: () => {
        times.push(Date.now() - start);
        return results.shift();
      },
    });
    c.start();
    c.enqueue('k');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(times).toEqual([0, 30_000, 30_005, 30_015]);
    await c.stop();
  });

  it('stop() waits for the reconcile in progress; drain also finishes what is queued', async () => {
    const gate = deferred();
    const done: string[] = [];
    const c = new Controller({
      name: 'stop',
      reconcile: async (key) => {
        if (key === 'slow') await gate.promise;
        done.push(key);
      },
    });
    c.enqueue('slow');
    c.start();
    await vi.waitFor(() => expect(c.queue.processingLen()).toBe(1));
    c.enqueue('queued');
    let stopped = false;
    const stopping = c.stop({ drain: true }).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(done).toEqual(['slow', 'queued']);

    const gate2 = deferred();
    const done2: string[] = [];
    const quick = new Controller({
      name: 'stop-now',
      reconcile: async (key) => {
        if (key === 'slow') await gate2.promise;
        done2.push(key);
      },
    });
    quick.enqueue('slow');
    quick.start();
    await vi.waitFor(() => expect(quick.queue.processingLen()).toBe(1));
    quick.enqueue('queued');
    const stoppingNow = quick.stop();
    gate2.resolve();
    await stoppingNow;
    expect(done2).toEqual(['slow']);
  });

  it('exports queue and reconcile metrics with controller and cluster labels, removed on stop', async () => {
    const registry = new Registry();
    let n = 0;
    const c = new Controller({
      name: 'measured',
      cluster: 'east',
      metrics: registry,
      logLevel: 'silent',
      reconcile: (key) => {
        n++;
        if (key === 'bad' && n < 3) throw new Error('boom');
        if (key === 'later') return { requeueAfter: 60_000 };
        return undefined;
      },
    });
    // A second controller in the same registry does not clash.
    const other = new Controller({
      name: 'other',
      cluster: 'west',
      metrics: registry,
      reconcile: () => undefined,
    });
    c.enqueue('good');
    c.enqueue('bad');
    c.enqueue('later');
    expect(await metricValue(registry, 'workqueue_depth', { name: 'measured', cluster: 'east' })).toBe(3);
    c.start();
    await vi.waitFor(async () =>
      expect(
        await metricValue(registry, 'controller_runtime_reconcile_total', {
          controller: 'measured',
          result: 'success',
        }),
      ).toBe(2),
    );
    const labels = { controller: 'measured', cluster: 'east' };
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_total', { ...labels, result: 'error' }),
    ).toBe(1);
    expect(
      await metricValue(registry, 'controller_runtime_reconcile_total', {
        ...labels,
        result: 'requeue_after',
      }),
    ).toBe(1);
    expect(await metricValue(registry, 'controller_runtime_reconcile_errors_total', labels)).toBe(1);
    expect(
      await metricValue(registry, 'workqueue_retries_total', { name: 'measured', cluster: 'east' }),
    ).toBe(1);
    expect(await metricValue(registry, 'workqueue_adds_total', { name: 'measured', cluster: 'east' })).toBe(
      4,
    );
    expect(await metricValue(registry, 'workqueue_depth', { name: 'measured', cluster: 'east' })).toBe(0);
    const text = await registry.metrics();
    expect(text).toContain(
      'controller_runtime_reconcile_time_seconds_count{controller="measured",cluster="east"} 4',
    );
    expect(text).toContain('workqueue_work_duration_seconds_count{name="measured",cluster="east"} 4');
    expect(text).toContain('workqueue_unfinished_work_seconds{name="measured",cluster="east"} 0');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="other",cluster="west"} 0');

    await c.stop();
    const after = await registry.metrics();
    expect(after).not.toContain('cluster="east"');
    expect(after).toContain('cluster="west"');
    await other.stop();
  });

  it('logs failed reconciles at warn with controller and key; quiet otherwise', async () => {
    const { logger, lines } = capturingLogger();
    let calls = 0;
    const c = new Controller({
      name: 'logged',
      logger,
      rateLimiter: { when: () => 60_000, forget: () => undefined, numRequeues: () => 1 },
      reconcile: (key, ctx) => {
        calls++;
        ctx.logger.info('reconciling');
        if (key === 'conflict') throw errors.staleResourceVersion('', 'configmaps', 'x');
        if (key === 'ns/broken') throw new Error('something broke');
      },
    });
    c.enqueue('ns/fine');
    c.enqueue('ns/broken');
    c.enqueue('conflict');
    c.start();
    await vi.waitFor(() => expect(calls).toBe(3));
    await c.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      controller: 'logged',
      key: 'ns/broken',
      msg: 'reconcile failed',
    });
    expect((lines[0]!.err as { message: string }).message).toBe('something broke');
  });

  it('rejects bad options', () => {
    expect(() => new Controller({ name: '', reconcile: () => undefined })).toThrow(/name/);
    expect(() => new Controller({ name: 'x', reconcile: () => undefined, workers: 0 })).toThrow(/workers/);
  });
});

describe('ownerHandler with delayMs', () => {
  const owned = (name: string, owner: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true },
      ],
    },
  });

  it('gathers additions and changes for the delay, and passes deletions on at once', async () => {
    const seen: string[] = [];
    const c = new Controller({ name: 'gather', reconcile: (key) => void seen.push(key) });
    const handler = c.ownerHandler(resources.replicasets, {
      delayMs: (key) => (key === 'ns/slow' ? 60_000 : 50),
    });
    c.start();
    // Three changes of the owner's objects within its delay: one reconcile.
    handler.onAdd!(owned('a', 'fast'), false);
    handler.onUpdate!(owned('a', 'fast'), owned('a', 'fast'));
    handler.onAdd!(owned('b', 'fast'), false);
    // An owner with a long delay is not reconciled for an addition, but is for a deletion.
    handler.onAdd!(owned('c', 'slow'), false);
    await vi.waitFor(() => expect(seen).toContain('ns/fast'));
    handler.onDelete!(owned('d', 'gone'));
    await vi.waitFor(() => expect(seen).toContain('ns/gone'));
    await c.stop();
    expect(seen.filter((k) => k === 'ns/fast')).toHaveLength(1);
    expect(seen).not.toContain('ns/slow');
  });
});

describe('Controller with informers', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster('controller');
  });
  afterAll(() => cluster.close());

  it('enqueues object keys and controlling owners from informer events', async () => {
    const client = cluster.inProcess;
    const seen: string[] = [];
    const c = new Controller({ name: 'rs', reconcile: (key) => void seen.push(key) });
    const pods = new Informer(client, resources.pods, { namespace: 'default' });
    pods.addEventHandler(c.ownerHandler(resources.replicasets));
    const cms = new Informer(client, resources.configmaps, { namespace: 'default' });
    cms.addEventHandler(c.objectHandler());
    pods.start();
    cms.start();
    c.start();
    await pods.waitForSync();
    await cms.waitForSync();
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web-abc',
      uid: '0b7b5d3e-1111-4a4a-9c9c-000000000001',
      controller: true,
    };
    await client.create(
      resources.pods,
      { ...pod('web-abc-1'), metadata: { name: 'web-abc-1', ownerReferences: [owner] } },
      { namespace: 'default' },
    );
    // Owned but not controlled, or owned by another kind: not this controller's business.
    await client.create(
      resources.pods,
      {
        ...pod('other'),
        metadata: {
          name: 'other',
          ownerReferences: [
            { ...owner, controller: false },
            { ...owner, kind: 'Job', apiVersion: 'batch/v1' },
          ],
        },
      },
      { namespace: 'default' },
    );
    await client.create(
      resources.configmaps,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } },
      { namespace: 'default' },
    );
    await vi.waitFor(() => expect([...seen].sort()).toEqual(['default/cfg', 'default/web-abc']));
    pods.stop();
    cms.stop();
    await c.stop();

    expect(
      ownerKeysOf(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'p',
            namespace: 'ns',
            ownerReferences: [{ ...owner, kind: 'Node', apiVersion: 'v1', name: 'n1' }],
          },
        },
        resources.nodes,
      ),
    ).toEqual(['n1']);
  });
});
