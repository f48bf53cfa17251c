// The KubeadmControlPlane controller with the control plane of Cluster API's simple-cluster.yaml:
// the first Machine initializes, the rest join one at a time, scaling through the scale
// subresource, a version upgrade rolled within maxSurge, remediation of a Machine a health check
// marked, scaling down, and a missing infrastructure template named in a condition. The test
// plays the Machine controller's part (a Machine gets its Node when the test says so).

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resourceRef } from '../../../client/resources.js';
import { getOrUndefined, waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type Cluster,
  clusterApiResources,
  type KubeadmConfig,
  type KubeadmControlPlane,
  type Machine,
} from '../../apis/cluster-api/index.js';
import { type CapiTestEnv, startCapiTestEnv } from '../capi.testing.js';
import { startKubeadmControlPlaneController } from './controller.js';

const FIXTURE = '/work/shared/fixtures/cluster-api/test/infrastructure/docker/examples/simple-cluster.yaml';
const ns = 'default';
const dockerResources = {
  dockermachines: resourceRef(
    'infrastructure.cluster.x-k8s.io',
    'v1beta1',
    'dockermachines',
    'DockerMachine',
    true,
  ),
  dockermachinetemplates: resourceRef(
    'infrastructure.cluster.x-k8s.io',
    'v1beta1',
    'dockermachinetemplates',
    'DockerMachineTemplate',
    true,
  ),
};

