// Failover end to end on a live fleet: a `concord hub` with its default controllers and three
// simulated members in a process of their own, a Deployment divided over them with kubectl, then
// one member taken down with fault injection. The hub's registry marks it not Ready and taints it
// NoExecute, failover moves its replicas to the two others, where every replica runs again and the
// hub's Deployment reads full; once the member is healed, nothing moves back.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../src/client/resources.js';
import type { CoreEvent } from '../src/controller/events.js';
import { karmadaResources, type ResourceBinding } from '../src/hub/apis/karmada/index.js';
import { requestFault } from '../src/sim/control.js';
import { waitFor } from './sim/support.js';
import { type HubWithMembers, startHubWithMembers } from './support/clusters.js';
import { runKubectl } from './support/kubectl.js';

const MEMBERS = ['fo-1', 'fo-2', 'fo-3'];

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

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

async function kubectl(
  args: string[],
  input?: string,
  kubeconfig = join(fleet.dir, 'hub', 'hub.kubeconfig'),
) {
  const r = await runKubectl('1.33', kubeconfig, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const apply = (yaml: string) => kubectl(['apply', '-f', '-'], yaml);

/** Ready replicas of a Deployment on a member, read from the member itself. */
async function memberReady(member: string, name: string): Promise<number> {
  const kubeconfig = join(fleet.dir, 'sims', 'clusters', `${member}.kubeconfig`);
  const out = await kubectl(
    ['get', 'deployment', name, '-n', 'default', '-o', 'json'],
    undefined,
    kubeconfig,
  ).catch(() => undefined);
  return out ? ((JSON.parse(out) as Json).status?.readyReplicas ?? 0) : 0;
}

const binding = (name: string) =>
  fleet.client.get<ResourceBinding>(karmadaResources.resourcebindings, `${name}-deployment`, {
    namespace: 'default',
  });
const placed = (b: ResourceBinding) => (b.spec.clusters ?? []).map((c) => c.name).sort();
const total = (b: ResourceBinding) => (b.spec.clusters ?? []).reduce((s, c) => s + (c.replicas ?? 0), 0);

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
    const dead = await fleet.get('fo-1');
    expect(dead.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toContain(
      'cluster.karmada.io/not-ready:NoExecute',
    );
    const evicted = await waitFor('the eviction event', async () => {
      const list = await fleet.client.list<CoreEvent>(resources.events, { namespace: 'default' });
      return list.items.find(
        (e) => e.reason === 'EvictingWorkloadFromCluster' && e.involvedObject.kind === 'ResourceBinding',
      );
    });
    expect(evicted.message).toContain('fo-1');
    // Every replica runs on the two others, and the hub's Deployment reads full again.
    const ready = await waitFor(
      'six replicas ready on fo-2 and fo-3',
      async () => {
        const r = { 'fo-2': await memberReady('fo-2', 'web'), 'fo-3': await memberReady('fo-3', 'web') };
        return r['fo-2'] + r['fo-3'] === 6 ? r : undefined;
      },
      60_000,
    );
    expect(ready['fo-2']).toBeGreaterThan(0);
    expect(ready['fo-3']).toBeGreaterThan(0);
    const hubStatus = await waitFor('the hub Deployment back to six ready replicas', async () => {
      const d = JSON.parse(await kubectl(['get', 'deployment', 'web', '-o', 'json'])) as Json;
      return d.status?.readyReplicas === 6 && d.status?.availableReplicas === 6 ? d.status : undefined;
    });
    expect(hubStatus.replicas).toBe(6);
    // The old copy's task is gone once the new placement reported healthy.
    await waitFor(
      'the eviction task done',
      async () => !(await binding('web')).spec.gracefulEvictionTasks?.length,
    );

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
