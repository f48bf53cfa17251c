// Promotion gates beyond Argo CD's RollingSync, set on the ApplicationSet by annotations:
//   gitops.concord.dev/approval-steps: "2,3"   steps (1-based) whose Applications wait for an
//                                              approval of the revision they would move to: the
//                                              Application annotated gitops.concord.dev/approved-revision
//                                              with that revision (`concord app approve NAME` does it);
//   gitops.concord.dev/rollback-window: "5m"   how long after a step's sync a Degraded Application
//                                              rolls the rollout back (default 5m; "0" turns it off);
//   gitops.concord.dev/rolled-back-revision    written by the controller: the revision rolled back,
//                                              which the rollout then holds until a newer one comes.

import { parseGoDuration } from '../../../machinery/duration.js';
import { APPROVED_ANNOTATION, type Application, type ApplicationSet } from '../../apis/argocd/index.js';

export const APPROVAL_STEPS_ANNOTATION = 'gitops.concord.dev/approval-steps';
export const ROLLBACK_WINDOW_ANNOTATION = 'gitops.concord.dev/rollback-window';
export const ROLLED_BACK_REVISION_ANNOTATION = 'gitops.concord.dev/rolled-back-revision';
export { APPROVED_ANNOTATION };

export const DEFAULT_ROLLBACK_WINDOW_MS = 5 * 60_000;

/** The 1-based steps that need an approval. */
export function approvalSteps(set: ApplicationSet): Set<number> {
  const v = set.metadata.annotations?.[APPROVAL_STEPS_ANNOTATION] ?? '';
  return new Set(
    v
      .split(',')
      .map((s) => Number.parseInt(s.trim(), 10))
      .filter((n) => Number.isFinite(n) && n > 0),
  );
}

export function rollbackWindowMs(set: ApplicationSet): number {
  const v = set.metadata.annotations?.[ROLLBACK_WINDOW_ANNOTATION];
  if (v === undefined || v.trim() === '') return DEFAULT_ROLLBACK_WINDOW_MS;
  if (v.trim() === '0') return 0;
  try {
    return parseGoDuration(v.trim());
  } catch {
    return DEFAULT_ROLLBACK_WINDOW_MS;
  }
}

export function rolledBackRevision(set: ApplicationSet): string | undefined {
  return set.metadata.annotations?.[ROLLED_BACK_REVISION_ANNOTATION] || undefined;
}

/** Whether the Application is approved to move to `revision`. */
export function approved(app: Application, revision: string): boolean {
  return !!revision && app.metadata.annotations?.[APPROVED_ANNOTATION] === revision;
}

/** The last revision the Application ran before `revision` (its history's latest other entry). */
export function lastRevisionBefore(app: Application, revision: string) {
  const history = app.status?.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    if (h.revision && h.revision !== revision) return h;
  }
  return undefined;
}
