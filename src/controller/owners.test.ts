import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Informer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { type KubeTestEnv, startKubeTestEnv } from '../kube/support.testing.js';
import type { ReplicaSet } from '../kube/workloads/types.js';
import { refersTo, resolveControllerRef, selectingOwners } from './owners.js';

const REPLICASET = { group: 'apps', kind: 'ReplicaSet' };

function replicaSet(name: string, namespace: string, matchLabels: Record<string, string>): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels },
      template: {
        metadata: { labels: { app: 'web', ...matchLabels } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
    },
  };
}

describe('workload owners', () => {
  let env: KubeTestEnv;
  let sets: Informer<ReplicaSet>;
  let web: ReplicaSet;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'owners' });
    await env.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'other' },
    });
    web = await env.client.create(resources.replicasets, replicaSet('web', 'default', { app: 'web' }), {
      namespace: 'default',
    });
    await env.client.create(
      resources.replicasets,
      replicaSet('web-canary', 'default', { app: 'web', track: 'canary' }),
      {
        namespace: 'default',
      },
    );
    await env.client.create(resources.replicasets, replicaSet('web', 'other', { app: 'web' }), {
      namespace: 'other',
    });
    sets = env.informers.informerFor<ReplicaSet>(resources.replicasets);
    env.informers.start();
    await sets.waitForSync();
  });
  afterAll(() => env.close());

  it('names a kind in any version of its group, and only there', () => {
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, REPLICASET)).toBe(true);
    expect(refersTo({ apiVersion: 'apps/v1beta2', kind: 'ReplicaSet' }, REPLICASET)).toBe(true);
    expect(refersTo({ apiVersion: 'extensions/v1beta1', kind: 'ReplicaSet' }, REPLICASET)).toBe(false);
    expect(refersTo({ apiVersion: 'apps/v1', kind: 'Deployment' }, REPLICASET)).toBe(false);
  });

  it('resolves a controller reference only to the owner with its uid', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: web.metadata.uid! };
    expect(resolveControllerRef(sets, REPLICASET, 'default', ref)?.metadata.uid).toBe(web.metadata.uid);
    // A replacement of the same name is another owner; so is a namesake of another kind or namespace.
    expect(resolveControllerRef(sets, REPLICASET, 'default', { ...ref, uid: 'not-it' })).toBeUndefined();
    expect(resolveControllerRef(sets, REPLICASET, 'default', { ...ref, kind: 'Deployment' })).toBeUndefined();
    expect(resolveControllerRef(sets, REPLICASET, 'other', ref)).toBeUndefined();
  });

  it('finds the owners of an orphan by their selectors, in its namespace only', () => {
    const pod = (labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', labels },
    });
    const names = (labels: Record<string, string>) =>
      selectingOwners(sets, pod(labels))
        .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
        .sort();
    expect(names({ app: 'web' })).toEqual(['default/web']);
    expect(names({ app: 'web', track: 'canary' })).toEqual(['default/web', 'default/web-canary']);
    expect(names({ app: 'db' })).toEqual([]);
  });
});
