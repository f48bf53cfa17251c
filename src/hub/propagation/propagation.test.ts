// The propagation controllers against a real API server serving Karmada's kinds on SQLite: each
// test makes its own namespace, members and policy, and reads what the controllers wrote.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import { waitFor } from '../../kube/core.testing.js';
import type { KubeObject } from '../../machinery/object.js';
import {
  type ClusterResourceBinding,
  karmadaResources,
  type Placement,
  type PropagationPolicy,
  type ResourceBinding,
  type Work,
} from '../apis/karmada/index.js';
import { startPropagationControllers } from './index.js';
import { type PropagationTestEnv, putMember, startPropagationTestEnv } from './propagation.testing.js';

let env: PropagationTestEnv;
let controllers: RunningController;

beforeAll(async () => {
  env = await startPropagationTestEnv();
  controllers = startPropagationControllers(env.ctx);
  env.informers.start();
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await env?.close();
});

const client = () => env.client;

async function namespace(name: string): Promise<void> {
  await client().create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function deployment(
  ns: string,
  name: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...extra }] },
      },
    },
  };
}

async function policy(
  ns: string,
  name: string,
  target: string,
  placement: Placement,
  extra = {},
): Promise<void> {
  await client().create(
    karmadaResources.propagationpolicies,
    {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: { name, namespace: ns },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: target }],
        placement,
        ...extra,
      },
    },
    { namespace: ns },
  );
}

const getBinding = (ns: string, name: string) =>
  client()
    .get<ResourceBinding>(karmadaResources.resourcebindings, name, { namespace: ns })
    .catch(() => undefined);

/** spec.clusters once the Scheduled condition says `status` and `check` holds. */
async function scheduled(
  ns: string,
  name: string,
  check: (b: ResourceBinding) => boolean = () => true,
  status = 'True',
): Promise<ResourceBinding> {
  return waitFor(`binding ${ns}/${name} scheduled`, async () => {
    const b = await getBinding(ns, name);
    const cond = b?.status?.conditions?.find((c) => c.type === 'Scheduled');
    return b &&
      cond?.status === status &&
      b.status?.schedulerObservedGeneration === b.metadata.generation &&
      check(b)
      ? b
      : undefined;
  });
}

const placed = (b: ResourceBinding) => (b.spec.clusters ?? []).map((c) => `${c.name}:${c.replicas}`).sort();

async function worksFor(member: string): Promise<Work[]> {
  const list = await client().list<Work>(karmadaResources.works, { namespace: `karmada-es-${member}` });
  return list.items;
}

async function manifestOn(member: string, kind: string, name: string): Promise<KubeObject | undefined> {
  for (const w of await worksFor(member)) {
    const m = w.spec.workload?.manifests?.[0];
    if (m?.kind === kind && m.metadata.name === name && !w.metadata.deletionTimestamp) return m;
  }
  return undefined;
}

