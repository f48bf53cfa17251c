import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdMember } from '../../test/support/etcd.js';
import { startEtcd } from '../../test/support/etcd.js';
import { collect, configMap, describeStoreConformance } from './conformance.testing.js';
import { EtcdStore } from './etcd.js';
import { MemoryStore } from './memory.js';
import { StoreUnavailableError } from './store.js';
import { cachedPrefix, WatchCache } from './watch-cache.js';

let etcd: EtcdMember;
let n = 0;
const freshPrefix = () => `/watch-cache-${process.pid}-${++n}`;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

async function etcdStore(prefix = freshPrefix(), extra: { watchRetryMs?: number } = {}) {
  return EtcdStore.open({ endpoints: [etcd.clientUrl], prefix, ...extra });
}

function cached(store: EtcdStore): WatchCache {
  return new WatchCache(store, { feed: (after, sink) => store.watchAll(after, sink) });
}

/** The etcd store with its list and watch calls counted: what reaches etcd past the cache. */
function counted(store: EtcdStore) {
  const calls = { list: 0, watch: 0 };
  const list = store.list.bind(store);
  const watch = store.watch.bind(store);
  store.list = (...args) => {
    calls.list++;
    return list(...args);
  };
  store.watch = (...args) => {
    calls.watch++;
    return watch(...args);
  };
  return calls;
}

describeStoreConformance('watch cache over memory', async () => new WatchCache(new MemoryStore()));
describeStoreConformance('watch cache over etcd', async () => cached(await etcdStore()));

