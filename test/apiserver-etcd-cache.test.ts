// The API server on etcd behind the watch cache, as `concord hub --store etcd:...` runs it: the
// client conformance suite over HTTPS, plus what lists and watches promise around resource
// versions — consistent reads, "not older than" and exact reads, too-large and too-old versions,
// paging with selectors, bookmarks — and that lists and watches stop reaching etcd's list and
// watch once the cache has a resource.

import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, configMap, describeClientConformance } from '../src/client/conformance.testing.js';
import type { HttpsClient } from '../src/client/https.js';
import { resources } from '../src/client/resources.js';
import { startTestCluster, type TestCluster } from '../src/client/support.testing.js';
import { EtcdStore } from '../src/storage/etcd.js';
import { openStore } from '../src/storage/open.js';
import { WatchCache } from '../src/storage/watch-cache.js';
import { type EtcdMember, startEtcd } from './support/etcd.js';

let etcd: EtcdMember;
let n = 0;
const prefix = () => `/apiserver-cache-${process.pid}-${++n}`;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describeClientConformance(
  'https on etcd with the watch cache',
  (cluster) => {
    const made: HttpsClient[] = [];
    const make = (userAgent?: string) => {
      const c = cluster.https(userAgent ? { userAgent } : {});
      made.push(c);
      return c;
    };
    return {
      client: make(),
      withUserAgent: make,
      close: () => {
        for (const c of made) c.close();
      },
    };
  },
  () => openStore(`etcd:${etcd.clientUrl}`, { prefix: prefix(), watchCache: true }),
);

/** A watch over raw HTTPS, for query parameters the client does not send; lines until it ends. */
interface RawEvent {
  type: string;
  object: { metadata: { name?: string; annotations?: Record<string, string> } };
}

function rawWatch(cluster: TestCluster, path: string): Promise<RawEvent[]> {
  const url = new URL(path, cluster.running.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { ca: cluster.running.caPem, headers: { authorization: `Bearer ${cluster.running.adminToken}` } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          resolve(
            text
              .split('\n')
              .filter((l) => l.trim() !== '')
              .map((l) => JSON.parse(l) as RawEvent),
          ),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('API server on etcd with the watch cache', () => {
  let cluster: TestCluster;
  let client: HttpsClient;
  let backend: EtcdStore;
  const calls = { list: 0, watch: 0 };

  beforeAll(async () => {
    backend = await EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: prefix() });
    // What reaches etcd's list and watch past the cache (the cache's own feed is watchAll).
    const list = backend.list.bind(backend);
    const watch = backend.watch.bind(backend);
    backend.list = (...args) => {
      calls.list++;
      return list(...args);
    };
    backend.watch = (...args) => {
      calls.watch++;
      return watch(...args);
    };
    const cache = new WatchCache(backend, { feed: (after, sink) => backend.watchAll(after, sink) });
    cluster = await startTestCluster('etcd-cache', { store: cache });
    client = cluster.https();
    await client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'rv' },
    });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  it('reads by resourceVersion as Kubernetes does: consistent, not older than, exact, too large', async () => {
    const a = await client.create(resources.configmaps, configMap('a', { v: '1' }), { namespace: 'rv' });
    const a2 = await client.update(resources.configmaps, { ...a, data: { v: '2' } }, { namespace: 'rv' });
    // A consistent list (no resourceVersion) has the write just acknowledged.
    const consistent = await client.list(resources.configmaps, { namespace: 'rv' });
    expect(consistent.items.map((c) => [c.metadata.name, c.data])).toEqual([['a', { v: '2' }]]);
    expect(Number(consistent.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(a2.metadata.resourceVersion),
    );
    // Not older than the update: the update or newer.
    const notOlder = await client.list(resources.configmaps, {
      namespace: 'rv',
      resourceVersion: a2.metadata.resourceVersion,
      resourceVersionMatch: 'NotOlderThan',
    });
    expect(notOlder.items[0]!.data).toEqual({ v: '2' });
    // Exact: the state at the first write.
    const exact = await client.list(resources.configmaps, {
      namespace: 'rv',
      resourceVersion: a.metadata.resourceVersion,
      resourceVersionMatch: 'Exact',
    });
    expect(exact.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(exact.items[0]!.data).toEqual({ v: '1' });
    // A version the store has not reached: 504 Timeout, "Too large resource version".
    const tooLarge = await apiError(
      client.list(resources.configmaps, {
        namespace: 'rv',
        resourceVersion: String(Number(consistent.metadata.resourceVersion) + 1000),
      }),
    );
    expect(tooLarge.code).toBe(504);
    expect(tooLarge.message).toContain('Too large resource version');
  });

  it('pages with label and field selectors, consistent across pages while writes go on', async () => {
    for (let i = 0; i < 12; i++) {
      await client.create(
        resources.configmaps,
        {
          ...configMap(`p${String(i).padStart(2, '0')}`),
          metadata: { name: `p${String(i).padStart(2, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } },
        },
        { namespace: 'rv' },
      );
    }
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.list(resources.configmaps, {
        namespace: 'rv',
        labelSelector: 'parity=even',
        limit: 2,
        continue: token,
      });
      names.push(...page.items.map((c) => c.metadata.name!));
      token = page.metadata.continue;
      // A write between pages is not in this listing.
      if (token)
        await client.create(
          resources.configmaps,
          {
            ...configMap(`late${names.length}`),
            metadata: { name: `late${names.length}`, labels: { parity: 'even' } },
          },
          { namespace: 'rv' },
        );
    } while (token);
    expect(names).toEqual(['p00', 'p02', 'p04', 'p06', 'p08', 'p10']);
    const byField = await client.list(resources.configmaps, {
      namespace: 'rv',
      fieldSelector: 'metadata.name=p03',
    });
    expect(byField.items.map((c) => c.metadata.name)).toEqual(['p03']);
  });

  it('watches with bookmarks: the initial-events-end bookmark after the initial state', async () => {
    const events = await rawWatch(
      cluster,
      '/api/v1/namespaces/rv/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=parity%3Dodd&timeoutSeconds=1',
    );
    const added = events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    expect(added).toEqual(['p01', 'p03', 'p05', 'p07', 'p09', 'p11']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(events.indexOf(bookmark!)).toBe(added.length);
  });

  it('serves lists and watches from the cache once it holds the resource', async () => {
    await client.list(resources.secrets, { namespace: 'rv' }); // the cache reads secrets once
    const before = { ...calls };
    await client.create(
      resources.secrets,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } },
      { namespace: 'rv' },
    );
    for (const resourceVersion of [undefined, '0']) {
      const listed = await client.list(resources.secrets, {
        namespace: 'rv',
        ...(resourceVersion ? { resourceVersion } : {}),
      });
      if (!resourceVersion) expect(listed.items.map((s) => s.metadata.name)).toEqual(['s']);
    }
    const seen: string[] = [];
    const handle = await client.watch(
      resources.secrets,
      { namespace: 'rv', resourceVersion: '0' },
      { onEvent: (e) => seen.push(e.type), onClose: () => {} },
    );
    await expect.poll(() => seen).toEqual(['ADDED']);
    handle.stop();
    expect(calls).toEqual(before);
  });
});
