// The official JavaScript client (@kubernetes/client-node): an informer sees adds, updates and
// deletes made through the same client, on each durable store.

import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { DURABLE_STORES } from '../support/stores.js';

function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe.each(DURABLE_STORES)('@kubernetes/client-node [%s]', (store) => {
  let server: TestApiServer;
  beforeAll(async () => {
    server = await startTestApiServer({ store });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs an informer that sees adds, updates and deletes', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'js' } } });

    const seen: string[] = [];
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/js/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'js' }),
    );
    informer.on('add', (cm) => seen.push(`add ${cm.metadata?.name} ${cm.data?.k}`));
    informer.on('update', (cm) => seen.push(`update ${cm.metadata?.name} ${cm.data?.k}`));
    informer.on('delete', (cm) => seen.push(`delete ${cm.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({
        namespace: 'js',
        body: { metadata: { name: 'a' }, data: { k: '1' } },
      });
      await eventually(() => seen.includes('add a 1'), 'the add');
      await core.patchNamespacedConfigMap({
        namespace: 'js',
        name: 'a',
        body: [{ op: 'replace', path: '/data/k', value: '2' }],
      });
      await eventually(() => seen.includes('update a 2'), 'the update');
      expect(informer.get('a', 'js')?.data?.k).toBe('2');
      await core.deleteNamespacedConfigMap({ namespace: 'js', name: 'a' });
      await eventually(() => seen.includes('delete a'), 'the delete');
      expect(informer.get('a', 'js')).toBeUndefined();
      expect(seen).toEqual(['add a 1', 'update a 2', 'delete a']);
    } finally {
      await informer.stop();
    }
  });
});
