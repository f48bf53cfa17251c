// MachineDeployments on the hub with the local provider, driven by the real kubectl (SQLite store;
// machines.test.ts runs the Machine path on memory too): a deployment makes its MachineSet and Machines, `kubectl scale` moves it 3 -> 5
// -> 1 (Nodes added and removed in the simulated cluster), and a new template (new version,
// new LocalMachineTemplate) rolls the Machines while the deployment never has more than
// replicas + maxSurge Machines.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../../src/client/in-process.js';
import { clusterApiResources, type Machine } from '../../src/hub/apis/cluster-api/index.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { provisioningControllers } from '../../src/hub/provisioning/index.js';
import { waitFor } from '../../src/kube/core.testing.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: objects read back from kubectl's JSON
type Json = Record<string, any>;

const fleet = `
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: asia-1}
spec:
  infrastructureRef: {apiVersion: infrastructure.concord.dev/v1alpha1, kind: LocalCluster, name: asia-1}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalCluster
metadata: {name: asia-1}
spec: {region: asia}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachineTemplate
metadata: {name: small}
spec:
  template:
    spec: {instanceType: sim.small}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachineTemplate
metadata: {name: large}
spec:
  template:
    spec: {instanceType: sim.large}
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata: {name: asia-1-workers}
spec:
  clusterName: asia-1
  replicas: 3
  selector: {}
  template:
    spec:
      clusterName: asia-1
      version: v1.32.0
      bootstrap: {dataSecretName: ""}
      infrastructureRef: {apiVersion: infrastructure.concord.dev/v1alpha1, kind: LocalMachineTemplate, name: small}
`;

