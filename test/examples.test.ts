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
import { type Cluster, karmadaApis, karmadaResources } from '../src/hub/apis/karmada/index.js';
import { recoveryApis } from '../src/hub/apis/recovery/index.js';
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
  const tested = new Set<string>();

  const kubectl = async (args: string[]): Promise<string> => {
    const r = await runKubectl('1.33', server.kubeconfigPath, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (args: string[]): Promise<Json> =>
    JSON.parse(await kubectl(['get', ...args, '-o', 'json']));

  /** Applies an example and waits until its Deployment's binding is scheduled; its clusters. */
  const apply = async (example: string, deployment: string): Promise<Record<string, number>> => {
    tested.add(example);
    await kubectl(['apply', '-f', join(EXAMPLES, example)]);
    const rb = await waitFor(`${example} scheduled`, async () => {
      const b = await getJson(['resourcebinding', `${deployment}-deployment`]).catch(() => undefined);
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
    server = await startTestApiServer({ store, extensions: [karmadaApis, recoveryApis] });
    const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
    const client = new InProcessClient(server.server);
    informers = new InformerFactory(client, { logger });
    const ctx = { cluster: 'hub', client, informers, logger, now: () => new Date() };
    controllers = startPropagationControllers(ctx);
    recovery = startRecoveryControllers(ctx);
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
