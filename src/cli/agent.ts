// `concord agent --hub-kubeconfig F --cluster NAME --kubeconfig F`: the pull-mode agent beside a
// member whose Cluster has syncMode Pull (`concord join NAME --sync-mode Pull` prints this command
// with the agent's own hub kubeconfig). It runs until SIGINT or SIGTERM.

import { type Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { startAgent } from '../agent/agent.js';
import { HttpsClient } from '../client/https.js';
import { reportFailures, untilSignal } from './process.js';

function seconds(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value.replace(/s$/, ''));
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${flag}: not a number of seconds: ${value}`);
    return n;
  };
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description("run the pull-mode agent of a member: apply the hub's Works for it and report its status")
    .requiredOption(
      '--hub-kubeconfig <file>',
      "the agent's kubeconfig for the hub (from concord join --sync-mode Pull)",
    )
    .requiredOption('--cluster <name>', "the member's Cluster name on the hub")
    .requiredOption('--kubeconfig <file>', "the member's kubeconfig")
    .option(
      '--cluster-lease-duration <seconds>',
      'how long the heartbeat Lease holds',
      seconds('--cluster-lease-duration'),
      40,
    )
    .option(
      '--cluster-status-update-frequency <seconds>',
      "how often the Cluster's status is written",
      seconds('--cluster-status-update-frequency'),
      10,
    )
    .action(
      (
        opts: {
          hubKubeconfig: string;
          cluster: string;
          kubeconfig: string;
          clusterLeaseDuration: number;
          clusterStatusUpdateFrequency: number;
        },
        cmd: Command,
      ) =>
        reportFailures(cmd, async () => {
          const logger = pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'info' });
          const userAgent = `concord-agent/${opts.cluster}`;
          const hub = await HttpsClient.fromKubeconfigFile(opts.hubKubeconfig, undefined, { userAgent });
          const member = await HttpsClient.fromKubeconfigFile(opts.kubeconfig, undefined, { userAgent });
          const agent = startAgent({
            cluster: opts.cluster,
            hub,
            member,
            logger,
            leaseDurationSeconds: opts.clusterLeaseDuration,
            statusUpdateFrequencyMs: opts.clusterStatusUpdateFrequency * 1000,
          });
          const started = await Promise.race([agent.ready.then(() => true), untilSignal().then(() => false)]);
          if (started) {
            process.stdout.write(
              `agent for cluster ${opts.cluster} running (hub ${hub.server}, member ${member.server})\n`,
            );
            await untilSignal();
          }
          await agent.stop();
          hub.close();
          member.close();
        }),
    );
}
