// A hub for end-to-end tests of its controllers: the API server over SQLite in a temporary folder
// serving the hub's APIs, an admin kubeconfig beside it, and controllers given as factories
// running against it through an InProcessClient with shared informers, as the hub's controller
// manager runs them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { InProcessClient } from '../../src/client/in-process.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { karmadaApis } from '../../src/hub/apis/karmada/index.js';
import type { ControllerContext, RunningController } from '../../src/kube/context.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { startTestApiServer, type TestApiServer } from './apiserver.js';

export interface TestHub extends TestApiServer {
  ctx: ControllerContext;
  controllers: RunningController[];
}

export async function startTestHub(
  controllers: ((ctx: ControllerContext) => RunningController[])[],
): Promise<TestHub> {
  const storeDir = await mkdtemp(join(tmpdir(), 'concord-hub-store-'));
  const store = await SqliteStore.open({ path: join(storeDir, 'store.db') });
  const server = await startTestApiServer({ name: 'hub', store, extensions: [karmadaApis] });
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
  const client = new InProcessClient(server.server, { userAgent: 'concord-hub-test' });
  const informers = new InformerFactory(client, { logger });
  const ctx: ControllerContext = { cluster: 'hub', client, informers, logger, now: () => new Date() };
  const running = controllers.flatMap((factory) => factory(ctx));
  informers.start();
  return {
    ...server,
    ctx,
    controllers: running,
    async stop() {
      for (const c of running) await c.stop();
      informers.stop();
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
