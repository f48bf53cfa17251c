// Test support for the built-in controllers: a real API server over a MemoryStore, in-process
// only (no HTTPS), with the ControllerContext controllers are started with. For tests only.

import { pino } from 'pino';
import { ApiServer } from '../apiserver/server.js';
import { InProcessClient } from '../client/in-process.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { ControllerContext } from '../controller/context.js';
import { MemoryStore } from '../storage/memory.js';

export interface KubeTestEnv {
  server: ApiServer;
  store: MemoryStore;
  /** As the server's system user (system:masters). */
  client: InProcessClient;
  informers: InformerFactory;
  ctx: ControllerContext;
  /** Stops the informers and the server. Stop controllers first. */
  close(): Promise<void>;
}

export interface KubeTestEnvOptions {
  name?: string;
  /** The clock of the server and of ctx.now (default: real time). */
  now?: () => Date;
  /** Log level of ctx.logger (default: silent; CONCORD_TEST_LOG_LEVEL overrides). */
  logLevel?: string;
}

export async function startKubeTestEnv(opts: KubeTestEnvOptions = {}): Promise<KubeTestEnv> {
  const name = opts.name ?? 'test';
  const now = opts.now ?? (() => new Date());
  const store = new MemoryStore();
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? opts.logLevel ?? 'silent' });
  // In-process only: the TLS material is never used because the server never listens.
  const server = await ApiServer.start({
    name,
    store,
    tokens: [],
    tls: { caPem: '', certPem: '', keyPem: '' },
    logger,
    now,
  });
  const client = new InProcessClient(server);
  const informers = new InformerFactory(client, { logger });
  const ctx: ControllerContext = { cluster: name, client, informers, logger, now };
  return {
    server,
    store,
    client,
    informers,
    ctx,
    close: async () => {
      informers.stop();
      await server.close();
      await store.close();
    },
  };
}
