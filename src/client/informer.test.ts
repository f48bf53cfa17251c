import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveApiServer } from '../apiserver/serving.js';
import type { KubeList, KubeObject } from '../machinery/object.js';
import type { Status } from '../machinery/status.js';
import type {
  Client,
  ListOptions,
  ResourceRef,
  WatchCallbacks,
  WatchHandle,
  WatchOptions,
} from './client.js';
import { configMap, pod } from './conformance.testing.js';
import type { HttpsClient } from './https.js';
import { InProcessClient } from './in-process.js';
import { type EventHandler, Informer } from './informer.js';
import { InformerFactory } from './informer-factory.js';
import { resources } from './resources.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

// Short backoff for tests; the failures they provoke on purpose are not logged.
const fast = { backoff: { initialMs: 20, maxMs: 200 }, logger: pino({ level: 'silent' }) };

/** Records what an informer's handlers were told. */
function recorder<T extends KubeObject = KubeObject>() {
  const log: string[] = [];
  const handler: EventHandler<T> = {
    onAdd: (o, initial) => log.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
    onUpdate: (a, b) =>
      log.push(
        a === b ? `resync ${b.metadata.name}` : `update ${b.metadata.name} ${JSON.stringify(b.data ?? {})}`,
      ),
    onDelete: (o) => log.push(`delete ${o.metadata.name}`),
  };
  return { log, handler, take: () => log.splice(0, log.length) };
}

/**
 * A client that passes everything to a real one, but lets a test cut the informer's watch and
 * hold back the next one (to change the server meanwhile). Counts lists.
 */
class GatedClient implements Client {
  lists = 0;
  private handles = new Set<WatchHandle>();
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  constructor(private readonly inner: Client) {}

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  cut(): void {
    for (const h of this.handles) h.stop();
    this.handles.clear();
  }

  async watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    cb: WatchCallbacks<T>,
  ) {
    if (this.gate) await this.gate;
    const h = await this.inner.watch(ref, opts, cb);
    this.handles.add(h);
    return h;
  }
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOptions): Promise<KubeList<T>> {
    this.lists++;
    return this.inner.list<T>(ref, opts);
  }
  get: Client['get'] = (...a) => this.inner.get(...a);
  create: Client['create'] = (...a) => this.inner.create(...a);
  update: Client['update'] = (...a) => this.inner.update(...a);
  patch: Client['patch'] = (...a) => this.inner.patch(...a);
  apply: Client['apply'] = (...a) => this.inner.apply(...a);
  delete: Client['delete'] = (...a) => this.inner.delete(...a);
  deleteCollection: Client['deleteCollection'] = (...a) => this.inner.deleteCollection(...a);
}

