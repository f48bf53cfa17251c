// Writing an Application's status as Argo CD reports it: conditions that keep their transition
// time while they hold, history entries with increasing ids trimmed to revisionHistoryLimit, and
// resource statuses in a stable order.

import type {
  Application,
  ApplicationCondition,
  ApplicationSource,
  OperationState,
  ResourceStatus,
  RevisionHistory,
} from '../../apis/argocd/index.js';

/** Argo CD keeps 10 history entries unless spec.revisionHistoryLimit says otherwise. */
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** The new conditions, each keeping its old transition time when type and message are unchanged. */
export function mergeConditions(
  old: readonly ApplicationCondition[] | undefined,
  next: readonly { type: string; message: string }[],
  now: string,
): ApplicationCondition[] {
  return next.map((c) => {
    const prev = (old ?? []).find((o) => o.type === c.type && o.message === c.message);
    return { type: c.type, message: c.message, lastTransitionTime: prev?.lastTransitionTime ?? now };
  });
}

/** History with a new entry for a finished sync. */
export function appendHistory(
  app: Application,
  state: OperationState,
  revision: string,
  source: ApplicationSource | undefined,
  now: string,
): RevisionHistory[] {
  const history = [...(app.status?.history ?? [])];
  const id = history.reduce((m, h) => Math.max(m, h.id), -1) + 1;
  history.push({
    revision,
    deployedAt: now,
    deployStartedAt: state.startedAt,
    id,
    ...(source ? { source } : {}),
    ...(state.operation.initiatedBy ? { initiatedBy: state.operation.initiatedBy } : {}),
  });
  const limit = app.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  return history.slice(Math.max(0, history.length - limit));
}

export function sortResources(list: ResourceStatus[]): ResourceStatus[] {
  const key = (r: ResourceStatus) => `${r.group ?? ''}/${r.kind ?? ''}/${r.namespace ?? ''}/${r.name ?? ''}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