describe('WatchCache', () => {
  it('caches per resource: the first three segments of a prefix', () => {
    expect(cachedPrefix('/registry/core/pods/')).toBe('/registry/core/pods/');
    expect(cachedPrefix('/registry/core/pods/default/')).toBe('/registry/core/pods/');
    expect(cachedPrefix('/t/o/')).toBe('/t/o/');
    for (const uncached of ['', '/', '/registry/core/pods/de', '//x/'])
      expect(cachedPrefix(uncached)).toBeUndefined();
  });

  it('serves lists, pages and watches without reaching etcd once a resource is cached', async () => {
    const backend = await etcdStore();
    const calls = counted(backend);
    const cache = cached(backend);
    try {
      for (let i = 0; i < 10; i++)
        await cache.create(`/registry/core/pods/ns${i % 2}/p${i}`, configMap(`p${i}`));
      const first = await cache.list('/registry/core/pods/');
      expect(first.items).toHaveLength(10);
      const loading = { ...calls };
      expect(loading.list).toBeGreaterThan(0); // the cache's own first read

      const write = await cache.update('/registry/core/pods/ns0/p0', configMap('p0', { v: '2' }));
      // A consistent read sees the write just acknowledged ...
      const consistent = await cache.list('/registry/core/pods/ns0/');
      expect(consistent.revision).toBeGreaterThanOrEqual(write.modRevision);
      expect(consistent.items.map((i) => [i.key, i.modRevision])).toEqual([
        ['/registry/core/pods/ns0/p0', write.modRevision],
        ['/registry/core/pods/ns0/p2', expect.any(Number)],
        ['/registry/core/pods/ns0/p4', expect.any(Number)],
        ['/registry/core/pods/ns0/p6', expect.any(Number)],
        ['/registry/core/pods/ns0/p8', expect.any(Number)],
      ]);
      expect(consistent.items[0]!.value).toEqual(configMap('p0', { v: '2' }));
      // ... as does a "not older than" read, and a paged list with its continue tokens.
      expect(
        (await cache.list('/registry/core/pods/', { minRevision: write.modRevision })).items,
      ).toHaveLength(10);
      const page1 = await cache.list('/registry/core/pods/', { limit: 4 });
      expect(page1.remaining).toBe(6);
      await cache.delete('/registry/core/pods/ns1/p9'); // after the first page: not in the listing
      const page2 = await cache.list('/registry/core/pods/', { limit: 4, continue: page1.continue! });
      const page3 = await cache.list('/registry/core/pods/', { limit: 4, continue: page2.continue! });
      expect(page3.continue).toBeUndefined();
      expect([...page1.items, ...page2.items, ...page3.items].map((i) => i.key)).toHaveLength(10);
      expect(page2.revision).toBe(page1.revision);
      // A watch from a recent revision replays from the cache's window.
      const w = collect(cache, '/registry/core/pods/ns0/', first.revision);
      await w.until(1);
      expect(w.events.map((e) => [e.type, e.revision])).toEqual([['update', write.modRevision]]);
      w.watcher.close();

      expect(calls).toEqual(loading);
    } finally {
      await cache.close();
    }
  });

  it('sees writes through another client of the same keys (another hub) in a consistent list', async () => {
    const prefix = freshPrefix();
    const backend = await etcdStore(prefix);
    const calls = counted(backend);
    const cache = cached(backend);
    const other = await etcdStore(prefix);
    const stranger = await etcdStore(); // another prefix: revisions move without our keys
    try {
      await cache.list('/registry/core/configmaps/');
      const loading = { ...calls };
      for (let i = 0; i < 20; i++) {
        const kv = await other.create(`/registry/core/configmaps/default/c${i}`, configMap(`c${i}`));
        await stranger.create(`/registry/core/configmaps/default/s${i}`, configMap(`s${i}`));
        const listed = await cache.list('/registry/core/configmaps/default/');
        expect(listed.items.map((item) => item.key)).toContain(kv.key);
        expect(listed.revision).toBeGreaterThan(kv.modRevision); // the stranger's revision, seen as progress
      }
      // All of it answered by the cache: no list fell back to etcd after a wait.
      expect(calls).toEqual(loading);
    } finally {
      await Promise.all([cache.close(), other.close(), stranger.close()]);
    }
  });

  it('sends a watch from before its window to etcd, which still delivers every change', async () => {
    const backend = await etcdStore();
    const calls = counted(backend);
    const cache = new WatchCache(backend, {
      historySize: 4,
      feed: (after, sink) => backend.watchAll(after, sink),
    });
    try {
      const start = await cache.currentRevision();
      await cache.list('/registry/apps/deployments/');
      const revisions: number[] = [];
      for (let i = 0; i < 12; i++) {
        revisions.push(
          (await cache.create(`/registry/apps/deployments/d/x${i}`, configMap(`x${i}`))).modRevision,
        );
      }
      const watchesBefore = calls.watch;
      const old = collect(cache, '/registry/apps/deployments/', start);
      await old.until(12);
      expect(old.events.map((e) => e.revision)).toEqual(revisions);
      expect(calls.watch).toBe(watchesBefore + 1);
      const recent = collect(cache, '/registry/apps/deployments/', revisions[9]!);
      await recent.until(2);
      expect(recent.events.map((e) => e.revision)).toEqual(revisions.slice(10));
      expect(calls.watch).toBe(watchesBefore + 1);
      old.watcher.close();
      recent.watcher.close();
    } finally {
      await cache.close();
    }
  });

  it('ends its watches when etcd is gone for good, and serves again once it is back', async () => {
    const backend = await etcdStore(freshPrefix(), { watchRetryMs: 500 });
    const cache = cached(backend);
    try {
      await cache.create('/registry/core/secrets/a/s1', configMap('s1'));
      await cache.list('/registry/core/secrets/');
      const w = collect(cache, '/registry/core/secrets/', await cache.currentRevision());
      await etcd.kill();
      try {
        expect(await w.failure()).toBeInstanceOf(StoreUnavailableError);
      } finally {
        await etcd.restart();
      }
      const s2 = await cache.create('/registry/core/secrets/a/s2', configMap('s2'));
      const listed = await cache.list('/registry/core/secrets/');
      expect(listed.items.map((i) => i.key)).toEqual([
        '/registry/core/secrets/a/s1',
        '/registry/core/secrets/a/s2',
      ]);
      expect(listed.revision).toBeGreaterThanOrEqual(s2.modRevision);
    } finally {
      await cache.close();
    }
  });
});
