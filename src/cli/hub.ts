// `concord hub`: the control plane's API server on a store of the user's choice, with the hub's
// controllers running while this process leads (several hubs may share one etcd).

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startHub } from '../hub/hub.js';
import { anonymousAuthOption, parsePort, untilSignal } from './process.js';

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
    .addOption(anonymousAuthOption())
    .action(
      async (opts: {
        dataDir: string;
        port: number;
        host: string;
        store?: string;
        etcdPrefix?: string;
        watchCache: boolean;
        anonymousAuth: boolean;
      }) => {
        if (opts.etcdPrefix !== undefined && !opts.store?.startsWith('etcd:')) {
          throw new InvalidArgumentError('--etcd-prefix needs an etcd store (--store etcd:URL)');
        }
        const hub = await startHub({
          dataDir: opts.dataDir,
          port: opts.port,
          host: opts.host,
          anonymousAuth: opts.anonymousAuth,
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
            `kubeconfig: ${hub.kubeconfigPath}\ntry: kubectl --kubeconfig ${hub.kubeconfigPath} get namespaces\n`,
        );
        await signalled;
        await hub.close();
      },
    );
}
