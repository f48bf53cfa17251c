// `concord up`: everything on one machine — the hub (its API server over SQLite in DATA_DIR/hub/,
// and its controllers) and a fleet of simulated clusters spread over regions, provisioned the way a
// user would provision them: Cluster API objects applied to the hub (written to DATA_DIR/fleet.yaml),
// which the hub's local provider turns into simulated clusters in this process and registers as
// members. A restart on the same data dir finds those objects in the hub's store and resumes the
// same fleet. Prints a summary of where everything is and what to try first; stops cleanly on
// SIGINT or SIGTERM.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Listr, PRESET_TIMER } from 'listr2';
import { pino } from 'pino';
import type { Client } from '../client/client.js';
import { HttpsClient } from '../client/https.js';
import { InProcessClient } from '../client/in-process.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { resources } from '../client/resources.js';
import { RESTMapper } from '../client/rest-mapper.js';
import { clusterApiResources, Labels, type Machine, MachinePhase } from '../hub/apis/cluster-api/index.js';
import { PROVIDER_ID_SCHEME } from '../hub/apis/infrastructure/index.js';
import { type Cluster, karmadaResources } from '../hub/apis/karmada/index.js';
import { mcsApis } from '../hub/apis/mcs/index.js';
import { type RunningHub, startHub } from '../hub/hub.js';
import { DEFAULT_DNS_PORT } from '../hub/networking/index.js';
import type { Node } from '../kube/workloads/types.js';
import { isConditionTrue } from '../machinery/conditions.js';
import { clusterKubeconfigPath } from '../sim/cluster.js';
import {
  applyDemo,
  applyObjects,
  askDemo,
  DEMO_APP,
  DEMO_NAMESPACE,
  demoClustersetIp,
  demoReplicas,
} from './demo.js';
import { clusterManifests, type FleetMember, fleetManifests, fleetPlan, manifestsYaml } from './fleet.js';
import { parsePort, untilSignal } from './process.js';
import { parseClusterStore, parseCount, parseShape, reportFailures, shownPath } from './sim.js';
import { dashboardUrl } from './status.js';

export { FLEET_REGIONS, fleetPlan } from './fleet.js';

/** Where `concord up` writes the Cluster API objects it applies, in the data dir. */
export const FLEET_FILE = 'fleet.yaml';

/** A member of the fleet as the summary shows it. */
interface FleetRow {
  name: string;
  url: string;
  region: string;
  nodes: number;
  kubeconfigPath: string;
}

interface UpState {
  hub?: RunningHub;
  client?: InProcessClient;
  members: Cluster[];
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

/** The fleet's members the registry reports Ready. */
async function readyMembers(hub: Client, plan: FleetMember[]): Promise<Cluster[]> {
  const names = new Set(plan.map((c) => c.name));
  const list = await hub.list<Cluster>(karmadaResources.clusters);
  return list.items.filter(
    (c) => names.has(c.metadata.name ?? '') && isConditionTrue(c.status?.conditions, 'Ready'),
  );
}

/** The fleet's Machines, and how many of them run with a Node (phase Running), per cluster. */
async function fleetMachines(hub: Client, plan: FleetMember[]): Promise<Map<string, number>> {
  const running = new Map(plan.map((c) => [c.name, 0]));
  const list = await hub.list<Machine>(clusterApiResources.machines, { namespace: 'default' });
  for (const m of list.items) {
    const cluster = m.metadata.labels?.[Labels.clusterName] ?? '';
    if (running.has(cluster) && m.status?.phase === MachinePhase.Running && m.status.nodeRef)
      running.set(cluster, running.get(cluster)! + 1);
  }
  return running;
}

/**
 * Ready Nodes of the simulated clusters, asked of each cluster itself through its kubeconfig (the
 * hub's Machines may still say Running from the last run while the cluster starts again). One
 * client per cluster, made once its kubeconfig is there; a cluster that does not answer counts 0.
 */
class NodeReadiness {
  private readonly clients = new Map<string, HttpsClient>();

  constructor(private readonly dataDir: string) {}

