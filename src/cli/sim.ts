// `concord sim`: one simulated cluster in this process — its own HTTPS port, CA, admin kubeconfig
// (DATA_DIR/clusters/NAME.kubeconfig) and nodes — until SIGINT or SIGTERM.

import { type Command, InvalidArgumentError } from 'commander';
import { mcsApis } from '../hub/apis/mcs/index.js';
import type { DataPlaneInfo } from '../sim/dataplane/cluster-data-plane.js';
import { SimHost } from '../sim/host.js';
import { nodeShape } from '../sim/kubelet/node-template.js';
import { anonymousAuthOption, parsePort, reportFailures, shownPath, untilSignal } from './process.js';

// Where they were first defined; the other commands import them from ./process.js.
export { reportFailures, shownPath };

export function parseCount(flag: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag}: expected a whole number >= ${min}, got ${value}`);
    }
    return n;
  };
}

export function parseShape(value: string): string {
  try {
    nodeShape(value);
  } catch (err) {
    throw new InvalidArgumentError(`--shape: ${(err as Error).message}`);
  }
  return value;
}

export function parseClusterStore(value: string): 'memory' | 'sqlite' {
  if (value !== 'memory' && value !== 'sqlite') {
    throw new InvalidArgumentError(`--store: expected memory or sqlite, got ${value}`);
  }
  return value;
}

/** What `concord sim` and `concord up` print about a data plane. */
export function dataPlaneLines(info: DataPlaneInfo | undefined): string {
  if (!info) return '';
  return (
    `data plane: pods ${info.podCIDR}, services ${info.serviceCIDR}\n` +
    `dns: ${info.dns.address} port ${info.dns.port} (try: dig @${info.dns.address} -p ${info.dns.port} kubernetes.default.svc.${info.clusterDomain})\n`
  );
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'run a simulated cluster: a Kubernetes API server with controllers, a scheduler and simulated nodes',
    )
    .option('--name <name>', 'cluster name (a DNS label)', 'sim')
    .option('--nodes <n>', 'number of nodes', parseCount('--nodes'), 3)
    .option(
      '--region <region>',
      'topology.kubernetes.io/region of the nodes (zones: REGION-a, -b, -c)',
      'local',
    )
    .option(
      '--port <port>',
      'HTTPS port (default: the last one used with this data dir, else any free one)',
      parsePort,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'where state, certificates and kubeconfigs live', '.concord')
    .option(
      '--store <kind>',
      'sqlite (DATA_DIR/clusters/NAME/store.db: objects survive a restart) or memory (lost on exit)',
      parseClusterStore,
      'sqlite',
    )
    .option(
      '--shape <shape>',
      'node shape: sim.small, sim.medium, sim.large, sim.xlarge, sim.4xlarge, sim.gpu',
      parseShape,
      'sim.xlarge',
    )
    .option(
      '--data-plane',
      'carry real traffic: addresses in 127.0.0.0/8, echo pods that answer, a service proxy and cluster DNS',
    )
    .addOption(anonymousAuthOption())
    .action(
      (
        opts: {
          name: string;
          nodes: number;
          region: string;
          port?: number;
          host: string;
          dataDir: string;
          store: 'memory' | 'sqlite';
          shape: string;
          dataPlane?: boolean;
          anonymousAuth: boolean;
        },
        cmd: Command,
      ) =>
        reportFailures(cmd, async () => {
          const host = await SimHost.start({ dataDir: opts.dataDir });
          let cluster: Awaited<ReturnType<SimHost['startCluster']>>;
          try {
            cluster = await host.startCluster({
              name: opts.name,
              nodes: opts.nodes,
              region: opts.region,
              host: opts.host,
              store: opts.store,
              nodeShape: opts.shape,
              ...(opts.dataPlane ? { dataPlane: true } : {}),
              extensions: [mcsApis],
              anonymousAuth: opts.anonymousAuth,
              ...(opts.port !== undefined ? { port: opts.port } : {}),
            });
          } catch (err) {
            await host.stop();
            throw err;
          }
          const kubeconfig = shownPath(cluster.kubeconfigPath);
          // Listening before saying so: a signal sent on reading the line below must find the handler.
          const signalled = untilSignal();
          process.stdout.write(
            `concord sim: cluster ${cluster.name} listening on ${cluster.url}\n` +
              `region: ${cluster.region}, nodes: ${cluster.kubelet.nodeNames().join(', ')}\n` +
              `store: ${cluster.store.description}\n` +
              dataPlaneLines(cluster.dataPlane?.info()) +
              `kubeconfig: ${kubeconfig}\n` +
              `faults: concord fault <down|partition|slow|heal|node-down|node-up> --cluster ${cluster.name} --data-dir ${shownPath(host.dataDir)}\n` +
              `try: kubectl --kubeconfig ${kubeconfig} get nodes\n`,
          );
          const signal = await signalled;
          process.stderr.write(`concord sim: ${signal}, stopping\n`);
          await host.stop();
        }),
    );
}
