// The StatefulSet's ControllerRevisions: the current and update revisions of its template (an
// equal earlier one reused, a new one made on a hash collision), and the history truncated to
// revisionHistoryLimit besides the revisions still in use.

import {
  equalRevision,
  findEqualRevisions,
  newControllerRevision,
  nextRevision,
  templatePatch,
} from '../history/history.js';
import type { ControllerRevision, Pod } from '../workloads/types.js';
import { podRevision, type StatefulSet } from './identity.js';
import type { StatefulSetReconciler } from './types.js';

export async function revisionsFor(
  r: StatefulSetReconciler,
  set: StatefulSet,
  revisions: ControllerRevision[],
): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
  let collisionCount = set.status?.collisionCount ?? 0;
  const candidate = newControllerRevision(
    set,
    set.spec.template?.metadata?.labels,
    templatePatch(set.spec.template),
    nextRevision(revisions),
    collisionCount,
  );
  if (set.metadata.annotations) candidate.metadata.annotations = { ...set.metadata.annotations };
  const equal = findEqualRevisions(revisions, candidate);
  let update: ControllerRevision;
  if (equal.length > 0 && equalRevision(revisions[revisions.length - 1], equal[equal.length - 1])) {
    // The template has not changed since the newest revision.
    update = revisions[revisions.length - 1]!;
  } else if (equal.length > 0) {
    // Back to an earlier template: that revision becomes the newest.
    update = await r.history.updateRevision(equal[equal.length - 1]!, candidate.revision);
  } else {
    const created = await r.history.create(set, candidate, collisionCount);
    update = created.revision;
    collisionCount = created.collisionCount;
  }
  const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** Keeps revisionHistoryLimit revisions besides the live ones (current, update, pods'). */
export async function truncateHistory(
  r: StatefulSetReconciler,
  set: StatefulSet,
  pods: Pod[],
  revisions: ControllerRevision[],
  current: ControllerRevision,
  update: ControllerRevision,
): Promise<void> {
  const live = new Set([current.metadata.name, update.metadata.name, ...pods.map(podRevision)]);
  const history = revisions.filter((r) => !live.has(r.metadata.name));
  const limit = set.spec.revisionHistoryLimit ?? 10;
  if (history.length <= limit) return;
  for (const rev of history.slice(0, history.length - limit)) await r.history.delete(rev);
}
