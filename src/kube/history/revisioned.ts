// What the controllers of revisioned workloads (DaemonSet, StatefulSet) read: the workload's
// informer, its pods and ControllerRevisions indexed by controlling owner (shared with the other
// controllers of the cluster), and the ControllerHistory over those revisions. release() gives
// the indexes back when the controller stops.

import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { ControllerContext } from '../../controller/context.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ControllerRevision, Pod } from '../workloads/types.js';
import { ControllerHistory } from './history.js';

export interface RevisionedWorkload<T extends KubeObject> {
  owners: Informer<T>;
  podInformer: Informer<Pod>;
  revisionInformer: Informer<ControllerRevision>;
  /** Pods by controlling owner, and orphans by namespace. */
  pods: OwnerIndex<Pod>;
  history: ControllerHistory;
  /** Unregister functions of the shared indexes, for the controller's runner. */
  release: (() => void)[];
}

export function revisionedWorkload<T extends KubeObject>(
  ctx: ControllerContext,
  resource: ResourceRef,
): RevisionedWorkload<T> {
  const podInformer = ctx.informers.informerFor<Pod>(resources.pods);
  const revisionInformer = ctx.informers.informerFor<ControllerRevision>(resources.controllerrevisions);
  const pods = acquireOwnerIndex(podInformer);
  const revisions = acquireOwnerIndex(revisionInformer);
  return {
    owners: ctx.informers.informerFor<T>(resource),
    podInformer,
    revisionInformer,
    pods: pods.index,
    history: new ControllerHistory(ctx.client, revisions.index),
    release: [pods.release, revisions.release],
  };
}
