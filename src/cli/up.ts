// `concord up`: everything on one machine — the hub (its API server over SQLite in
// DATA_DIR/hub/, and its controllers) and a fleet of simulated clusters spread over regions, in this process — with a
// summary of where everything is and what to try first. Stops cleanly on SIGINT or SIGTERM.

import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Listr, PRESET_TIMER } from 'listr2';
import { pino } from 'pino';
import type { Client } from '../client/client.js';
import { InProcessClient } from '../client/in-process.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { type Cluster, karmadaResources } from '../hub/apis/karmada/index.js';
import { mcsApis } from '../hub/apis/mcs/index.js';
import { registerCluster } from '../hub/clusters/join.js';
import { type RunningHub, startHub } from '../hub/hub.js';
import { DEFAULT_DNS_PORT } from '../hub/networking/index.js';
import { ApiError } from '../machinery/status.js';
import type { SimCluster } from '../sim/cluster.js';
import { SimHost } from '../sim/host.js';
import { applyDemo, askDemo, DEMO_APP, DEMO_NAMESPACE, demoClustersetIp, demoReplicas } from './demo.js';
import { parsePort, untilSignal } from './process.js';
import { parseClusterStore, parseCount, parseShape, reportFailures, shownPath } from './sim.js';
import { dashboardUrl } from './status.js';

/** Regions the fleet is spread over, in turn. */
export const FLEET_REGIONS = ['europe', 'us', 'asia'];

/** Names and regions of a fleet of n clusters: europe-1, us-1, asia-1, europe-2 ... */
export function fleetPlan(n: number): { name: string; region: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const region = FLEET_REGIONS[i % FLEET_REGIONS.length]!;
    return { name: `${region}-${Math.floor(i / FLEET_REGIONS.length) + 1}`, region };
  });
}

interface UpState {
  hub?: RunningHub;
  client?: InProcessClient;
  sims?: SimHost;
  clusters: SimCluster[];
  demoIp?: string;
  demoAnsweredBy?: string;
}