describe('KubeadmControlPlane controller', () => {
  let env: CapiTestEnv;

  const kcp = () =>
    env.client.get<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes, 'controlplane', {
      namespace: ns,
    });
  const machines = async () =>
    (await env.client.list<Machine>(clusterApiResources.machines, { namespace: ns })).items.filter(
      (m) => m.metadata.labels?.['cluster.x-k8s.io/control-plane-name'] === 'controlplane',
    );
  const cond = (o: { status?: { conditions?: { type: string }[] } }, type: string) =>
    o.status?.conditions?.find((c) => c.type === type) as Record<string, unknown> | undefined;

  /** What the Machine controller and the infrastructure do: the Machine gets its Node. */
  async function bringUp(m: Machine): Promise<void> {
    await env.client.update(
      clusterApiResources.machines,
      {
        ...m,
        status: {
          ...m.status,
          nodeRef: { apiVersion: 'v1', kind: 'Node', name: `node-${m.metadata.name}` },
          phase: 'Running',
        },
      },
      { subresource: 'status', namespace: ns },
    );
  }

  /** Brings every new Machine up until `done`, never seeing more than `max` Machines; returns the most seen. */
  async function driveUntil(
    done: (ms: Machine[], k: KubeadmControlPlane) => boolean,
    max: number,
  ): Promise<number> {
    let most = 0;
    await waitFor(
      'the control plane to settle',
      async () => {
        const ms = await machines();
        most = Math.max(most, ms.length);
        expect(ms.length).toBeLessThanOrEqual(max);
        // Never more than one Machine on its way at once.
        expect(ms.filter((m) => !m.status?.nodeRef).length).toBeLessThanOrEqual(1);
        for (const m of ms) if (!m.status?.nodeRef) await bringUp(m);
        return done(ms, await kcp());
      },
      60_000,
    );
    return most;
  }

  beforeAll(async () => {
    env = await startCapiTestEnv();
    env.run(startKubeadmControlPlaneController);
  });
  afterAll(async () => env?.close());

  it('waits for the infrastructure, then the first Machine initializes the control plane', async () => {
    const docs = parseAllDocuments(await readFile(FIXTURE, 'utf8')).map((d) => d.toJS() as KubeObject);
    const wanted = (kind: string, name: string) =>
      docs.find((d) => d.kind === kind && d.metadata.name === name) as KubeObject;
    await env.client.create(clusterApiResources.clusters, wanted('Cluster', 'my-cluster'), { namespace: ns });
    await env.client.create(
      dockerResources.dockermachinetemplates,
      wanted('DockerMachineTemplate', 'controlplane'),
      { namespace: ns },
    );
    await env.client.create(
      clusterApiResources.kubeadmcontrolplanes,
      wanted('KubeadmControlPlane', 'controlplane'),
      { namespace: ns },
    );

    const waiting = await waitFor('Available False', async () => {
      const k = await kcp();
      return cond(k, 'Available') ? k : undefined;
    });
    expect(cond(waiting, 'Available')).toMatchObject({
      status: 'False',
      reason: 'WaitingForKubeadmInit',
      severity: 'Info',
    });
    expect(waiting.metadata.finalizers).toContain('kubeadm.controlplane.cluster.x-k8s.io');
    expect(await machines()).toHaveLength(0);

    const cluster = await env.client.get<Cluster>(clusterApiResources.clusters, 'my-cluster', {
      namespace: ns,
    });
    await env.client.update(
      clusterApiResources.clusters,
      {
        ...cluster,
        status: {
          infrastructureReady: true,
          failureDomains: { fd1: { controlPlane: true }, fd2: { controlPlane: true } },
        },
      },
      { subresource: 'status', namespace: ns },
    );
    const [first] = await waitFor('the first Machine', async () => {
      const ms = await machines();
      return ms.length === 1 ? ms : undefined;
    });
    const m = first as Machine;
    expect(m.metadata.name).toMatch(/^controlplane-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(m.metadata.labels).toMatchObject({
      'cluster.x-k8s.io/cluster-name': 'my-cluster',
      'cluster.x-k8s.io/control-plane': '',
      'cluster.x-k8s.io/control-plane-name': 'controlplane',
    });
    expect(m.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'KubeadmControlPlane', name: 'controlplane', controller: true }),
    ]);
    expect(m.spec).toMatchObject({
      clusterName: 'my-cluster',
      version: 'v1.33.0',
      failureDomain: 'fd1',
      bootstrap: { configRef: { kind: 'KubeadmConfig', name: m.metadata.name } },
      infrastructureRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'DockerMachine',
        name: m.metadata.name,
      },
    });
    const infra = await env.client.get(dockerResources.dockermachines, m.metadata.name ?? '', {
      namespace: ns,
    });
    expect(infra.metadata.annotations).toMatchObject({
      'cluster.x-k8s.io/cloned-from-name': 'controlplane',
      'cluster.x-k8s.io/cloned-from-groupkind': 'DockerMachineTemplate.infrastructure.cluster.x-k8s.io',
    });
    const config = await env.client.get<KubeadmConfig>(
      clusterApiResources.kubeadmconfigs,
      m.metadata.name ?? '',
      { namespace: ns },
    );
    expect(config.spec?.initConfiguration?.nodeRegistration?.kubeletExtraArgs?.['eviction-hard']).toContain(
      'nodefs',
    );
    expect(config.spec?.clusterConfiguration?.apiServer?.certSANs).toEqual([
      'localhost',
      '127.0.0.1',
      '0.0.0.0',
    ]);
    expect(config.spec?.joinConfiguration).toBeUndefined();

    await bringUp(m);
    const up = await waitFor('initialized', async () => {
      const k = await kcp();
      return k.status?.initialized && k.status.readyReplicas === 1 ? k : undefined;
    });
    expect(up.status).toMatchObject({
      selector: 'cluster.x-k8s.io/cluster-name=my-cluster,cluster.x-k8s.io/control-plane',
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      unavailableReplicas: 0,
      initialized: true,
      ready: true,
      version: 'v1.33.0',
    });
    for (const type of ['Ready', 'Available', 'MachinesReady', 'MachinesSpecUpToDate', 'Resized']) {
      expect(cond(up, type)?.status, type).toBe('True');
    }
  });

  it('scales up through the scale subresource, one joining Machine at a time, spread over failure domains', async () => {
    await env.client.patch(
      clusterApiResources.kubeadmcontrolplanes,
      'controlplane',
      { spec: { replicas: 3 } },
      'merge',
      {
        namespace: ns,
        subresource: 'scale',
      },
    );
    await driveUntil((ms, k) => ms.length === 3 && k.status?.readyReplicas === 3, 3);
    const ms = await machines();
    expect(ms.map((m) => m.spec.failureDomain).sort()).toEqual(['fd1', 'fd1', 'fd2']);
    const joined = ms.find((m) => m.spec.failureDomain === 'fd2') as Machine;
    const config = await env.client.get<KubeadmConfig>(
      clusterApiResources.kubeadmconfigs,
      joined.metadata.name ?? '',
      {
        namespace: ns,
      },
    );
    expect(config.spec?.joinConfiguration?.controlPlane).toEqual({});
    expect(config.spec?.initConfiguration).toBeUndefined();
  });

  it('rolls a version upgrade one Machine at a time within maxSurge 1', async () => {
    await env.client.patch(
      clusterApiResources.kubeadmcontrolplanes,
      'controlplane',
      { spec: { version: 'v1.34.0' } },
      'merge',
      {
        namespace: ns,
      },
    );
    const rolling = await waitFor('RollingUpdateInProgress', async () => {
      const k = await kcp();
      return cond(k, 'MachinesSpecUpToDate')?.reason === 'RollingUpdateInProgress' ? k : undefined;
    });
    expect(cond(rolling, 'MachinesSpecUpToDate')?.severity).toBe('Warning');
    const most = await driveUntil(
      (ms, k) =>
        ms.length === 3 && ms.every((m) => m.spec.version === 'v1.34.0') && k.status?.updatedReplicas === 3,
      4,
    );
    expect(most).toBe(4);
    const done = await waitFor('rolled', async () => {
      const k = await kcp();
      return k.status?.version === 'v1.34.0' && cond(k, 'MachinesSpecUpToDate')?.status === 'True'
        ? k
        : undefined;
    });
    expect(done.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3 });
  });

  it('deletes a Machine a health check marked and replaces it', async () => {
    const [victim] = await machines();
    const m = victim as Machine;
    await env.client.update(
      clusterApiResources.machines,
      {
        ...m,
        status: {
          ...m.status,
          conditions: [
            {
              type: 'HealthCheckSucceeded',
              status: 'False',
              severity: 'Warning',
              reason: 'UnhealthyNode',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
            {
              type: 'OwnerRemediated',
              status: 'False',
              severity: 'Warning',
              reason: 'WaitingForRemediation',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        },
      },
      { subresource: 'status', namespace: ns },
    );
    await waitFor(
      'victim gone',
      async () =>
        !(await getOrUndefined(env.client, clusterApiResources.machines, m.metadata.name ?? '', ns)),
    );
    await driveUntil((ms, k) => ms.length === 3 && k.status?.readyReplicas === 3, 3);
    const k = await kcp();
    expect(k.status?.lastRemediation).toMatchObject({ machine: m.metadata.name, retryCount: 0 });
  });

  it('scales down to one Machine', async () => {
    await env.client.patch(
      clusterApiResources.kubeadmcontrolplanes,
      'controlplane',
      { spec: { replicas: 1 } },
      'merge',
      {
        namespace: ns,
      },
    );
    await driveUntil(
      (ms, k) => ms.length === 1 && k.status?.replicas === 1 && cond(k, 'Resized')?.status === 'True',
      3,
    );
  });

  it('names a missing infrastructure template in MachinesCreated', async () => {
    const cluster = await env.client.create<Cluster>(
      clusterApiResources.clusters,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name: 'broken', namespace: ns },
        spec: {
          controlPlaneRef: {
            apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
            kind: 'KubeadmControlPlane',
            name: 'broken',
          },
        },
      } as KubeObject as Cluster,
      { namespace: ns },
    );
    await env.client.update(
      clusterApiResources.clusters,
      { ...cluster, status: { infrastructureReady: true } },
      { subresource: 'status', namespace: ns },
    );
    await env.client.create(
      clusterApiResources.kubeadmcontrolplanes,
      {
        apiVersion: 'controlplane.cluster.x-k8s.io/v1beta1',
        kind: 'KubeadmControlPlane',
        metadata: { name: 'broken', namespace: ns },
        spec: {
          version: 'v1.33.0',
          machineTemplate: {
            infrastructureRef: {
              apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
              kind: 'DockerMachineTemplate',
              name: 'nope',
            },
          },
          kubeadmConfigSpec: {},
        },
      } as KubeObject,
      { namespace: ns },
    );
    const k = await waitFor('MachinesCreated False', async () => {
      const x = await env.client.get<KubeadmControlPlane>(
        clusterApiResources.kubeadmcontrolplanes,
        'broken',
        { namespace: ns },
      );
      return cond(x, 'MachinesCreated')?.status === 'False' ? x : undefined;
    });
    expect(cond(k, 'MachinesCreated')).toMatchObject({
      reason: 'InfrastructureTemplateCloningFailed',
      severity: 'Error',
    });
    expect(String(cond(k, 'MachinesCreated')?.message)).toContain('DockerMachineTemplate/nope');
  });
});
