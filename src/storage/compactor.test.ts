import { describe, expect, it, vi } from 'vitest';
import { Compactor } from './compactor.js';
import { configMap } from './conformance.testing.js';
import { MemoryStore } from './memory.js';
import { CompactedError } from './store.js';

describe('Compactor', () => {
  it('compacts each store to the revision it had one tick earlier', async () => {
    const a = new MemoryStore();
    const b = new MemoryStore();
    const compactor = new Compactor();
    compactor.add(a);
    compactor.add(b);
    await a.create('/t/1', configMap('1'));
    await compactor.tick(); // remembers a at 1, b at 0
    const seen = await a.currentRevision();
    await a.update('/t/1', configMap('1', { v: '2' }));
    await b.create('/t/x', configMap('x'));
    expect(await a.compactedRevision()).toBe(0);

    await compactor.tick();
    expect(await a.compactedRevision()).toBe(seen);
    // Everything since the previous tick is still readable; older history is gone.
    expect((await a.list('/t/', { revision: seen })).items).toHaveLength(1);
    await a.update('/t/1', configMap('1', { v: '3' }));
    await compactor.tick();
    await expect(a.list('/t/', { revision: seen })).rejects.toThrow(CompactedError);
    expect(await b.compactedRevision()).toBe(1);
  });

  it('runs on its own timer once started, and stops', async () => {
    const store = new MemoryStore();
    const compactor = new Compactor({ intervalMs: 5 });
    compactor.add(store);
    await store.create('/t/a', configMap('a'));
    compactor.start();
    await vi.waitFor(async () => expect(await store.compactedRevision()).toBe(1), { timeout: 10_000 });
    await compactor.stop();
    await store.update('/t/a', configMap('a', { v: '2' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(await store.compactedRevision()).toBe(1);
  });

  it('reports a store that fails and goes on with the others', async () => {
    const broken = new MemoryStore();
    const fine = new MemoryStore();
    const errors: unknown[] = [];
    const compactor = new Compactor({ onError: (err) => errors.push(err) });
    compactor.add(broken);
    compactor.add(fine);
    await fine.create('/t/a', configMap('a'));
    await compactor.tick();
    await broken.close();
    await fine.create('/t/b', configMap('b'));
    await compactor.tick();
    expect(errors).toHaveLength(1);
    expect(await fine.compactedRevision()).toBe(1);
  });

  it('refuses an interval that is not positive', () => {
    expect(() => new Compactor({ intervalMs: 0 })).toThrow(/positive/);
  });
});
