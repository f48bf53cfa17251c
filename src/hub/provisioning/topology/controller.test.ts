// The ClusterClass and topology controllers with Cluster API's own Docker quick start: the
// quick-start ClusterClass with its templates and the development Cluster template, applied
// unchanged (variables filled in as clusterctl fills them). The Cluster gets its infrastructure
// cluster, control plane and MachineDeployment, patched by the class's variables; a version
// upgrade goes to the control plane first and to the workers once it is done; replicas follow;
// a missing ClusterClass is named in TopologyReconciled.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { envsubst } from '../../../../test/support/envsubst.js';
import type { InProcessClient } from '../../../client/in-process.js';
import { waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type Cluster,
  type ClusterClass,
  clusterApiResources,
  type KubeadmControlPlane,
  type MachineDeployment,
} from '../../apis/cluster-api/index.js';
import { type CapiTestEnv, startCapiTestEnv } from '../capi.testing.js';
import { References } from '../templates.js';
import { startClusterClassController } from './clusterclass-controller.js';
import { startTopologyController } from './controller.js';

const TEMPLATES = '/work/shared/fixtures/cluster-api/test/infrastructure/docker/templates';
const ns = 'default';
// biome-ignore lint/suspicious/noExplicitAny: tests drill into the objects' JSON
type Doc = Record<string, any>;

