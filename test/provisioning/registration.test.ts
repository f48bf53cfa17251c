// A provisioned Cluster becomes a member of the hub, on the hub as `concord hub` runs it (all its
// controllers, SQLite store), driven by the real kubectl: Cluster API's Docker quickstart
// (simple-cluster.yaml, applied unchanged) reaches Provisioned with its Machines Running and its
// member Ready; a LocalCluster's member carries the Cluster's labels, region and zones; deleting
// a Cluster unregisters its member and removes its credentials.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { waitFor } from '../../src/kube/core.testing.js';
import { concord } from '../support/cli.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: objects read back from kubectl's JSON
type Json = Record<string, any>;

const QUICKSTART =
  '/work/shared/fixtures/cluster-api/test/infrastructure/docker/examples/simple-cluster.yaml';

const labelled = `
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: europe-2
  labels: {topology.kubernetes.io/region: europe, tier: gold}
spec:
  infrastructureRef: {apiVersion: infrastructure.concord.dev/v1alpha1, kind: LocalCluster, name: europe-2}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalCluster
metadata: {name: europe-2}
spec: {region: europe, zones: [europe-west, europe-north]}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachineTemplate
metadata: {name: europe-2}
spec: {template: {spec: {instanceType: sim.medium}}}
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata: {name: europe-2-md-0}
spec:
  clusterName: europe-2
  replicas: 2
  selector: {}
  template:
    spec:
      clusterName: europe-2
      version: v1.33.0
      bootstrap: {dataSecretName: ""}
      infrastructureRef: {apiVersion: infrastructure.concord.dev/v1alpha1, kind: LocalMachineTemplate, name: europe-2}
`;

function condition(obj: Json | undefined, type: string): Json | undefined {
  return (obj?.status?.conditions ?? []).find((c: Json) => c.type === type);
}

