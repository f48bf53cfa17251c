import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import { waitFor } from '../core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type Pdb, scaledValue, startDisruptionController } from './disruption-controller.js';

const NS = 'default';

describe('disruption controller', () => {
  let env: KubeTestEnv;
  let controller: RunningController;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'disruption' });
    controller = startDisruptionController(env.ctx);
    env.informers.start();
  });
  afterAll(async () => {
    await controller.stop();
    await env.close();
  });

  const c = () => env.client;

  function template(app: string) {
    return { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  }

  function controllerRef(owner: KubeObject): OwnerReference {
    return {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.metadata.name!,
      uid: owner.metadata.uid!,
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  async function setReady(name: string, ready: boolean): Promise<void> {
    const pod = await c().get(resources.pods, name, { namespace: NS });
    pod.status = {
      phase: 'Running',
      podIP: '10.0.0.9',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    };
    await c().update(resources.pods, pod, { namespace: NS, subresource: 'status' });
  }

  /** A Deployment, its ReplicaSet and n ready pods, wired by ownerReferences as the controllers would. */
  async function deployment(app: string, replicas: number): Promise<string[]> {
    const d = await c().create<KubeObject>(
      resources.deployments,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: app, namespace: NS },
        spec: { replicas, selector: { matchLabels: { app } }, template: template(app) },
      },
      { namespace: NS },
    );
    const rs = await c().create<KubeObject>(
      resources.replicasets,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: `${app}-abc`, namespace: NS, ownerReferences: [controllerRef(d)] },
        spec: { replicas, selector: { matchLabels: { app } }, template: template(app) },
      },
      { namespace: NS },
    );
    const names: string[] = [];
    for (let i = 0; i < replicas; i++) {
      const name = `${app}-abc-${i}`;
      await c().create(
        resources.pods,
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: NS, labels: { app }, ownerReferences: [controllerRef(rs)] },
          spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx' }] },
        },
        { namespace: NS },
      );
      await setReady(name, true);
      names.push(name);
    }
    return names;
  }

  async function pdb(
    name: string,
    app: string,
    budget: { minAvailable?: number | string; maxUnavailable?: number | string },
  ) {
    await c().create(
      resources.poddisruptionbudgets,
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace: NS },
        spec: { selector: { matchLabels: { app } }, ...budget },
      },
      { namespace: NS },
    );
  }

  const status = async (name: string) =>
    (await c().get<Pdb>(resources.poddisruptionbudgets, name, { namespace: NS })).status ?? {};

  async function evict(pod: string): Promise<ApiError | undefined> {
    try {
      await c().create(
        resources.pods,
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: NS } },
        { namespace: NS, subresource: 'eviction' },
      );
      return undefined;
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
  }

  it('rounds percentages up', () => {
    expect(scaledValue('50%', 3)).toBe(2);
    expect(scaledValue('10%', 10)).toBe(1);
    expect(scaledValue(2, 10)).toBe(2);
    expect(() => scaledValue('lots', 10)).toThrow(/invalid value/);
  });

  it('computes the status of a minAvailable budget and lets evictions spend it', async () => {
    const pods = await deployment('web', 3);
    await pdb('web-pdb', 'web', { minAvailable: 2 });
    const st = await waitFor('the status', async () => {
      const s = await status('web-pdb');
      return s.currentHealthy === 3 ? s : undefined;
    });
    expect(st).toMatchObject({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      observedGeneration: 1,
    });
    expect(st.conditions).toEqual([
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
        observedGeneration: 1,
      }),
    ]);

    // One eviction is allowed; the next is refused until the budget recovers.
    expect(await evict(pods[0]!)).toBeUndefined();
    await waitFor('the budget to be spent', async () => (await status('web-pdb')).currentHealthy === 2);
    const refused = await evict(pods[1]!);
    expect(refused?.code).toBe(429);
    expect(refused?.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    const after = await status('web-pdb');
    expect(after.disruptionsAllowed).toBe(0);
    expect(after.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
  });

  it('uses the scale of the pods controllers for maxUnavailable and percentages', async () => {
    const pods = await deployment('api', 4);
    await pdb('api-pdb', 'api', { maxUnavailable: '50%' });
    const st = await waitFor('the status', async () => {
      const s = await status('api-pdb');
      return s.currentHealthy === 4 ? s : undefined;
    });
    expect(st).toMatchObject({ expectedPods: 4, desiredHealthy: 2, disruptionsAllowed: 2 });
    // A pod that is not ready counts against the budget.
    await setReady(pods[3]!, false);
    await waitFor('one less healthy', async () => {
      const s = await status('api-pdb');
      return s.currentHealthy === 3 && s.disruptionsAllowed === 1;
    });
    // The Deployment is scaled: the expected count follows it once pods change.
    await c().patch(resources.deployments, 'api', { spec: { replicas: 8 } }, 'merge', { namespace: NS });
    await setReady(pods[3]!, true);
    await waitFor('the new expected count', async () => {
      const s = await status('api-pdb');
      return s.expectedPods === 8 && s.desiredHealthy === 4 && s.disruptionsAllowed === 0;
    });
  });

  it('fails safe when the expected count cannot be computed', async () => {
    await c().create(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'stray',
          namespace: NS,
          labels: { app: 'stray' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', uid: 'no-such-uid', controller: true },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
      { namespace: NS },
    );
    await pdb('stray-pdb', 'stray', { maxUnavailable: 1 });
    const st = await waitFor('a failed sync', async () => {
      const s = await status('stray-pdb');
      return s.conditions?.[0]?.reason === 'SyncFailed' ? s : undefined;
    });
    expect(st.disruptionsAllowed).toBe(0);
    expect(st.conditions?.[0]?.message).toBe('found no controllers for pod "stray"');
  });
});
