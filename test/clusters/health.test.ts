// Member health with the registry's default settings, against simulated members in a process of
// their own: a partitioned member (requests hang) is marked not reachable with the probe's
// timeout as the cause; a slow member whose answers still arrive in time stays Ready; and a Pull
// member, which the hub never probes, is judged by its agent's Lease (renewed here by the test
// acting as the agent): Unknown and tainted unreachable once the Lease expires, untainted when
// the agent is back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/client/resources.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { metaTime, microTime } from '../../src/machinery/time.js';
import { requestFault } from '../../src/sim/control.js';
import { waitFor } from '../sim/support.js';
import { type HubWithMembers, readyOf, startHubWithMembers } from '../support/clusters.js';

let fleet: HubWithMembers;

beforeAll(async () => {
  fleet = await startHubWithMembers([], ['steady', 'cut']);
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('member health', () => {
  it('marks a partitioned member not reachable, naming the timeout, and a slow one that answers in time Ready', async () => {
    const before = readyOf(await fleet.get('steady'));
    await requestFault(fleet.sims.dataDir, 'steady', { action: 'slow', latencyMs: 500 });
    await requestFault(fleet.sims.dataDir, 'cut', { action: 'partition' });
    const cut = await fleet.readyIs('cut', 'False');
    expect(readyOf(cut)).toMatchObject({
      reason: 'ClusterNotReachable',
      message: `cannot reach the API server at ${cut.spec.apiEndpoint}: no answer within 1500 ms`,
    });
    await waitFor('the partitioned member tainted NoExecute', async () => {
      const c = await fleet.get('cut');
      return c.spec.taints?.some((t) => t.key === 'cluster.karmada.io/not-ready' && t.effect === 'NoExecute')
        ? c
        : undefined;
    });
    // Probed all along at 500 ms a request, the slow member never missed three in a row.
    const steady = await fleet.get('steady');
    expect(readyOf(steady)?.status).toBe('True');
    expect(readyOf(steady)?.lastTransitionTime).toBe(before?.lastTransitionTime);
    expect(steady.spec.taints ?? []).toEqual([]);

    await requestFault(fleet.sims.dataDir, 'cut', { action: 'heal' });
    await requestFault(fleet.sims.dataDir, 'steady', { action: 'heal' });
    await fleet.readyIs('cut', 'True');
    await waitFor('the healed member untainted', async () => {
      const c = await fleet.get('cut');
      return (c.spec.taints ?? []).length === 0 ? c : undefined;
    });
  });

  it("judges a Pull member by its agent's Lease, never by probing it", async () => {
    // The endpoint leads nowhere: probing it would make the member not reachable at once.
    await fleet.client.create<Cluster>(karmadaResources.clusters, {
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
      const current = await fleet.client.get(resources.leases, 'pulled', { namespace: 'karmada-cluster' });
      await fleet.client.update(resources.leases, {
        ...current,
        spec: { ...(current.spec as object), renewTime: microTime(Date.now()) },
      });
    };
    // As an agent reports: Ready in the status, retried when the hub's controllers got there first.
    const reportReady = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const c = await fleet.get('pulled');
        const ready = {
          type: 'Ready',
          status: 'True' as const,
          reason: 'ClusterReady',
          message: 'reported by the agent',
          lastTransitionTime: metaTime(new Date()),
        };
        try {
          await fleet.client.update(
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
    await fleet.client.create(resources.leases, lease);
    await reportReady();
    let agent = setInterval(() => void renew().catch(() => undefined), 500);
    try {
      await waitFor('the Pull member untainted while its agent reports', async () => {
        const c = await fleet.get('pulled');
        return readyOf(c)?.status === 'True' && (c.spec.taints ?? []).length === 0 ? c : undefined;
      });

      clearInterval(agent);
      const lost = await fleet.readyIs('pulled', 'Unknown');
      expect(readyOf(lost)).toMatchObject({ reason: 'ClusterStatusUnknown' });
      expect(readyOf(lost)?.message).toContain('the agent stopped renewing its lease karmada-cluster/pulled');
      const tainted = await waitFor('the unreachable NoExecute taint', async () => {
        const c = await fleet.get('pulled');
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
        const c = await fleet.get('pulled');
        return readyOf(c)?.status === 'True' && (c.spec.taints ?? []).length === 0 ? c : undefined;
      });
      const events = await fleet.client.list(resources.events, {
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
