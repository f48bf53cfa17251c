// What `concord app rollback` and `concord app approve` do to an Application, as Argo CD's CLI
// does it: a rollback is a sync operation to a history entry's revision and source (refused
// while automated sync is on, which would undo it at once); an approval lets a promotion step
// move the Application to the revision it waits for.

import type { Client } from '../../client/client.js';
import { isNotFound } from '../../machinery/status.js';
import {
  APPROVED_ANNOTATION,
  type Application,
  argocdResources,
  type Operation,
} from '../apis/argocd/index.js';

export class AppCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppCommandError';
  }
}

/** The Application named so: in `namespace`, or the only one of that name in any namespace. */
export async function findApplication(hub: Client, name: string, namespace?: string): Promise<Application> {
  if (namespace) {
    try {
      return await hub.get<Application>(argocdResources.applications, name, { namespace });
    } catch (err) {
      if (isNotFound(err))
        throw new AppCommandError(`application ${name} not found in namespace ${namespace}`);
      throw err;
    }
  }
  const found = (await hub.list<Application>(argocdResources.applications)).items.filter(
    (a) => a.metadata.name === name,
  );
  if (found.length === 0) throw new AppCommandError(`application ${name} not found`);
  if (found.length > 1) {
    throw new AppCommandError(
      `application ${name} exists in namespaces ${found.map((a) => a.metadata.namespace).join(', ')}: say which with --namespace`,
    );
  }
  return found[0]!;
}

/** The sync operation rolling `app` back to history entry `id` (default: the one before the current). */
export function rollbackOperation(
  app: Application,
  id?: number,
): { operation: Operation; revision: string; id: number } {
  if (app.spec.syncPolicy?.automated && app.spec.syncPolicy.automated.enabled !== false) {
    throw new AppCommandError(
      `rollback cannot be initiated when auto-sync is enabled (application ${app.metadata.name})`,
    );
  }
  const history = app.status?.history ?? [];
  if (history.length === 0)
    throw new AppCommandError(`application ${app.metadata.name} has no deployment history`);
  const entry = id === undefined ? history[history.length - 2] : history.find((h) => h.id === id);
  if (!entry) {
    throw new AppCommandError(
      id === undefined
        ? `application ${app.metadata.name} has only one history entry: nothing to roll back to`
        : `application ${app.metadata.name} does not have history ID ${id} (IDs: ${history.map((h) => h.id).join(', ')})`,
    );
  }
  if (!entry.revision) throw new AppCommandError(`history ID ${entry.id} has no revision`);
  return {
    id: entry.id,
    revision: entry.revision,
    operation: {
      sync: { revision: entry.revision, ...(entry.source ? { source: entry.source } : {}) },
      initiatedBy: { username: 'concord app rollback' },
    },
  };
}

/** Starts the rollback on the hub; returns what it asked for. */
export async function rollbackApplication(hub: Client, name: string, id?: number, namespace?: string) {
  const app = await findApplication(hub, name, namespace);
  const r = rollbackOperation(app, id);
  if (app.operation) throw new AppCommandError(`another operation is already in progress on ${name}`);
  await hub.patch(argocdResources.applications, name, { operation: r.operation }, 'merge', {
    namespace: app.metadata.namespace,
  });
  return { ...r, namespace: app.metadata.namespace ?? '' };
}

/** Approves the revision the Application waits for in its promotion step. */
export async function approveApplication(hub: Client, name: string, namespace?: string) {
  const app = await findApplication(hub, name, namespace);
  const revision = app.status?.sync?.revision;
  if (!revision)
    throw new AppCommandError(`application ${name} has no target revision yet: nothing to approve`);
  await hub.patch(
    argocdResources.applications,
    name,
    { metadata: { annotations: { [APPROVED_ANNOTATION]: revision } } },
    'merge',
    {
      namespace: app.metadata.namespace,
    },
  );
  return { revision, namespace: app.metadata.namespace ?? '' };
}
