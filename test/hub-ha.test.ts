// Hub high availability on etcd, with real `concord hub` processes: two hubs started with one
// data dir (one identity) on one etcd serve the same objects; the hub controllers run on the
// leader, and when it is killed with SIGKILL the other takes over. Hubs with different
// --etcd-prefix share an etcd and see nothing of each other.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../src/client/client.js';
import type { HttpsClient } from '../src/client/https.js';
import { resources } from '../src/client/resources.js';
import type { Lease } from '../src/controller/leader-election.js';
import { HUB_INFO, HUB_NAMESPACE } from '../src/hub/identity/hub-info-controller.js';
import { MANAGER_LEASE } from '../src/hub/manager.js';
import { ApiError } from '../src/machinery/status.js';
import { EtcdStore } from '../src/storage/etcd.js';
import { type EtcdMember, startEtcd } from './support/etcd.js';
import { HubProcess } from './support/hub.js';

let etcd: EtcdMember;
let dir: string;
const hubs: { hub: HubProcess; client: HttpsClient }[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  dir = await mkdtemp(join(tmpdir(), 'concord-hub-ha-'));
});
afterAll(async () => {
  for (const h of hubs) h.client.close();
  await Promise.all(hubs.map((h) => h.hub.kill()));
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function hub(dataDir: string, args: string[]): Promise<{ hub: HubProcess; client: HttpsClient }> {
  const h = await HubProcess.start(dataDir, ['--store', `etcd:${etcd.clientUrl}`, ...args]);
  const started = { hub: h, client: await h.client() };
  hubs.push(started);
  return started;
}

const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

async function leaderOf(client: Client): Promise<string | undefined> {
  try {
    const info = await client.get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
    return (info.data as Record<string, string>).leader;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

describe('two hubs on one etcd and one data dir', () => {
  it('serve the same objects: a write through one reaches a watch on the other', async () => {
    const dataDir = join(dir, 'shared');
    const a = await hub(dataDir, []);
    const b = await hub(dataDir, []);
    expect(a.hub.url).not.toBe(b.hub.url);

    await a.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'both' },
    });
    const seen: string[] = [];
    const handle = await b.client.watch(
      resources.configmaps,
      { namespace: 'both', resourceVersion: '0' },
      {
        onEvent: (e) => seen.push(`${e.type} ${(e.object as { metadata: { name: string } }).metadata.name}`),
        onClose: () => {},
      },
    );
    await a.client.create(resources.configmaps, configMap('from-a', { v: '1' }), { namespace: 'both' });
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual(['ADDED from-a']);
    await a.client.patch(resources.configmaps, 'from-a', { data: { v: '2' } }, 'merge', {
      namespace: 'both',
    });
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual(['ADDED from-a', 'MODIFIED from-a']);
    handle.stop();
    // And the other way round, by a plain read.
    await b.client.create(resources.configmaps, configMap('from-b'), { namespace: 'both' });
    expect((await a.client.get(resources.configmaps, 'from-b', { namespace: 'both' })).metadata.name).toBe(
      'from-b',
    );
  });

  it('run the hub controllers on one of them, and the other takes over when it is killed', async () => {
    // The two hubs of the test before.
    const [a, b] = hubs;
    const identities = new Set([a!.hub.identity, b!.hub.identity]);
    await expect
      .poll(() => leaderOf(a!.client), { timeout: 30_000 })
      .toSatisfy((l) => identities.has(l as string));
    const leaderId = (await leaderOf(a!.client))!;
    const [leader, standby] = leaderId === a!.hub.identity ? [a!, b!] : [b!, a!];
    const lease = await standby.client.get<Lease>(resources.leases, MANAGER_LEASE.name, {
      namespace: MANAGER_LEASE.namespace,
    });
    expect(lease.spec?.holderIdentity).toBe(leaderId);
    // hub-info carries the leader's endpoint.
    const info = await standby.client.get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
    expect((info.data as Record<string, string>).endpoint).toBe(leader.hub.url);

    const killedAt = Date.now();
    await leader.hub.kill();
    await expect
      .poll(() => leaderOf(standby.client), { timeout: 60_000, interval: 100 })
      .toBe(standby.hub.identity);
    const takeoverMs = Date.now() - killedAt;
    console.log(`hub takeover after SIGKILL of the leader: ${(takeoverMs / 1000).toFixed(1)} s`);
    const after = await standby.client.get<Lease>(resources.leases, MANAGER_LEASE.name, {
      namespace: MANAGER_LEASE.namespace,
    });
    expect(after.spec).toMatchObject({
      holderIdentity: standby.hub.identity,
      leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
    });
    const infoAfter = await standby.client.get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
    expect((infoAfter.data as Record<string, string>).endpoint).toBe(standby.hub.url);
  }, 90_000);
});

describe('hubs with different --etcd-prefix on one etcd', () => {
  it('see nothing of each other, and keep every key under their prefix', async () => {
    const a = await hub(join(dir, 'tenant-a'), ['--etcd-prefix', '/tenant-a']);
    const b = await hub(join(dir, 'tenant-b'), ['--etcd-prefix', '/tenant-b']);
    expect(a.hub.output).toContain('(prefix /tenant-a)');

    await a.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'only-a' },
    });
    await a.client.create(resources.configmaps, configMap('settings-a'), { namespace: 'default' });
    await b.client.create(resources.configmaps, configMap('settings-b'), { namespace: 'default' });

    const namesIn = async (client: Client) =>
      (await client.list(resources.configmaps, { namespace: 'default' })).items.map((c) => c.metadata.name);
    expect(await namesIn(a.client)).toContain('settings-a');
    expect(await namesIn(a.client)).not.toContain('settings-b');
    expect(await namesIn(b.client)).toContain('settings-b');
    expect(await namesIn(b.client)).not.toContain('settings-a');
    await expect(b.client.get(resources.namespaces, 'only-a')).rejects.toMatchObject({ code: 404 });

    // In etcd itself: every key of these hubs' objects is under its hub's prefix.
    const raw = await EtcdStore.open({ endpoints: [etcd.clientUrl] });
    try {
      const keys = (await raw.list('')).items.map((kv) => kv.key);
      const mine = (name: string) => keys.filter((k) => k.endsWith(`/${name}`));
      expect(mine('only-a')).toEqual(['/tenant-a/registry/core/namespaces/only-a']);
      expect(mine('settings-a')).toEqual(['/tenant-a/registry/core/configmaps/default/settings-a']);
      expect(mine('settings-b')).toEqual(['/tenant-b/registry/core/configmaps/default/settings-b']);
      expect(keys.filter((k) => k.startsWith('/tenant-') && !/^\/tenant-[ab]\/registry\//.test(k))).toEqual(
        [],
      );
    } finally {
      await raw.close();
    }
  });
});
