// Karmada's nginx sample end to end: the hub's API server over HTTPS on SQLite with the
// propagation controllers running against it, two member Clusters reported Ready, and the
// upstream samples/nginx deployment.yaml and propagationpolicy.yaml applied unchanged with the
// real kubectl. The ResourceBinding divides the 2 replicas 1:1 by static weight and each member's
// execution namespace holds a Work with a 1-replica nginx Deployment.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../src/client/in-process.js';
import { InformerFactory } from '../src/client/informer-factory.js';
import type { RunningController } from '../src/controller/context.js';
import { karmadaApis } from '../src/hub/apis/karmada/index.js';
import { startPropagationControllers } from '../src/hub/propagation/index.js';
import { putMember } from '../src/hub/propagation/propagation.testing.js';
import { waitFor } from '../src/kube/core.testing.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { runKubectl } from './support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const NGINX = '/work/shared/fixtures/karmada/karmada-io_karmada/samples/nginx';

describe('Karmada nginx sample with kubectl', () => {
  let server: TestApiServer;
  let dir: string;
  let informers: InformerFactory;
  let controllers: RunningController;

  const kubectl = async (args: string[]): Promise<string> => {
    const r = await runKubectl('1.33', server.kubeconfigPath, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (args: string[]): Promise<Json> =>
    JSON.parse(await kubectl(['get', ...args, '-o', 'json']));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-propagation-e2e-'));
    const store = await SqliteStore.open({ path: join(dir, 'state.db') });
    server = await startTestApiServer({ store, extensions: [karmadaApis] });
    const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
    const client = new InProcessClient(server.server);
    informers = new InformerFactory(client, { logger });
    controllers = startPropagationControllers({
      cluster: 'hub',
      client,
      informers,
      logger,
      now: () => new Date(),
    });
    informers.start();
    await putMember(client, 'member1');
    await putMember(client, 'member2');
  }, 60_000);

  afterAll(async () => {
    await controllers?.stop();
    informers?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('divides the sample 1:1 and writes a Work with one replica into each member', async () => {
    await kubectl(['apply', '-f', join(NGINX, 'deployment.yaml')]);
    await kubectl(['apply', '-f', join(NGINX, 'propagationpolicy.yaml')]);

    const rb = await waitFor('the binding scheduled', async () => {
      const b = await getJson(['resourcebinding', 'nginx-deployment']).catch(() => undefined);
      const cond = b?.status?.conditions?.find((c: Json) => c.type === 'Scheduled');
      return cond?.status === 'True' ? b : undefined;
    });
    expect(rb.spec.resource).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'default',
      name: 'nginx',
    });
    expect(rb.spec.replicas).toBe(2);
    expect(rb.spec.clusters).toEqual([
      { name: 'member1', replicas: 1 },
      { name: 'member2', replicas: 1 },
    ]);
    expect(rb.metadata.labels['propagationpolicy.karmada.io/permanent-id']).toMatch(/^[0-9a-f-]{36}$/);
    const bindingId = rb.metadata.labels['resourcebinding.karmada.io/permanent-id'];

    for (const member of ['member1', 'member2']) {
      // Karmada's Work name: the resource's name and a hash of namespace, name and kind.
      const work = await waitFor(`the Work on ${member}`, () =>
        getJson(['work', 'nginx-687f7fb96f', '-n', `karmada-es-${member}`]).catch(() => undefined),
      );
      expect(work.metadata.labels['resourcebinding.karmada.io/permanent-id']).toBe(bindingId);
      expect(work.metadata.labels['work.karmada.io/permanent-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(work.metadata.annotations).toMatchObject({
        'resourcebinding.karmada.io/namespace': 'default',
        'resourcebinding.karmada.io/name': 'nginx-deployment',
        'work.karmada.io/conflict-resolution': 'abort',
      });
      expect(work.metadata.finalizers).toEqual(['karmada.io/execution-controller']);
      const [manifest] = work.spec.workload.manifests;
      expect(manifest.kind).toBe('Deployment');
      expect(manifest.metadata).toMatchObject({
        name: 'nginx',
        namespace: 'default',
        labels: { app: 'nginx' },
      });
      expect(manifest.metadata.labels['karmada.io/managed']).toBe('true');
      expect(manifest.metadata.annotations).toMatchObject({
        'work.karmada.io/name': 'nginx-687f7fb96f',
        'work.karmada.io/namespace': `karmada-es-${member}`,
        'resourcebinding.karmada.io/name': 'nginx-deployment',
      });
      expect(manifest.metadata.uid).toBeUndefined();
      expect(manifest.spec.replicas).toBe(1);
      expect(manifest.spec.template.spec.containers).toEqual([
        expect.objectContaining({ image: 'nginx', name: 'nginx' }),
      ]);
    }
  });
});
