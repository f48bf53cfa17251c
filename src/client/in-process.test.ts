import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, configMap, describeClientConformance, eventCollector } from './conformance.testing.js';
import { InProcessClient } from './in-process.js';
import { resources } from './resources.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

describeClientConformance('in-process', (cluster) => ({
  client: new InProcessClient(cluster.running.server),
  withUserAgent: (userAgent) => new InProcessClient(cluster.running.server, { userAgent }),
}));

describe('InProcessClient', () => {
  let cluster: TestCluster;
  let client: InProcessClient;
  beforeAll(async () => {
    cluster = await startTestCluster('in-process');
    client = cluster.inProcess;
  });
  afterAll(() => cluster.close());

  it('acts as the user it is given: RBAC applies', async () => {
    const alice = client.as({ username: 'alice', groups: ['system:authenticated'] });
    const denied = await apiError(alice.list(resources.secrets, { namespace: 'default' }));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('User "alice" cannot list resource "secrets"');
    // The server's own user may do anything.
    await client.list(resources.secrets, { namespace: 'default' });
  });

  it("keeps the caller's objects and the server's apart", async () => {
    const input = configMap('mine', { a: '1' });
    const created = await client.create(resources.configmaps, input, { namespace: 'default' });
    // Changing what was sent or what came back changes nothing on the server.
    (input.data as Record<string, string>).a = 'changed';
    (created.data as Record<string, string>).a = 'changed too';
    const got = await client.get(resources.configmaps, 'mine', { namespace: 'default' });
    expect(got.data).toEqual({ a: '1' });
  });

  it('stops a watch whose consumer throws, with that error, and keeps the writer unharmed', async () => {
    const c = eventCollector();
    const boom = new Error('consumer failed');
    await client.watch(
      resources.configmaps,
      { namespace: 'default', resourceVersion: String(await cluster.store.currentRevision()) },
      {
        onEvent: () => {
          throw boom;
        },
        onClose: c.callbacks.onClose,
      },
    );
    await client.create(resources.configmaps, configMap('writer-ok'), { namespace: 'default' });
    expect(c.closes).toEqual([boom]);
    await client.create(resources.configmaps, configMap('writer-still-ok'), { namespace: 'default' });
  });

  it('passes warnings to onWarning', async () => {
    const warnings: string[] = [];
    const warned = new InProcessClient(cluster.running.server, { onWarning: (w) => warnings.push(w) });
    await warned.create(resources.configmaps, { ...configMap('warned'), unknownField: 1 } as never, {
      namespace: 'default',
      fieldValidation: 'Warn',
    });
    expect(warnings.join('\n')).toContain('unknownField');
  });

  it('serves discovery documents for the RESTMapper', async () => {
    const apis = (await client.discover('/apis')) as {
      kind: string;
      items: { metadata: { name: string } }[];
    };
    expect(apis.kind).toBe('APIGroupDiscoveryList');
    expect(apis.items.map((i) => i.metadata.name)).toContain('apps');
  });
});
