// Cluster API's Cluster and Machine controllers with the local provider, on a hub driven by the
// real kubectl (SQLite store and memory store): a Cluster with a LocalCluster and a control plane
// Machine with its LocalMachine becomes a simulated cluster whose kubeconfig Secret reaches it,
// the Machine becomes Running with the Node it made, and deleting the Cluster takes everything
// down in Cluster API's order. The Docker provider's kinds get the same.

import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { provisioningControllers } from '../../src/hub/provisioning/index.js';
import { waitFor } from '../../src/kube/core.testing.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: objects read back from kubectl's JSON
type Json = Record<string, any>;

const localCluster = (name: string) => `
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: ${name}
  labels: {topology.kubernetes.io/region: europe}
spec:
  infrastructureRef:
    apiVersion: infrastructure.concord.dev/v1alpha1
    kind: LocalCluster
    name: ${name}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalCluster
metadata:
  name: ${name}
spec:
  region: europe
  zones: [europe-west, europe-north]
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata:
  name: ${name}-cp-0
  labels: {cluster.x-k8s.io/control-plane: ""}
spec:
  clusterName: ${name}
  version: v1.32.4
  failureDomain: europe-north
  bootstrap: {dataSecretName: ""}
  infrastructureRef:
    apiVersion: infrastructure.concord.dev/v1alpha1
    kind: LocalMachine
    name: ${name}-cp-0
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachine
metadata:
  name: ${name}-cp-0
spec:
  instanceType: sim.gpu
  nodeLabels: {pool: gpu}
`;

const dockerCluster = (name: string) => `
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: ${name}
spec:
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: DockerCluster
    name: ${name}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: DockerCluster
metadata:
  name: ${name}
spec:
  failureDomains:
    fd1: {controlPlane: true}
    fd2: {controlPlane: false}
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata:
  name: ${name}-worker
spec:
  clusterName: ${name}
  version: v1.33.0
  bootstrap: {dataSecretName: ""}
  infrastructureRef:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: DockerMachine
    name: ${name}-worker
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: DockerMachine
metadata:
  name: ${name}-worker
`;

function condition(obj: Json, type: string): Json | undefined {
  return (obj.status?.conditions ?? []).find((c: Json) => c.type === type);
}

