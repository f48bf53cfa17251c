// Pull mode end to end: a hub on SQLite, two simulated members in a sim host process, member1
// joined with `concord join --sync-mode Pull` and run by a real `concord agent` process with the
// credential join wrote for it, member2 joined Push. Karmada's samples/nginx applied unchanged
// with kubectl reaches both: the agent applies member1's Work, reports its status, and the hub's
// Deployment reads 2/2. The agent's credential opens only its own Work namespace, its Cluster and
// its Lease (403 elsewhere); the hub judges member1's health by the agent's Lease.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClient } from '../src/client/https.js';
import { InProcessClient } from '../src/client/in-process.js';
import { resources } from '../src/client/resources.js';
import { type Cluster, karmadaResources } from '../src/hub/apis/karmada/index.js';
import { joinCluster } from '../src/hub/clusters/join.js';
import { type RunningHub, startHub } from '../src/hub/hub.js';
import { ApiError } from '../src/machinery/status.js';
import { podReady, waitFor } from './sim/support.js';
import { concord, type RunningConcord, startConcord } from './support/cli.js';
import { clusterReader, readyOf } from './support/clusters.js';
import { runKubectl } from './support/kubectl.js';
import { type SimHostProcess, startSimHostProcess } from './support/sim-host.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const NGINX = '/work/shared/fixtures/karmada/karmada-io_karmada/samples/nginx';

let dir: string;
let hubDir: string;
let hub: RunningHub;
let sims: SimHostProcess;
let agent: RunningConcord | undefined;
let agentKubeconfig: string;
let joinOutput: string;
const kubeconfigOf = (name: string) => join(dir, 'sims', 'clusters', `${name}.kubeconfig`);

