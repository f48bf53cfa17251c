import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKubeconfig, type ResolvedKubeconfig, resolveContext } from '../machinery/kubeconfig.js';
import { HttpsClientCache } from './client-cache.js';
import { NetworkError } from './network-error.js';
import { resources } from './resources.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

describe('HttpsClientCache', () => {
  let cluster: TestCluster;
  let config: ResolvedKubeconfig;

  beforeAll(async () => {
    cluster = await startTestCluster('client-cache');
    config = resolveContext(parseKubeconfig(cluster.running.kubeconfig));
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('shares one client per connection and makes a new one when the connection changes', async () => {
    const cache = new HttpsClientCache({ idleCloseMs: 60_000 });
    try {
      const a = cache.acquire(config);
      const b = cache.acquire({ ...config, contextName: 'another name, same connection' });
      expect(b.client).toBe(a.client);
      expect(b.fingerprint).toBe(a.fingerprint);
      const other = cache.acquire({ ...config, token: 'another-token' });
      expect(other.client).not.toBe(a.client);
      expect(cache.size).toBe(2);
      expect((await a.client.get(resources.namespaces, 'default')).metadata.name).toBe('default');
      a.release();
      b.release();
      other.release();
    } finally {
      cache.close();
    }
  });

  it('closes a client nobody holds once it has been idle, and keeps one that is taken again', async () => {
    const cache = new HttpsClientCache({ idleCloseMs: 50 });
    try {
      const first = cache.acquire(config);
      first.release();
      const again = cache.acquire(config);
      expect(again.client).toBe(first.client);
      await new Promise((r) => setTimeout(r, 150));
      expect(cache.size).toBe(1);
      again.release();
      await expect.poll(() => cache.size).toBe(0);
      const closed = again.client.get(resources.namespaces, 'default');
      await expect(closed).rejects.toBeInstanceOf(NetworkError);
      await expect(closed).rejects.toMatchObject({ reason: 'Closed' });
      const fresh = cache.acquire(config);
      expect(fresh.client).not.toBe(first.client);
      expect((await fresh.client.get(resources.namespaces, 'default')).metadata.name).toBe('default');
      fresh.release();
    } finally {
      cache.close();
    }
  });
});