describe.each(['sqlite', 'memory'] as const)('Cluster and Machine provisioning (%s store)', (store) => {
  let dir: string;
  let hub: RunningHub;

  const kubectl = (args: string[], input?: string, kubeconfig = hub.kubeconfigPath) =>
    runKubectl('1.33', kubeconfig, args, { input, home: join(dir, 'home') });
  async function ok(args: string[], input?: string, kubeconfig?: string): Promise<string> {
    const r = await kubectl(args, input, kubeconfig);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }
  const get = async (resource: string, name: string): Promise<Json | undefined> => {
    const r = await kubectl(['get', resource, name, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `concord-provisioning-${store}-`));
    await mkdir(join(dir, 'home'));
    hub = await startHub({
      dataDir: dir,
      port: 0,
      ...(store === 'memory' ? { store: 'memory' } : {}),
      controllers: [provisioningControllers()],
    });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('provisions a LocalCluster with a control plane Machine, reachable through its kubeconfig Secret', async () => {
    await ok(['apply', '-f', '-'], localCluster('europe-1'));
    const cluster = await waitFor('the Cluster provisioned with its control plane ready', async () => {
      const c = await get('clusters.cluster.x-k8s.io', 'europe-1');
      return c?.status?.phase === 'Provisioned' && c.status.controlPlaneReady ? c : undefined;
    });
    expect(cluster.metadata.finalizers).toContain('cluster.cluster.x-k8s.io');
    expect(cluster.status.infrastructureReady).toBe(true);
    expect(cluster.status.observedGeneration).toBe(cluster.metadata.generation);
    expect(cluster.spec.controlPlaneEndpoint.host).toBe('127.0.0.1');
    expect(cluster.status.failureDomains).toEqual({
      'europe-west': { controlPlane: true },
      'europe-north': { controlPlane: true },
    });
    for (const type of ['Ready', 'InfrastructureReady', 'ControlPlaneInitialized', 'ControlPlaneReady']) {
      expect(condition(cluster, type)?.status, type).toBe('True');
    }

    const machine = await waitFor('the Machine running', async () => {
      const m = await get('machines.cluster.x-k8s.io', 'europe-1-cp-0');
      return m?.status?.phase === 'Running' && condition(m, 'NodeHealthy')?.status === 'True' ? m : undefined;
    });
    expect(machine.spec.providerID).toBe('concord://default/europe-1/europe-1-cp-0');
    expect(machine.status.nodeRef).toMatchObject({ kind: 'Node', name: 'europe-1-cp-0' });
    expect(machine.status.nodeInfo.kubeletVersion).toBe('v1.32.4');
    expect(machine.status.bootstrapReady).toBe(true);
    expect(machine.status.infrastructureReady).toBe(true);
    expect(machine.metadata.labels['cluster.x-k8s.io/cluster-name']).toBe('europe-1');
    expect(machine.metadata.finalizers).toContain('machine.cluster.x-k8s.io');
    expect(machine.status.addresses).toContainEqual({ type: 'Hostname', address: 'europe-1-cp-0' });
    for (const type of ['Ready', 'BootstrapReady', 'InfrastructureReady', 'NodeHealthy']) {
      expect(condition(machine, type)?.status, type).toBe('True');
    }
    const infraMachine = await get('localmachines.infrastructure.concord.dev', 'europe-1-cp-0');
    expect(infraMachine?.metadata.ownerReferences).toContainEqual(
      expect.objectContaining({ kind: 'Machine', name: 'europe-1-cp-0', controller: true }),
    );
    expect(infraMachine?.status.failureDomain).toBe('europe-north');

    // The kubeconfig Secret, in Cluster API's format, reaches the simulated cluster.
    const secret = await get('secret', 'europe-1-kubeconfig');
    expect(secret?.type).toBe('cluster.x-k8s.io/secret');
    expect(secret?.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'europe-1' });
    const workloadConfig = join(dir, 'europe-1.kubeconfig');
    await writeFile(workloadConfig, Buffer.from(secret?.data.value, 'base64'));
    const nodes = JSON.parse(await ok(['get', 'nodes', '-o', 'json'], undefined, workloadConfig))
      .items as Json[];
    expect(nodes.map((n) => n.metadata.name)).toEqual(['europe-1-cp-0']);
    const node = nodes[0]!;
    expect(node.spec.providerID).toBe('concord://default/europe-1/europe-1-cp-0');
    expect(node.metadata.labels).toMatchObject({
      'topology.kubernetes.io/region': 'europe',
      'topology.kubernetes.io/zone': 'europe-north',
      'node.kubernetes.io/instance-type': 'sim.gpu',
      pool: 'gpu',
    });
    expect(node.status.capacity['nvidia.com/gpu']).toBe('4');
    // A control plane node, as kubeadm registers one: its role label and the NoSchedule taint.
    expect(node.metadata.labels['node-role.kubernetes.io/control-plane']).toBe('');
    expect(node.spec.taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);

    // Deleting the Cluster takes its Machine, infrastructure, Secret and simulated cluster away.
    await ok(['delete', 'clusters.cluster.x-k8s.io', 'europe-1', '--wait=true', '--timeout=60s']);
    expect(await get('machines.cluster.x-k8s.io', 'europe-1-cp-0')).toBeUndefined();
    expect(await get('localmachines.infrastructure.concord.dev', 'europe-1-cp-0')).toBeUndefined();
    expect(await get('localclusters.infrastructure.concord.dev', 'europe-1')).toBeUndefined();
    expect(await get('secret', 'europe-1-kubeconfig')).toBeUndefined();
    await expect(stat(join(dir, 'clusters', 'europe-1.kubeconfig'))).rejects.toThrow(/ENOENT/);
    const gone = await kubectl(['get', 'nodes', '--request-timeout=5s'], undefined, workloadConfig);
    expect(gone.code).not.toBe(0);
  }, 90_000);

  it("serves the Docker provider's kinds with simulated clusters", async () => {
    await ok(['apply', '-f', '-'], dockerCluster('docker-1'));
    const cluster = await waitFor('the Cluster provisioned', async () => {
      const c = await get('clusters.cluster.x-k8s.io', 'docker-1');
      return c?.status?.phase === 'Provisioned' ? c : undefined;
    });
    expect(cluster.status.failureDomains).toEqual({
      fd1: { controlPlane: true },
      fd2: { controlPlane: false },
    });
    const dc = await get('dockerclusters.infrastructure.cluster.x-k8s.io', 'docker-1');
    expect(dc?.status.ready).toBe(true);
    expect(condition(dc!, 'LoadBalancerAvailable')?.status).toBe('True');
    expect(dc?.metadata.finalizers).toContain('dockercluster.infrastructure.cluster.x-k8s.io');
    const machine = await waitFor('the Machine running', async () => {
      const m = await get('machines.cluster.x-k8s.io', 'docker-1-worker');
      return m?.status?.phase === 'Running' ? m : undefined;
    });
    // A Machine nobody owns is adopted by its Cluster.
    expect(machine.metadata.ownerReferences).toContainEqual(
      expect.objectContaining({ kind: 'Cluster', name: 'docker-1' }),
    );
    const dm = await get('dockermachines.infrastructure.cluster.x-k8s.io', 'docker-1-worker');
    expect(condition(dm!, 'ContainerProvisioned')?.status).toBe('True');
    expect(condition(dm!, 'BootstrapExecSucceeded')?.status).toBe('True');
    await ok(['delete', 'clusters.cluster.x-k8s.io', 'docker-1', '--wait=true', '--timeout=60s']);
    expect(await get('dockermachines.infrastructure.cluster.x-k8s.io', 'docker-1-worker')).toBeUndefined();
  }, 90_000);

  it('leaves a condition naming a missing infrastructure reference', async () => {
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: lonely}
spec:
  infrastructureRef: {apiVersion: infrastructure.concord.dev/v1alpha1, kind: LocalCluster, name: nowhere}
`,
    );
    const c = await waitFor('the condition', async () => {
      const c = await get('clusters.cluster.x-k8s.io', 'lonely');
      return condition(c ?? {}, 'InfrastructureReady') ? c : undefined;
    });
    expect(c.status.phase).toBe('Provisioning');
    expect(condition(c, 'InfrastructureReady')).toMatchObject({
      status: 'False',
      reason: 'WaitingForInfrastructure',
      severity: 'Info',
      message: 'LocalCluster default/nowhere was not found',
    });
    await ok(['delete', 'clusters.cluster.x-k8s.io', 'lonely', '--wait=true', '--timeout=30s']);
  }, 60_000);
});
