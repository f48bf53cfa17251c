// The residency filter with the real propagation controllers on an API server serving Karmada's
// and the governance kinds: a rule added after a policy moves the covered workload off the member
// it may not use (its Work there removed); a rule no member satisfies leaves the binding unplaced
// with a Scheduled condition naming the rule; a workload that gains the label a rule selects is
// moved too. On SQLite and memory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../apiserver/server.js';
import { InProcessClient } from '../../../client/in-process.js';
import { InformerFactory } from '../../../client/informer-factory.js';
import { resources } from '../../../client/resources.js';
import type { RunningController } from '../../../controller/context.js';
import { waitFor } from '../../../kube/core.testing.js';
import type { KubeObject } from '../../../machinery/object.js';
import { openStore } from '../../../storage/open.js';
import type { Store } from '../../../storage/store.js';
import { governanceApis, type ResidencyRule, residencyRules } from '../../apis/governance/index.js';
import { karmadaApis, karmadaResources, type ResourceBinding } from '../../apis/karmada/index.js';
import { startPropagationControllers } from '../../propagation/index.js';
import { putMember } from '../../propagation/propagation.testing.js';
import { governanceAdmission, residencyFilter } from '../index.js';

function deployment(name: string, namespace: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}

function policy(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind: 'PropagationPolicy',
    metadata: { name, namespace },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name }],
      placement: {
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
      },
    },
  };
}

function rule(name: string, spec: ResidencyRule['spec']): ResidencyRule {
  return { apiVersion: 'governance.concord.dev/v1alpha1', kind: 'ResidencyRule', metadata: { name }, spec };
}

