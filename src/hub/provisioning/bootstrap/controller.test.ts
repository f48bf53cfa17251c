// The KubeadmConfig controller against a real API server: bootstrap data waits for the cluster's
// infrastructure, the first control plane Machine initializes, workers wait for the control plane
// and then join; the Secret and status are what Cluster API's contract says.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../../client/resources.js';
import { waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import { clusterApiResources, type KubeadmConfig, type Machine } from '../../apis/cluster-api/index.js';
import { type CapiTestEnv, putCluster, startCapiTestEnv } from '../capi.testing.js';
import { startKubeadmConfigController } from './controller.js';

const ns = 'default';

async function machineWithConfig(
  env: CapiTestEnv,
  name: string,
  opts: { controlPlane?: boolean; spec?: Record<string, unknown>; cluster?: string } = {},
): Promise<Machine> {
  const _config = await env.client.create<KubeadmConfig>(
    clusterApiResources.kubeadmconfigs,
    {
      apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
      kind: 'KubeadmConfig',
      metadata: { name, namespace: ns },
      spec: opts.spec ?? {},
    } as KubeadmConfig,
    { namespace: ns },
  );
  const machine = await env.client.create<Machine>(
    clusterApiResources.machines,
    {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Machine',
      metadata: {
        name,
        namespace: ns,
        labels: {
          'cluster.x-k8s.io/cluster-name': opts.cluster ?? 'c1',
          ...(opts.controlPlane ? { 'cluster.x-k8s.io/control-plane': '' } : {}),
        },
      },
      spec: {
        clusterName: opts.cluster ?? 'c1',
        version: 'v1.33.0',
        bootstrap: {
          configRef: { apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1', kind: 'KubeadmConfig', name },
        },
        infrastructureRef: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'DockerMachine',
          name,
        },
      },
    } as KubeObject as Machine,
    { namespace: ns },
  );
  // The Machine controller makes the Machine the config's owner.
  await env.client.patch(
    clusterApiResources.kubeadmconfigs,
    name,
    {
      metadata: {
        ownerReferences: [
          {
            apiVersion: 'cluster.x-k8s.io/v1beta1',
            kind: 'Machine',
            name,
            uid: machine.metadata.uid,
            controller: true,
          },
        ],
      },
    },
    'merge',
    { namespace: ns },
  );
  return machine;
}

const getConfig = (env: CapiTestEnv, name: string) =>
  env.client.get<KubeadmConfig>(clusterApiResources.kubeadmconfigs, name, { namespace: ns });

const conditionOf = (c: KubeadmConfig, type: string) => c.status?.conditions?.find((x) => x.type === type);

describe('KubeadmConfig controller', () => {
  let env: CapiTestEnv;

  beforeAll(async () => {
    env = await startCapiTestEnv();
    env.run(startKubeadmConfigController);
    await putCluster(env.client, 'c1', { spec: { controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 } } });
  });
  afterAll(async () => env?.close());

  it('waits for the cluster infrastructure, then the first control plane Machine gets init data', async () => {
    await machineWithConfig(env, 'cp-0', {
      controlPlane: true,
      spec: {
        clusterConfiguration: {},
        initConfiguration: {
          nodeRegistration: { kubeletExtraArgs: { 'eviction-hard': 'nodefs.available<0%' } },
        },
      },
    });
    const waiting = await waitFor('DataSecretAvailable False', async () => {
      const c = await getConfig(env, 'cp-0');
      return conditionOf(c, 'DataSecretAvailable')?.status === 'False' ? c : undefined;
    });
    expect(conditionOf(waiting, 'DataSecretAvailable')).toMatchObject({
      reason: 'WaitingForClusterInfrastructure',
      severity: 'Info',
    });
    expect(conditionOf(waiting, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'WaitingForClusterInfrastructure',
    });
    expect(waiting.status?.ready).toBeFalsy();

    await putCluster(env.client, 'c1', { infrastructureReady: true });
    const ready = await waitFor('cp-0 ready', async () => {
      const c = await getConfig(env, 'cp-0');
      return c.status?.ready ? c : undefined;
    });
    expect(ready.status?.dataSecretName).toBe('cp-0');
    for (const type of ['Ready', 'DataSecretAvailable', 'CertificatesAvailable']) {
      expect(conditionOf(ready, type)?.status).toBe('True');
    }
    const secret = await env.client.get<KubeObject & { type?: string; data?: Record<string, string> }>(
      resources.secrets,
      'cp-0',
      { namespace: ns },
    );
    expect(secret.type).toBe('cluster.x-k8s.io/secret');
    expect(secret.metadata.labels?.['cluster.x-k8s.io/cluster-name']).toBe('c1');
    expect(secret.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'KubeadmConfig',
      name: 'cp-0',
      controller: true,
    });
    const value = Buffer.from(secret.data?.value ?? '', 'base64').toString();
    expect(Buffer.from(secret.data?.format ?? '', 'base64').toString()).toBe('cloud-config');
    expect(value).toContain('#cloud-config');
    expect(value).toContain('kubeadm init --config /run/kubeadm/kubeadm.yaml');
    expect(value).toContain('kind: InitConfiguration');
    expect(value).toContain('eviction-hard');
    expect(value).toContain('controlPlaneEndpoint: 127.0.0.1:6443');
  });

  it('makes a worker wait for the control plane, then gives it join data', async () => {
    await machineWithConfig(env, 'md-0', { spec: { joinConfiguration: { nodeRegistration: {} } } });
    const waiting = await waitFor('md-0 waiting', async () => {
      const c = await getConfig(env, 'md-0');
      return conditionOf(c, 'DataSecretAvailable')?.reason === 'WaitingForControlPlaneAvailable'
        ? c
        : undefined;
    });
    expect(waiting.status?.ready).toBeFalsy();

    await putCluster(env.client, 'c1', { infrastructureReady: true, controlPlaneInitialized: true });
    const ready = await waitFor('md-0 ready', async () => {
      const c = await getConfig(env, 'md-0');
      return c.status?.ready ? c : undefined;
    });
    const secret = await env.client.get<KubeObject & { data?: Record<string, string> }>(
      resources.secrets,
      'md-0',
      {
        namespace: ns,
      },
    );
    const value = Buffer.from(secret.data?.value ?? '', 'base64').toString();
    expect(value).toContain('kubeadm join');
    expect(value).toContain('apiServerEndpoint: 127.0.0.1:6443');
    expect(ready.status?.dataSecretName).toBe('md-0');
  });

  it('lets only one of two control plane Machines initialize the cluster, and drops the lock after', async () => {
    await putCluster(env.client, 'c2', { infrastructureReady: true });
    const init = {
      controlPlane: true,
      cluster: 'c2',
      spec: { initConfiguration: {}, clusterConfiguration: {} },
    };
    await Promise.all([machineWithConfig(env, 'c2-cp-a', init), machineWithConfig(env, 'c2-cp-b', init)]);
    const first = await waitFor('one c2 config ready', async () => {
      const [a, b] = await Promise.all([getConfig(env, 'c2-cp-a'), getConfig(env, 'c2-cp-b')]);
      return a.status?.ready || b.status?.ready ? [a, b] : undefined;
    });
    expect(first.filter((c) => c.status?.ready)).toHaveLength(1);
    const holder = first.find((c) => c.status?.ready)?.metadata.name;
    const lock = await env.client.get<KubeObject & { data?: Record<string, string> }>(
      resources.configmaps,
      'c2-lock',
      {
        namespace: ns,
      },
    );
    expect(JSON.parse(lock.data?.['lock-information'] ?? '{}')).toEqual({ machineName: holder });

    // Once the control plane is initialized the other one joins, and the lock goes.
    await putCluster(env.client, 'c2', { infrastructureReady: true, controlPlaneInitialized: true });
    const other = first.find((c) => !c.status?.ready)?.metadata.name ?? '';
    await waitFor('the other joins', async () => (await getConfig(env, other)).status?.ready);
    const secret = await env.client.get<KubeObject & { data?: Record<string, string> }>(
      resources.secrets,
      other,
      {
        namespace: ns,
      },
    );
    const value = Buffer.from(secret.data?.value ?? '', 'base64').toString();
    expect(value).toContain('kubeadm join');
    expect(value).toContain('controlPlane: {}');
    await waitFor('c2-lock gone', async () =>
      env.client.get(resources.configmaps, 'c2-lock', { namespace: ns }).then(
        () => false,
        () => true,
      ),
    );
  });
});
