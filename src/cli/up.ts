// `concord up`: everything on one machine — the hub (its API server over SQLite in
// DATA_DIR/hub/, and its controllers) and a fleet of simulated clusters spread over regions, in this process — with a
// summary of where everything is and what to try first. Stops cleanly on SIGINT or SIGTERM.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { InProcessClient } from '../client/in-process.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { type Cluster, karmadaResources } from '../hub/apis/karmada/index.js';
import { mcsApis } from '../hub/apis/mcs/index.js';
import { registerCluster } from '../hub/clusters/join.js';
import { startHub } from '../hub/hub.js';
import { DEFAULT_DNS_PORT } from '../hub/networking/index.js';
import { ApiError } from '../machinery/status.js';
import type { SimCluster } from '../sim/cluster.js';
import { SimHost } from '../sim/host.js';
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
    .action(
      (
        opts: {
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
          const hub = await startHub({ dataDir, port: opts.port, host: opts.host, dnsPort: opts.dnsPort });
          const hubKubeconfig = hub.kubeconfigPath;
          const sims = await SimHost.start({
            dataDir,
            defaults: {
              nodes: opts.nodes,
              host: opts.host,
              store: opts.clusterStore,
              nodeShape: opts.shape,
              extensions: [mcsApis],
            },
          });
          const stopAll = async () => {
            await sims.stop();
            await hub.close();
          };
          const clusters: SimCluster[] = [];
          try {
            const plan = fleetPlan(opts.clusters);
            for (const [i, c] of plan.entries()) {
              clusters.push(await sims.startCluster(c));
              if (plan.length > 3)
                process.stderr.write(`\rstarting simulated clusters: ${i + 1}/${plan.length}`);
            }
            if (plan.length > 3) process.stderr.write('\n');
          } catch (err) {
            await stopAll();
            throw err;
          }

          try {
            await registerFleet(new InProcessClient(hub.api.server, { userAgent: 'concord-up' }), clusters);
          } catch (err) {
            await stopAll();
            throw err;
          }

          const hubConfig = shownPath(hubKubeconfig);
          const lines = [
            'concord is up',
            '',
            `hub        ${hub.url}   kubeconfig ${hubConfig}`,
            `           store ${hub.store.description}`,
            `dns        127.0.0.1:${opts.dnsPort}   (clusterset.local and global names: dig @127.0.0.1 -p ${opts.dnsPort} NAME)`,
            `dashboard  ${dashboardUrl(hub.url)}   (\`concord dashboard --data-dir ${shownPath(dataDir)}\` prints a link that signs in)`,
            '',
            clusters.length > 0
              ? `simulated clusters (${clusters.length}, store ${opts.clusterStore}):`
              : 'no simulated clusters',
          ];
          const width = Math.max(10, ...clusters.map((c) => c.name.length + 2));
          for (const c of clusters) {
            lines.push(
              `  ${pad(c.name, width)}${pad(c.url, 26)}${pad(`region ${c.region}`, 16)}${pad(`${c.kubelet.nodeNames().length} nodes`, 9)}kubeconfig ${shownPath(c.kubeconfigPath)}`,
            );
          }
          lines.push('', 'try:');
          lines.push(`  kubectl --kubeconfig ${hubConfig} get clusters`);
          lines.push(`  concord status --data-dir ${shownPath(dataDir)}`);
          if (clusters[0]) {
            const first = clusters[0];
            const cfg = shownPath(first.kubeconfigPath);
            lines.push(`  kubectl --kubeconfig ${cfg} get nodes -L topology.kubernetes.io/zone`);
            lines.push(`  kubectl --kubeconfig ${cfg} create deployment web --image=nginx --replicas=3`);
            lines.push(`  concord fault down --cluster ${first.name} --data-dir ${shownPath(dataDir)}`);
          }
          lines.push('', 'Ctrl-C stops everything.');
          // Listening before saying so: a signal sent on reading the line below must find the handler.
          const signalled = untilSignal();
          process.stdout.write(`${lines.join('\n')}\n`);

          const signal = await signalled;
          process.stderr.write(`concord up: ${signal}, stopping\n`);
          await stopAll();
        }),
    );
}
