// `concord hub`: the control plane's API server, on a store of the user's choice.

import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { serveApiServer } from '../apiserver/serving.js';
import { writeKubeconfig } from '../client/kubeconfig-file.js';
import { openStore } from '../storage/open.js';
import { parsePort, untilSignal } from './process.js';

export function registerHub(program: Command): void {
  program
    .command('hub')
    .description('start the hub: the Kubernetes API server of the control plane')
    .option('--data-dir <dir>', 'where state, certificates and kubeconfigs live', '.concord')
    .option('--port <port>', 'HTTPS port (0 picks a free one)', parsePort, 6443)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--store <spec>', 'sqlite:PATH (default: DATA_DIR/hub/store.db) or etcd:URL[,URL...]')
    .action(async (opts: { dataDir: string; port: number; host: string; store?: string }) => {
      const dataDir = resolve(opts.dataDir);
      const port = opts.port;
      const storeSpec = opts.store ?? `sqlite:${join(dataDir, 'hub', 'store.db')}`;
      const store = await openStore(storeSpec);
      const hub = await serveApiServer({
        name: 'concord-hub',
        stateDir: join(dataDir, 'hub'),
        store,
        port,
        host: opts.host,
      });
      const kubeconfigPath = join(dataDir, 'hub.kubeconfig');
      await writeKubeconfig(kubeconfigPath, hub.kubeconfig);
      process.stdout.write(
        `concord hub listening on ${hub.url}\nstore: ${store.description}\nkubeconfig: ${kubeconfigPath}\n` +
          `try: kubectl --kubeconfig ${kubeconfigPath} get namespaces\n`,
      );
      await untilSignal();
      await hub.close();
      await store.close();
    });
}
