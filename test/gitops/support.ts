// Shared pieces of the GitOps end-to-end tests: a git repository made with the real git command
// line, a hub API server with Argo CD's and Karmada's kinds, simulated members registered the way
// `concord join` leaves them (Cluster, credentials Secret, Ready), and the GitOps controllers.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { HttpsClient } from '../../src/client/https.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import type { RunningController } from '../../src/controller/context.js';
import { argocdApis } from '../../src/hub/apis/argocd/index.js';
import { karmadaApis } from '../../src/hub/apis/karmada/index.js';
import { type GitopsOptions, startGitopsControllers } from '../../src/hub/gitops/index.js';
import { SimHost } from '../../src/sim/host.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { markMember, writeReachableMember } from '../support/fleet.js';
import type { TestStoreKind } from '../support/stores.js';

export const ARGO_FIXTURES = '/work/shared/fixtures/argo-cd';
export const EXAMPLE_APPS = join(ARGO_FIXTURES, 'argoproj_argocd-example-apps');

/** A git repository in a directory of its own, changed and committed with the git CLI. */
export class GitRepo {
  constructor(readonly dir: string) {}

  static init(dir: string): GitRepo {
    mkdirSync(dir, { recursive: true });
    const repo = new GitRepo(dir);
    repo.git('init', '--quiet', '--initial-branch=main');
    repo.git('config', 'user.email', 'gitops@example.com');
    repo.git('config', 'user.name', 'GitOps Test');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' }).trim();
  }

  copy(from: string, to: string): void {
    cpSync(from, join(this.dir, to), { recursive: true });
  }

  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
  }

  remove(path: string): void {
    rmSync(join(this.dir, path), { recursive: true, force: true });
  }

  /** Commits everything; returns the commit. */
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }
}

export interface GitopsEnv {
  dir: string;
  server: TestApiServer;
  hub: InProcessClient;
  sims: SimHost;
  members: Map<string, HttpsClient>;
  /** Starts more GitOps controllers on the same hub (sharing nothing but the API). */
  startControllers(opts: GitopsOptions): void;
  stop(): Promise<void>;
}

/** A hub API server on `store` with the GitOps controllers, and simulated members joined to it. */
export async function startGitopsEnv(
  store: TestStoreKind,
  memberNames: string[],
  opts: GitopsOptions = {},
): Promise<GitopsEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-gitops-'));
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
  const server = await startTestApiServer({ store, extensions: [karmadaApis, argocdApis] });
  const hub = new InProcessClient(server.server);
  const sims = await SimHost.start({
    dataDir: join(dir, 'sims'),
    control: false,
    logger,
    defaults: { nodes: 1 },
  });
  const members = new Map<string, HttpsClient>();
  for (const name of memberNames) {
    const cluster = await sims.startCluster({ name });
    const kc = await loadKubeconfig(cluster.kubeconfigPath);
    await writeReachableMember(hub, { name, region: `region-${name}` }, kc);
    members.set(name, new HttpsClient(kc));
  }
  for (const name of memberNames) await markMember(hub, name, true);
  const informers = new InformerFactory(hub, { logger });
  const ctx = {
    cluster: 'hub',
    client: hub,
    informers,
    logger,
    now: () => new Date(),
    dataDir: dir,
    identity: 'test',
    endpoint: { url: server.url, caPem: '' },
  };
  const controllers: RunningController[] = startGitopsControllers(ctx, {
    resyncIntervalMs: 1000,
    cacheDir: join(dir, 'gitops'),
    ...opts,
  });
  informers.start();
  return {
    dir,
    server,
    hub,
    sims,
    members,
    startControllers(more: GitopsOptions) {
      controllers.push(
        ...startGitopsControllers(ctx, { resyncIntervalMs: 1000, cacheDir: join(dir, 'gitops'), ...more }),
      );
    },
    async stop() {
      for (const c of controllers) await c.stop();
      informers.stop();
      for (const m of members.values()) m.close();
      await sims.stop();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
