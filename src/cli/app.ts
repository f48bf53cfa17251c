// `concord app rollback NAME [ID]` and `concord app approve NAME`: a rollback syncs the
// Application to an earlier revision of its history (ID as `kubectl get app NAME -o yaml` shows
// under status.history; default the one before the current), an approval lets a promotion step
// move the Application to the revision it waits for.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { approveApplication, rollbackApplication } from '../hub/gitops/operations.js';
import { reportFailures } from './process.js';

interface AppOptions {
  kubeconfig?: string;
  dataDir: string;
  namespace?: string;
}

function parseId(text: string): number {
  if (!/^\d+$/.test(text))
    throw new InvalidArgumentError('the history ID is a whole number (see status.history[].id)');
  return Number(text);
}

async function withHub<T>(opts: AppOptions, fn: (hub: HttpsClient) => Promise<T>): Promise<T> {
  const hub = new HttpsClient(await loadKubeconfig(opts.kubeconfig ?? join(opts.dataDir, 'hub.kubeconfig')), {
    timeoutMs: 10_000,
  });
  try {
    return await fn(hub);
  } finally {
    hub.close();
  }
}

export function registerApp(program: Command): void {
  const app = program
    .command('app')
    .description('Argo CD Applications on the hub: roll back, approve a promotion');
  const common = (c: Command) =>
    c
      .option('-n, --namespace <ns>', "the Application's namespace (default: wherever the name is unique)")
      .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
      .option('--data-dir <dir>', 'the data dir of the hub', '.concord');
  common(
    app
      .command('rollback')
      .description('sync an Application to an earlier revision of its history (default: the previous one)')
      .argument('<name>', 'the Application')
      .argument('[id]', 'the history ID to go back to', parseId),
  ).action((name: string, id: number | undefined, opts: AppOptions, cmd: Command) =>
    reportFailures(cmd, async () => {
      const r = await withHub(opts, (hub) => rollbackApplication(hub, name, id, opts.namespace));
      process.stdout.write(
        `application ${r.namespace}/${name} rolling back to history ID ${r.id} (revision ${r.revision})\n`,
      );
    }),
  );
  common(
    app
      .command('approve')
      .description('approve the revision an Application waits for in its promotion step')
      .argument('<name>', 'the Application'),
  ).action((name: string, opts: AppOptions, cmd: Command) =>
    reportFailures(cmd, async () => {
      const r = await withHub(opts, (hub) => approveApplication(hub, name, opts.namespace));
      process.stdout.write(`application ${r.namespace}/${name} approved for revision ${r.revision}\n`);
    }),
  );
}