async function kubectl(args: string[]): Promise<string> {
  const r = await runKubectl('1.33', hub.kubeconfigPath, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-agent-'));
  hubDir = join(dir, 'hub');
  [hub, sims] = await Promise.all([
    startHub({ dataDir: hubDir, port: 0 }),
    startSimHostProcess(join(dir, 'sims'), ['member1', 'member2']),
  ]);
  await joinCluster(new InProcessClient(hub.api.server), {
    name: 'member2',
    kubeconfig: kubeconfigOf('member2'),
  });
  const joined = await concord([
    'join',
    'member1',
    '--kubeconfig',
    kubeconfigOf('member1'),
    '--sync-mode',
    'Pull',
    '--data-dir',
    hubDir,
  ]);
  if (joined.code !== 0) throw new Error(`concord join failed: ${joined.stderr}`);
  joinOutput = joined.stdout;
  agentKubeconfig = join(hubDir, 'agents', 'member1.kubeconfig');
  agent = await startConcord(
    [
      'agent',
      '--hub-kubeconfig',
      agentKubeconfig,
      '--cluster',
      'member1',
      '--kubeconfig',
      kubeconfigOf('member1'),
      '--cluster-lease-duration',
      '4',
      '--cluster-status-update-frequency',
      '1',
    ],
    'agent for cluster member1 running',
  );
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await sims?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a Pull member run by concord agent', () => {
  it('is joined with the command that starts its agent, and reported Ready by the agent', async () => {
    expect(joinOutput).toContain('cluster member1 joined (Pull');
    expect(joinOutput).toContain('concord agent --hub-kubeconfig');
    expect(joinOutput).toContain('--cluster member1 --kubeconfig');
    const reader = clusterReader(new InProcessClient(hub.api.server));
    const c = await reader.readyIs('member1', 'True');
    expect(readyOf(c)).toMatchObject({ reason: 'ClusterReady' });
    expect(c.status?.kubernetesVersion).toMatch(/^v1\./);
    expect(c.status?.nodeSummary).toEqual({ totalNum: 2, readyNum: 2 });
    const lease = await new InProcessClient(hub.api.server).get(resources.leases, 'member1', {
      namespace: 'karmada-cluster',
    });
    expect(lease.spec).toMatchObject({ holderIdentity: 'member1', leaseDurationSeconds: 4 });
  });

  it("runs its share of Karmada's nginx sample beside a Push member, and the hub sums both", async () => {
    await reader().readyIs('member2', 'True');
    await kubectl(['apply', '-f', join(NGINX, 'deployment.yaml')]);
    await kubectl(['apply', '-f', join(NGINX, 'propagationpolicy.yaml')]);
    const member1 = await HttpsClient.fromKubeconfigFile(kubeconfigOf('member1'));
    try {
      const d = await waitFor('nginx on member1', () =>
        member1.get(resources.deployments, 'nginx', { namespace: 'default' }).catch(() => undefined),
      );
      expect(d.metadata.labels?.['karmada.io/managed']).toBe('true');
      expect(d.metadata.managedFields?.map((m) => m.manager)).toContain('concord');
      await waitFor('a Ready nginx pod on member1', async () => {
        const pods = await member1.list(resources.pods, { namespace: 'default', labelSelector: 'app=nginx' });
        return pods.items.some((p) => podReady(p as Json));
      });
    } finally {
      member1.close();
    }
    const work = await waitFor('the agent reporting the Work', async () => {
      const w = JSON.parse(
        await kubectl(['get', 'work', 'nginx-687f7fb96f', '-n', 'karmada-es-member1', '-o', 'json']),
      );
      return w.status?.manifestStatuses?.[0]?.status?.readyReplicas === 1 ? w : undefined;
    });
    expect(work.status.conditions.find((c: Json) => c.type === 'Applied')).toMatchObject({
      status: 'True',
      reason: 'AppliedSuccessful',
    });
    const hubDeploy = await waitFor('the hub Deployment 2/2', async () => {
      const d = JSON.parse(await kubectl(['get', 'deployment', 'nginx', '-o', 'json']));
      return d.status?.readyReplicas === 2 ? d : undefined;
    });
    expect(hubDeploy.status).toMatchObject({ replicas: 2, availableReplicas: 2 });
  });

  it('holds a credential that opens only its Works, its Cluster and its Lease', async () => {
    const asAgent = await HttpsClient.fromKubeconfigFile(agentKubeconfig);
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err) => (err instanceof ApiError ? err.code : -1),
      );
    try {
      expect(await status(asAgent.list(karmadaResources.works, { namespace: 'karmada-es-member1' }))).toBe(
        200,
      );
      expect(await status(asAgent.get<Cluster>(karmadaResources.clusters, 'member1'))).toBe(200);
      expect(await status(asAgent.get(resources.leases, 'member1', { namespace: 'karmada-cluster' }))).toBe(
        200,
      );
      // Someone else's Works, Cluster, Lease, the members' credentials, templates: refused.
      expect(await status(asAgent.list(karmadaResources.works, { namespace: 'karmada-es-member2' }))).toBe(
        403,
      );
      expect(await status(asAgent.list(karmadaResources.works))).toBe(403);
      expect(await status(asAgent.get(karmadaResources.clusters, 'member2'))).toBe(403);
      expect(await status(asAgent.list(karmadaResources.clusters))).toBe(403);
      expect(await status(asAgent.get(resources.leases, 'member2', { namespace: 'karmada-cluster' }))).toBe(
        403,
      );
      expect(await status(asAgent.list(resources.secrets, { namespace: 'karmada-cluster' }))).toBe(403);
      expect(await status(asAgent.list(resources.deployments, { namespace: 'default' }))).toBe(403);
      expect(
        await status(
          asAgent.delete(karmadaResources.works, 'nginx-687f7fb96f', { namespace: 'karmada-es-member1' }),
        ),
      ).toBe(403);
    } finally {
      asAgent.close();
    }
  });

  it('is judged by its heartbeats: the hub marks it Unknown once the agent stops', async () => {
    await agent!.stop();
    agent = undefined;
    const c = await reader().readyIs('member1', 'Unknown', 60_000);
    expect(readyOf(c)?.reason).toBe('ClusterStatusUnknown');
  });
});

function reader() {
  return clusterReader(new InProcessClient(hub.api.server));
}
