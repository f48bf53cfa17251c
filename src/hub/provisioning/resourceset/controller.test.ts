// The ClusterResourceSet controller with Cluster API's own e2e manifest (crs.yaml, variables
// filled in as its e2e framework fills them) against simulated workload clusters reached through
// their kubeconfig Secrets: ApplyOnce, Reconcile, a cluster labelled later, the binding's records,
// the ResourcesApplied condition and its reasons, and deletion.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envsubst } from '../../../../test/support/envsubst.js';
import { resources } from '../../../client/resources.js';
import { getOrUndefined, waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import { SimCluster } from '../../../sim/cluster.js';
import {
  type ClusterResourceSet,
  type ClusterResourceSetBinding,
  clusterApiResources,
} from '../../apis/cluster-api/index.js';
import { type CapiTestEnv, putCluster, putKubeconfigSecret, startCapiTestEnv } from '../capi.testing.js';
import { startClusterResourceSetController } from './controller.js';

const FIXTURE = '/work/shared/fixtures/cluster-api/test/e2e/data/infrastructure-docker/main/bases/crs.yaml';
const ns = 'default';

// What the e2e framework puts in CNI_RESOURCES: the CNI manifest under one key.
const CNI = `apiVersion: v1
kind: Namespace
metadata:
  name: cni-system
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cni-config
  namespace: cni-system
data:
  mode: bridge
`;

const crsOf = (env: CapiTestEnv, name: string) =>
  env.client.get<ClusterResourceSet>(clusterApiResources.clusterresourcesets, name, { namespace: ns });
const bindingOf = (env: CapiTestEnv, name: string) =>
  getOrUndefined<ClusterResourceSetBinding>(
    env.client,
    clusterApiResources.clusterresourcesetbindings,
    name,
    ns,
  );
const appliedOf = (c: ClusterResourceSet) => c.status?.conditions?.find((x) => x.type === 'ResourcesApplied');

async function applyManifest(env: CapiTestEnv, text: string): Promise<void> {
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    const ref = obj.kind === 'ConfigMap' ? resources.configmaps : clusterApiResources.clusterresourcesets;
    await env.client.create(ref, { ...obj, metadata: { ...obj.metadata, namespace: ns } }, { namespace: ns });
  }
}

