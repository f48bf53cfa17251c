// An API server for end-to-end tests: HTTPS on a free loopback port, its state in a temporary
// folder, an admin kubeconfig written next to it, on SQLite by default (etcd or memory on
// request). Stopped (and the folder removed) by stop().

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatTokenFile,
  GROUP_MASTERS,
  generateToken,
  TOKENS_FILE,
  type TokenEntry,
} from '../../src/apiserver/authn.js';
import type { ApiExtension } from '../../src/apiserver/extensions.js';
import { type RunningApiServer, serveApiServer } from '../../src/apiserver/serving.js';
import type { Store } from '../../src/storage/store.js';
import { openTestStore, type TestStoreKind } from './stores.js';

export interface TestApiServer extends RunningApiServer {
  dir: string;
  kubeconfigPath: string;
  store: Store;
  storeKind: TestStoreKind | 'given';
  /** The token of each entry of TestApiServerOptions.tokens, by user name. */
  tokens: Map<string, string>;
  stop(): Promise<void>;
}

export interface TestApiServerOptions {
  /** A store kind to open for the server (default sqlite), or a store the caller owns. */
  store?: TestStoreKind | Store;
  name?: string;
  /** See ApiServerOptions.anonymousAuth (default true, as kube-apiserver). */
  anonymousAuth?: boolean;
  /** Bearer tokens besides the administrator's (written to the server's tokens file). */
  tokens?: Omit<TokenEntry, 'token'>[];
  /** Kinds beyond the built-in ones (see ApiServerOptions.extensions). */
  extensions?: ApiExtension[];
}

export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-e2e-'));
  const stateDir = join(dir, 'state');
  const tokens = new Map<string, string>();
  if (opts.tokens?.length) {
    const admin = {
      token: generateToken(),
      user: 'kubernetes-admin',
      uid: 'kubernetes-admin',
      groups: [GROUP_MASTERS],
    };
    const entries = [admin, ...opts.tokens.map((t) => ({ ...t, token: generateToken() }))];
    for (const e of entries.slice(1)) tokens.set(e.user, e.token);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(stateDir, TOKENS_FILE), formatTokenFile(entries), { mode: 0o600 });
  }
  const owned = typeof opts.store === 'object' ? undefined : await openTestStore(opts.store ?? 'sqlite', dir);
  const store = owned?.store ?? (opts.store as Store);
  let running: RunningApiServer;
  try {
    running = await serveApiServer({
      name: opts.name ?? 'e2e',
      stateDir,
      store,
      port: 0,
      extensions: opts.extensions,
      ...(opts.anonymousAuth !== undefined ? { anonymousAuth: opts.anonymousAuth } : {}),
    });
  } catch (err) {
    await owned?.close();
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
    storeKind: owned?.kind ?? 'given',
    tokens,
    async stop() {
      await running.close();
      await (owned ?? store).close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