describe('MachineDeployments (SQLite store)', () => {
  let dir: string;
  let hub: RunningHub;
  let client: InProcessClient;

  const kubectl = (args: string[], input?: string, kubeconfig = hub.kubeconfigPath) =>
    runKubectl('1.33', kubeconfig, args, { input, home: join(dir, 'home') });
  async function ok(args: string[], input?: string, kubeconfig?: string): Promise<string> {
    const r = await kubectl(args, input, kubeconfig);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }
  const md = async (): Promise<Json> =>
    JSON.parse(await ok(['get', 'machinedeployments.cluster.x-k8s.io', 'asia-1-workers', '-o', 'json']));
  const machines = async (): Promise<Machine[]> =>
    (await client.list<Machine>(clusterApiResources.machines, { namespace: 'default' })).items;
  const settled = (n: number) => async () => {
    const d = await md();
    const s = d.status ?? {};
    const ms = await machines();
    return s.observedGeneration === d.metadata.generation &&
      s.replicas === n &&
      s.readyReplicas === n &&
      s.updatedReplicas === n &&
      s.availableReplicas === n &&
      ms.length === n
      ? d
      : undefined;
  };
  async function workloadNodes(): Promise<Json[]> {
    const secret = JSON.parse(await ok(['get', 'secret', 'asia-1-kubeconfig', '-o', 'json']));
    const path = join(dir, 'asia-1.kubeconfig');
    await writeFile(path, Buffer.from(secret.data.value, 'base64'));
    return JSON.parse(await ok(['get', 'nodes', '-o', 'json'], undefined, path)).items;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-md-'));
    await mkdir(join(dir, 'home'));
    hub = await startHub({
      dataDir: dir,
      port: 0,
      controllers: [provisioningControllers()],
    });
    client = new InProcessClient(hub.api.server);
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a MachineSet and Machines, and scales with kubectl scale 3 -> 5 -> 1', async () => {
    await ok(['apply', '-f', '-'], fleet);
    const d = await waitFor('3 machines ready', settled(3), 60_000);
    expect(d.status.phase).toBe('Running');
    expect(d.status.unavailableReplicas).toBe(0);
    expect(d.metadata.annotations['machinedeployment.clusters.x-k8s.io/revision']).toBe('1');
    expect(d.metadata.finalizers).toContain('cluster.x-k8s.io/machinedeployment');
    const sets = JSON.parse(await ok(['get', 'machinesets.cluster.x-k8s.io', '-o', 'json'])).items as Json[];
    expect(sets).toHaveLength(1);
    const ms = sets[0]!;
    const hash = ms.metadata.labels['machine-template-hash'];
    expect(hash).toMatch(/^[a-z0-9]+$/);
    expect(ms.metadata.name).toBe(`asia-1-workers-${hash}`);
    expect(ms.metadata.ownerReferences).toContainEqual(
      expect.objectContaining({ kind: 'MachineDeployment', name: 'asia-1-workers', controller: true }),
    );
    expect(ms.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      fullyLabeledReplicas: 3,
    });
    expect(ms.status.selector).toContain(`machine-template-hash=${hash}`);
    for (const m of await machines()) {
      expect(m.metadata.labels).toMatchObject({
        'cluster.x-k8s.io/cluster-name': 'asia-1',
        'cluster.x-k8s.io/deployment-name': 'asia-1-workers',
        'cluster.x-k8s.io/set-name': ms.metadata.name,
        'machine-template-hash': hash,
      });
      expect(m.status?.phase).toBe('Running');
    }
    expect((await workloadNodes()).map((n) => n.metadata.labels['node.kubernetes.io/instance-type'])).toEqual(
      ['sim.small', 'sim.small', 'sim.small'],
    );

    await ok(['scale', 'machinedeployments.cluster.x-k8s.io', 'asia-1-workers', '--replicas=5']);
    await waitFor('5 machines ready', settled(5), 60_000);
    expect(await workloadNodes()).toHaveLength(5);
    await ok(['scale', 'machinedeployments.cluster.x-k8s.io', 'asia-1-workers', '--replicas=1']);
    await waitFor('1 machine ready', settled(1), 60_000);
    expect(await workloadNodes()).toHaveLength(1);
    expect(
      JSON.parse(await ok(['get', 'localmachines.infrastructure.concord.dev', '-o', 'json'])).items,
    ).toHaveLength(1);
  }, 150_000);

  it('rolls a new template within maxSurge and keeps revisionHistoryLimit old sets', async () => {
    await ok(['scale', 'machinedeployments.cluster.x-k8s.io', 'asia-1-workers', '--replicas=3']);
    await waitFor('3 machines ready', settled(3), 60_000);
    const before = new Set((await machines()).map((m) => m.metadata.name));
    // Count the deployment's Machines all through the rollout.
    let most = 0;
    let watching = true;
    const counting = (async () => {
      while (watching) {
        const live = (await machines()).filter((m) => !m.metadata.deletionTimestamp).length;
        most = Math.max(most, live);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await ok([
      'patch',
      'machinedeployments.cluster.x-k8s.io',
      'asia-1-workers',
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: {
          template: {
            spec: {
              version: 'v1.33.0',
              infrastructureRef: {
                apiVersion: 'infrastructure.concord.dev/v1alpha1',
                kind: 'LocalMachineTemplate',
                name: 'large',
              },
            },
          },
        },
      }),
    ]);
    const d = await waitFor(
      'the rollout done',
      async () => {
        const done = await settled(3)();
        const ms = await machines();
        return done && ms.every((m) => m.spec.version === 'v1.33.0' && !before.has(m.metadata.name))
          ? done
          : undefined;
      },
      90_000,
    );
    watching = false;
    await counting;
    // RollingUpdate defaults: maxSurge 1, maxUnavailable 0.
    expect(most).toBeLessThanOrEqual(4);
    expect(d.metadata.annotations['machinedeployment.clusters.x-k8s.io/revision']).toBe('2');
    const sets = JSON.parse(await ok(['get', 'machinesets.cluster.x-k8s.io', '-o', 'json'])).items as Json[];
    expect(
      sets
        .map((s) => [s.metadata.annotations['machinedeployment.clusters.x-k8s.io/revision'], s.spec.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 3],
    ]);
    const nodes = await workloadNodes();
    expect(nodes.map((n) => n.status.nodeInfo.kubeletVersion)).toEqual(['v1.33.0', 'v1.33.0', 'v1.33.0']);
    expect(new Set(nodes.map((n) => n.metadata.labels['node.kubernetes.io/instance-type']))).toEqual(
      new Set(['sim.large']),
    );

    await ok(['delete', 'clusters.cluster.x-k8s.io', 'asia-1', '--wait=true', '--timeout=60s']);
    expect(await machines()).toEqual([]);
    expect(JSON.parse(await ok(['get', 'machinesets.cluster.x-k8s.io', '-o', 'json'])).items).toEqual([]);
    expect(JSON.parse(await ok(['get', 'machinedeployments.cluster.x-k8s.io', '-o', 'json'])).items).toEqual(
      [],
    );
  }, 150_000);
});
