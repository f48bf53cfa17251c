// An API server for end-to-end tests: HTTPS on a free loopback port, its state in a temporary
// folder, an admin kubeconfig written next to it. Stopped (and the folder removed) by stop().

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiExtension } from '../../src/apiserver/extensions.js';
import { type RunningApiServer, serveApiServer } from '../../src/apiserver/serving.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/store.js';

export interface TestApiServer extends RunningApiServer {
  dir: string;
  kubeconfigPath: string;
  store: Store;
  stop(): Promise<void>;
}

export async function startTestApiServer(
  opts: { store?: Store; name?: string; extensions?: ApiExtension[] } = {},
): Promise<TestApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-e2e-'));
  const store = opts.store ?? new MemoryStore();
  let running: RunningApiServer;
  try {
    running = await serveApiServer({
      name: opts.name ?? 'e2e',
      stateDir: join(dir, 'state'),
      store,
      port: 0,
      extensions: opts.extensions,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, running.kubeconfig, { mode: 0o600 });
  return {
    ...running,
    dir,
    kubeconfigPath,
    store,
    async stop() {
      await running.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