describe('propagation', () => {
  it('divides 1:2 by static weight, renders one Work per member and cleans up when the template goes', async () => {
    await namespace('static');
    await putMember(client(), 's1', { labels: { suite: 'static' } });
    await putMember(client(), 's2', { labels: { suite: 'static' } });
    await client().create(resources.deployments, deployment('static', 'web', 3), { namespace: 'static' });
    await policy('static', 'web', 'web', {
      clusterAffinity: { clusterNames: ['s1', 's2'] },
      replicaScheduling: {
        replicaSchedulingType: 'Divided',
        replicaDivisionPreference: 'Weighted',
        weightPreference: {
          staticWeightList: [
            { targetCluster: { clusterNames: ['s1'] }, weight: 1 },
            { targetCluster: { clusterNames: ['s2'] }, weight: 2 },
          ],
        },
      },
    });
    const b = await scheduled('static', 'web-deployment');
    expect(placed(b)).toEqual(['s1:1', 's2:2']);
    expect(b.spec.replicas).toBe(3);
    expect(b.metadata.finalizers).toContain('karmada.io/binding-controller');
    expect(b.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    const m1 = await waitFor('work on s1', () => manifestOn('s1', 'Deployment', 'web'));
    const m2 = await waitFor('work on s2', () => manifestOn('s2', 'Deployment', 'web'));
    expect([(m1.spec as { replicas: number }).replicas, (m2.spec as { replicas: number }).replicas]).toEqual([
      1, 2,
    ]);
    // The namespace goes to every member too.
    await waitFor('namespace on s1', () => manifestOn('s1', 'Namespace', 'static'));
    // The policy got its finalizer and says what it claims; the template names its policy.
    const pp = await client().get<PropagationPolicy>(karmadaResources.propagationpolicies, 'web', {
      namespace: 'static',
    });
    expect(pp.metadata.finalizers).toEqual(['karmada.io/propagation-policy-controller']);
    const applied = await waitFor('policy status', async () => {
      const p = await client().get<PropagationPolicy>(karmadaResources.propagationpolicies, 'web', {
        namespace: 'static',
      });
      // Claims are counted into the status within a second of the claim.
      const c = (p.status as { conditions?: { status: string; message?: string }[] } | undefined)
        ?.conditions?.[0];
      return c?.status === 'True' ? c : undefined;
    });
    expect(applied).toMatchObject({ status: 'True', message: 'the policy claims 1 resource' });
    const template = await client().get(resources.deployments, 'web', { namespace: 'static' });
    expect(template.metadata.annotations?.['propagationpolicy.karmada.io/name']).toBe('web');

    // Deleting the template deletes its binding, and the binding controller deletes its Works.
    await client().delete(resources.deployments, 'web', { namespace: 'static' });
    await waitFor('binding gone', async () => !(await getBinding('static', 'web-deployment')));
    await waitFor(
      'works deleted',
      async () =>
        !(await manifestOn('s1', 'Deployment', 'web')) && !(await manifestOn('s2', 'Deployment', 'web')),
    );
  });

  it('activationPreference Lazy: a policy change reaches a template only when the template changes', async () => {
    await namespace('lazy');
    await putMember(client(), 'lz1', { labels: { suite: 'lazy' } });
    await putMember(client(), 'lz2', { labels: { suite: 'lazy' } });
    const toLz1 = { clusterAffinity: { clusterNames: ['lz1'] } };
    const onlyTo = (member: string) => (b: ResourceBinding) => placed(b).join() === `${member}:1`;
    const policyName = async (name: string) =>
      (await client().get(resources.deployments, name, { namespace: 'lazy' })).metadata.annotations?.[
        'propagationpolicy.karmada.io/name'
      ];
    const touch = (name: string) =>
      client().patch(
        resources.deployments,
        name,
        { metadata: { labels: { 'refresh-time': `${Date.now()}` } } },
        'merge',
        {
          namespace: 'lazy',
        },
      );

    // A template created after its lazy policy is propagated at once. (old is made first: the
    // detector has looked at it, with no policy for it yet, by the time web is placed.)
    await policy('lazy', 'web', 'web', toLz1, { activationPreference: 'Lazy' });
    await client().create(resources.deployments, deployment('lazy', 'old', 1), { namespace: 'lazy' });
    await client().create(resources.deployments, deployment('lazy', 'web', 1), { namespace: 'lazy' });
    const first = await scheduled('lazy', 'web-deployment', onlyTo('lz1'));
    // A template that exists before its lazy policy is claimed, but not propagated.
    await policy('lazy', 'old', 'old', toLz1, { activationPreference: 'Lazy' });
    await waitFor('old claimed by its policy', async () => (await policyName('old')) === 'old');
    expect(await getBinding('lazy', 'old-deployment')).toBeUndefined();

    // A lazy policy of higher priority takes web over: the claim moves, the placement stays.
    await policy(
      'lazy',
      'web-next',
      'web',
      { clusterAffinity: { clusterNames: ['lz2'] } },
      {
        activationPreference: 'Lazy',
        priority: 10,
        preemption: 'Always',
      },
    );
    const moved = await waitFor('the binding claimed by web-next', async () => {
      const b = await getBinding('lazy', 'web-deployment');
      return b?.metadata.annotations?.['propagationpolicy.karmada.io/name'] === 'web-next' ? b : undefined;
    });
    expect(await policyName('web')).toBe('web-next');
    expect(moved.spec.placement).toEqual(first.spec.placement);
    expect(placed(moved)).toEqual(['lz1:1']);

    // The templates' own changes bring the policies' placements.
    await touch('web');
    expect(placed(await scheduled('lazy', 'web-deployment', onlyTo('lz2')))).toEqual(['lz2:1']);
    await touch('old');
    expect(placed(await scheduled('lazy', 'old-deployment', onlyTo('lz1')))).toEqual(['lz1:1']);
  });

  it('places by region affinity and follows free capacity with dynamic weights', async () => {
    await namespace('dyn');
    await putMember(client(), 'd-east', { region: 'east', pods: 6, labels: { suite: 'dyn' } });
    await putMember(client(), 'd-west1', { region: 'west', pods: 10, labels: { suite: 'dyn' } });
    await putMember(client(), 'd-west2', { region: 'west', pods: 30, labels: { suite: 'dyn' } });
    await client().create(resources.deployments, deployment('dyn', 'api', 8), { namespace: 'dyn' });
    await policy('dyn', 'api', 'api', {
      clusterAffinity: {
        labelSelector: { matchLabels: { suite: 'dyn' } },
        fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['west'] }] },
      },
      replicaScheduling: {
        replicaSchedulingType: 'Divided',
        replicaDivisionPreference: 'Weighted',
        weightPreference: { dynamicWeight: 'AvailableReplicas' },
      },
    });
    // 8 replicas over room 10:30 are 2:6; the east member is never chosen.
    const b = await scheduled('dyn', 'api-deployment');
    expect(placed(b)).toEqual(['d-west1:2', 'd-west2:6']);
  });

  it('places what fits when the fleet is short, says how many are missing, and completes when a member joins', async () => {
    await namespace('short');
    await putMember(client(), 'p1', { pods: 3, labels: { suite: 'short' } });
    await putMember(client(), 'p2', { pods: 2, labels: { suite: 'short' } });
    await client().create(resources.deployments, deployment('short', 'batch', 8), { namespace: 'short' });
    await policy('short', 'batch', 'batch', {
      clusterAffinity: { labelSelector: { matchLabels: { suite: 'short' } } },
      replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' },
    });
    const partial = await scheduled(
      'short',
      'batch-deployment',
      (b) => (b.spec.clusters?.length ?? 0) > 0,
      'False',
    );
    expect(placed(partial)).toEqual(['p1:3', 'p2:2']);
    const cond = partial.status?.conditions?.find((c) => c.type === 'Scheduled');
    expect(cond?.reason).toBe('Unschedulable');
    expect(cond?.message).toMatch(/^3 of 8 replicas could not be placed/);
    // Works exist for what was placed.
    await waitFor('work on p1', () => manifestOn('p1', 'Deployment', 'batch'));
    // Once the pods run, the registry reports the two members full; then a third member joins.
    await putMember(client(), 'p1', { pods: 0, labels: { suite: 'short' } });
    await putMember(client(), 'p2', { pods: 0, labels: { suite: 'short' } });
    await putMember(client(), 'p3', { pods: 5, labels: { suite: 'short' } });
    const done = await scheduled('short', 'batch-deployment');
    expect(placed(done)).toEqual(['p1:3', 'p2:2', 'p3:3']);
  });

  it('spreads over two regions and overrides the image registry in one of them', async () => {
    await namespace('spread');
    await putMember(client(), 'r-eu1', { region: 'eu', labels: { suite: 'spread' } });
    await putMember(client(), 'r-eu2', { region: 'eu', labels: { suite: 'spread' } });
    await putMember(client(), 'r-us1', { region: 'us', labels: { suite: 'spread' } });
    await client().create(
      karmadaResources.overridepolicies,
      {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'OverridePolicy',
        metadata: { name: 'eu-mirror', namespace: 'spread' },
        spec: {
          resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop' }],
          overrideRules: [
            {
              targetCluster: {
                fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] },
              },
              overriders: {
                imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'mirror.eu.example' }],
              },
            },
          ],
        },
      },
      { namespace: 'spread' },
    );
    await client().create(resources.deployments, deployment('spread', 'shop', 2), { namespace: 'spread' });
    await policy('spread', 'shop', 'shop', {
      clusterAffinity: { labelSelector: { matchLabels: { suite: 'spread' } } },
      spreadConstraints: [
        { spreadByField: 'cluster', minGroups: 2, maxGroups: 2 },
        { spreadByField: 'region', minGroups: 2, maxGroups: 2 },
      ],
    });
    const b = await scheduled('spread', 'shop-deployment');
    const names = (b.spec.clusters ?? []).map((c) => c.name).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain('r-us1');
    const eu = names.find((n) => n.startsWith('r-eu'))!;
    const image = (m: KubeObject) =>
      (m.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!
        .image;
    expect(image(await waitFor('eu work', () => manifestOn(eu, 'Deployment', 'shop')))).toBe(
      'mirror.eu.example/nginx:1.27',
    );
    expect(image(await waitFor('us work', () => manifestOn('r-us1', 'Deployment', 'shop')))).toBe(
      'nginx:1.27',
    );
    const w = (await worksFor(eu)).find((x) => x.spec.workload?.manifests?.[0]?.metadata.name === 'shop')!;
    expect(JSON.parse(w.metadata.annotations!['policy.karmada.io/applied-overrides']!)).toEqual([
      {
        policyName: 'eu-mirror',
        overriders: {
          imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'mirror.eu.example' }],
        },
      },
    ]);
  });

  it('sends a ConfigMap wherever the Deployment that mounts it goes (propagateDeps)', async () => {
    await namespace('deps');
    await putMember(client(), 'dep1', { labels: { suite: 'deps' } });
    await client().create(
      resources.configmaps,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'deps' },
        data: { a: '1' },
      },
      { namespace: 'deps' },
    );
    await client().create(
      resources.deployments,
      deployment('deps', 'reader', 1, { envFrom: [{ configMapRef: { name: 'settings' } }] }),
      { namespace: 'deps' },
    );
    await policy(
      'deps',
      'reader',
      'reader',
      { clusterAffinity: { clusterNames: ['dep1'] } },
      { propagateDeps: true },
    );
    const cm = await waitFor('configmap work', () => manifestOn('dep1', 'ConfigMap', 'settings'));
    expect(cm.data).toEqual({ a: '1' });
    const attached = await waitFor('attached binding', () => getBinding('deps', 'settings-configmap'));
    expect(attached.spec.requiredBy).toEqual([
      { namespace: 'deps', name: 'reader-deployment', clusters: [{ name: 'dep1', replicas: 1 }] },
    ]);
    const independent = await getBinding('deps', 'reader-deployment');
    expect(
      JSON.parse(independent!.metadata.annotations!['resourcebinding.karmada.io/dependencies']!),
    ).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'deps', name: 'settings' }]);
  });

  it('says so when a policy matches nothing and when no member satisfies a placement', async () => {
    await namespace('bad');
    await policy('bad', 'nothing', 'no-such-deployment', { clusterAffinity: { clusterNames: ['nowhere'] } });
    const cond = await waitFor('policy condition', async () => {
      const p = await client().get<PropagationPolicy>(karmadaResources.propagationpolicies, 'nothing', {
        namespace: 'bad',
      });
      return (
        p.status as { conditions?: { status: string; reason?: string; message?: string }[] } | undefined
      )?.conditions?.[0];
    });
    expect(cond).toMatchObject({ status: 'False', reason: 'NoMatchingResources' });
    await client().create(resources.deployments, deployment('bad', 'lonely', 1), { namespace: 'bad' });
    await policy('bad', 'lonely', 'lonely', { clusterAffinity: { clusterNames: ['nowhere'] } });
    const b = await scheduled('bad', 'lonely-deployment', () => true, 'False');
    const scheduledCond = b.status?.conditions?.find((c) => c.type === 'Scheduled');
    expect(scheduledCond?.reason).toBe('NoClusterFit');
    expect(scheduledCond?.message).toMatch(
      /^0\/\d+ clusters are available: \d+ cluster\(s\) did not match the placement cluster affinity constraint\.$/,
    );
  });

  it('sends a namespace to a member that joins later, and takes it back from all when the namespace opts out', async () => {
    await namespace('ns-sync');
    await putMember(client(), 'nsa');
    await waitFor('namespace on nsa', () => manifestOn('nsa', 'Namespace', 'ns-sync'));
    await putMember(client(), 'nsb');
    const m = await waitFor('namespace on nsb, which joined later', () =>
      manifestOn('nsb', 'Namespace', 'ns-sync'),
    );
    expect(m.metadata.labels?.['karmada.io/managed']).toBe('true');
    await client().patch(
      resources.namespaces,
      'ns-sync',
      {
        metadata: { labels: { 'namespace.karmada.io/skip-auto-propagation': 'true' } },
      },
      'merge',
    );
    await waitFor(
      'namespace Works gone from both members',
      async () =>
        !(await manifestOn('nsa', 'Namespace', 'ns-sync')) &&
        !(await manifestOn('nsb', 'Namespace', 'ns-sync')),
    );
  });

  it('propagates a cluster-scoped resource through a ClusterPropagationPolicy and a ClusterResourceBinding', async () => {
    await putMember(client(), 'cr1', { labels: { suite: 'cluster' } });
    await client().create(resources.clusterroles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    });
    await client().create(karmadaResources.clusterpropagationpolicies, {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'ClusterPropagationPolicy',
      metadata: { name: 'roles' },
      spec: {
        resourceSelectors: [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'reader' },
        ],
        placement: { clusterAffinity: { clusterNames: ['cr1'] } },
      },
    });
    const crb = await waitFor('cluster binding', async () => {
      const b = await client()
        .get<ClusterResourceBinding>(karmadaResources.clusterresourcebindings, 'reader-clusterrole')
        .catch(() => undefined);
      return b?.spec.clusters?.length ? b : undefined;
    });
    expect(crb.spec.clusters).toEqual([{ name: 'cr1' }]);
    const m = await waitFor('clusterrole work', () => manifestOn('cr1', 'ClusterRole', 'reader'));
    expect(m.metadata.labels?.['clusterresourcebinding.karmada.io/permanent-id']).toBe(
      crb.metadata.labels?.['clusterresourcebinding.karmada.io/permanent-id'],
    );
  });
});
