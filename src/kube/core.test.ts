import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../client/resources.js';
import type { KubeObject } from '../machinery/object.js';
import { CORE_CONTROLLERS, type RunningCoreControllers, startCoreControllers } from './core.js';
import { getOrUndefined, waitFor } from './core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from './support.testing.js';

describe('startCoreControllers', () => {
  let env: KubeTestEnv;
  let core: RunningCoreControllers;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'core' });
    core = startCoreControllers(env.ctx, { nodeMonitorGracePeriodMs: 2000, nodeMonitorPeriodMs: 200 });
  });
  afterAll(async () => {
    await core.stop();
    await env.close();
  });

  it('starts every core controller by default', () => {
    expect(core.controllers.map((c) => c.name).sort()).toEqual(
      [
        'garbagecollector',
        'namespace',
        'endpointslice',
        'endpoint',
        'node-lifecycle',
        'taint-eviction',
        'pod-garbage-collector',
        'serviceaccount',
        'disruption',
        'resourcequota',
      ].sort(),
    );
    expect(core.garbageCollector).toBeDefined();
  });

  it('refuses a controller it does not know, naming the known ones', () => {
    expect(() => startCoreControllers(env.ctx, { controllers: ['replicaset-controller' as never] })).toThrow(
      `unknown core controller "replicaset-controller": known are ${CORE_CONTROLLERS.join(', ')}`,
    );
  });

  it('runs a subset, and leaves eviction out when asked', async () => {
    const some = startCoreControllers(env.ctx, {
      controllers: ['node-lifecycle-controller', 'taint-eviction-controller'],
      eviction: { enabled: false },
    });
    expect(some.controllers.map((c) => c.name)).toEqual(['node-lifecycle']);
    expect(some.garbageCollector).toBeUndefined();
    await some.stop();
  });

  it('works together: a namespace with owned content and its default account goes away whole', async () => {
    await env.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
    });
    await waitFor('the default ServiceAccount', () =>
      getOrUndefined(env.client, resources.serviceaccounts, 'default', 'team'),
    );
    const cm = await env.client.create<KubeObject>(
      resources.configmaps,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'team' } },
      { namespace: 'team' },
    );
    await env.client.create(
      resources.secrets,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'owned',
          namespace: 'team',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: cm.metadata.uid! }],
        },
      },
      { namespace: 'team' },
    );
    await env.client.delete(resources.configmaps, 'owner', { namespace: 'team' });
    await waitFor(
      'the owned secret to be collected',
      async () => !(await getOrUndefined(env.client, resources.secrets, 'owned', 'team')),
    );
    await env.client.delete(resources.namespaces, 'team');
    await waitFor(
      'the namespace to go',
      async () => !(await getOrUndefined(env.client, resources.namespaces, 'team')),
    );
  });
});
