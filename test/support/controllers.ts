// An end-to-end test cluster that behaves like one: the HTTPS API server of ./apiserver.ts plus the
// core controllers (garbage collector, namespaces, endpoints, node lifecycle, ...) running in
// process against it through an InProcessClient, as a simulated cluster runs them. `extra` starts
// more controllers on the same context (workloads, scheduler ...).

import { pino } from 'pino';
import { InProcessClient } from '../../src/client/in-process.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import type { ControllerContext, RunningController } from '../../src/controller/context.js';
import { type CoreControllerOptions, startCoreControllers } from '../../src/kube/core.js';
import { startTestApiServer, type TestApiServer } from './apiserver.js';
import type { TestStoreKind } from './stores.js';

export interface TestClusterWithControllers extends TestApiServer {
  ctx: ControllerContext;
  controllers: RunningController[];
}

export async function startTestClusterWithControllers(
  opts: {
    name?: string;
    /** The store kind (default sqlite). */
    store?: TestStoreKind;
    core?: CoreControllerOptions;
    extra?: (ctx: ControllerContext) => RunningController[];
  } = {},
): Promise<TestClusterWithControllers> {
  const server = await startTestApiServer({ name: opts.name, ...(opts.store ? { store: opts.store } : {}) });
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
  const client = new InProcessClient(server.server);
  const informers = new InformerFactory(client, { logger });
  const ctx: ControllerContext = {
    cluster: opts.name ?? 'e2e',
    client,
    informers,
    logger,
    now: () => new Date(),
  };
  const controllers: RunningController[] = [
    startCoreControllers(ctx, opts.core),
    ...(opts.extra?.(ctx) ?? []),
  ];
  informers.start();
  return {
    ...server,
    ctx,
    controllers,
    async stop() {
      for (const c of controllers) await c.stop();
      informers.stop();
      await server.stop();
    },
  };
}