describe('provisioned clusters become members (hub with all its controllers)', () => {
  let dir: string;
  let hub: RunningHub;

  const kubectl = (args: string[], input?: string) =>
    runKubectl('1.33', hub.kubeconfigPath, args, { input, home: join(dir, 'home') });
  async function ok(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }
  const get = async (resource: string, name: string, namespace = 'default'): Promise<Json | undefined> => {
    const r = await kubectl(['get', resource, name, '-n', namespace, '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-registration-'));
    await mkdir(join(dir, 'home'));
    hub = await startHub({ dataDir: dir, port: 0 });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies Cluster API's Docker quickstart unchanged: Provisioned, Machines Running, member Ready", async () => {
    await ok(['apply', '-f', '-'], await readFile(QUICKSTART, 'utf8'));
    const cluster = await waitFor(
      'the Cluster provisioned with its control plane ready',
      async () => {
        const c = await get('clusters.cluster.x-k8s.io', 'my-cluster');
        return c?.status?.phase === 'Provisioned' && c.status.controlPlaneReady ? c : undefined;
      },
      90_000,
    );
    expect(condition(cluster, 'Ready')?.status).toBe('True');
    const machines = await waitFor(
      'both Machines running',
      async () => {
        const list = JSON.parse(await ok(['get', 'machines.cluster.x-k8s.io', '-o', 'json'])).items as Json[];
        return list.length === 2 && list.every((m) => m.status?.phase === 'Running') ? list : undefined;
      },
      90_000,
    );
    expect(
      machines.filter((m) => m.metadata.labels['cluster.x-k8s.io/control-plane'] !== undefined),
    ).toHaveLength(1);
    const member = await waitFor(
      'the member Ready',
      async () => {
        const m = await get('clusters.cluster.karmada.io', 'my-cluster');
        return condition(m, 'Ready')?.status === 'True' && m?.status?.nodeSummary?.totalNum === 2
          ? m
          : undefined;
      },
      60_000,
    );
    expect(member?.spec.provider).toBe('concord-sim');
    expect(member?.spec.secretRef).toEqual({ namespace: 'karmada-cluster', name: 'my-cluster' });
    expect(member?.spec.apiEndpoint).toBe(
      `https://${cluster.spec.controlPlaneEndpoint.host}:${cluster.spec.controlPlaneEndpoint.port}`,
    );

    // concord get kubeconfig prints the Secret's value, and kubectl reaches the cluster with it.
    const got = await concord(['get', 'kubeconfig', 'my-cluster', '--data-dir', dir]);
    expect(got.code, got.stderr).toBe(0);
    const secret = await get('secret', 'my-cluster-kubeconfig');
    expect(got.stdout).toBe(Buffer.from(secret?.data.value, 'base64').toString('utf8'));
    const path = join(dir, 'my-cluster.kubeconfig');
    await writeFile(path, got.stdout);
    const nodes = await runKubectl('1.33', path, ['get', 'nodes', '-o', 'name'], { home: join(dir, 'home') });
    expect(nodes.stdout.trim().split('\n').sort()).toEqual(
      machines.map((m) => `node/${m.metadata.name}`).sort(),
    );
    const missing = await concord(['get', 'kubeconfig', 'nowhere', '--data-dir', dir]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('secret default/nowhere-kubeconfig was not found');

    // concord describe cluster: clusterctl's tree.
    const described = await concord(['describe', 'cluster', 'my-cluster', '--data-dir', dir]);
    expect(described.code, described.stderr).toBe(0);
    const lines = described.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+SEVERITY\s+REASON\s+SINCE\s+MESSAGE$/);
    const cp = machines.find((m) => m.metadata.labels['cluster.x-k8s.io/control-plane'] !== undefined)!;
    const worker = machines.find((m) => m !== cp)!;
    const at = lines[0]!.indexOf('READY');
    const row = (l: string) => [l.slice(0, at).trimEnd(), l.slice(at).split(/\s+/)[0]].filter(Boolean);
    expect(lines.slice(1).map(row)).toEqual([
      ['Cluster/my-cluster', 'True'],
      ['├─ClusterInfrastructure - DockerCluster/my-cluster', 'True'],
      ['├─ControlPlane - KubeadmControlPlane/controlplane', 'True'],
      [`│ └─Machine/${cp.metadata.name}`, 'True'],
      ['└─Workers'],
      ['  └─MachineDeployment/worker-md-0', 'True'],
      [`    └─Machine/${worker.metadata.name}`, 'True'],
    ]);
  }, 200_000);

  it("carries a Cluster's labels, region and zones to its member, Ready with its version, APIs and capacity at once, and unregisters it on deletion", async () => {
    // Every version of the member as the store records it: the first that is Ready already says
    // what the member runs and holds (placement may act on it at once).
    const readyVersions: Json[] = [];
    const watch = hub.store.watch(
      '/registry/cluster.karmada.io/clusters/europe-2',
      await hub.store.currentRevision(),
      {
        onEvent: (e) => {
          if (condition(e.value as Json, 'Ready')?.status === 'True') readyVersions.push(e.value as Json);
        },
        onError: () => undefined,
      },
    );
    await ok(['apply', '-f', '-'], labelled);
    const member = await waitFor(
      'the member Ready',
      async () => {
        const m = await get('clusters.cluster.karmada.io', 'europe-2');
        return condition(m, 'Ready')?.status === 'True' ? m : undefined;
      },
      90_000,
    );
    expect(member?.metadata.labels).toMatchObject({
      'topology.kubernetes.io/region': 'europe',
      tier: 'gold',
    });
    expect(member?.spec.region).toBe('europe');
    expect(member?.spec.zones).toEqual(['europe-west', 'europe-north']);
    watch.close();
    const first = readyVersions[0]?.status;
    expect(first?.kubernetesVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(first?.apiEnablements.map((e: Json) => e.groupVersion)).toContain('apps/v1');
    expect(first?.nodeSummary).toBeDefined();
    expect(first?.resourceSummary?.allocatable).toBeDefined();
    const capi = await get('clusters.cluster.x-k8s.io', 'europe-2');
    expect(capi?.metadata.finalizers).toContain('member.provisioning.concord.dev');

    await ok(['delete', 'clusters.cluster.x-k8s.io', 'europe-2', '--wait=true', '--timeout=60s']);
    expect(await get('clusters.cluster.karmada.io', 'europe-2')).toBeUndefined();
    expect(await get('secret', 'europe-2', 'karmada-cluster')).toBeUndefined();
    // Its execution space goes with it (the namespace may still be terminating).
    expect(
      (await get('namespace', 'karmada-es-europe-2'))?.metadata.deletionTimestamp ?? 'gone',
    ).toBeTruthy();
  }, 150_000);
});
