// `concord join NAME --kubeconfig FILE ...` and `concord unjoin NAME`: register a member cluster
// with the hub (its credentials in a Secret, the Cluster with Karmada's fields) and let it go.
// The hub is reached through --hub-kubeconfig (default DATA_DIR/hub.kubeconfig).

import { join } from 'node:path';
import type { Command } from 'commander';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig, writeKubeconfig } from '../client/kubeconfig-file.js';
import { agentKubeconfig, grantAgentAccess, loadHubCA } from '../hub/clusters/agent-access.js';
import { joinCluster, parseLabels, unjoinCluster } from '../hub/clusters/join.js';
import { reportFailures, shownPath } from './process.js';

function hubKubeconfig(opts: { hubKubeconfig?: string; dataDir: string }): string {
  return opts.hubKubeconfig ?? join(opts.dataDir, 'hub.kubeconfig');
}

async function withHub<T>(path: string, work: (hub: HttpsClient) => Promise<T>): Promise<T> {
  const hub = await HttpsClient.fromKubeconfigFile(path, undefined, { userAgent: 'concord-join' });
  try {
    return await work(hub);
  } finally {
    hub.close();
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((z) => z.trim())
      .filter(Boolean),
  ];
}

export function registerJoin(program: Command): void {
  program
    .command('join')
    .description("register a member cluster with the hub, reached with the member's kubeconfig")
    .argument('<name>', 'the cluster name on the hub (a DNS label of at most 48 characters)')
    .requiredOption('--kubeconfig <file>', "the member's kubeconfig")
    .option('--context <context>', 'the kubeconfig context to use (default: its current context)')
    .option('--region <region>', 'spec.region')
    .option('--zone <zone>', 'spec.zones (repeat it, or separate zones with commas)', collect)
    .option('--provider <provider>', 'spec.provider')
    .option('--labels <k=v,...>', "the Cluster's labels")
    .option('--sync-mode <mode>', 'Push (the hub applies workloads) or Pull (an agent fetches them)', 'Push')
    .option('--hub-kubeconfig <file>', "the hub's kubeconfig (default: DATA_DIR/hub.kubeconfig)")
    .option('--data-dir <dir>', 'where the hub keeps its kubeconfig', '.concord')
    .option(
      '--agent-kubeconfig <file>',
      "Pull: where to write the agent's hub kubeconfig (default: DATA_DIR/agents/NAME.kubeconfig)",
    )
    .action(
      (
        name: string,
        opts: {
          kubeconfig: string;
          context?: string;
          region?: string;
          zone?: string[];
          provider?: string;
          labels?: string;
          syncMode: string;
          hubKubeconfig?: string;
          dataDir: string;
          agentKubeconfig?: string;
        },
        cmd: Command,
      ) =>
        reportFailures(cmd, async () => {
          const labels = opts.labels ? parseLabels(opts.labels) : undefined;
          const cluster = await withHub(hubKubeconfig(opts), (hub) =>
            joinCluster(hub, {
              name,
              kubeconfig: opts.kubeconfig,
              ...(opts.context ? { context: opts.context } : {}),
              ...(opts.region ? { region: opts.region } : {}),
              ...(opts.zone ? { zones: opts.zone } : {}),
              ...(opts.provider ? { provider: opts.provider } : {}),
              ...(labels ? { labels } : {}),
              syncMode: opts.syncMode as 'Push' | 'Pull',
            }),
          );
          process.stdout.write(
            `cluster ${name} joined (${cluster.spec.syncMode}, ${cluster.spec.apiEndpoint})\n` +
              `try: kubectl --kubeconfig ${shownPath(hubKubeconfig(opts))} get clusters\n`,
          );
          if (cluster.spec.syncMode === 'Pull') {
            // The agent's own identity and access; it runs beside the member with this kubeconfig.
            const path = opts.agentKubeconfig ?? join(opts.dataDir, 'agents', `${name}.kubeconfig`);
            const [ca, hubConfig] = await Promise.all([
              loadHubCA(opts.dataDir),
              loadKubeconfig(hubKubeconfig(opts)),
            ]);
            await withHub(hubKubeconfig(opts), (hub) => grantAgentAccess(hub, name));
            await writeKubeconfig(
              path,
              await agentKubeconfig({
                cluster: name,
                ca,
                server: hubConfig.server,
                ...(hubConfig.caPem ? { serverCaPem: hubConfig.caPem } : {}),
              }),
            );
            process.stdout.write(
              `agent kubeconfig: ${shownPath(path)}\n` +
                `run beside the member: concord agent --hub-kubeconfig ${shownPath(path)} --cluster ${name} --kubeconfig ${shownPath(opts.kubeconfig)}\n`,
            );
          }
        }),
    );

  program
    .command('unjoin')
    .description('remove a member cluster from the hub, with the Secret join made for it')
    .argument('<name>', 'the cluster name on the hub')
    .option('--hub-kubeconfig <file>', "the hub's kubeconfig (default: DATA_DIR/hub.kubeconfig)")
    .option('--data-dir <dir>', 'where the hub keeps its kubeconfig', '.concord')
    .option('--timeout <seconds>', 'how long to wait for the hub to let the cluster go', '60')
    .action(
      (name: string, opts: { hubKubeconfig?: string; dataDir: string; timeout: string }, cmd: Command) =>
        reportFailures(cmd, async () => {
          const seconds = Number(opts.timeout);
          if (!Number.isFinite(seconds) || seconds <= 0)
            throw new Error(`--timeout: not a number of seconds: ${opts.timeout}`);
          await withHub(hubKubeconfig(opts), (hub) =>
            unjoinCluster(hub, name, { timeoutMs: seconds * 1000 }),
          );
          process.stdout.write(`cluster ${name} unjoined\n`);
        }),
    );
}
