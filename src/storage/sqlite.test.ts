import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { configMap, describeStoreConformance } from './conformance.testing.js';
import { SqliteStore } from './sqlite.js';
import { StoreUnavailableError } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'concord-sqlite-'));
let n = 0;
const freshPath = () => join(dir, `store-${++n}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite', async () => SqliteStore.open({ path: freshPath() }), {
  durability: {
    async target() {
      return { spec: `sqlite:${freshPath()}` };
    },
    // About 16 MB of writes: the kill comes after several WAL checkpoints, with more under way.
    acks: 4000,
    payloadBytes: 4000,
  },
});

describe('SqliteStore', () => {
  it('keeps data, revisions, history and the compaction point across a reopen', async () => {
    const path = freshPath();
    const store = await SqliteStore.open({ path, synchronous: 'FULL' });
    const a = await store.create('/t/a', configMap('a', { v: '1' }));
    await store.update('/t/a', configMap('a', { v: '2' }));
    await store.create('/t/b', configMap('b'));
    const c = await store.create('/t/c', configMap('c'));
    await store.delete('/t/b');
    await store.compact(c.modRevision);
    const revision = await store.currentRevision();
    await store.close();

    const again = await SqliteStore.open({ path });
    expect(await again.currentRevision()).toBe(revision);
    expect(await again.compactedRevision()).toBe(c.modRevision);
    expect((await again.get('/t/a'))!).toMatchObject({ createRevision: a.createRevision, version: 2 });
    expect(await again.get('/t/b')).toBeUndefined();
    expect((await again.list('/t/', { revision: c.modRevision })).items.map((i) => i.key)).toEqual([
      '/t/a',
      '/t/b',
      '/t/c',
    ]);
    // Revisions go on from where they were; a deleted key can be created again.
    const b = await again.create('/t/b', configMap('b', { v: 'new' }));
    expect(b.modRevision).toBe(revision + 1);
    await again.close();
  });

  it('compacts a long history in chunks and keeps exactly the state at the compaction point', async () => {
    const path = freshPath();
    const store = await SqliteStore.open({ path });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++)
      writes.push(store.create(`/t/k${String(i).padStart(3, '0')}`, configMap(`k${i}`)));
    await Promise.all(writes);
    // 24,000 more revisions: more than one compaction chunk.
    for (let round = 0; round < 80; round++) {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => {
          const key = `/t/k${String(i).padStart(3, '0')}`;
          return i % 50 === round % 50 && round % 2 === 1
            ? store.delete(key).then(() => store.create(key, configMap(`k${i}`, { round: String(round) })))
            : store.update(key, configMap(`k${i}`, { round: String(round) }));
        }),
      );
    }
    const point = (await store.currentRevision()) - 500;
    const before = await store.list('/t/', { revision: point });
    await store.compact(point);
    const after = await store.list('/t/', { revision: point });
    expect(after).toEqual(before);
    expect((await store.list('/t/')).items).toHaveLength(300);
    await store.close();
    // Only the versions needed at the point and after it are left.
    const again = await SqliteStore.open({ path });
    const kept = await again.list('/t/', { revision: point });
    expect(kept).toEqual(before);
    await again.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT count(*) FROM kv').pluck().get() as number;
    db.close();
    expect(rows).toBeLessThanOrEqual(300 + 600);
  });

  it('refuses a second store on a file another one holds open', async () => {
    const path = freshPath();
    const first = await SqliteStore.open({ path });
    await first.create('/t/x', configMap('x'));
    await expect(SqliteStore.open({ path })).rejects.toThrow(StoreUnavailableError);
    await first.close();
    const second = await SqliteStore.open({ path });
    expect(await second.get('/t/x')).toBeDefined();
    await second.close();
  });

  it('copies the WAL into the database file while it stays open', async () => {
    const path = freshPath();
    const store = await SqliteStore.open({ path });
    const payload = 'x'.repeat(4000);
    // 2,000 values of 4 KB, 50 at a time: twice SQLite's checkpoint threshold of 1,000 pages.
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.create(`/t/${round}-${i}`, configMap(`${round}-${i}`, { payload })),
        ),
      );
    }
    // In WAL mode only a checkpoint writes the database file; the store's thread runs them.
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(4_000_000), {
      timeout: 30_000,
      interval: 20,
    });
    expect((await store.list('/t/')).items).toHaveLength(2000);
    await store.close();
    const again = await SqliteStore.open({ path });
    expect(await again.count('/t/')).toBe(2000);
    await again.close();
  });

  it('truncates a WAL that grew past its limit and keeps every write', async () => {
    const path = freshPath();
    // A limit below one round of checkpointing: the first round's WAL is over it.
    const store = await SqliteStore.open({ path, walLimitPages: 100 });
    const payload = 'x'.repeat(4000);
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.create(`/t/${round}-${i}`, configMap(`${round}-${i}`, { payload })),
        ),
      );
    }
    // 8 MB were written; once the round has run, the WAL holds at most what came after it.
    await vi.waitFor(() => expect(statSync(`${path}-wal`).size).toBeLessThan(4_000_000), {
      timeout: 30_000,
      interval: 20,
    });
    await store.create('/t/after', configMap('after'));
    expect(await store.count('/t/')).toBe(2001);
    await store.close();
    const again = await SqliteStore.open({ path });
    expect(await again.count('/t/')).toBe(2001);
    await again.close();
  });

  it('commits concurrent writes together and still answers each one alone', async () => {
    const store = await SqliteStore.open({ path: freshPath() });
    await store.create('/t/dup', configMap('dup'));
    // Issued in one turn: one transaction, with one failure among them.
    const results = await Promise.allSettled([
      store.create('/t/n1', configMap('n1')),
      store.create('/t/dup', configMap('dup')),
      store.create('/t/n2', configMap('n2')),
      store.update('/t/n1', configMap('n1', { v: '2' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const revisions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.modRevision] : []));
    expect(revisions).toEqual([revisions[0], revisions[0]! + 1, revisions[0]! + 2]);
    expect((await store.get('/t/n1'))!.version).toBe(2);
    await store.close();
  });
});