describe('Informer', () => {
  let cluster: TestCluster;
  let admin: InProcessClient;
  const informers: Informer<KubeObject>[] = [];
  const httpsClients: HttpsClient[] = [];
  let nsCount = 0;

  beforeAll(async () => {
    cluster = await startTestCluster('informer');
    admin = cluster.inProcess;
  });
  afterEach(() => {
    for (const i of informers.splice(0)) i.stop();
  });
  afterAll(async () => {
    for (const c of httpsClients) c.close();
    await cluster.close();
  });

  async function namespace(): Promise<string> {
    const ns = `inf${++nsCount}`;
    await admin.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    return ns;
  }

  function track<T extends KubeObject>(i: Informer<T>): Informer<T> {
    informers.push(i as unknown as Informer<KubeObject>);
    return i;
  }

  const transports: [string, () => Client][] = [
    ['in-process', () => admin],
    [
      'https',
      () => {
        const c = cluster.https();
        httpsClients.push(c);
        return c;
      },
    ],
  ];

  for (const [name, clientFor] of transports) {
    it(`sees adds, updates and deletes (${name}), paging through the initial list`, async () => {
      const ns = await namespace();
      for (const n of ['a', 'b', 'c', 'd', 'e'])
        await admin.create(resources.configmaps, configMap(n), { namespace: ns });
      const informer = track(
        new Informer(clientFor(), resources.configmaps, { namespace: ns, pageSize: 2, ...fast }),
      );
      const r = recorder();
      informer.addEventHandler(r.handler);
      informer.start();
      expect(await informer.waitForSync()).toBe(true);
      expect(informer.hasSynced()).toBe(true);
      expect(r.take()).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `add ${n} (initial)`));

      const a = await admin.get(resources.configmaps, 'a', { namespace: ns });
      await admin.update(resources.configmaps, { ...a, data: { v: '2' } });
      await admin.delete(resources.configmaps, 'b', { namespace: ns });
      await admin.create(resources.configmaps, configMap('f'), { namespace: ns });
      await expect.poll(() => r.log).toEqual(['update a {"v":"2"}', 'delete b', 'add f']);
      expect(informer.keys().sort()).toEqual(['a', 'c', 'd', 'e', 'f'].map((n) => `${ns}/${n}`));
      expect(informer.get('a', ns)?.data).toEqual({ v: '2' });
      expect(informer.get('b', ns)).toBeUndefined();
      expect(Number(informer.lastSyncResourceVersion)).toBeGreaterThanOrEqual(
        Number((await admin.get(resources.configmaps, 'f', { namespace: ns })).metadata.resourceVersion),
      );
    });
  }

  it('keeps indexes: by namespace and by custom functions', async () => {
    const ns1 = await namespace();
    const ns2 = await namespace();
    const byNode = (o: KubeObject) => {
      const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
      return node ? [node] : [];
    };
    const informer = track(new Informer(admin, resources.pods, { indexers: { byNode }, ...fast }));
    informer.start();
    await informer.waitForSync();
    await admin.create(
      resources.pods,
      { ...pod('p1'), spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } },
      { namespace: ns1 },
    );
    await admin.create(
      resources.pods,
      { ...pod('p2'), spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'i' }] } },
      { namespace: ns1 },
    );
    await admin.create(
      resources.pods,
      { ...pod('p3'), spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] } },
      { namespace: ns2 },
    );
    await expect
      .poll(() =>
        informer
          .byIndex('byNode', 'n1')
          .map((p) => p.metadata.name)
          .sort(),
      )
      .toEqual(['p1', 'p3']);
    expect(
      informer
        .byIndex('namespace', ns1)
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['p1', 'p2']);
    expect(informer.list({ namespace: ns2 }).map((p) => p.metadata.name)).toEqual(['p3']);
    expect(
      informer
        .list({ labelSelector: 'app in (p1,p2)' })
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['p1', 'p2']);

    await admin.delete(resources.pods, 'p1', { namespace: ns1, gracePeriodSeconds: 0 });
    await expect.poll(() => informer.byIndex('byNode', 'n1').map((p) => p.metadata.name)).toEqual(['p3']);
    // An index added later covers what is cached already.
    informer.addIndexers({ byName: (o) => [o.metadata.name!] });
    expect(informer.byIndex('byName', 'p2')).toHaveLength(1);
  });

  it('relists after the watch gets 410 and hands over only the differences', async () => {
    const ns = await namespace();
    for (const n of ['keep', 'change', 'remove'])
      await admin.create(resources.configmaps, configMap(n), { namespace: ns });
    const gated = new GatedClient(admin);
    const informer = track(new Informer(gated, resources.configmaps, { namespace: ns, ...fast }));
    const r = recorder();
    informer.addEventHandler(r.handler);
    informer.start();
    await informer.waitForSync();
    r.take();

    // The watch ends; while the informer cannot watch again, history it needs is compacted away.
    gated.hold();
    gated.cut();
    const change = await admin.get(resources.configmaps, 'change', { namespace: ns });
    await admin.update(resources.configmaps, { ...change, data: { v: 'new' } });
    await admin.delete(resources.configmaps, 'remove', { namespace: ns });
    await admin.create(resources.configmaps, configMap('added'), { namespace: ns });
    await cluster.store.compact(await cluster.store.currentRevision());
    gated.release();

    await expect
      .poll(() => [...r.log].sort())
      .toEqual(['add added', 'delete remove', 'update change {"v":"new"}']);
    expect(gated.lists).toBe(2);
    // And it watches on from the new listing.
    await admin.create(resources.configmaps, configMap('later'), { namespace: ns });
    await expect.poll(() => r.log.at(-1)).toBe('add later');
  });

  it('resumes from its resourceVersion after the server restarts, and relists if that history is gone', async () => {
    const own = await startTestCluster('informer-restart');
    const client = own.https();
    try {
      const ns = 'default';
      for (const n of ['a', 'b', 'c'])
        await own.inProcess.create(resources.configmaps, configMap(n), { namespace: ns });
      let lists = 0;
      const counting = Object.assign(Object.create(client) as HttpsClient, {
        list: (ref: ResourceRef, opts?: ListOptions) => {
          lists++;
          return client.list(ref, opts);
        },
      });
      const informer = track(new Informer(counting, resources.configmaps, { namespace: ns, ...fast }));
      const r = recorder();
      informer.addEventHandler(r.handler);
      informer.start();
      await informer.waitForSync();
      r.take();

      // Changes made while the server is down (through another server on the same store).
      const whileDown = async (change: (c: InProcessClient) => Promise<void>) => {
        const other = await serveApiServer({
          name: 'informer-restart',
          stateDir: own.stateDir,
          store: own.store,
          port: 0,
        });
        await change(new InProcessClient(other.server));
        await other.close();
      };

      await own.restart(() =>
        whileDown(async (c) => {
          const a = await c.get(resources.configmaps, 'a', { namespace: ns });
          await c.update(resources.configmaps, { ...a, data: { v: '1' } });
          await c.delete(resources.configmaps, 'b', { namespace: ns });
          await c.create(resources.configmaps, configMap('d'), { namespace: ns });
        }),
      );
      await expect
        .poll(() => r.log, { timeout: 20_000 })
        .toEqual(['update a {"v":"1"}', 'delete b', 'add d']);
      // Resumed: the watch replayed what it missed, no new list.
      expect(lists).toBe(1);
      r.take();

      await own.restart(() =>
        whileDown(async (c) => {
          const cc = await c.get(resources.configmaps, 'c', { namespace: ns });
          await c.update(resources.configmaps, { ...cc, data: { v: '2' } });
          await c.delete(resources.configmaps, 'd', { namespace: ns });
          await c.create(resources.configmaps, configMap('e'), { namespace: ns });
          await own.store.compact(await own.store.currentRevision());
        }),
      );
      await expect
        .poll(() => [...r.log].sort(), { timeout: 20_000 })
        .toEqual(['add e', 'delete d', 'update c {"v":"2"}']);
      expect(lists).toBe(2);
      expect(informer.keys().sort()).toEqual(['a', 'c', 'e'].map((n) => `${ns}/${n}`));
    } finally {
      client.close();
      await own.close();
    }
  });

  it('caches what its transform keeps, reports broken connections, and retries at once when told', async () => {
    const own = await startTestCluster('informer-retry');
    const client = own.https();
    try {
      await own.inProcess.create(
        resources.configmaps,
        { ...configMap('a'), data: { keep: '1', drop: 'x' } },
        {
          namespace: 'default',
        },
      );
      const failures: unknown[] = [];
      const informer = track(
        new Informer(client, resources.configmaps, {
          namespace: 'default',
          logger: fast.logger,
          // A backoff far longer than the test: only retryNow() can bring the informer back in time.
          backoff: { initialMs: 600_000, maxMs: 600_000 },
          transform: (cm) => ({ ...cm, data: { keep: String((cm.data as Record<string, string>).keep) } }),
          onFailure: (err) => failures.push(err),
        }),
      );
      const r = recorder();
      informer.addEventHandler(r.handler);
      informer.start();
      await informer.waitForSync();
      expect(informer.get('a', 'default')?.data).toEqual({ keep: '1' });
      r.take();

      await own.restart(async () => {
        await expect.poll(() => failures.length, { timeout: 20_000 }).toBeGreaterThan(0);
      });
      expect(informer.failureCount).toBeGreaterThan(0);
      informer.retryNow();
      await own.inProcess.create(
        resources.configmaps,
        { ...configMap('b'), data: { keep: '2', drop: 'y' } },
        {
          namespace: 'default',
        },
      );
      await expect.poll(() => r.log, { timeout: 20_000 }).toEqual(['add b']);
      expect(informer.get('b', 'default')?.data).toEqual({ keep: '2' });
    } finally {
      client.close();
      await own.close();
    }
  });

  it('resyncs periodically with onUpdate(obj, obj)', async () => {
    const ns = await namespace();
    await admin.create(resources.configmaps, configMap('r'), { namespace: ns });
    const informer = track(
      new Informer(admin, resources.configmaps, { namespace: ns, resyncPeriodMs: 50, ...fast }),
    );
    const r = recorder();
    informer.addEventHandler(r.handler);
    informer.start();
    await expect.poll(() => r.log.filter((l) => l === 'resync r').length).toBeGreaterThanOrEqual(2);
  });

  it('replays the cache to a handler added late; stop() ends delivery', async () => {
    const ns = await namespace();
    await admin.create(resources.configmaps, configMap('x'), { namespace: ns });
    const informer = track(new Informer(admin, resources.configmaps, { namespace: ns, ...fast }));
    informer.start();
    await informer.waitForSync();
    const late = recorder();
    const unregister = informer.addEventHandler(late.handler);
    expect(late.take()).toEqual(['add x']);
    const failing: EventHandler = {
      onAdd: () => {
        throw new Error('handler bug');
      },
    };
    informer.addEventHandler(failing);
    await admin.create(resources.configmaps, configMap('y'), { namespace: ns });
    // A failing handler does not keep the others from their events.
    await expect.poll(() => late.log).toEqual(['add y']);
    unregister();
    await admin.create(resources.configmaps, configMap('z'), { namespace: ns });
    informer.stop();
    await admin.create(resources.configmaps, configMap('after'), { namespace: ns });
    expect(late.log).toEqual(['add y']);
    expect(informer.get('after', ns)).toBeUndefined();
  });

  it('waitForSync answers false when stopped before syncing', async () => {
    // A server that never answers the list.
    const stuck: Client = Object.assign(Object.create(admin) as Client, {
      list: () => new Promise<never>(() => undefined),
    });
    const informer = new Informer(stuck, resources.configmaps);
    informer.start();
    const waiting = informer.waitForSync();
    informer.stop();
    expect(await waiting).toBe(false);
    expect(informer.hasSynced()).toBe(false);
  });

  it('sends ERROR statuses other than 410 to a relist after backoff', async () => {
    const ns = await namespace();
    let watches = 0;
    const flaky: Client = Object.assign(Object.create(admin) as Client, {
      watch: async (ref: ResourceRef, opts: WatchOptions, cb: WatchCallbacks) => {
        if (++watches === 1) {
          // The first watch reports an internal error, as a server whose store failed would.
          const status: Status = {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            code: 500,
            reason: 'InternalError',
            message: 'etcdserver: leader changed',
          };
          queueMicrotask(() => {
            cb.onEvent({ type: 'ERROR', object: status });
            cb.onClose();
          });
          return { stop: () => undefined };
        }
        return admin.watch(ref, opts, cb);
      },
    });
    const informer = track(new Informer(flaky, resources.configmaps, { namespace: ns, ...fast }));
    const r = recorder();
    informer.addEventHandler(r.handler);
    informer.start();
    await informer.waitForSync();
    await admin.create(resources.configmaps, configMap('after-error'), { namespace: ns });
    await expect.poll(() => r.log).toEqual(['add after-error']);
    expect(watches).toBeGreaterThanOrEqual(2);
  });
});

