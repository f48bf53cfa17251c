import { createServer, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKubeconfig, type ResolvedKubeconfig, resolveContext } from '../machinery/kubeconfig.js';
import type { KubeObject } from '../machinery/object.js';
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

  it('gives caches of different user agents their own clients over the same connections', async () => {
    // A forwarder in front of the server counts the TCP connections the clients open.
    const sockets = new Set<Socket>();
    let opened = 0;
    const target = new URL(config.server);
    const forwarder = createServer((socket) => {
      opened++;
      sockets.add(socket);
      const upstream = new Socket();
      upstream.connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      const done = () => {
        sockets.delete(socket);
        socket.destroy();
        upstream.destroy();
      };
      socket.on('close', done).on('error', done);
      upstream.on('close', done).on('error', done);
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    const port = (forwarder.address() as { port: number }).port;
    const viaForwarder = { ...config, server: `https://127.0.0.1:${port}` };
    const status = new HttpsClientCache({ clientOptions: { userAgent: 'status-probe/1.0' } });
    const writer = new HttpsClientCache({ clientOptions: { userAgent: 'config-writer/1.0' } });
    try {
      const a = status.acquire(viaForwarder);
      const b = writer.acquire(viaForwarder);
      expect(b.client).not.toBe(a.client);
      expect((await a.client.get(resources.namespaces, 'default')).metadata.name).toBe('default');
      const made: KubeObject = await b.client.create(resources.configmaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'shared-connection', namespace: 'default' },
        data: { a: '1' },
      });
      // Each client still speaks as itself: the server names the writer by its user agent.
      expect(made.metadata.managedFields?.map((m) => m.manager)).toEqual(['config-writer']);
      expect(opened).toBe(1);

      // One cache closing leaves the other's client and the connection working.
      status.close();
      await expect(a.client.get(resources.namespaces, 'default')).rejects.toMatchObject({ reason: 'Closed' });
      expect(
        (await b.client.get(resources.configmaps, 'shared-connection', { namespace: 'default' })).data,
      ).toEqual({
        a: '1',
      });
      expect(opened).toBe(1);

      // The last one closing closes the connection.
      writer.close();
      await expect.poll(() => sockets.size).toBe(0);
    } finally {
      status.close();
      writer.close();
      await new Promise((r) => forwarder.close(r));
    }
  });
});