/** Polls check until it holds (every 100 ms), giving up only when the user interrupts. */
async function until(interrupted: () => void, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    interrupted();
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many of the fleet's members the registry reports Ready. */
async function readyMembers(hub: Client, clusters: SimCluster[]): Promise<number> {
  const names = new Set(clusters.map((c) => c.name));
  const list = await hub.list<Cluster>(karmadaResources.clusters);
  return list.items.filter(
    (c) =>
      names.has(c.metadata.name ?? '') &&
      c.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'),
  ).length;
}

/** Shows a step's progress, once per change (the plain renderer prints every assignment). */
function say(task: { output?: string }, text: string): void {
  if (task.output !== text) task.output = text;
}

/** The DNS server's port: the one asked for, or (for 0) the one it wrote to DATA_DIR/dns.port. */
async function dnsPortOf(dataDir: string, asked: number): Promise<string> {
  if (asked !== 0) return String(asked);
  for (let i = 0; i < 30; i++) {
    const port = await readFile(join(dataDir, 'dns.port'), 'utf8').catch(() => '');
    if (port.trim()) return port.trim();
    await new Promise((r) => setTimeout(r, 100));
  }
  return `$(cat ${join(shownPath(dataDir), 'dns.port')})`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

/**
 * Makes every simulated cluster a member of the hub (Push, its region, provider concord-sim). A
 * member registered by an earlier run on this data dir keeps its Cluster and Secret (the sim's
 * credentials persist with the data dir); only an endpoint that moved is updated.
 */
async function registerFleet(hub: Client, clusters: SimCluster[]): Promise<void> {
  for (const c of clusters) {
    let existing: Cluster | undefined;
    try {
      existing = await hub.get<Cluster>(karmadaResources.clusters, c.name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
    if (!existing) {
      await registerCluster(hub, {
        name: c.name,
        connection: await loadKubeconfig(c.kubeconfigPath),
        region: c.region,
        provider: 'concord-sim',
      });
    } else if (existing.spec.apiEndpoint !== c.url) {
      await hub.patch(karmadaResources.clusters, c.name, { spec: { apiEndpoint: c.url } }, 'merge');
    }
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the hub and a fleet of simulated clusters, all in this process')
    .option('--clusters <n>', 'number of simulated clusters', parseCount('--clusters'), 3)
    .option('--nodes <n>', 'nodes per cluster', parseCount('--nodes', 1), 3)
    .option('--data-dir <dir>', 'where state, certificates and kubeconfigs live', '.concord')
    .option('--port <port>', 'HTTPS port of the hub (0 picks a free one)', parsePort, 6443)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--cluster-store <kind>',
      'store of the simulated clusters: sqlite (objects survive a restart) or memory (lost on exit)',
      parseClusterStore,
      'sqlite',
    )
    .option('--shape <shape>', 'node shape of the simulated clusters', parseShape, 'sim.xlarge')
    .option(
      '--dns-port <port>',
      'port of the hub DNS server on 127.0.0.1 (clusterset.local, global names; written to DATA_DIR/dns.port)',
      parsePort,
      DEFAULT_DNS_PORT,
    )
    .option('--no-demo', 'do not place the demo application (examples/demo)')
    .action(
      (
        opts: {
          demo: boolean;
          clusters: number;
          nodes: number;
          dataDir: string;
          port: number;
          host: string;
          clusterStore: 'memory' | 'sqlite';
          shape: string;
          dnsPort: number;
        },
        cmd: Command,
      ) =>
        reportFailures(cmd, async () => {
          const dataDir = resolve(opts.dataDir);
          // Listening from the start: Ctrl-C while the fleet comes up stops it cleanly too.
          let stopping: NodeJS.Signals | undefined;
          const signalled = untilSignal().then((signal) => {
            stopping = signal;
            return signal;
          });
          const interrupted = () => {
            if (stopping) throw new Error(`${stopping} while starting`);
          };
          const up: UpState = { clusters: [] };
          const stopAll = async () => {
            await up.sims?.stop();
            await up.hub?.close();
          };
          // The terminal is for the progress and the summary; the hub's and the clusters' logs go to a
          // file in the data dir (CONCORD_LOG_LEVEL sets their level, warn by default).
          await mkdir(dataDir, { recursive: true });
          const logFile = join(dataDir, 'concord.log');
          const logger = pino(
            { level: process.env.CONCORD_LOG_LEVEL ?? 'warn' },
            pino.destination({ dest: logFile, append: true, sync: false }),
          );
          const plan = fleetPlan(opts.clusters);
          const tasks = new Listr<UpState>(
            [
              {
                title: 'Start the hub',
                task: async (ctx) => {
                  ctx.hub = await startHub({
                    dataDir,
                    logger,
                    port: opts.port,
                    host: opts.host,
                    dnsPort: opts.dnsPort,
                  });
                  ctx.client = new InProcessClient(ctx.hub.api.server, { userAgent: 'concord-up' });
                },
              },
              {
                title: `Start ${plan.length} simulated clusters`,
                task: async (ctx, task) => {
                  ctx.sims = await SimHost.start({
                    dataDir,
                    logger,
                    defaults: {
                      nodes: opts.nodes,
                      host: opts.host,
                      store: opts.clusterStore,
                      nodeShape: opts.shape,
                      extensions: [mcsApis],
                      dataPlane: opts.demo,
                    },
                  });
                  for (const c of plan) {
                    interrupted();
                    ctx.clusters.push(await ctx.sims.startCluster(c));
                    say(task, `${ctx.clusters.length}/${plan.length} clusters`);
                  }
                },
              },
              {
                title: 'Register them as members and wait until they are Ready',
                task: async (ctx, task) => {
                  await registerFleet(ctx.client!, ctx.clusters);
                  await until(interrupted, async () => {
                    const ready = await readyMembers(ctx.client!, ctx.clusters);
                    say(task, `${ready}/${ctx.clusters.length} Ready`);
                    return ready === ctx.clusters.length;
                  });
                },
              },
              {
                title: 'Place the demo application (examples/demo) across the fleet',
                enabled: () => opts.demo && plan.length > 0,
                task: async (ctx, task) => {
                  await applyDemo(ctx.client!);
                  await until(interrupted, async () => {
                    const r = await demoReplicas(ctx.client!);
                    say(task, `${r.ready}/${r.desired} replicas ready`);
                    return r.desired > 0 && r.ready === r.desired;
                  });
                },
              },
              {
                title: 'Serve it through its clusterset IP',
                enabled: () => opts.demo && plan.length > 0,
                task: async (ctx, task) => {
                  await until(interrupted, async () => {
                    ctx.demoIp ??= await demoClustersetIp(ctx.client!);
                    if (!ctx.demoIp) return false;
                    say(task, `http://${ctx.demoIp}/`);
                    ctx.demoAnsweredBy = await askDemo(ctx.demoIp);
                    return ctx.demoAnsweredBy !== undefined;
                  });
                },
              },
            ],
            {
              // A task list on a terminal; plain lines (with times) when stdout is a file or a pipe.
              renderer: 'default',
              rendererOptions: { timer: PRESET_TIMER },
              fallbackRenderer: 'simple',
              fallbackRendererOptions: { timer: PRESET_TIMER },
              fallbackRendererCondition: !process.stdout.isTTY,
              exitOnError: true,
            },
          );
          try {
            await tasks.run(up);
          } catch (err) {
            await stopAll();
            if (stopping) {
              process.stderr.write(`concord up: ${stopping}, stopped\n`);
              return;
            }
            throw err;
          }
          const hub = up.hub!;
          const clusters = up.clusters;

          const hubConfig = shownPath(hub.kubeconfigPath);
          const dir = shownPath(dataDir);
          const dnsPort = await dnsPortOf(dataDir, opts.dnsPort);
          const lines = [
            'concord is up',
            '',
            `hub        ${hub.url}   kubeconfig ${hubConfig}`,
            `           store ${hub.store.description}`,
            `dns        127.0.0.1:${dnsPort}   (clusterset.local and global names: dig @127.0.0.1 -p ${dnsPort} NAME)`,
            `dashboard  ${dashboardUrl(hub.url)}   (\`concord dashboard --data-dir ${dir}\` prints a link that signs in)`,
            `logs       ${shownPath(logFile)}`,
          ];
          if (up.demoIp)
            lines.push(
              `demo       ${DEMO_APP}.${DEMO_NAMESPACE}: http://${up.demoIp}/ (${DEMO_APP}.${DEMO_NAMESPACE}.svc.clusterset.local), answered by its pods across the fleet`,
            );
          lines.push(
            '',
            clusters.length > 0
              ? `simulated clusters (${clusters.length}, store ${opts.clusterStore}):`
              : 'no simulated clusters',
          );
          const width = Math.max(10, ...clusters.map((c) => c.name.length + 2));
          for (const c of clusters) {
            lines.push(
              `  ${pad(c.name, width)}${pad(c.url, 26)}${pad(`region ${c.region}`, 16)}${pad(`${c.kubelet.nodeNames().length} nodes`, 9)}kubeconfig ${shownPath(c.kubeconfigPath)}`,
            );
          }
          lines.push('', 'try:');
          lines.push(`  kubectl --kubeconfig ${hubConfig} get clusters`);
          lines.push(`  concord status --data-dir ${dir}`);
          if (up.demoIp) {
            lines.push(
              `  kubectl --kubeconfig ${hubConfig} get deployment,resourcebinding -n ${DEMO_NAMESPACE}`,
            );
            lines.push(
              `  dig @127.0.0.1 -p ${dnsPort} +short ${DEMO_APP}.${DEMO_NAMESPACE}.svc.clusterset.local && curl -s http://${up.demoIp}/`,
            );
          } else if (clusters[0]) {
            lines.push(
              `  kubectl --kubeconfig ${shownPath(clusters[0].kubeconfigPath)} get nodes -L topology.kubernetes.io/zone`,
            );
          }
          if (clusters[0]) lines.push(`  concord fault down --cluster ${clusters[0].name} --data-dir ${dir}`);
          lines.push('', 'Ctrl-C stops everything.');
          process.stdout.write(`${lines.join('\n')}\n`);

          const signal = await signalled;
          process.stderr.write(`concord up: ${signal}, stopping\n`);
          await stopAll();
        }),
    );
}
