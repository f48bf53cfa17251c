// GitOps at fleet scale: the hub's API server on SQLite with the application and ApplicationSet
// controllers in this process, N simulated members (one node each) in a child process of their
// own (as members are other machines: the hub's CPU time and RSS are its own), and a git
// repository made with the git CLI holding K apps (a ConfigMap and a one-replica Deployment each).
// One ApplicationSet (matrix of the clusters generator and a git directories generator) makes
// N x K Applications. Measured: Applications generated per second, the time until all are Synced
// and Healthy, then — after a commit changing every app and the webhook's refresh — the time
// until all are Synced and Healthy at the new commit, with the CPU time the hub and the members
// spent meanwhile; and each process's RSS. Prints one JSON document, then a one-line summary.
//
//   npm run bench:gitops      # = npm run build && node dist/bench/gitops/main.js
//   node --import tsx bench/gitops/main.ts [--members 100] [--apps 10]

import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ApiServer } from '../../src/apiserver/server.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { InformerFactory } from '../../src/client/informer-factory.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { resources } from '../../src/client/resources.js';
import { type Application, argocdApis, argocdResources } from '../../src/hub/apis/argocd/index.js';
import { karmadaApis, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { registerCluster } from '../../src/hub/clusters/join.js';
import { refreshRepositories, startGitopsControllers } from '../../src/hub/gitops/index.js';
import { SimHost } from '../../src/sim/host.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/gitops/main.js [--members N] [--apps K]

  --members N   simulated member clusters (default 100)
  --apps K      apps in the repository, each synced to every member (default 10)
  -h, --help    this text
`;

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

function writeApps(repo: string, apps: number, version: string): void {
  for (let i = 0; i < apps; i++) {
    const dir = join(repo, 'apps', `app-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'manifests.yaml'),
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-${i}-config
data:
  version: "${version}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
spec:
  replicas: 1
  selector:
    matchLabels: {app: app-${i}}
  template:
    metadata:
      labels: {app: app-${i}}
    spec:
      containers:
      - name: web
        image: registry.example/app-${i}:${version}
`,
    );
  }
}

interface Usage {
  cpu: NodeJS.CpuUsage;
  rss: number;
}

type Request = { type: 'start'; names: string[] } | { type: 'usage' } | { type: 'stop' };

/** The simulated members, in a child process running this file with --members-host. */
class MembersProcess {
  private readonly child: ChildProcess;
  private waiting: ((v: unknown) => void)[] = [];

  constructor(dataDir: string) {
    this.child = fork(fileURLToPath(import.meta.url), ['--members-host', dataDir], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m) => this.waiting.shift()?.(m));
    this.child.on('exit', (code) => {
      if (this.waiting.length) {
        process.stderr.write(`the members' process exited (${code})\n`);
        process.exit(1);
      }
    });
  }

  /** One request at a time: answers come in order. */
  ask(req: Request): Promise<unknown> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(req);
    });
  }
}

async function membersHost(dataDir: string): Promise<void> {
  const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
  const sims = await SimHost.start({ dataDir, control: false, logger, defaults: { nodes: 1 } });
  process.on('message', async (req: Request) => {
    if (req.type === 'start') {
      const out: string[] = [];
      for (const name of req.names) out.push((await sims.startCluster({ name })).kubeconfigPath);
      process.send!(out);
    } else if (req.type === 'usage') {
      process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss } satisfies Usage);
    } else {
      await sims.stop();
      process.send!('stopped', () => process.exit(0));
    }
  });
}

