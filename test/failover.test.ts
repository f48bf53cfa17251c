// Failover end to end on a live fleet: a `concord hub` with its default controllers and three
// simulated members in a process of their own, a Deployment divided over them with kubectl, then
// one member taken down with fault injection. The hub's registry marks it not Ready and taints it
// NoExecute, failover moves its replicas to the two others (its Works there add up to every
// replica) and, once the member is healed, nothing moves back.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { karmadaResources, type ResourceBinding, type Work } from '../src/hub/apis/karmada/index.js';
import { requestFault } from '../src/sim/control.js';
import { waitFor } from './sim/support.js';
import { type HubWithMembers, startHubWithMembers } from './support/clusters.js';
import { runKubectl } from './support/kubectl.js';

const MEMBERS = ['fo-1', 'fo-2', 'fo-3'];

const manifest = (name: string, replicas: number, clusterNames: string[]) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: { name: ${name}, namespace: default }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, name: ${name} }]
  placement:
    clusterAffinity: { clusterNames: [${clusterNames.join(', ')}] }
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: { dynamicWeight: AvailableReplicas }
`;

let fleet: HubWithMembers;

beforeAll(async () => {
  fleet = await startHubWithMembers([], MEMBERS);
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
});

async function apply(yaml: string): Promise<void> {
  const kubeconfig = join(fleet.dir, 'hub', 'hub.kubeconfig');
  const r = await runKubectl('1.33', kubeconfig, ['apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed (${r.code}): ${r.stderr}`);
}

const binding = (name: string) =>
  fleet.client.get<ResourceBinding>(karmadaResources.resourcebindings, `${name}-deployment`, {
    namespace: 'default',
  });
const placed = (b: ResourceBinding) => (b.spec.clusters ?? []).map((c) => c.name).sort();
const total = (b: ResourceBinding) => (b.spec.clusters ?? []).reduce((s, c) => s + (c.replicas ?? 0), 0);

/** The replicas each member's Work for the Deployment asks for. */
async function workReplicas(name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const member of MEMBERS) {
    const works = await fleet.client.list<Work>(karmadaResources.works, {
      namespace: `karmada-es-${member}`,
    });
    for (const w of works.items) {
      const m = w.spec.workload?.manifests?.[0];
      if (m?.kind === 'Deployment' && m.metadata.name === name && !w.metadata.deletionTimestamp) {
        out[member] = (m.spec as { replicas: number }).replicas;
      }
    }
  }
  return out;
}

describe('failover on a live fleet', () => {
  it('moves the replicas of a member taken down to the others, and leaves them there when it is back', async () => {
    await apply(manifest('web', 6, MEMBERS));
    await waitFor('web divided over three members', async () => {
      const b = await binding('web').catch(() => undefined);
      return b && placed(b).length === 3 && total(b) === 6 ? b : undefined;
    });

    await requestFault(fleet.sims.dataDir, 'fo-1', { action: 'down' });
    const after = await waitFor(
      'web moved off fo-1',
      async () => {
        const b = await binding('web');
        return !placed(b).includes('fo-1') && total(b) === 6 ? b : undefined;
      },
      60_000,
    );
    expect(placed(after)).toEqual(['fo-2', 'fo-3']);
    expect(after.spec.gracefulEvictionTasks?.[0]).toMatchObject({
      fromCluster: 'fo-1',
      reason: 'TaintUntolerated',
      producer: 'TaintManager',
    });
    const dead = await fleet.get('fo-1');
    expect(dead.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toContain(
      'cluster.karmada.io/not-ready:NoExecute',
    );
    // The Works on the two others ask for every replica between them.
    const works = await waitFor('Works on fo-2 and fo-3 for six replicas', async () => {
      const r = await workReplicas('web');
      return (r['fo-2'] ?? 0) + (r['fo-3'] ?? 0) === 6 ? r : undefined;
    });
    expect(works['fo-2']).toBeGreaterThan(0);
    expect(works['fo-3']).toBeGreaterThan(0);

    // fo-1 comes back: nothing moves to it by itself. A Deployment placed on fo-1 afterwards shows
    // the hub saw it Ready again.
    await requestFault(fleet.sims.dataDir, 'fo-1', { action: 'heal' });
    await fleet.readyIs('fo-1', 'True', 30_000);
    const settled = JSON.stringify((await binding('web')).spec.clusters);
    await apply(manifest('later', 1, ['fo-1']));
    await waitFor('later placed on fo-1', async () => {
      const b = await binding('later').catch(() => undefined);
      return b && placed(b).includes('fo-1') ? b : undefined;
    });
    expect(JSON.stringify((await binding('web')).spec.clusters)).toBe(settled);
  }, 120_000);
});