describe('InformerFactory', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster('factory');
  });
  afterAll(() => cluster.close());

  it('shares one informer per resource and selection, and starts those made later', async () => {
    const factory = new InformerFactory(cluster.inProcess, {
      informerDefaults: { backoff: fast.backoff },
      logger: fast.logger,
    });
    const a = factory.informerFor(resources.configmaps, { namespace: 'default' });
    const b = factory.informerFor(resources.configmaps, { namespace: 'default' });
    const other = factory.informerFor(resources.configmaps, { namespace: 'kube-system' });
    const selected = factory.informerFor(resources.configmaps, {
      namespace: 'default',
      labelSelector: 'x=y',
    });
    // A namespace means nothing to a cluster-scoped resource.
    expect(factory.informerFor(resources.namespaces, { namespace: 'x' })).toBe(
      factory.informerFor(resources.namespaces),
    );
    expect(a).toBe(b);
    expect(other).not.toBe(a);
    expect(selected).not.toBe(a);
    factory.start();
    expect(await factory.waitForSync()).toBe(true);
    const late = factory.informerFor(resources.secrets, { namespace: 'default' });
    expect(await late.waitForSync()).toBe(true);
    expect(
      factory
        .informerFor(resources.namespaces)
        .list()
        .map((n) => n.metadata.name),
    ).toContain('kube-system');
    factory.stop();
    expect(a.isRunning).toBe(false);
  });
});
