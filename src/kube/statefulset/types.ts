// What the steps of a StatefulSet sync share: pod predicates, the claim retention policy, the
// failure that still carries a status, and what they use of their controller
// (StatefulSetReconciler). The StatefulSet API types are identity.ts's.

import type { Informer } from '../../client/informer.js';
import type { ControllerContext } from '../../controller/context.js';
import type { EventRecorder } from '../../controller/events.js';
import { errorMessage } from '../../machinery/status.js';
import type { ControllerHistory } from '../history/history.js';
import { isPodReady } from '../workloads/pods.js';
import type { PersistentVolumeClaim, Pod } from '../workloads/types.js';
import type { StatefulSet, StatefulSetStatus } from './identity.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';

export const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);

export const isCreated = (pod: Pod) => Boolean(pod.status?.phase);

export const isTerminating = (pod: Pod) => Boolean(pod.metadata.deletionTimestamp);

export const isHealthy = (pod: Pod) => isRunningAndReady(pod) && !isTerminating(pod);

/** A sync step failed after some work: the status so far still gets written. */
export class SyncFailure extends Error {
  constructor(
    readonly status: StatefulSetStatus,
    override readonly cause: unknown,
  ) {
    super(errorMessage(cause));
  }
}

export function retentionOf(set: StatefulSet) {
  const p = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

/** What the phases, revisions and status steps of a sync use of their controller. */
export interface StatefulSetReconciler {
  readonly ctx: ControllerContext;
  readonly recorder: EventRecorder;
  readonly history: ControllerHistory;
  readonly pvcInformer: Informer<PersistentVolumeClaim>;
}