async function main(): Promise<void> {
  const opts = benchOptions(USAGE, {
    members: { type: 'string', default: '100' },
    apps: { type: 'string', default: '10' },
  });
  const members = countOption(USAGE, 'members', opts.members);
  const apps = countOption(USAGE, 'apps', opts.apps);
  const total = members * apps;
  const dir = mkdtempSync(join(tmpdir(), 'concord-bench-gitops-'));
  const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'config', 'user.email', 'bench@example.com');
  git(repo, 'config', 'user.name', 'bench');
  writeApps(repo, apps, 'v1');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'v1');

  const store = await SqliteStore.open({ path: join(dir, 'hub.db') });
  const api = await ApiServer.start({
    name: 'hub',
    store,
    tokens: [],
    tls: { caPem: '', certPem: '', keyPem: '' },
    logger,
    extensions: [karmadaApis, argocdApis],
  });
  const hub = new InProcessClient(api);
  const startMembers = performance.now();
  const sims = new MembersProcess(join(dir, 'sims'));
  const names = Array.from({ length: members }, (_, i) => `member-${String(i).padStart(3, '0')}`);
  const kubeconfigs = (await sims.ask({ type: 'start', names })) as string[];
  for (let i = 0; i < members; i++) {
    const name = names[i]!;
    await registerCluster(hub, {
      name,
      connection: await loadKubeconfig(kubeconfigs[i]!),
      region: `region-${i % 5}`,
    });
    const c = await hub.get(karmadaResources.clusters, name);
    await hub.update(
      karmadaResources.clusters,
      {
        ...c,
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ClusterReady',
              message: 'cluster is healthy and ready to accept workloads',
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      },
      { subresource: 'status' },
    );
  }
  const membersSeconds = (performance.now() - startMembers) / 1000;
  const informers = new InformerFactory(hub, { logger });
  const controllers = startGitopsControllers(
    {
      cluster: 'hub',
      client: hub,
      informers,
      logger,
      now: () => new Date(),
      dataDir: dir,
      identity: 'bench',
      endpoint: { url: '', caPem: '' },
    },
    { cacheDir: join(dir, 'gitops'), resyncIntervalMs: 30_000 },
  );
  informers.start();
  await hub.create(resources.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'argocd' },
  });

  const started = performance.now();
  await hub.create(
    argocdResources.applicationsets,
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'fleet', namespace: 'argocd' },
      spec: {
        goTemplate: true,
        generators: [
          {
            matrix: {
              generators: [
                { clusters: {} },
                { git: { repoURL: repo, revision: 'HEAD', directories: [{ path: 'apps/*' }] } },
              ],
            },
          },
        ],
        template: {
          metadata: { name: '{{.path.basename}}-{{.name}}' },
          spec: {
            project: 'default',
            source: { repoURL: repo, targetRevision: 'HEAD', path: '{{.path.path}}' },
            destination: { server: '{{.server}}', namespace: '{{.path.basename}}' },
            syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
          },
        },
      },
    },
    { namespace: 'argocd' },
  );
  // Waiting watches the Applications through the informer the controllers share (no list of
  // every Application from the store per check, which at 1,000 would cost the hub more than
  // the work measured).
  const appInformer = informers.informerFor<Application>(argocdResources.applications);
  const until = (what: string, done: (items: Application[]) => boolean, timeoutMs = 900_000) =>
    new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let scheduled = false;
      const check = () => {
        scheduled = false;
        if (!done(appInformer.list({ namespace: 'argocd' }))) return;
        clearTimeout(timer);
        remove();
        resolve();
      };
      // Events come in bursts: one check per burst (a macrotask later), not one per event.
      const soon = () => {
        if (!scheduled) {
          scheduled = true;
          setImmediate(check);
        }
      };
      const remove = appInformer.addEventHandler({ onAdd: soon, onUpdate: soon, onDelete: soon });
      timer = setTimeout(() => {
        remove();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      soon();
    });
  const since = (t: number) => (performance.now() - t) / 1000;
  await until('the Applications', (items) => items.length === total);
  const generated = since(started);
  const healthyAt = (rev: string | undefined) => (items: Application[]) =>
    items.length === total &&
    items.every(
      (a) =>
        a.status?.sync?.status === 'Synced' &&
        a.status.health?.status === 'Healthy' &&
        (!rev || a.status.sync.revision === rev),
    );
  await until('all Synced and Healthy', healthyAt(undefined));
  const firstSynced = since(started);

  writeApps(repo, apps, 'v2');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'v2');
  const next = git(repo, 'rev-parse', 'HEAD');
  const commitAt = performance.now();
  const hubCpuAt = process.cpuUsage();
  const membersCpuAt = (await sims.ask({ type: 'usage' })) as Usage;
  logger.info({ monotonicUs: Number(process.hrtime.bigint() / 1000n) }, 'commit');
  await refreshRepositories(hub, [repo]);
  await until('the new commit', healthyAt(next));
  const commitSeconds = (performance.now() - commitAt) / 1000;
  logger.info({ monotonicUs: Number(process.hrtime.bigint() / 1000n) }, 'all synced at the new commit');
  const hubCpu = process.cpuUsage(hubCpuAt);
  const membersUsage = (await sims.ask({ type: 'usage' })) as Usage;
  const cpuSeconds = (u: NodeJS.CpuUsage) => Number(((u.user + u.system) / 1e6).toFixed(1));
  const hubRssMiB = Math.round(process.memoryUsage().rss / 1024 / 1024);

  const result = {
    members,
    appsPerMember: apps,
    applications: total,
    cores: availableParallelism(),
    membersStartSeconds: Number(membersSeconds.toFixed(1)),
    generatedSeconds: Number(generated.toFixed(2)),
    applicationsPerSecond: Number((total / generated).toFixed(1)),
    firstSyncedHealthySeconds: Number(firstSynced.toFixed(1)),
    commitToSyncedHealthySeconds: Number(commitSeconds.toFixed(1)),
    commitHubCpuSeconds: cpuSeconds(hubCpu),
    commitMembersCpuSeconds: cpuSeconds({
      user: membersUsage.cpu.user - membersCpuAt.cpu.user,
      system: membersUsage.cpu.system - membersCpuAt.cpu.system,
    }),
    hubRssMiB,
    membersRssMiB: Math.round(membersUsage.rss / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `gitops: ${total} Applications over ${members} members generated in ${result.generatedSeconds}s (${result.applicationsPerSecond}/s), all Synced+Healthy ${result.firstSyncedHealthySeconds}s; commit+webhook -> all Synced+Healthy ${result.commitToSyncedHealthySeconds}s (CPU: hub ${result.commitHubCpuSeconds}s, members ${result.commitMembersCpuSeconds}s); RSS hub ${hubRssMiB} MiB, members ${result.membersRssMiB} MiB\n`,
  );
  for (const c of controllers) await c.stop();
  informers.stop();
  await sims.ask({ type: 'stop' });
  await api.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--members-host') await membersHost(process.argv[3]!);
else await main();
