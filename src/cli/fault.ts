// `concord fault <down|partition|slow|heal|node-down|node-up> --cluster NAME`: injects or heals a
// fault in a running simulated cluster through its host's control API (found in
// DATA_DIR/clusters/NAME.control), never through the cluster's own Kubernetes API.

import { type Command, InvalidArgumentError } from 'commander';
import { FAULT_ACTIONS, type FaultAction, type FaultRequest, requestFault } from '../sim/control.js';
import { reportFailures } from './process.js';

function parseLatency(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`--latency: expected a non-negative number of milliseconds, got ${value}`);
  }
  return n;
}

const DESCRIPTIONS: Record<FaultAction, string> = {
  down: "the cluster's port refuses connections; open connections are cut",
  partition: 'connections are accepted but requests hang; open watches go silent',
  slow: 'every request waits --latency ms more',
  heal: 'ends down, partition or slow',
  'node-down': '--node stops: no more heartbeats or pod updates',
  'node-up': '--node comes back',
};

export function registerFault(program: Command): void {
  program
    .command('fault')
    .description('inject or heal a fault in a running simulated cluster')
    .argument('<action>', FAULT_ACTIONS.map((a) => `${a}: ${DESCRIPTIONS[a]}`).join('; '))
    .requiredOption('--cluster <name>', 'the simulated cluster')
    .option('--latency <ms>', 'added latency per request (slow)', parseLatency)
    .option('--node <node>', 'the node (node-down, node-up)')
    .option('--data-dir <dir>', 'the data dir the cluster runs from', '.concord')
    .action(
      (
        action: string,
        opts: { cluster: string; latency?: number; node?: string; dataDir: string },
        cmd: Command,
      ) =>
        reportFailures(cmd, async () => {
          if (!(FAULT_ACTIONS as readonly string[]).includes(action)) {
            throw new InvalidArgumentError(
              `unknown fault "${action}": expected one of ${FAULT_ACTIONS.join(', ')}`,
            );
          }
          const request: FaultRequest = { action: action as FaultAction };
          if (action === 'slow') {
            if (opts.latency === undefined) throw new InvalidArgumentError('slow needs --latency MS');
            request.latencyMs = opts.latency;
          } else if (opts.latency !== undefined) {
            throw new InvalidArgumentError(`--latency only goes with slow, not ${action}`);
          }
          if (action === 'node-down' || action === 'node-up') {
            if (!opts.node) throw new InvalidArgumentError(`${action} needs --node NODE`);
            request.node = opts.node;
          } else if (opts.node !== undefined) {
            throw new InvalidArgumentError(`--node only goes with node-down and node-up, not ${action}`);
          }
          const result = await requestFault(opts.dataDir, opts.cluster, request);
          const f = result.faults;
          const network = f.network === 'slow' ? `slow (+${f.latencyMs} ms per request)` : f.network;
          process.stdout.write(
            `cluster ${result.cluster}: network ${network}; failed nodes: ${f.failedNodes.length > 0 ? f.failedNodes.join(', ') : 'none'}\n`,
          );
        }),
    );
}
