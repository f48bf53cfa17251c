// Running an API server out of a folder: its CA, serving certificate and token file are created
// there on first start and reused after. The admin kubeconfig is returned for the caller to
// write where users expect it.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildKubeconfig } from '../machinery/kubeconfig.js';
import type { Compactor } from '../storage/compactor.js';
import type { Store } from '../storage/store.js';
import { loadOrCreateTokenFile } from './authn.js';
import type { ApiExtension } from './extensions.js';
import type { HttpRoute } from './http/routes.js';
import { loadOrCreateCA, loadOrIssueServingCertificate } from './pki.js';
import { ApiServer } from './server.js';

export interface ServeOptions {
  /** Shown in logs and used as the kubeconfig's cluster name. */
  name: string;
  /** Folder for this server's CA, certificates and tokens. */
  stateDir: string;
  store: Store;
  port?: number;
  host?: string;
  /** Extra names the serving certificate must cover. */
  hosts?: string[];
  logger?: Logger;
  /** Store compaction (see ApiServerOptions.compactor); default: the server's own. */
  compactor?: Compactor | false;
  /** Kinds beyond the built-in ones (see ApiServerOptions.extensions). */
  extensions?: readonly ApiExtension[];
  /** See ApiServerOptions.anonymousAuth (default true). */
  anonymousAuth?: boolean;
  /** Paths served beside the API (see ApiServerOptions.routes). */
  routes?: readonly HttpRoute[];
}

export interface RunningApiServer {
  server: ApiServer;
  url: string;
  port: number;
  /** An admin kubeconfig (YAML) for this server. */
  kubeconfig: string;
  adminToken: string;
  caPem: string;
  close(): Promise<void>;
}

export async function serveApiServer(opts: ServeOptions): Promise<RunningApiServer> {
  const pkiDir = join(opts.stateDir, 'pki');
  const host = opts.host ?? '127.0.0.1';
  const ca = await loadOrCreateCA(pkiDir, `${opts.name}-ca`);
  const serving = await loadOrIssueServingCertificate(pkiDir, ca, { hosts: [host, ...(opts.hosts ?? [])] });
  const tokens = await loadOrCreateTokenFile(opts.stateDir);
  if (!tokens.adminToken) throw new Error(`${tokens.path} names no member of system:masters`);
  const server = await ApiServer.start({
    name: opts.name,
    store: opts.store,
    tokens: tokens.entries,
    tls: { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem },
    logger: opts.logger,
    ...(opts.anonymousAuth !== undefined ? { anonymousAuth: opts.anonymousAuth } : {}),
    ...(opts.compactor !== undefined ? { compactor: opts.compactor } : {}),
    ...(opts.extensions ? { extensions: opts.extensions } : {}),
    ...(opts.routes ? { routes: opts.routes } : {}),
  });
  let listening: { port: number; url: string };
  try {
    listening = await server.listen(opts.port ?? 0, host);
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    server,
    url: listening.url,
    port: listening.port,
    kubeconfig: buildKubeconfig({
      name: opts.name,
      server: listening.url,
      caPem: ca.certPem,
      user: { token: tokens.adminToken },
    }),
    adminToken: tokens.adminToken,
    caPem: ca.certPem,
    close: () => server.close(),
  };
}