describe.each(['sqlite', 'memory'] as const)('residency filter in the scheduler [%s]', (kind) => {
  let dir: string;
  let store: Store;
  let server: ApiServer;
  let client: InProcessClient;
  let informers: InformerFactory;
  let controllers: RunningController;

  const binding = (name: string, ns: string) =>
    client
      .get<ResourceBinding>(karmadaResources.resourcebindings, `${name}-deployment`, { namespace: ns })
      .catch(() => undefined);
  const placedOn = async (name: string, ns: string) =>
    ((await binding(name, ns))?.spec.clusters ?? []).map((c) => c.name).sort();
  // Works being deleted count as gone: their finalizer is the execution controller's, not run here.
  const works = async (member: string, prefix: string) =>
    (await client.list(karmadaResources.works, { namespace: `karmada-es-${member}` })).items.filter(
      (w) => w.metadata.name?.startsWith(prefix) && !w.metadata.deletionTimestamp,
    ).length;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-residency-'));
    store = await openStore(kind === 'memory' ? 'memory' : `sqlite:${join(dir, 'store.db')}`);
    const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
    server = await ApiServer.start({
      name: 'hub',
      store,
      tokens: [],
      tls: { caPem: '', certPem: '', keyPem: '' },
      logger,
      extensions: [karmadaApis, governanceApis, governanceAdmission],
    });
    client = new InProcessClient(server);
    informers = new InformerFactory(client, { logger });
    const ctx = { cluster: 'hub', client, informers, logger, now: () => new Date() };
    controllers = startPropagationControllers(ctx, { scheduler: { filters: [residencyFilter(ctx)] } });
    informers.start();
    await putMember(client, 'eu-1', { region: 'eu-west' });
    await putMember(client, 'us-1', { region: 'us-east' });
    for (const ns of ['shop', 'misc', 'vault']) {
      await client.create(resources.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
    }
  }, 60_000);

  afterAll(async () => {
    await controllers?.stop();
    informers?.stop();
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves a workload off a member when a rule is added after its policy', async () => {
    await client.create(resources.deployments, deployment('web', 'shop'), { namespace: 'shop' });
    await client.create(karmadaResources.propagationpolicies, policy('web', 'shop'), { namespace: 'shop' });
    await waitFor('web on both members', async () => (await placedOn('web', 'shop')).length === 2);

    await client.create(
      residencyRules,
      rule('eu-data', {
        resourceSelector: { namespaces: ['shop'] },
        allowedClusters: { regions: ['eu-west'] },
      }),
    );
    await waitFor('web only on eu-1', async () => (await placedOn('web', 'shop')).join() === 'eu-1');
    expect((await binding('web', 'shop'))?.spec.clusters).toEqual([{ name: 'eu-1', replicas: 4 }]);
    await waitFor('the Work on us-1 deleted', async () => (await works('us-1', 'web-')) === 0);
    expect(await works('eu-1', 'web-')).toBe(1);
  });

  it('leaves the binding unplaced, saying why, when no member satisfies the rule', async () => {
    const current = await client.get<ResidencyRule>(residencyRules, 'eu-data');
    await client.update(residencyRules, {
      ...current,
      spec: { ...current.spec, allowedClusters: { regions: ['ap-south'] } },
    });
    const b = await waitFor('web unplaced', async () => {
      const rb = await binding('web', 'shop');
      const cond = rb?.status?.conditions?.find((c) => c.type === 'Scheduled');
      return cond?.status === 'False' ? rb : undefined;
    });
    expect(b.spec.clusters).toEqual([]);
    expect(b.status?.conditions?.find((c) => c.type === 'Scheduled')).toMatchObject({
      reason: 'NoClusterFit',
      message: '0/2 clusters are available: 2 cluster(s) were outside residency rule eu-data.',
    });
    await waitFor('the Work on eu-1 deleted', async () => (await works('eu-1', 'web-')) === 0);
  });

  it('moves a workload that gains the label a rule selects', async () => {
    await client.create(
      residencyRules,
      rule('pii', {
        resourceSelector: { kinds: ['Deployment'], labelSelector: { matchLabels: { 'data-class': 'pii' } } },
        allowedClusters: { clusterNames: ['us-1'] },
      }),
    );
    await client.create(resources.deployments, deployment('ledger', 'misc'), { namespace: 'misc' });
    await client.create(karmadaResources.propagationpolicies, policy('ledger', 'misc'), {
      namespace: 'misc',
    });
    await waitFor('ledger on both members', async () => (await placedOn('ledger', 'misc')).length === 2);
    await client.patch(
      resources.deployments,
      'ledger',
      { metadata: { labels: { 'data-class': 'pii' } } },
      'merge',
      {
        namespace: 'misc',
      },
    );
    await waitFor('ledger only on us-1', async () => (await placedOn('ledger', 'misc')).join() === 'us-1');
  });

  it('never fails a covered workload over to a member outside its rule: it is left unplaced instead', async () => {
    // A policy written before the rule (admission would refuse it now), then the rule.
    await client.create(resources.deployments, deployment('secrets', 'vault'), { namespace: 'vault' });
    await client.create(karmadaResources.propagationpolicies, policy('secrets', 'vault'), {
      namespace: 'vault',
    });
    await waitFor('secrets on both members', async () => (await placedOn('secrets', 'vault')).length === 2);
    await client.create(
      residencyRules,
      rule('vault-eu', {
        resourceSelector: { namespaces: ['vault'] },
        allowedClusters: { regions: ['eu-west'] },
      }),
    );
    await waitFor('secrets on eu-1 only', async () => (await placedOn('secrets', 'vault')).join() === 'eu-1');
    // The European member fails: a NoExecute taint the placement does not tolerate evicts it.
    await putMember(client, 'eu-1', {
      region: 'eu-west',
      taints: [{ key: 'cluster.karmada.io/not-ready', effect: 'NoExecute' }],
    });
    const b = await waitFor('secrets evicted and not moved', async () => {
      const rb = await binding('secrets', 'vault');
      const cond = rb?.status?.conditions?.find((c) => c.type === 'Scheduled');
      return cond?.status === 'False' && !(rb?.spec.clusters ?? []).some((c) => c.name === 'eu-1')
        ? rb
        : undefined;
    });
    expect((b.spec.clusters ?? []).map((c) => c.name)).not.toContain('us-1');
    expect(b.status?.conditions?.find((c) => c.type === 'Scheduled')?.message).toContain(
      'cluster(s) were outside residency rule vault-eu',
    );
  });
});
