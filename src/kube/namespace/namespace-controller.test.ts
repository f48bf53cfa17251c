import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import { getOrUndefined, waitFor } from '../core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { startNamespaceController } from './namespace-controller.js';

interface Ns extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: Condition[] };
}

function configMap(name: string, namespace: string, finalizers?: string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) },
    data: { a: '1' },
  };
}

describe('namespace controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'namespaces' });
    controller = startNamespaceController(env.ctx);
    env.informers.start();
  });
  afterAll(async () => {
    await controller.stop();
    await env.close();
  });

  const c = () => env.client;

  async function namespace(name: string): Promise<Ns> {
    return c().create<Ns>(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  it('empties a namespace, keeps it Terminating while content with finalizers remains, then lets it go', async () => {
    const created = await namespace('doomed');
    expect(created.spec?.finalizers).toEqual(['kubernetes']);
    for (let i = 0; i < 3; i++)
      await c().create(resources.configmaps, configMap(`cm-${i}`, 'doomed'), { namespace: 'doomed' });
    await c().create(resources.configmaps, configMap('held', 'doomed', ['example.com/hold']), {
      namespace: 'doomed',
    });
    await c().create(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'doomed' },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
      { namespace: 'doomed' },
    );
    await c().create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc', namespace: 'doomed' },
        spec: { ports: [{ port: 80 }] },
      },
      { namespace: 'doomed' },
    );

    await c().delete(resources.namespaces, 'doomed');
    const terminating = await c().get<Ns>(resources.namespaces, 'doomed');
    expect(terminating.status?.phase).toBe('Terminating');

    // Creating in it meanwhile is refused.
    const refused = await c()
      .create(resources.configmaps, configMap('late', 'doomed'), { namespace: 'doomed' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe(403);
    expect((refused as ApiError).message).toContain('because it is being terminated');

    // Everything without a finalizer goes; the held config map stays, and the conditions say so.
    const ns = await waitFor('conditions naming what remains', async () => {
      const got = await c().get<Ns>(resources.namespaces, 'doomed');
      const remaining = got.status?.conditions?.find((x) => x.type === 'NamespaceContentRemaining');
      return remaining?.status === 'True' &&
        remaining.message === 'Some resources are remaining: configmaps. has 1 resource instances'
        ? got
        : undefined;
    });
    const byType = new Map((ns.status?.conditions ?? []).map((x) => [x.type, x]));
    expect(byType.get('NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    });
    expect(byType.get('NamespaceDeletionDiscoveryFailure')).toMatchObject({
      status: 'False',
      reason: 'ResourcesDiscovered',
    });
    expect(byType.get('NamespaceDeletionContentFailure')).toMatchObject({
      status: 'False',
      reason: 'ContentDeleted',
    });
    expect(ns.spec?.finalizers).toEqual(['kubernetes']);
    const left = await c().list(resources.configmaps, { namespace: 'doomed' });
    expect(left.items.map((x) => x.metadata.name)).toEqual(['held']);
    expect(await getOrUndefined(c(), resources.pods, 'p', 'doomed')).toBeUndefined();
    expect(await getOrUndefined(c(), resources.services, 'svc', 'doomed')).toBeUndefined();

    // The last finalizer goes: so do the config map and the namespace.
    await c().patch(resources.configmaps, 'held', { metadata: { finalizers: null } }, 'merge', {
      namespace: 'doomed',
    });
    await waitFor(
      'the namespace to go',
      async () => (await getOrUndefined(c(), resources.namespaces, 'doomed')) === undefined,
    );
  });

  it('removes an empty namespace at once, and custom resources in one', async () => {
    await c().create(resources.customresourcedefinitions, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    const widgets: ResourceRef = {
      group: 'example.com',
      version: 'v1',
      resource: 'widgets',
      kind: 'Widget',
      namespaced: true,
    };
    await namespace('empty');
    await c().delete(resources.namespaces, 'empty');
    await waitFor(
      'the empty namespace to go',
      async () => (await getOrUndefined(c(), resources.namespaces, 'empty')) === undefined,
    );

    await namespace('custom');
    await waitFor('widgets to be served', () =>
      c().create(
        widgets,
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'custom' } },
        { namespace: 'custom' },
      ),
    );
    await c().delete(resources.namespaces, 'custom');
    await waitFor(
      'the namespace with a custom resource to go',
      async () => (await getOrUndefined(c(), resources.namespaces, 'custom')) === undefined,
    );
    expect((await c().list(widgets, { namespace: 'custom' })).items).toEqual([]);
  });

  it('leaves namespaces that are not being deleted alone', async () => {
    await namespace('kept');
    await c().create(resources.configmaps, configMap('stays', 'kept'), { namespace: 'kept' });
    // A namespace deleted after it is handled first: when that one is gone, "kept" was seen too.
    await namespace('marker');
    await c().delete(resources.namespaces, 'marker');
    await waitFor(
      'the marker to go',
      async () => (await getOrUndefined(c(), resources.namespaces, 'marker')) === undefined,
    );
    expect(await getOrUndefined(c(), resources.configmaps, 'stays', 'kept')).toBeDefined();
    expect((await c().get<Ns>(resources.namespaces, 'kept')).status?.phase).toBe('Active');
  });
});
