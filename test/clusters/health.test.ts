// Member health with the registry's default settings, against simulated members in a process of
// their own: a partitioned member (requests hang) is marked not reachable with the probe's
// timeout as the cause; a slow member whose answers still arrive in time stays Ready; and a Pull
// member, which the hub never probes, is judged by its agent's Lease (renewed here by the test
// acting as the agent): Unknown and tainted unreachable once the Lease expires, untainted when
// the agent is back.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { microTime } from '../../src/controller/leader-election.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { metaTime } from '../../src/machinery/time.js';
import { requestFault } from '../../src/sim/control.js';
import { waitFor } from '../sim/support.js';
import { clusterReader, readyOf } from '../support/clusters.js';
import { HubProcess } from '../support/hub.js';
import { type SimHostProcess, startSimHostProcess } from '../support/sim-host.js';

let dir: string;
let hub: HubProcess;
let client: HttpsClient;
let sims: SimHostProcess;

let get: ReturnType<typeof clusterReader>['get'];
let readyIs: ReturnType<typeof clusterReader>['readyIs'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-health-'));
  [hub, sims] = await Promise.all([
    HubProcess.start(join(dir, 'hub'), []),
    startSimHostProcess(join(dir, 'sims'), ['steady', 'cut']),
  ]);
  client = await hub.client();
  ({ get, readyIs } = clusterReader(client));
  for (const name of ['steady', 'cut']) {
    await joinCluster(client, {
      name,
      kubeconfig: join(dir, 'sims', 'clusters', `${name}.kubeconfig`),
    });
  }
  await Promise.all([readyIs('steady', 'True'), readyIs('cut', 'True')]);
}, 120_000);

afterAll(async () => {
  client?.close();
  await sims?.stop();
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('member health', () => {
  it('marks a partitioned member not reachable, naming the timeout, and a slow one that answers in time Ready', async () => {
    const before = readyOf(await get('steady'));
    await requestFault(sims.dataDir, 'steady', { action: 'slow', latencyMs: 500 });
    await requestFault(sims.dataDir, 'cut', { action: 'partition' });
    const cut = await readyIs('cut', 'False');
    expect(readyOf(cut)).toMatchObject({
      reason: 'ClusterNotReachable',
      message: `cannot reach the API server at ${cut.spec.apiEndpoint}: no answer within 1500 ms`,
    });
    await waitFor('the partitioned member tainted NoExecute', async () => {
      const c = await get('cut');
      return c.spec.taints?.some((t) => t.key === 'cluster.karmada.io/not-ready' && t.effect === 'NoExecute')
        ? c
        : undefined;
    });
    // Probed all along at 500 ms a request, the slow member never missed three in a row.
    const steady = await get('steady');
    expect(readyOf(steady)?.status).toBe('True');
    expect(readyOf(steady)?.lastTransitionTime).toBe(before?.lastTransitionTime);
    expect(steady.spec.taints ?? []).toEqual([]);

    await requestFault(sims.dataDir, 'cut', { action: 'heal' });
    await requestFault(sims.dataDir, 'steady', { action: 'heal' });
    await readyIs('cut', 'True');
    await waitFor('the healed member untainted', async () => {
      const c = await get('cut');
      return (c.spec.taints ?? []).length === 0 ? c : undefined;
    });
  });

  it("judges a Pull member by its agent's Lease, never by probing it", async () => {
    // The endpoint leads nowhere: probing it would make the member not reachable at once.
    await client.create<Cluster>(karmadaResources.clusters, {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'pulled' },
      spec: { syncMode: 'Pull', apiEndpoint: 'https://127.0.0.1:1' },
    });
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'pulled', namespace: 'karmada-cluster' },
      spec: { holderIdentity: 'pulled-agent', leaseDurationSeconds: 2, renewTime: microTime(Date.now()) },
    };
    const renew = async () => {
      const current = await client.get(resources.leases, 'pulled', { namespace: 'karmada-cluster' });
      await client.update(resources.leases, {
        ...current,
        spec: { ...(current.spec as object), renewTime: microTime(Date.now()) },
      });
    };
    // As an agent reports: Ready in the status, retried when the hub's controllers got there first.
    const reportReady = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const c = await get('pulled');
        const ready = {
          type: 'Ready',
          status: 'True' as const,
          reason: 'ClusterReady',
          message: 'reported by the agent',
          lastTransitionTime: metaTime(new Date()),
        };
        try {
          await client.update(
            karmadaResources.clusters,
            { ...c, status: { conditions: [ready] } },
            { subresource: 'status' },
          );
          return;
        } catch (err) {
          if (attempt > 10 || (err as { code?: number }).code !== 409) throw err;
        }
      }
    };
    await client.create(resources.leases, lease);
    await reportReady();
    let agent = setInterval(() => void renew().catch(() => undefined), 500);
    try {
      await waitFor('the Pull member untainted while its agent reports', async () => {
        const c = await get('pulled');
        return readyOf(c)?.status === 'True' && (c.spec.taints ?? []).length === 0 ? c : undefined;
      });

      clearInterval(agent);
      const lost = await readyIs('pulled', 'Unknown');
      expect(readyOf(lost)).toMatchObject({ reason: 'ClusterStatusUnknown' });
      expect(readyOf(lost)?.message).toContain('the agent stopped renewing its lease karmada-cluster/pulled');
      const tainted = await waitFor('the unreachable NoExecute taint', async () => {
        const c = await get('pulled');
        return c.spec.taints?.some((t) => t.effect === 'NoExecute') ? c : undefined;
      });
      expect(tainted.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual([
        'cluster.karmada.io/unreachable:NoSchedule',
        'cluster.karmada.io/unreachable:NoExecute',
      ]);

      agent = setInterval(() => void renew().catch(() => undefined), 500);
      await renew();
      await reportReady();
      await waitFor('the Pull member untainted once its agent is back', async () => {
        const c = await get('pulled');
        return readyOf(c)?.status === 'True' && (c.spec.taints ?? []).length === 0 ? c : undefined;
      });
      const events = await client.list(resources.events, {
        namespace: 'default',
        fieldSelector: 'involvedObject.name=pulled',
      });
      expect(events.items.map((e) => `${e.type} ${e.reason}`)).toEqual(
        expect.arrayContaining(['Warning ClusterStatusUnknown', 'Normal TaintClusterSucceed']),
      );
    } finally {
      clearInterval(agent);
    }
  });
});
