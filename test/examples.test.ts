// Every manifest under examples/ applied with the real kubectl, unchanged, to a hub on SQLite
// with the propagation controllers and a fleet of members in three regions plus a tainted GPU
// cluster, so that no example can rot: each test checks where the example's workload lands and
// what each member is sent (its Work).

import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../src/client/in-process.js';
import { InformerFactory } from '../src/client/informer-factory.js';
import type { RunningController } from '../src/controller/context.js';
import { argocdApis } from '../src/hub/apis/argocd/index.js';
import { governanceApis } from '../src/hub/apis/governance/index.js';
import { type Cluster, karmadaApis, karmadaResources } from '../src/hub/apis/karmada/index.js';
import { recoveryApis } from '../src/hub/apis/recovery/index.js';
import { startGitopsControllers } from '../src/hub/gitops/index.js';
import { governanceAdmission } from '../src/hub/governance/index.js';
import { startPropagationControllers } from '../src/hub/propagation/index.js';
import { putMember } from '../src/hub/propagation/propagation.testing.js';
import { startRecoveryControllers } from '../src/hub/recovery/index.js';
import { waitFor } from '../src/kube/core.testing.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { runKubectl } from './support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

describe('examples/ applied with kubectl [sqlite]', () => {
  let server: TestApiServer;
  let dir: string;
  let informers: InformerFactory;
  let controllers: RunningController;
  let recovery: RunningController;
  let gitops: RunningController[];
  const tested = new Set<string>();

  const kubectl = async (args: string[]): Promise<string> => {
    const r = await runKubectl('1.33', server.kubeconfigPath, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const refused = async (args: string[], input: string): Promise<string> => {
    const r = await runKubectl('1.33', server.kubeconfigPath, args, { input });
    if (r.code === 0) throw new Error(`kubectl ${args.join(' ')} was accepted: ${r.stdout}`);
    return r.stderr;
  };
  const getJson = async (args: string[]): Promise<Json> =>
    JSON.parse(await kubectl(['get', ...args, '-o', 'json']));

  /** Applies an example and waits until its Deployment's binding is scheduled; its clusters. */
  const apply = async (
    example: string,
    deployment: string,
    namespace = 'default',
  ): Promise<Record<string, number>> => {
    tested.add(example);
    await kubectl(['apply', '-f', join(EXAMPLES, example)]);
    const rb = await waitFor(`${example} scheduled`, async () => {
      const b = await getJson(['resourcebinding', `${deployment}-deployment`, '-n', namespace]).catch(
        () => undefined,
      );
      const cond = b?.status?.conditions?.find((c: Json) => c.type === 'Scheduled');
      return cond?.status === 'True' ? b : undefined;
    });
    return Object.fromEntries(rb.spec.clusters.map((c: Json) => [c.name, c.replicas]));
  };

  /** The Deployment a member is sent, once its Work is there. */
  const sent = (member: string, name: string): Promise<Json> =>
    waitFor(`${name}'s Work on ${member}`, async () => {
      const works = await getJson(['work', '-n', `karmada-es-${member}`]).catch(() => undefined);
      for (const w of works?.items ?? [])
        for (const m of w.spec.workload.manifests)
          if (m.kind === 'Deployment' && m.metadata.name === name) return m;
      return undefined;
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-examples-'));
    const store = await SqliteStore.open({ path: join(dir, 'state.db') });
    server = await startTestApiServer({
      store,
      extensions: [karmadaApis, recoveryApis, argocdApis, governanceApis, governanceAdmission],
    });
    const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
    const client = new InProcessClient(server.server);
    informers = new InformerFactory(client, { logger });
    const ctx = { cluster: 'hub', client, informers, logger, now: () => new Date() };
    controllers = startPropagationControllers(ctx);
    recovery = startRecoveryControllers(ctx);
    // The ApplicationSet controller alone: the GitOps example's repository is on github.com, which
    // the application controller would fetch (its syncs are tested in test/gitops/).
    gitops = startGitopsControllers(
      { ...ctx, dataDir: dir, identity: 'examples', endpoint: { url: server.url, caPem: '' } },
      { controllers: ['applicationset'], cacheDir: join(dir, 'gitops') },
    );
    informers.start();
    // The fleet `concord up` makes (a cluster per region), and a GPU cluster tainted for GPU work,
    // each with the capacity its health probe would report.
    const withRoom = async (c: Cluster, allocatable: Record<string, string>) =>
      client.update<Cluster>(
        karmadaResources.clusters,
        { ...c, status: { ...c.status, resourceSummary: { allocatable } } },
        { subresource: 'status' },
      );
    const room = { cpu: '8', memory: '16Gi', pods: '110' };
    await withRoom(await putMember(client, 'europe-1', { region: 'europe' }), room);
    await withRoom(await putMember(client, 'us-1', { region: 'us' }), room);
    await withRoom(await putMember(client, 'asia-1', { region: 'asia' }), room);
    const gpu = await putMember(client, 'gpu-1', {
      region: 'us',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    });
    await withRoom(gpu, { ...room, 'nvidia.com/gpu': '4' });
  }, 60_000);

  afterAll(async () => {
    for (const c of gitops ?? []) await c.stop();
    await recovery?.stop();
    await controllers?.stop();
    informers?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('multi-region-spread: two replicas in each region, none on the GPU cluster', async () => {
    expect(await apply('multi-region-spread', 'spread-web')).toEqual({
      'europe-1': 2,
      'us-1': 2,
      'asia-1': 2,
    });
    expect((await sent('asia-1', 'spread-web')).spec.replicas).toBe(2);
  });

  it('weighted-division: 3:1 between Europe and the US, nothing in Asia', async () => {
    expect(await apply('weighted-division', 'weighted-api')).toEqual({ 'europe-1': 6, 'us-1': 2 });
    expect((await sent('europe-1', 'weighted-api')).spec.replicas).toBe(6);
  });

  it('primary-backup: the whole app on the primary region', async () => {
    expect(await apply('primary-backup', 'ledger')).toEqual({ 'europe-1': 2 });
  });

  it('override-by-region: Asia pulls from its mirror and gets its label, the others are unchanged', async () => {
    expect(await apply('override-by-region', 'shop')).toEqual({ 'europe-1': 1, 'us-1': 1, 'asia-1': 1 });
    const asia = await sent('asia-1', 'shop');
    expect(asia.spec.template.spec.containers[0].image).toBe('mirror.asia.example.com/library/nginx:1.27');
    expect(asia.metadata.labels['shop.example.com/mirror']).toBe('asia');
    const europe = await sent('europe-1', 'shop');
    expect(europe.spec.template.spec.containers[0].image).toBe('docker.io/library/nginx:1.27');
    expect(europe.metadata.labels['shop.example.com/mirror']).toBeUndefined();
  });

  it('gpu-placement: every worker on the cluster that has GPUs and tolerates none of the others', async () => {
    expect(await apply('gpu-placement', 'trainer')).toEqual({ 'gpu-1': 3 });
  });

  it('disaster-recovery: the app in Europe, the US standby with the Deployment scaled to zero', async () => {
    tested.add('disaster-recovery');
    await kubectl(['apply', '-f', join(EXAMPLES, 'disaster-recovery')]);
    expect((await sent('europe-1', 'checkout')).spec.replicas).toBe(3);
    await waitFor('the US standby scaled to zero', async () => {
      const us = await sent('us-1', 'checkout');
      return us.spec.replicas === 0 ? us : undefined;
    });
    const drs = await waitFor('the strategy reconciled', async () => {
      const d = await getJson(['drs', 'checkout']).catch(() => undefined);
      return d?.status?.currentStandby ? d : undefined;
    });
    expect(drs.status).toMatchObject({ currentPrimary: 'europe-1', currentStandby: 'us-1' });
  });

  it('data-residency: the records only in Europe, and a placement outside refused naming the rule', async () => {
    tested.add('data-residency');
    // The rule first, as a user would: it must exist before the placements it judges.
    await kubectl(['apply', '-f', join(EXAMPLES, 'data-residency', 'rule.yaml')]);
    expect(await apply('data-residency', 'records', 'patient-records')).toEqual({ 'europe-1': 2 });
    expect((await sent('europe-1', 'records')).spec.template.spec.containers[0].image).toBe(
      'concord.dev/echo',
    );
    const stderr = await refused(
      ['apply', '-f', '-'],
      `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: records-us, namespace: patient-records}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: records}]
  placement: {clusterAffinity: {clusterNames: [us-1]}}
`,
    );
    expect(stderr).toContain('denied by residency rule "patient-records-eu"');
    expect(stderr).toContain('us-1 (region us)');
  });

  it('gitops: one guestbook Application per member of the three regions, GPU cluster included', async () => {
    tested.add('gitops');
    await kubectl(['apply', '-f', join(EXAMPLES, 'gitops')]);
    const apps = await waitFor('four Applications', async () => {
      const list = await getJson(['applications', '-n', 'argocd']).catch(() => undefined);
      return list?.items?.length === 4 ? list.items : undefined;
    });
    expect(
      Object.fromEntries(
        apps.map((a: Json) => [a.metadata.name, [a.metadata.labels.region, a.spec.destination]]),
      ),
    ).toEqual({
      'guestbook-europe-1': ['europe', { name: 'europe-1', namespace: 'guestbook' }],
      'guestbook-us-1': ['us', { name: 'us-1', namespace: 'guestbook' }],
      'guestbook-asia-1': ['asia', { name: 'asia-1', namespace: 'guestbook' }],
      'guestbook-gpu-1': ['us', { name: 'gpu-1', namespace: 'guestbook' }],
    });
    expect(apps[0].spec.source).toEqual({
      repoURL: 'https://github.com/argoproj/argocd-example-apps.git',
      targetRevision: 'HEAD',
      path: 'guestbook',
    });
  });

  it('covers every example in the folder', () => {
    const all = readdirSync(EXAMPLES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      // The demo `concord up` places is checked by test/cli/up.test.ts, on a live fleet.
      .filter((name) => name !== 'demo')
      .sort();
    expect([...tested].sort()).toEqual(all);
  });
});