describe('topology', () => {
  let env: CapiTestEnv;
  let refs: References;

  async function applyAll(text: string): Promise<void> {
    for (const d of parseAllDocuments(text)) {
      const obj = d.toJS() as KubeObject | null;
      if (!obj) continue;
      await env.client.create(await refs.resourceOf(obj), obj, { namespace: obj.metadata.namespace ?? ns });
    }
  }
  const cluster = (name = 'dev') =>
    env.client.get<Cluster>(clusterApiResources.clusters, name, { namespace: ns });
  const topologyCondition = (c: Cluster) =>
    c.status?.conditions?.find((x) => x.type === 'TopologyReconciled');
  const get = async (ref: Doc | undefined) => (await refs.get(ref as object, ns)) as Doc;
  /** What the KubeadmControlPlane controller would report. */
  const setKcpStatus = (name: string, status: KubeadmControlPlane['status']) =>
    waitFor('KubeadmControlPlane status written', async () => {
      const k = await env.client.get<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes, name, {
        namespace: ns,
      });
      return env.client
        .update(
          clusterApiResources.kubeadmcontrolplanes,
          { ...k, status },
          { subresource: 'status', namespace: ns },
        )
        .catch(() => undefined);
    });
  const mdOf = async () =>
    (
      await env.client.list<MachineDeployment>(clusterApiResources.machinedeployments, { namespace: ns })
    ).items.find((m) => m.metadata.labels?.['topology.cluster.x-k8s.io/deployment-name'] === 'md-0');

  beforeAll(async () => {
    env = await startCapiTestEnv();
    refs = new References(env.client as InProcessClient);
    env.run(startClusterClassController, startTopologyController);
  });
  afterAll(async () => env?.close());

  it('reconciles the ClusterClass: its variables in status, VariablesReconciled', async () => {
    await applyAll(await readFile(`${TEMPLATES}/clusterclass-quick-start.yaml`, 'utf8'));
    const cc = await waitFor('quick-start reconciled', async () => {
      const c = await env.client.get<ClusterClass>(clusterApiResources.clusterclasses, 'quick-start', {
        namespace: ns,
      });
      return c.status?.observedGeneration === c.metadata.generation ? c : undefined;
    });
    expect(cc.status?.variables?.map((v) => v.name)).toEqual([
      'imageRepository',
      'etcdImageTag',
      'coreDNSImageTag',
      'podSecurityStandard',
    ]);
    expect(cc.status?.variables?.[0]?.definitions).toEqual([
      expect.objectContaining({ from: 'inline', required: true, schema: expect.any(Object) }),
    ]);
    expect(cc.status?.conditions?.find((c) => c.type === 'VariablesReconciled')?.status).toBe('True');
  });

  it('stamps out the development Cluster: infrastructure cluster, control plane and MachineDeployment, patched', async () => {
    await applyAll(
      envsubst(await readFile(`${TEMPLATES}/cluster-template-development.yaml`, 'utf8'), {
        CLUSTER_NAME: 'dev',
        NAMESPACE: ns,
        KUBERNETES_VERSION: 'v1.33.0',
        CONTROL_PLANE_MACHINE_COUNT: '1',
        WORKER_MACHINE_COUNT: '2',
      }),
    );
    const c = await waitFor('dev reconciled', async () => {
      const x = await cluster();
      return topologyCondition(x)?.status === 'True' ? x : undefined;
    });
    expect(c.spec.infrastructureRef).toMatchObject({
      kind: 'DockerCluster',
      name: expect.stringMatching(/^dev-[a-z0-9]{5}$/),
    });
    expect(c.spec.controlPlaneRef).toMatchObject({
      kind: 'KubeadmControlPlane',
      name: expect.stringMatching(/^dev-[a-z0-9]{5}$/),
    });
    const infra = await get(c.spec.infrastructureRef);
    expect(infra.metadata.labels).toMatchObject({
      'cluster.x-k8s.io/cluster-name': 'dev',
      'topology.cluster.x-k8s.io/owned': '',
    });
    expect(infra.metadata.annotations['cluster.x-k8s.io/cloned-from-name']).toBe('quick-start-cluster');
    expect(infra.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Cluster', name: 'dev' }),
    ]);

    const kcp = await get(c.spec.controlPlaneRef);
    expect(kcp.spec.version).toBe('v1.33.0');
    expect(kcp.spec.replicas).toBe(1);
    const cc = kcp.spec.kubeadmConfigSpec.clusterConfiguration;
    // imageRepository is "": its patch is not enabled; podSecurityStandard's is.
    expect(cc.imageRepository).toBeUndefined();
    expect(cc.apiServer.certSANs).toEqual(['localhost', '127.0.0.1', '0.0.0.0', 'host.docker.internal']);
    expect(cc.apiServer.extraArgs).toEqual({
      'admission-control-config-file': '/etc/kubernetes/kube-apiserver-admission-pss.yaml',
    });
    expect(cc.apiServer.extraVolumes[0]).toMatchObject({ name: 'admission-pss', pathType: 'File' });
    const file = kcp.spec.kubeadmConfigSpec.files[0];
    expect(file.path).toBe('/etc/kubernetes/kube-apiserver-admission-pss.yaml');
    expect(file.content).toContain('apiVersion: pod-security.admission.config.k8s.io/v1\n');
    expect(file.content).toContain('enforce: "baseline"');
    expect(cc.etcd).toHaveProperty('local');
    const cpTemplate = await get(kcp.spec.machineTemplate.infrastructureRef);
    expect(cpTemplate.kind).toBe('DockerMachineTemplate');
    expect(cpTemplate.spec.template.spec.customImage).toBe('kindest/node:v1.33.0');
    expect(cpTemplate.spec.template.spec.extraMounts).toEqual([
      { containerPath: '/var/run/docker.sock', hostPath: '/var/run/docker.sock' },
    ]);

    const md = (await mdOf()) as MachineDeployment;
    expect(md.metadata.name).toMatch(/^dev-md-0-[a-z0-9]{5}$/);
    expect(md.spec.replicas).toBe(2);
    expect(md.spec.clusterName).toBe('dev');
    expect(md.spec.selector.matchLabels).toEqual({
      'cluster.x-k8s.io/cluster-name': 'dev',
      'topology.cluster.x-k8s.io/owned': '',
      'topology.cluster.x-k8s.io/deployment-name': 'md-0',
    });
    expect(md.spec.template.spec.version).toBe('v1.33.0');
    const bootstrap = await get(md.spec.template.spec.bootstrap.configRef);
    expect(bootstrap.kind).toBe('KubeadmConfigTemplate');
    expect(bootstrap.spec.template.spec.joinConfiguration).toMatchObject({ nodeRegistration: {} });
    expect(bootstrap.metadata.annotations['cluster.x-k8s.io/cloned-from-name']).toBe(
      'quick-start-default-worker-bootstraptemplate',
    );
    const workerTemplate = await get(md.spec.template.spec.infrastructureRef);
    expect(workerTemplate.spec.template.spec.customImage).toBe('kindest/node:v1.33.0');
  });

  it('upgrades the control plane first, then the workers once it runs the new version', async () => {
    const before = await cluster();
    const kcpName = before.spec.controlPlaneRef?.name ?? '';
    const oldCpTemplate = (
      await env.client.get<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes, kcpName, {
        namespace: ns,
      })
    ).spec.machineTemplate.infrastructureRef.name;
    // The control plane runs v1.33.0 on its one Machine.
    await setKcpStatus(kcpName, { version: 'v1.33.0', replicas: 1, updatedReplicas: 1, readyReplicas: 1 });
    await env.client.patch(
      clusterApiResources.clusters,
      'dev',
      { spec: { topology: { version: 'v1.34.0' } } },
      'merge',
      {
        namespace: ns,
      },
    );
    const pending = await waitFor('ControlPlaneUpgradePending', async () => {
      const x = await cluster();
      return topologyCondition(x)?.reason === 'ControlPlaneUpgradePending' ? x : undefined;
    });
    expect(topologyCondition(pending)).toMatchObject({ status: 'False', severity: 'Info' });
    const kcp = await env.client.get<KubeadmControlPlane>(clusterApiResources.kubeadmcontrolplanes, kcpName, {
      namespace: ns,
    });
    expect(kcp.spec.version).toBe('v1.34.0');
    // The machine template's image follows the version: a new template, which rolls the Machines.
    expect(kcp.spec.machineTemplate.infrastructureRef.name).not.toBe(oldCpTemplate);
    expect((await get(kcp.spec.machineTemplate.infrastructureRef)).spec.template.spec.customImage).toBe(
      'kindest/node:v1.34.0',
    );
    expect((await mdOf())?.spec.template.spec.version).toBe('v1.33.0');

    // The control plane is done.
    await setKcpStatus(kcpName, { version: 'v1.34.0', replicas: 1, updatedReplicas: 1, readyReplicas: 1 });
    const md = await waitFor('md-0 on v1.34.0', async () => {
      const m = await mdOf();
      return m?.spec.template.spec.version === 'v1.34.0' ? m : undefined;
    });
    expect((await get(md.spec.template.spec.infrastructureRef)).spec.template.spec.customImage).toBe(
      'kindest/node:v1.34.0',
    );
    await waitFor(
      'TopologyReconciled True',
      async () => topologyCondition(await cluster())?.status === 'True',
    );
  });

  it('follows replicas of the topology', async () => {
    const c = await cluster();
    const workers = structuredClone(c.spec.topology?.workers) as Doc;
    workers.machineDeployments[0].replicas = 3;
    await env.client.patch(
      clusterApiResources.clusters,
      'dev',
      { spec: { topology: { workers } } },
      'merge',
      { namespace: ns },
    );
    await waitFor('md-0 replicas 3', async () => (await mdOf())?.spec.replicas === 3);
  });

  it('names a missing ClusterClass in TopologyReconciled', async () => {
    await env.client.create(
      clusterApiResources.clusters,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name: 'orphan', namespace: ns },
        spec: { topology: { class: 'nope', version: 'v1.33.0' } },
      } as KubeObject,
      { namespace: ns },
    );
    const c = await waitFor('TopologyReconcileFailed', async () => {
      const x = await cluster('orphan');
      return topologyCondition(x)?.reason === 'TopologyReconcileFailed' ? x : undefined;
    });
    expect(topologyCondition(c)).toMatchObject({
      status: 'False',
      severity: 'Error',
      message: 'ClusterClass default/nope not found',
    });
  });
});
