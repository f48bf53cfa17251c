// A store that cannot serve is a 503 ServiceUnavailable a client may retry — the one 5xx the API
// server documents (docs/apiserver.md) — and the server serves again once the store is back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/open.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { type EtcdMember, startEtcd } from './support/etcd.js';
import { rawRequest } from './support/https.js';

describe('an API server whose store is down [etcd]', () => {
  let etcd: EtcdMember;
  let server: TestApiServer;
  beforeAll(async () => {
    etcd = await startEtcd();
    server = await startTestApiServer({
      name: 'unavailable',
      store: await openStore(`etcd:${etcd.clientUrl}`),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await etcd?.stop();
  });

  const get = (path: string) =>
    rawRequest(`${server.url}${path}`, {
      ca: server.caPem,
      headers: { authorization: `Bearer ${server.adminToken}` },
    });

  it('answers 503 ServiceUnavailable while etcd is down, and serves again once it is back', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    expect((await get(path)).code).toBe(200);
    await etcd.kill();
    const down = await get(path);
    expect(down.code).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'ServiceUnavailable',
      code: 503,
      message: expect.stringContaining('storage is unavailable'),
    });
    await etcd.restart();
    await expect.poll(async () => (await get(path)).code, { timeout: 30_000 }).toBe(200);
  });
});