describe('ClusterResourceSet controller', () => {
  let env: CapiTestEnv;
  const sims: SimCluster[] = [];

  async function workloadCluster(name: string, labels: Record<string, string>): Promise<SimCluster> {
    const sim = await SimCluster.start({ name, dataDir: join(env.dir, 'sims'), nodes: 1 });
    sims.push(sim);
    await putKubeconfigSecret(env.client, name, sim.kubeconfig);
    await putCluster(env.client, name, { labels, infrastructureReady: true, controlPlaneInitialized: true });
    return sim;
  }

  beforeAll(async () => {
    env = await startCapiTestEnv();
    env.run(startClusterResourceSetController);
  }, 60_000);
  afterAll(async () => {
    for (const s of sims) await s.stop();
    await env?.close();
  });

  it('applies the e2e ClusterResourceSet once to the matching cluster and records it in the binding', async () => {
    const sim = await workloadCluster('w1', { cni: 'w1-crs-0' });
    const yaml = envsubst(await readFile(FIXTURE, 'utf8'), {
      CLUSTER_NAME: 'w1',
      CNI_RESOURCES: JSON.stringify({ resources: CNI }),
    });
    await applyManifest(env, yaml);

    const cm = await waitFor('cni-config in w1', () =>
      getOrUndefined(sim.client, resources.configmaps, 'cni-config', 'cni-system'),
    );
    expect((cm as KubeObject & { data?: Record<string, string> }).data).toEqual({ mode: 'bridge' });

    const crs = await waitFor('ResourcesApplied True', async () => {
      const c = await crsOf(env, 'w1-crs-0');
      return appliedOf(c)?.status === 'True' ? c : undefined;
    });
    expect(crs.metadata.finalizers).toContain('addons.cluster.x-k8s.io');
    const binding = await waitFor('binding w1', () => bindingOf(env, 'w1'));
    expect(binding.spec.clusterName).toBe('w1');
    expect(binding.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ClusterResourceSet', name: 'w1-crs-0', uid: crs.metadata.uid }),
    ]);
    const record = binding.spec.bindings?.[0];
    expect(record?.clusterResourceSetName).toBe('w1-crs-0');
    // sha256 over the sorted values of the ConfigMap's data, as Cluster API computes it.
    const { createHash } = await import('node:crypto');
    expect(record?.resources).toEqual([
      expect.objectContaining({
        name: 'cni-w1-crs-0',
        kind: 'ConfigMap',
        applied: true,
        hash: `sha256:${createHash('sha256').update(CNI).digest('hex')}`,
        lastAppliedTime: expect.stringMatching(/Z$/),
      }),
    ]);
    // The set owns its resources (non-controlling), so they go with it.
    const source = await env.client.get(resources.configmaps, 'cni-w1-crs-0', { namespace: ns });
    expect(source.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ClusterResourceSet', name: 'w1-crs-0' }),
    ]);
    // ApplyOnce: a change of the ConfigMap is not applied again (checked in the last test, once
    // Reconcile has been seen applying its own changes).
    await env.client.patch(
      resources.configmaps,
      'cni-w1-crs-0',
      { data: { resources: CNI.replace('bridge', 'ipvlan') } },
      'merge',
      { namespace: ns },
    );
  }, 60_000);

  it('with Reconcile applies changes again, to every matching cluster, including one labelled later', async () => {
    const a = await workloadCluster('r1', { env: 'prod' });
    await env.client.create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns },
        data: {
          'a.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  level: one\n',
        },
      } as KubeObject,
      { namespace: ns },
    );
    await env.client.create(
      clusterApiResources.clusterresourcesets,
      {
        apiVersion: 'addons.cluster.x-k8s.io/v1beta1',
        kind: 'ClusterResourceSet',
        metadata: { name: 'settings', namespace: ns },
        spec: {
          strategy: 'Reconcile',
          clusterSelector: { matchLabels: { env: 'prod' } },
          resources: [{ name: 'settings', kind: 'ConfigMap' }],
        },
      } as KubeObject,
      { namespace: ns },
    );
    const level = (sim: SimCluster) =>
      getOrUndefined<KubeObject & { data?: Record<string, string> }>(
        sim.client,
        resources.configmaps,
        'settings',
        'default',
      ).then((c) => c?.data?.level);
    await waitFor('level one in r1', async () => (await level(a)) === 'one');

    const b = await workloadCluster('r2', { env: 'dev' });
    await env.client.patch(
      clusterApiResources.clusters,
      'r2',
      { metadata: { labels: { env: 'prod' } } },
      'merge',
      {
        namespace: ns,
      },
    );
    await waitFor('level one in r2', async () => (await level(b)) === 'one');

    await env.client.patch(
      resources.configmaps,
      'settings',
      {
        data: {
          'a.yaml':
            'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  level: two\n',
        },
      },
      'merge',
      { namespace: ns },
    );
    await waitFor('level two in both', async () => (await level(a)) === 'two' && (await level(b)) === 'two');
  }, 60_000);

  it('says why not: no kubeconfig yet, a Secret of the wrong type', async () => {
    await putCluster(env.client, 'nokube', { labels: { group: 'x' } });
    await env.client.create(
      resources.secrets,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'opaque', namespace: ns },
        type: 'Opaque',
        stringData: { x: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
      } as KubeObject,
      { namespace: ns },
    );
    const mk = (name: string, resourcesList: unknown) =>
      env.client.create(
        clusterApiResources.clusterresourcesets,
        {
          apiVersion: 'addons.cluster.x-k8s.io/v1beta1',
          kind: 'ClusterResourceSet',
          metadata: { name, namespace: ns },
          spec: { clusterSelector: { matchLabels: { group: 'x' } }, resources: resourcesList },
        } as KubeObject,
        { namespace: ns },
      );
    await mk('wrong-type', [{ name: 'opaque', kind: 'Secret' }]);
    await mk('no-kubeconfig', [{ name: 'settings', kind: 'ConfigMap' }]);
    const wrong = await waitFor('WrongSecretType', async () => {
      const c = await crsOf(env, 'wrong-type');
      return appliedOf(c)?.reason === 'WrongSecretType' ? appliedOf(c) : undefined;
    });
    expect(wrong).toMatchObject({ status: 'False', severity: 'Warning' });
    expect(wrong.message).toContain('opaque');
    const remote = await waitFor('RemoteClusterClientFailed', async () => {
      const c = await crsOf(env, 'no-kubeconfig');
      return appliedOf(c)?.reason === 'RemoteClusterClientFailed' ? appliedOf(c) : undefined;
    });
    expect(remote).toMatchObject({ status: 'False', severity: 'Error' });
    expect(remote.message).toContain('nokube-kubeconfig');
  });

  it('leaves the clusters alone when the set is deleted, and drops it from the bindings', async () => {
    const sim = sims.find((s) => s.name === 'w1') as SimCluster;
    const still = await sim.client.get<KubeObject & { data?: Record<string, string> }>(
      resources.configmaps,
      'cni-config',
      {
        namespace: 'cni-system',
      },
    );
    expect(still.data?.mode).toBe('bridge');
    await env.client.delete(clusterApiResources.clusterresourcesets, 'w1-crs-0', { namespace: ns });
    await waitFor(
      'w1-crs-0 gone',
      async () =>
        !(await getOrUndefined(env.client, clusterApiResources.clusterresourcesets, 'w1-crs-0', ns)),
    );
    await waitFor('binding w1 deleted', async () => !(await bindingOf(env, 'w1')));
    expect(await getOrUndefined(sim.client, resources.configmaps, 'cni-config', 'cni-system')).toBeDefined();
    // A deleted Cluster's binding goes too.
    await env.client.delete(clusterApiResources.clusters, 'r1', { namespace: ns });
    await waitFor('binding r1 deleted', async () => !(await bindingOf(env, 'r1')));
  });
});
