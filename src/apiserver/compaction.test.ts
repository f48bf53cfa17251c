import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessClient } from '../client/in-process.js';
import { resources } from '../client/resources.js';
import type { KubeObject } from '../machinery/object.js';
import { ApiError } from '../machinery/status.js';
import { Compactor } from '../storage/compactor.js';
import { MemoryStore } from '../storage/memory.js';
import { serveApiServer } from './serving.js';

function configMap(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } };
}

describe('API server store compaction', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function serve(compactor: Compactor) {
    const stateDir = await mkdtemp(join(tmpdir(), 'concord-compaction-'));
    const store = new MemoryStore();
    const running = await serveApiServer({ name: 'compaction', stateDir, store, compactor });
    cleanup.push(async () => {
      await store.close();
      await rm(stateDir, { recursive: true, force: true });
    });
    cleanup.push(() => running.close());
    return { running, store, client: new InProcessClient(running.server) };
  }

  it('compacts history older than one interval, so an old watch gets 410 Expired', async () => {
    const compactor = new Compactor({ intervalMs: 60_000 });
    const { store, client } = await serve(compactor);
    const first = await client.create(resources.configmaps, configMap('first'), { namespace: 'default' });
    await compactor.tick(); // remembers the current revision
    expect(await store.compactedRevision()).toBeLessThanOrEqual(Number(first.metadata.resourceVersion));
    await client.create(resources.configmaps, configMap('second'), { namespace: 'default' });
    await compactor.tick(); // compacts to the revision of the previous tick
    expect(await store.compactedRevision()).toBeGreaterThanOrEqual(Number(first.metadata.resourceVersion));

    const err = await client
      .list(resources.configmaps, {
        namespace: 'default',
        resourceVersion: String(Number(first.metadata.resourceVersion) - 1),
        resourceVersionMatch: 'Exact',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(410);
  });

  it('stops compacting a store once its server closes', async () => {
    const compactor = new Compactor({ intervalMs: 60_000 });
    const { running, store } = await serve(compactor);
    await compactor.tick();
    await running.close();
    const before = await store.compactedRevision();
    await store.create('/test/after-close', { written: 'after the server closed' });
    await compactor.tick();
    await compactor.tick();
    expect(await store.compactedRevision()).toBe(before);
  });
});
