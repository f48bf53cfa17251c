// Test support: a real API server over SQLite (the default store users run; or a given store),
// served over HTTPS from a temporary folder, with an in-process client and an HTTPS client for it.
// For tests only.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApiServer, serveApiServer } from '../apiserver/serving.js';
import { parseKubeconfig, resolveContext } from '../machinery/kubeconfig.js';
import { SqliteStore } from '../storage/sqlite.js';
import type { Store } from '../storage/store.js';
import { HttpsClient, type HttpsClientOptions } from './https.js';
import { InProcessClient } from './in-process.js';

export interface TestCluster {
  running: RunningApiServer;
  store: Store;
  stateDir: string;
  inProcess: InProcessClient;
  /** A new HTTPS client as the admin (the caller closes it). */
  https(opts?: HttpsClientOptions): HttpsClient;
  /** Stops serving and starts again on the same port, same store and credentials. */
  restart(between?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function startTestCluster(name = 'test', opts: { store?: Store } = {}): Promise<TestCluster> {
  const stateDir = await mkdtemp(join(tmpdir(), `concord-${name}-`));
  const store = opts.store ?? (await SqliteStore.open({ path: join(stateDir, 'store.db') }));
  let running = await serveApiServer({ name, stateDir, store, port: 0 });
  const port = running.port;
  const cluster: TestCluster = {
    running,
    store,
    stateDir,
    inProcess: new InProcessClient(running.server),
    https: (opts) => new HttpsClient(resolveContext(parseKubeconfig(cluster.running.kubeconfig)), opts),
    restart: async (between) => {
      await running.close();
      if (between) await between();
      running = await serveApiServer({ name, stateDir, store, port });
      cluster.running = running;
      cluster.inProcess = new InProcessClient(running.server);
    },
    close: async () => {
      await running.close();
      await store.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
