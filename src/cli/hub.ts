// `concord hub`: the control plane's API server on a store of the user's choice, with the hub's
// controllers running while this process leads (several hubs may share one etcd).

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ClusterHealthOptions } from '../hub/clusters/index.js';
import { hubControllers, startHub } from '../hub/hub.js';
import { DEFAULT_DNS_PORT } from '../hub/networking/index.js';
import { parseGoDuration } from '../machinery/duration.js';
import { anonymousAuthOption, parsePort, untilSignal } from './process.js';
import { parseCount } from './sim.js';

function parseDurationFlag(flag: string, allowNegative = false): (value: string) => number {
  return (value: string) => {
    let ms: number;
    try {
      ms = parseGoDuration(value);
    } catch {
      throw new InvalidArgumentError(`${flag}: expected a duration like 2s or 500ms, got ${value}`);
    }
    if (!allowNegative && ms <= 0)
      throw new InvalidArgumentError(`${flag}: must be above zero, got ${value}`);
    return ms;
  };
}

interface ClusterHealthFlags {
  clusterProbeInterval?: number;
  clusterProbeTimeout?: number;
  clusterFailureThreshold?: number;
  clusterSuccessThreshold?: number;
  clusterNoexecuteGrace?: number;
  clusterStatusUpdateInterval?: number;
}

/** The member registry's health settings from `concord hub`'s flags (unset: the defaults). */
function clusterHealth(flags: ClusterHealthFlags): ClusterHealthOptions {
  const out: ClusterHealthOptions = {};
  if (flags.clusterProbeInterval !== undefined) out.probeIntervalMs = flags.clusterProbeInterval;
  if (flags.clusterProbeTimeout !== undefined) out.probeTimeoutMs = flags.clusterProbeTimeout;
  if (flags.clusterFailureThreshold !== undefined) out.failureThreshold = flags.clusterFailureThreshold;
  if (flags.clusterSuccessThreshold !== undefined) out.successThreshold = flags.clusterSuccessThreshold;
  if (flags.clusterNoexecuteGrace !== undefined) out.noExecuteGracePeriodMs = flags.clusterNoexecuteGrace;
  if (flags.clusterStatusUpdateInterval !== undefined) {
    out.statusUpdateIntervalMs = flags.clusterStatusUpdateInterval;
  }
  return out;
}

function parseEtcdPrefix(value: string): string {
  if (value === '' || value.includes('\0')) {
    throw new InvalidArgumentError('--etcd-prefix: must be a non-empty key prefix, like /hub-a');
  }
  return value;
}

export function registerHub(program: Command): void {
  program
    .command('hub')
    .description('start the hub: the Kubernetes API server of the control plane and its controllers')
    .option('--data-dir <dir>', 'where state, certificates and kubeconfigs live', '.concord')
    .option('--port <port>', 'HTTPS port (0 picks a free one)', parsePort, 6443)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--store <spec>', 'sqlite:PATH[?sync=full] (default: DATA_DIR/hub/store.db) or etcd:URL[,URL...]')
    .option(
      '--etcd-prefix <prefix>',
      'etcd only: prefix of every key, so that independent hubs can share one etcd',
      parseEtcdPrefix,
    )
    .option('--no-watch-cache', 'etcd only: serve every list and watch from etcd itself')
    .option(
      '--cluster-probe-interval <duration>',
      'time between health probes of a member (default 2s)',
      parseDurationFlag('--cluster-probe-interval'),
    )
    .option(
      '--cluster-probe-timeout <duration>',
      'a probe with no answer by then fails (default 1.5s)',
      parseDurationFlag('--cluster-probe-timeout'),
    )
    .option(
      '--cluster-failure-threshold <n>',
      'failed probes in a row that make a member not Ready (default 3)',
      parseCount('--cluster-failure-threshold', 1),
    )
    .option(
      '--cluster-success-threshold <n>',
      'successful probes in a row that make it Ready again (default 2)',
      parseCount('--cluster-success-threshold', 1),
    )
    .option(
      '--cluster-noexecute-grace <duration>',
      'time not Ready before the NoExecute taint (default 3s; negative: never)',
      parseDurationFlag('--cluster-noexecute-grace', true),
    )
    .option(
      '--cluster-status-update-interval <duration>',
      "how often members' version and APIs are read again (default 30s)",
      parseDurationFlag('--cluster-status-update-interval'),
    )
    .option(
      '--dns-port <port>',
      'port of the DNS server on 127.0.0.1 for clusterset.local and global names (written to DATA_DIR/dns.port)',
      parsePort,
      DEFAULT_DNS_PORT,
    )
    .addOption(anonymousAuthOption())
    .action(
      async (
        opts: {
          dataDir: string;
          port: number;
          host: string;
          store?: string;
          etcdPrefix?: string;
          watchCache: boolean;
          anonymousAuth: boolean;
          dnsPort: number;
        } & ClusterHealthFlags,
      ) => {
        if (opts.etcdPrefix !== undefined && !opts.store?.startsWith('etcd:')) {
          throw new InvalidArgumentError('--etcd-prefix needs an etcd store (--store etcd:URL)');
        }
        const hub = await startHub({
          dataDir: opts.dataDir,
          port: opts.port,
          host: opts.host,
          anonymousAuth: opts.anonymousAuth,
          controllers: hubControllers(clusterHealth(opts), { dnsPort: opts.dnsPort }),
          ...(opts.store ? { store: opts.store } : {}),
          storeOptions: {
            watchCache: opts.watchCache,
            ...(opts.etcdPrefix ? { prefix: opts.etcdPrefix } : {}),
          },
        });
        // Listening before saying so: a signal sent on reading the line below must find the handler.
        const signalled = untilSignal();
        process.stdout.write(
          `concord hub listening on ${hub.url}\nstore: ${hub.store.description}\nidentity: ${hub.identity}\n` +
            `dns: 127.0.0.1:${opts.dnsPort} (clusterset.local, global names)\n` +
            `kubeconfig: ${hub.kubeconfigPath}\ntry: kubectl --kubeconfig ${hub.kubeconfigPath} get namespaces\n`,
        );
        await signalled;
        await hub.close();
      },
    );
}
