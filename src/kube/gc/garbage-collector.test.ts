import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { getOrUndefined, waitFor } from '../core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type RunningGarbageCollector, startGarbageCollector } from './garbage-collector.js';

const NS = 'default';

function replicaSet(name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}

function ownerRef(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
    ...extra,
  };
}

function pod(name: string, owners: OwnerReference[], finalizers?: string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, ownerReferences: owners, ...(finalizers ? { finalizers } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
}

describe('garbage collector', () => {
  let env: KubeTestEnv;
  let gc: RunningGarbageCollector;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'gc' });
    gc = startGarbageCollector(env.ctx);
    env.informers.start();
    await waitFor('the collector to sync', () => gc.hasSynced());
  });
  afterAll(async () => {
    await gc.stop();
    await env.close();
  });

  const c = () => env.client;
  const exists = async (ref: ResourceRef, name: string, ns: string | undefined = NS) =>
    (await getOrUndefined(c(), ref, name, ns)) !== undefined;

  async function ownerWithPods(prefix: string, n: number, finalizers?: string[]) {
    const rs = await c().create(resources.replicasets, replicaSet(prefix), { namespace: NS });
    const pods: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = await c().create(
        resources.pods,
        pod(`${prefix}-${i}`, [ownerRef(rs)], i === 0 ? finalizers : undefined),
        {
          namespace: NS,
        },
      );
      pods.push(p.metadata.name!);
    }
    // The graph has seen them all.
    await waitFor('the graph to hold the pods', () => gc.graph.get(rs.metadata.uid!)?.dependents.size === n);
    return { rs, pods };
  }

  it('background: the owner goes at once, then its dependents', async () => {
    const { pods } = await ownerWithPods('bg', 3);
    await c().delete(resources.replicasets, 'bg', { namespace: NS, propagationPolicy: 'Background' });
    expect(await exists(resources.replicasets, 'bg')).toBe(false);
    for (const p of pods)
      await waitFor(`pod ${p} to be collected`, async () => !(await exists(resources.pods, p)));
  });

  it('foreground: dependents go first, a blocking one holds the owner, then the owner goes', async () => {
    const { pods } = await ownerWithPods('fg', 3, ['example.com/hold']);
    await c().delete(resources.replicasets, 'fg', { namespace: NS, propagationPolicy: 'Foreground' });
    // The dependents without finalizers go; the held one lingers, being deleted.
    for (const p of pods.slice(1))
      await waitFor(`pod ${p} to be deleted`, async () => !(await exists(resources.pods, p)));
    const held = await waitFor('the held pod to be marked for deletion', async () => {
      const p = await getOrUndefined(c(), resources.pods, pods[0]!, NS);
      return p?.metadata.deletionTimestamp ? p : undefined;
    });
    const owner = await c().get(resources.replicasets, 'fg', { namespace: NS });
    expect(owner.metadata.deletionTimestamp).toBeTruthy();
    expect(owner.metadata.finalizers).toContain('foregroundDeletion');
    // Release the held dependent: the owner follows it.
    await c().patch(resources.pods, held.metadata.name!, { metadata: { finalizers: null } }, 'merge', {
      namespace: NS,
    });
    await waitFor('the owner to go', async () => !(await exists(resources.replicasets, 'fg')));
    expect(await exists(resources.pods, pods[0]!)).toBe(false);
  });

  it('foreground: dependents that do not block their owner do not hold it', async () => {
    const rs = await c().create(resources.replicasets, replicaSet('fg-nb'), { namespace: NS });
    await c().create(
      resources.pods,
      pod('fg-nb-0', [ownerRef(rs, { blockOwnerDeletion: false })], ['example.com/hold']),
      {
        namespace: NS,
      },
    );
    await waitFor('the graph', () => gc.graph.get(rs.metadata.uid!)?.dependents.size === 1);
    await c().delete(resources.replicasets, 'fg-nb', { namespace: NS, propagationPolicy: 'Foreground' });
    await waitFor('the owner to go', async () => !(await exists(resources.replicasets, 'fg-nb')));
    const p = await c().get(resources.pods, 'fg-nb-0', { namespace: NS });
    expect(p.metadata.deletionTimestamp).toBeTruthy();
    await c().patch(resources.pods, 'fg-nb-0', { metadata: { finalizers: null } }, 'merge', {
      namespace: NS,
    });
  });

  it('orphan: dependents lose their reference to the owner and stay', async () => {
    const { pods } = await ownerWithPods('orph', 3);
    await c().delete(resources.replicasets, 'orph', { namespace: NS, propagationPolicy: 'Orphan' });
    await waitFor('the owner to go', async () => !(await exists(resources.replicasets, 'orph')));
    for (const name of pods) {
      const p = await c().get(resources.pods, name, { namespace: NS });
      expect(p.metadata.ownerReferences ?? []).toEqual([]);
      expect(p.metadata.deletionTimestamp).toBeUndefined();
    }
  });

  it('a dependent with another live owner only loses the dangling reference', async () => {
    const a = await c().create(resources.replicasets, replicaSet('two-a'), { namespace: NS });
    const b = await c().create(resources.replicasets, replicaSet('two-b'), { namespace: NS });
    await c().create(resources.pods, pod('shared', [ownerRef(a), ownerRef(b, { controller: false })]), {
      namespace: NS,
    });
    await c().delete(resources.replicasets, 'two-a', { namespace: NS });
    const p = await waitFor('the dangling reference to be dropped', async () => {
      const got = await c().get(resources.pods, 'shared', { namespace: NS });
      return got.metadata.ownerReferences?.length === 1 ? got : undefined;
    });
    expect(p.metadata.ownerReferences![0]!.uid).toBe(b.metadata.uid);
    expect(p.metadata.deletionTimestamp).toBeUndefined();
  });

  it('verifies owners by uid: a reference to an owner that exists with another uid is dangling', async () => {
    const rs = await c().create(resources.replicasets, replicaSet('reborn'), { namespace: NS });
    await c().create(
      resources.pods,
      pod('wrong-uid', [{ ...ownerRef(rs), uid: '00000000-0000-0000-0000-000000000000' }]),
      { namespace: NS },
    );
    await c().create(resources.pods, pod('right-uid', [ownerRef(rs)]), { namespace: NS });
    await waitFor(
      'the pod naming a stale uid to go',
      async () => !(await exists(resources.pods, 'wrong-uid')),
    );
    expect(await exists(resources.pods, 'right-uid')).toBe(true);
  });

  it('collects dependents of a cluster-scoped owner, and of an owner that never existed', async () => {
    const role = await c().create(resources.clusterroles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'gc-owner' },
      rules: [],
    });
    await c().create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'owned-by-role', namespace: NS, ownerReferences: [ownerRef(role)] },
      },
      { namespace: NS },
    );
    await c().create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'owned-by-ghost',
          namespace: NS,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'ghost',
              uid: '11111111-1111-1111-1111-111111111111',
            },
          ],
        },
      },
      { namespace: NS },
    );
    await waitFor(
      'the orphan of a ghost to go',
      async () => !(await exists(resources.configmaps, 'owned-by-ghost')),
    );
    expect(await exists(resources.configmaps, 'owned-by-role')).toBe(true);
    await c().delete(resources.clusterroles, 'gc-owner');
    await waitFor(
      'the dependent of the cluster role to go',
      async () => !(await exists(resources.configmaps, 'owned-by-role')),
    );
  });

  it('does not collect a cluster-scoped dependent naming a namespaced owner', async () => {
    const rs = await c().create(resources.replicasets, replicaSet('ns-owner'), { namespace: NS });
    await c().create(resources.clusterroles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'invalid-dependent', ownerReferences: [ownerRef(rs)] },
      rules: [],
    });
    await c().delete(resources.replicasets, 'ns-owner', { namespace: NS });
    // Give the collector every chance to act on it: a later, valid case is handled first.
    await c().create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'marker', namespace: NS, ownerReferences: [{ ...ownerRef(rs) }] },
      },
      { namespace: NS },
    );
    await waitFor('the marker to go', async () => !(await exists(resources.configmaps, 'marker')));
    expect(await exists(resources.clusterroles, 'invalid-dependent', undefined)).toBe(true);
  });

  it('covers custom resources, including kinds defined after it started', async () => {
    await c().create(resources.customresourcedefinitions, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
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
    const gadgets: ResourceRef = {
      group: 'example.com',
      version: 'v1',
      resource: 'gadgets',
      kind: 'Gadget',
      namespaced: true,
    };
    const owner = await waitFor<KubeObject>('the CRD to be served', () =>
      c().create(
        gadgets,
        { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: NS } },
        { namespace: NS },
      ),
    );
    // A custom resource owned by a pod, and a config map owned by the custom resource.
    const holder = await c().create(resources.pods, pod('gadget-holder', []), { namespace: NS });
    await c().create(
      gadgets,
      {
        apiVersion: 'example.com/v1',
        kind: 'Gadget',
        metadata: { name: 'g2', namespace: NS, ownerReferences: [ownerRef(holder)] },
      },
      { namespace: NS },
    );
    await c().create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'gadget-part', namespace: NS, ownerReferences: [ownerRef(owner)] },
      },
      { namespace: NS },
    );
    await waitFor('the custom resource to be watched', () => gc.graph.get(owner.metadata.uid!)?.observed);
    await c().delete(gadgets, 'g1', { namespace: NS, propagationPolicy: 'Foreground' });
    await waitFor('the custom owner to go', async () => !(await exists(gadgets, 'g1')));
    expect(await exists(resources.configmaps, 'gadget-part')).toBe(false);
    await c().delete(resources.pods, 'gadget-holder', { namespace: NS });
    await waitFor('the custom dependent to go', async () => !(await exists(gadgets, 'g2')));
  });
});
