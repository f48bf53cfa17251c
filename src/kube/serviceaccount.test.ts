import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../client/resources.js';
import type { RunningController } from '../controller/context.js';
import { getOrUndefined, waitFor } from './core.testing.js';
import { startServiceAccountController } from './serviceaccount.js';
import { type KubeTestEnv, startKubeTestEnv } from './support.testing.js';

describe('serviceaccount controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'serviceaccounts' });
    controller = startServiceAccountController(env.ctx);
    env.informers.start();
  });
  afterAll(async () => {
    await controller.stop();
    await env.close();
  });

  const defaultIn = (ns: string) => getOrUndefined(env.client, resources.serviceaccounts, 'default', ns);

  it('gives every namespace, old and new, a default ServiceAccount', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await waitFor(`default in ${ns}`, () => defaultIn(ns));
    }
    await env.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a' },
    });
    const sa = await waitFor('default in team-a', () => defaultIn('team-a'));
    expect(sa.metadata.namespace).toBe('team-a');
  });

  it('recreates it when it is deleted', async () => {
    const before = await waitFor('default in default', () => defaultIn('default'));
    await env.client.delete(resources.serviceaccounts, 'default', { namespace: 'default' });
    const after = await waitFor('a new default', async () => {
      const sa = await defaultIn('default');
      return sa && sa.metadata.uid !== before.metadata.uid ? sa : undefined;
    });
    expect(after.metadata.name).toBe('default');
  });
});
