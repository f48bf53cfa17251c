// The StatefulSet controller, as Kubernetes' (pkg/controller/statefulset): pods with stable
// names <set>-<ordinal> (from spec.ordinals.start), created in order with OrderedReady (one at a
// time, each waiting for its predecessors to be Running and Ready) and removed in reverse order,
// or all at once with Parallel; a PersistentVolumeClaim per volumeClaimTemplate, kept or deleted
// per persistentVolumeClaimRetentionPolicy (through owner references the garbage collector
// follows); ControllerRevisions of the template, pods labelled controller-revision-hash with
// their revision; RollingUpdate from the highest ordinal down to the partition, or OnDelete;
// status replicas/readyReplicas/currentReplicas/updatedReplicas/availableReplicas,
// currentRevision/updateRevision, observedGeneration, collisionCount.
//
// This file wires the controller and runs a sync; revisions.ts keeps the ControllerRevisions,
// phases.ts moves pods and claims toward the spec, status.ts writes the status.

import { objectKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller, ReconcileResult } from '../../controller/controller.js';
import { claimObjects, controllerRefOf } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import type { OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import { type ControllerHistory, sortControllerRevisions } from '../history/history.js';
import { type RevisionedWorkload, revisionedWorkload } from '../history/revisioned.js';
import { isPodReady, msUntilAvailable } from '../workloads/pods.js';
import type { ControllerRevision, PersistentVolumeClaim, Pod } from '../workloads/types.js';
import { isMemberOf, replicasOf, type StatefulSet, type StatefulSetStatus } from './identity.js';
import { syncPods } from './phases.js';
import { revisionsFor, truncateHistory } from './revisions.js';
import { writeStatus } from './status.js';
import { STATEFULSET_CONTROLLER, type StatefulSetReconciler, SyncFailure } from './types.js';

export interface StatefulSetControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-statefulset-syncs, default 5). */
  workers?: number;
  recorder?: EventRecorder;
}

const STATEFULSET_KIND: OwnerKind = { group: 'apps', kind: 'StatefulSet' };

export class StatefulSetController implements StatefulSetReconciler {
  readonly controller: Controller;
  readonly pvcInformer: Informer<PersistentVolumeClaim>;
  /** The StatefulSets, their pods and ControllerRevisions, and the history over those. */
  private readonly w: RevisionedWorkload<StatefulSet>;
  private readonly pods: OwnerIndex<Pod>;
  readonly history: ControllerHistory;
  readonly recorder: EventRecorder;

  constructor(
    readonly ctx: ControllerContext,
    opts: StatefulSetControllerOptions = {},
  ) {
    this.recorder = eventRecorder(ctx, STATEFULSET_CONTROLLER, opts.recorder);
    this.w = revisionedWorkload<StatefulSet>(ctx, resources.statefulsets);
    this.pods = this.w.pods;
    this.history = this.w.history;
    this.pvcInformer = ctx.informers.informerFor<PersistentVolumeClaim>(resources.persistentvolumeclaims);
    this.controller = reconcileLoop(ctx, {
      name: 'statefulset',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
  }

  start(): RunningController {
    const enqueue = (s: StatefulSet) => this.controller.enqueue(objectKey(s));
    const unregister = [
      this.w.owners.addEventHandler({
        onAdd: enqueue,
        onUpdate: (_o, s) => enqueue(s),
        onDelete: enqueue,
      }),
      this.w.podInformer.addEventHandler({
        onAdd: (pod) => this.podChanged(undefined, pod),
        onUpdate: (old, pod) => this.podChanged(old, pod),
        onDelete: (pod) => this.podChanged(undefined, pod),
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.w.owners, this.w.podInformer, this.pvcInformer, this.w.revisionInformer],
      unregister: [...unregister, ...this.w.release],
      recorder: this.recorder,
    });
  }

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.w.owners, STATEFULSET_KIND, namespace, ref);
  }

  private podChanged(old: Pod | undefined, pod: Pod): void {
    if (old && old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const oldRef = old && controllerRefOf(old);
    const ref = controllerRefOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const set = this.resolve(old.metadata.namespace, oldRef);
      if (set) this.controller.enqueue(objectKey(set));
    }
    if (ref) {
      const set = this.resolve(pod.metadata.namespace, ref);
      if (!set) return;
      this.controller.enqueue(objectKey(set));
      const minReady = set.spec.minReadySeconds ?? 0;
      if (old && minReady > 0 && !isPodReady(old) && isPodReady(pod)) {
        this.controller.enqueueAfter(objectKey(set), minReady * 1000 + 1000);
      }
      return;
    }
    // An orphan: the sets that could adopt it.
    for (const set of selectingOwners(this.w.owners, pod)) this.controller.enqueue(objectKey(set));
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.w.owners.getByKey(key);
    if (!cached) return undefined;
    const set = structuredClone(cached) as StatefulSet;
    let selector: Selector;
    try {
      selector = fromLabelSelector(set.spec.selector);
    } catch (err) {
      this.controller.logger.warn({ err, key }, 'invalid selector');
      return undefined;
    }
    let revisions = this.history.list(set, selector);
    revisions = await this.history.adoptOrphans(set, resources.statefulsets, selector, revisions);
    const pods = await this.claimPods(set, selector);
    const status = await this.updateStatefulSet(set, pods, sortControllerRevisions([...revisions]));
    const minReady = set.spec.minReadySeconds ?? 0;
    if (minReady > 0 && status && (status.availableReplicas ?? 0) !== replicasOf(set)) {
      let soonest: number | undefined;
      const now = this.ctx.now();
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && ms > 0) soonest = soonest === undefined ? ms : Math.min(soonest, ms);
      }
      return { requeueAfter: soonest ?? minReady * 1000 };
    }
    return undefined;
  }

  private async claimPods(set: StatefulSet, selector: Selector): Promise<Pod[]> {
    const owned = [...this.pods.owned(set.metadata.uid ?? '').values()];
    const orphans = [...this.pods.orphansIn(set.metadata.namespace ?? '').values()].filter((p) =>
      isMemberOf(set, p),
    );
    if (
      orphans.length === 0 &&
      owned.every((p) => isMemberOf(set, p) && selector.matches(p.metadata.labels ?? {}))
    ) {
      return owned;
    }
    return claimObjects(
      {
        client: this.ctx.client,
        ref: resources.pods,
        owner: set,
        ownerRef: resources.statefulsets,
        selector,
        filter: (p: Pod) => isMemberOf(set, p),
      },
      [...owned, ...orphans],
    );
  }

  /** UpdateStatefulSet: revisions, pods, status, then history truncation. */
  private async updateStatefulSet(
    set: StatefulSet,
    pods: Pod[],
    revisions: ControllerRevision[],
  ): Promise<StatefulSetStatus | undefined> {
    const { current, update, collisionCount } = await revisionsFor(this, set, revisions);
    let status: StatefulSetStatus | undefined;
    let syncError: unknown;
    try {
      status = await syncPods(this, set, current, update, collisionCount, pods);
    } catch (err) {
      if (err instanceof SyncFailure) {
        status = err.status;
        syncError = err.cause;
      } else {
        throw err;
      }
    }
    if (status) await writeStatus(this, set, status);
    await truncateHistory(this, set, pods, revisions, current, update);
    if (syncError !== undefined) throw syncError;
    return status;
  }

  // --- pods and claims -------------------------------------------------------------------------------

  // --- status and history ----------------------------------------------------------------------------
}

export function startStatefulSetController(
  ctx: ControllerContext,
  opts: StatefulSetControllerOptions = {},
): RunningController {
  return new StatefulSetController(ctx, opts).start();
}
