// The MachineHealthCheck controller with Cluster API's own e2e health check (mhc.yaml of the
// md-remediation flavor) against a simulated workload cluster: a Node condition past its timeout
// marks the Machine for its owner's remediation; a deleted Node too; more unhealthy Machines than
// maxUnhealthy short-circuit remediation.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envsubst } from '../../../../test/support/envsubst.js';
import { resources } from '../../../client/resources.js';
import { waitFor } from '../../../kube/core.testing.js';
import type { KubeObject, Condition as NodeCondition } from '../../../machinery/object.js';
import { SimCluster } from '../../../sim/cluster.js';
import { clusterApiResources, type Machine, type MachineHealthCheck } from '../../apis/cluster-api/index.js';
import { type CapiTestEnv, putCluster, putKubeconfigSecret, startCapiTestEnv } from '../capi.testing.js';
import { startMachineHealthCheckController } from './controller.js';

const FIXTURE =
  '/work/shared/fixtures/cluster-api/test/e2e/data/infrastructure-docker/main/cluster-template-md-remediation/mhc.yaml';
const ns = 'default';

describe('MachineHealthCheck controller', () => {
  let env: CapiTestEnv;
  let sim: SimCluster;

  async function machine(
    name: string,
    cluster: string,
    node: string,
    labels: Record<string, string>,
  ): Promise<void> {
    const m = await env.client.create<Machine>(
      clusterApiResources.machines,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Machine',
        metadata: { name, namespace: ns, labels: { 'cluster.x-k8s.io/cluster-name': cluster, ...labels } },
        spec: {
          clusterName: cluster,
          bootstrap: { dataSecretName: 'x' },
          infrastructureRef: {
            apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
            kind: 'DockerMachine',
            name,
          },
        },
      } as KubeObject as Machine,
      { namespace: ns },
    );
    await env.client.update(
      clusterApiResources.machines,
      { ...m, status: { nodeRef: { apiVersion: 'v1', kind: 'Node', name: node }, phase: 'Running' } },
      { subresource: 'status', namespace: ns },
    );
  }

  /** Reports a Node condition as a node problem detector would, transitioned a minute ago. */
  async function nodeCondition(node: string, type: string, status: 'True' | 'False'): Promise<void> {
    const n = await sim.client.get<KubeObject & { status?: { conditions?: NodeCondition[] } }>(
      resources.nodes,
      node,
    );
    const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const conditions = [
      ...(n.status?.conditions ?? []).filter((c) => c.type !== type),
      { type, status, reason: 'E2E', message: '', lastTransitionTime: since, lastHeartbeatTime: since },
    ];
    await sim.client.patch(resources.nodes, node, { status: { conditions } }, 'strategic', {
      subresource: 'status',
    });
  }

  const getMachine = (name: string) =>
    env.client.get<Machine>(clusterApiResources.machines, name, { namespace: ns });
  const getCheck = (name: string) =>
    env.client.get<MachineHealthCheck>(clusterApiResources.machinehealthchecks, name, { namespace: ns });
  const cond = (m: { status?: { conditions?: { type: string }[] } }, type: string) =>
    m.status?.conditions?.find((c) => c.type === type) as Record<string, unknown> | undefined;

  beforeAll(async () => {
    env = await startCapiTestEnv();
    env.run((ctx) => startMachineHealthCheckController(ctx, { nodePollMs: 200 }));
    sim = await SimCluster.start({ name: 'hc', dataDir: join(env.dir, 'sims'), nodes: 3 });
    for (const c of ['c1', 'c2']) {
      await putKubeconfigSecret(env.client, c, sim.kubeconfig);
      await putCluster(env.client, c, { infrastructureReady: true, controlPlaneInitialized: true });
    }
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await env?.close();
  });

  it('marks a Machine whose Node reports the e2e condition past its timeout, for its owner to remediate', async () => {
    for (let i = 0; i < 3; i++)
      await machine(`c1-md-${i}`, 'c1', `hc-node-${i + 1}`, { 'e2e.remediation.label': '' });
    const mhc = parse(envsubst(await readFile(FIXTURE, 'utf8'), { CLUSTER_NAME: 'c1' })) as KubeObject;
    await env.client.create(
      clusterApiResources.machinehealthchecks,
      { ...mhc, metadata: { ...mhc.metadata, namespace: ns } },
      { namespace: ns },
    );

    const healthy = await waitFor('c1-mhc-0 sees 3 healthy', async () => {
      const c = await getCheck('c1-mhc-0');
      return c.status?.currentHealthy === 3 ? c : undefined;
    });
    expect(healthy.status).toMatchObject({
      expectedMachines: 3,
      remediationsAllowed: 3,
      targets: ['c1-md-0', 'c1-md-1', 'c1-md-2'],
    });
    expect(cond(healthy, 'RemediationAllowed')?.status).toBe('True');
    expect(healthy.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Cluster', name: 'c1' }),
    ]);
    expect(cond(await getMachine('c1-md-0'), 'HealthCheckSucceeded')?.status).toBe('True');

    await nodeCondition('hc-node-2', 'e2e.remediation.condition', 'False');
    const marked = await waitFor('c1-md-1 OwnerRemediated False', async () => {
      const m = await getMachine('c1-md-1');
      return cond(m, 'OwnerRemediated')?.status === 'False' ? m : undefined;
    });
    expect(cond(marked, 'HealthCheckSucceeded')).toMatchObject({
      status: 'False',
      reason: 'UnhealthyNode',
      severity: 'Warning',
      message: 'Condition e2e.remediation.condition on node is reporting status False for more than 10s',
    });
    expect(cond(marked, 'OwnerRemediated')).toMatchObject({
      reason: 'WaitingForRemediation',
      severity: 'Warning',
    });
    const after = await waitFor('currentHealthy 2', async () => {
      const c = await getCheck('c1-mhc-0');
      return c.status?.currentHealthy === 2 ? c : undefined;
    });
    expect(after.status?.remediationsAllowed).toBe(2);
    expect(cond(await getMachine('c1-md-0'), 'OwnerRemediated')).toBeUndefined();
  });

  it('marks a Machine whose Node was deleted', async () => {
    await sim.client.delete(resources.nodes, 'hc-node-3');
    const m = await waitFor('c1-md-2 NodeNotFound', async () => {
      const x = await getMachine('c1-md-2');
      return cond(x, 'HealthCheckSucceeded')?.reason === 'NodeNotFound' ? x : undefined;
    });
    expect(cond(m, 'OwnerRemediated')?.status).toBe('False');
  });

  it('short-circuits remediation when more than maxUnhealthy are unhealthy', async () => {
    for (let i = 0; i < 3; i++) await machine(`c2-md-${i}`, 'c2', `hc-node-${i + 1}`, { pool: 'c2' });
    await env.client.create(
      clusterApiResources.machinehealthchecks,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'MachineHealthCheck',
        metadata: { name: 'c2-unhealthy-5m', namespace: ns },
        spec: {
          clusterName: 'c2',
          maxUnhealthy: '40%',
          selector: { matchLabels: { pool: 'c2' } },
          unhealthyConditions: [{ type: 'e2e.remediation.condition', status: 'False', timeout: '10s' }],
        },
      } as KubeObject,
      { namespace: ns },
    );
    // hc-node-2 reports the condition and hc-node-3 is gone: 2 of 3 unhealthy, 40% allows 1.
    const check = await waitFor('TooManyUnhealthy', async () => {
      const c = await getCheck('c2-unhealthy-5m');
      return cond(c, 'RemediationAllowed')?.reason === 'TooManyUnhealthy' ? c : undefined;
    });
    expect(cond(check, 'RemediationAllowed')).toMatchObject({
      status: 'False',
      severity: 'Warning',
      message:
        'Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 3, unhealthy: 2, maxUnhealthy: 40%)',
    });
    expect(check.status).toMatchObject({ expectedMachines: 3, currentHealthy: 1, remediationsAllowed: 0 });
    const m = await waitFor('c2-md-1 judged', async () => {
      const x = await getMachine('c2-md-1');
      return cond(x, 'HealthCheckSucceeded')?.status === 'False' ? x : undefined;
    });
    expect(cond(m, 'OwnerRemediated')).toBeUndefined();
  });
});