  async ready(name: string): Promise<number> {
    try {
      let client = this.clients.get(name);
      if (!client) {
        client = new HttpsClient(await loadKubeconfig(clusterKubeconfigPath(this.dataDir, name)), {
          timeoutMs: 2_000,
          userAgent: 'concord-up',
        });
        this.clients.set(name, client);
      }
      const nodes = await client.list<Node>(resources.nodes);
      // Only the Machines' Nodes: a data dir from before the fleet was provisioned keeps the
      // nodes its clusters had then, which no Machine owns.
      return nodes.items.filter(
        (n) =>
          String(n.spec?.providerID ?? '').startsWith(PROVIDER_ID_SCHEME) &&
          isConditionTrue(n.status?.conditions, 'Ready'),
      ).length;
    } catch {
      return 0;
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
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

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'start the hub and a fleet of simulated clusters provisioned through Cluster API, all in this process',
    )
    .option('--clusters <n>', 'number of simulated clusters', parseCount('--clusters'), 3)
    .option(
      '--nodes <n>',
      "worker nodes per cluster (its MachineDeployment's replicas; each cluster also has one control plane node)",
      parseCount('--nodes', 1),
      3,
    )
    .option('--data-dir <dir>', 'where state, certificates and kubeconfigs live', '.concord')
    .option('--port <port>', 'HTTPS port of the hub (0 picks a free one)', parsePort, 6443)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--cluster-store <kind>',
      'store of the simulated clusters: sqlite (objects survive a restart) or memory (lost on exit)',
      parseClusterStore,
      'sqlite',
    )
    .option(
      '--shape <shape>',
      "node shape (the LocalMachineTemplates' instanceType)",
      parseShape,
      'sim.xlarge',
    )
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
          const up: UpState = { members: [] };
          const stopAll = async () => {
            // The hub's local provider stops the simulated clusters with its controllers.
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
          const size = { nodes: opts.nodes, shape: opts.shape };
          const manifests = fleetManifests(plan, size);
          // Each cluster: a control plane machine and its workers.
          const machinesPerCluster = opts.nodes + 1;
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
                    provisioning: {
                      simStore: opts.clusterStore,
                      simulated: {
                        host: opts.host,
                        extensions: [mcsApis],
                        dataPlane: opts.demo,
                      },
                    },
                  });
                  ctx.client = new InProcessClient(ctx.hub.api.server, { userAgent: 'concord-up' });
                },
              },
              {
                title: `Provision ${plan.length} clusters through Cluster API (${shownPath(join(dataDir, FLEET_FILE))})`,
                enabled: () => plan.length > 0,
                task: async (ctx, task) => {
                  await writeFile(join(dataDir, FLEET_FILE), manifestsYaml(manifests));
                  // The clusters first, all at once, so that their simulated clusters start while
                  // their machines are declared.
                  const mapper = new RESTMapper(ctx.client!);
                  const objs = plan.map((c) => clusterManifests(c, size));
                  await Promise.all(objs.map((o) => applyObjects(ctx.client!, o.cluster, mapper)));
                  await Promise.all(objs.map((o) => applyObjects(ctx.client!, o.machines, mapper)));
                  const nodes = new NodeReadiness(dataDir);
                  try {
                    await until(interrupted, async () => {
                      const running = await fleetMachines(ctx.client!, plan);
                      const total = [...running.values()].reduce((a, b) => a + b, 0);
                      say(task, `${total}/${plan.length * machinesPerCluster} machines Running`);
                      if (![...running.values()].every((n) => n >= machinesPerCluster)) return false;
                      const ready = await Promise.all(plan.map((c) => nodes.ready(c.name)));
                      say(
                        task,
                        `${ready.reduce((a, b) => a + b, 0)}/${plan.length * machinesPerCluster} nodes Ready`,
                      );
                      return ready.every((n) => n >= machinesPerCluster);
                    });
                  } finally {
                    nodes.close();
                  }
                },
              },
              {
                title: 'Wait until they are Ready members',
                enabled: () => plan.length > 0,
                task: async (ctx, task) => {
                  await until(interrupted, async () => {
                    ctx.members = await readyMembers(ctx.client!, plan);
                    say(task, `${ctx.members.length}/${plan.length} Ready`);
                    return ctx.members.length === plan.length;
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
          const nodes = await fleetMachines(up.client!, plan);
          const byName = new Map(up.members.map((m) => [m.metadata.name ?? '', m]));
          const clusters: FleetRow[] = plan.map((c) => ({
            name: c.name,
            url: byName.get(c.name)?.spec.apiEndpoint ?? '',
            region: byName.get(c.name)?.spec.region ?? c.region,
            nodes: nodes.get(c.name) ?? 0,
            kubeconfigPath: clusterKubeconfigPath(dataDir, c.name),
          }));

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
              ? `simulated clusters (${clusters.length}, store ${opts.clusterStore}; Cluster API objects in ${shownPath(join(dataDir, FLEET_FILE))}):`
              : 'no simulated clusters',
          );
          const width = Math.max(10, ...clusters.map((c) => c.name.length + 2));
          for (const c of clusters) {
            lines.push(
              `  ${pad(c.name, width)}${pad(c.url, 26)}${pad(`region ${c.region}`, 16)}${pad(`${c.nodes} nodes`, 9)}kubeconfig ${shownPath(c.kubeconfigPath)}`,
            );
          }
          lines.push('', 'try:');
          // The members, and the Cluster API Machines they were provisioned with.
          lines.push(`  kubectl --kubeconfig ${hubConfig} get clusters${clusters[0] ? ',machines' : ''}`);
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
