import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdMember } from '../../test/support/etcd.js';
import { startEtcd } from '../../test/support/etcd.js';
import { collect, configMap, describeStoreConformance } from './conformance.testing.js';
import { EtcdStore } from './etcd.js';
import { CompactedError, StoreUnavailableError } from './store.js';

// One etcd member for the file; each store gets its own key prefix in it.
let etcd: EtcdMember;
let n = 0;
const freshPrefix = () => `/conformance-${process.pid}-${++n}`;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describeStoreConformance(
  'etcd',
  async () => EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() }),
  {
    durability: {
      async target() {
        return { spec: `etcd:${etcd.clientUrl}`, options: { prefix: freshPrefix() } };
      },
      async afterKill() {
        // The member crashes too, and must come back with every write it acknowledged.
        await etcd.kill();
        await etcd.restart();
      },
    },
  },
);

describe('EtcdStore', () => {
  it('keeps stores with different prefixes apart in one etcd', async () => {
    const a = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() });
    const b = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() });
    await a.create('/registry/core/pods/x', configMap('x'));
    expect(await b.get('/registry/core/pods/x')).toBeUndefined();
    expect(await b.count('/')).toBe(0);
    expect((await a.list('/')).items.map((i) => i.key)).toEqual(['/registry/core/pods/x']);
    await Promise.all([a.close(), b.close()]);
  });

  it('finds the compaction point another client made', async () => {
    const a = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() });
    const b = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() });
    await a.create('/t/1', configMap('1'));
    const old = await a.currentRevision();
    await a.update('/t/1', configMap('1', { v: '2' }));
    const point = (await a.update('/t/1', configMap('1', { v: '3' }))).modRevision;
    await a.compact(point);
    expect(await b.compactedRevision()).toBe(point);
    const err = await b.list('/t/', { revision: old }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompactedError);
    expect((err as CompactedError).compactRevision).toBe(point);
    await Promise.all([a.close(), b.close()]);
  });

  it('resumes its watches without gap or duplicate when the etcd member restarts', async () => {
    const store = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: freshPrefix() });
    const r0 = await store.currentRevision();
    const w = collect(store, '/t/', r0);
    const revisions: number[] = [];
    for (let i = 0; i < 5; i++)
      revisions.push((await store.create(`/t/${i}`, configMap(`c${i}`))).modRevision);
    await w.until(5);
    await etcd.kill();
    await etcd.restart();
    for (let i = 5; i < 10; i++)
      revisions.push((await store.create(`/t/${i}`, configMap(`c${i}`))).modRevision);
    await w.until(10);
    expect(w.events.map((e) => e.revision)).toEqual(revisions);
    w.watcher.close();
    await store.close();
  });

  it('answers StoreUnavailableError when etcd cannot be reached', async () => {
    await expect(
      EtcdStore.open({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 2000 }),
    ).rejects.toThrow(StoreUnavailableError);
    const store = await EtcdStore.open({
      endpoints: [etcd.clientUrl],
      prefix: freshPrefix(),
      watchRetryMs: 500,
    });
    const w = collect(store, '/t/', await store.currentRevision());
    await etcd.kill();
    try {
      await expect(store.create('/t/x', configMap('x'))).rejects.toThrow(StoreUnavailableError);
      await expect(store.get('/t/x')).rejects.toThrow(StoreUnavailableError);
      expect(await w.failure()).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await etcd.restart();
    }
    expect(await store.get('/t/x')).toBeUndefined();
    await store.close();
  });
});
