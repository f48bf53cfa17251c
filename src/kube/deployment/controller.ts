// The Deployment controller, as Kubernetes' (pkg/controller/deployment): one ReplicaSet per pod
// template (named "<deployment>-<pod-template-hash>", the hash also in its selector, template and
// pods), rolled out by RollingUpdate within maxSurge/maxUnavailable or by Recreate; revision
// annotations (revision, revision-history, desired-replicas, max-replicas) and
// revisionHistoryLimit; rollback (kubectl rollout undo patches the template back: the old
// ReplicaSet becomes the new one and takes the next revision); paused deployments only scale;
// proportional scaling of a scale during a rollout; Progressing (with ProgressDeadlineExceeded)
// and Available conditions; ScalingReplicaSet events. Order of a sync, as in Kubernetes: deleted
// > paused > rollback > scaling event > rollout.

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
import { claimObjects, controllerRefOf, newControllerRef } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { cloneJson } from '../../machinery/json.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import type { Deployment, Pod, ReplicaSet } from '../workloads/types.js';
import {
  activeReplicaSets,
  availableReplicas,
  byCreation,
  byRevision,
  bySize,
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  getCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  POD_TEMPLATE_HASH_LABEL,
  podTemplateHash,
  proportionOf,
  REASON_FAILED_RS_CREATE,
  REASON_FOUND_NEW_RS,
  REASON_NEW_RS_AVAILABLE,
  REASON_NEW_RS_CREATED,
  REASON_PAUSED,
  REASON_RESUMED,
  REASON_RS_UPDATED,
  REASON_TIMED_OUT,
  REVISION_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
  removeCondition,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  revisionOf,
  setCondition,
  setDeploymentAnnotationsTo,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  statusEqual,
  sumReplicas,
  wireDeploymentStatus,
} from './util.js';

export const DEPLOYMENT_CONTROLLER = 'deployment-controller';

export interface DeploymentControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-deployment-syncs, default 5). */
  workers?: number;
  recorder?: EventRecorder;
}

const DEPLOYMENT_KIND: OwnerKind = { group: 'apps', kind: 'Deployment' };

/** What one sync works on: its own copy of the deployment and the ReplicaSets as last written. */
interface SyncState {
  d: Deployment;
  rsList: ReplicaSet[];
  requeueAfter?: number;
}

export class DeploymentController {
  readonly controller: Controller;
  private readonly dInformer: Informer<Deployment>;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly sets: OwnerIndex<ReplicaSet>;
  private readonly releaseIndexes: (() => void)[];
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DeploymentControllerOptions = {},
  ) {
    this.recorder = eventRecorder(ctx, DEPLOYMENT_CONTROLLER, opts.recorder);
    this.dInformer = ctx.informers.informerFor<Deployment>(resources.deployments);
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(resources.replicasets);
    this.podInformer = ctx.informers.informerFor<Pod>(resources.pods);
    const pods = acquireOwnerIndex(this.podInformer);
    const sets = acquireOwnerIndex(this.rsInformer);
    this.pods = pods.index;
    this.sets = sets.index;
    this.releaseIndexes = [pods.release, sets.release];
    this.controller = reconcileLoop(ctx, {
      name: 'deployment',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
  }

  start(): RunningController {
    const enqueue = (d: Deployment) => this.controller.enqueue(objectKey(d));
    const unregister = [
      this.dInformer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: enqueue }),
      this.rsInformer.addEventHandler({
        onAdd: (rs) => this.addReplicaSet(rs),
        onUpdate: (old, cur) => this.updateReplicaSet(old, cur),
        onDelete: (rs) => this.deleteReplicaSet(rs),
      }),
      this.podInformer.addEventHandler({ onDelete: (pod) => this.deletePod(pod) }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.dInformer, this.rsInformer, this.podInformer],
      unregister: [...unregister, ...this.releaseIndexes],
      recorder: this.recorder,
    });
  }

  // --- informer events ---------------------------------------------------------------------------

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.dInformer, DEPLOYMENT_KIND, namespace, ref);
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) {
      this.deleteReplicaSet(rs);
      return;
    }
    const ref = controllerRefOf(rs);
    if (ref) {
      const d = this.resolve(rs.metadata.namespace, ref);
      if (d) this.controller.enqueue(objectKey(d));
      return;
    }
    for (const d of selectingOwners(this.dInformer, rs)) this.controller.enqueue(objectKey(d));
  }

  private updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const d = this.resolve(old.metadata.namespace, oldRef);
      if (d) this.controller.enqueue(objectKey(d));
    }
    if (curRef) {
      const d = this.resolve(cur.metadata.namespace, curRef);
      if (d) this.controller.enqueue(objectKey(d));
      return;
    }
    const labelsChanged =
      JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelsChanged || refChanged) {
      for (const d of selectingOwners(this.dInformer, cur)) this.controller.enqueue(objectKey(d));
    }
  }

  private deleteReplicaSet(rs: ReplicaSet): void {
    const ref = controllerRefOf(rs);
    if (!ref) return;
    const d = this.resolve(rs.metadata.namespace, ref);
    if (d) this.controller.enqueue(objectKey(d));
  }

  /** A Recreate deployment waits for its old pods to be gone: sync when the last one goes. */
  private deletePod(pod: Pod): void {
    const rsRef = controllerRefOf(pod);
    if (rsRef?.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(rsRef.name, pod.metadata.namespace);
    if (!rs || rs.metadata.uid !== rsRef.uid) return;
    const dRef = controllerRefOf(rs);
    if (!dRef) return;
    const d = this.resolve(rs.metadata.namespace, dRef);
    if (!d || isRollingUpdate(d)) return;
    for (const other of this.sets.owned(d.metadata.uid ?? '').values()) {
      if (this.pods.owned(other.metadata.uid ?? '').size > 0) return;
    }
    this.controller.enqueue(objectKey(d));
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.dInformer.getByKey(key);
    if (!cached) return undefined;
    const d = cloneJson(cached) as Deployment;
    const sel = d.spec.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.recorder.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        await this.writeStatus({ d, rsList: [] });
      }
      return undefined;
    }
    let selector: Selector;
    try {
      selector = fromLabelSelector(d.spec.selector);
    } catch (err) {
      // Not transient: nothing to retry until the deployment changes.
      this.controller.logger.warn({ err, key }, 'invalid selector');
      return undefined;
    }
    const state: SyncState = { d, rsList: await this.replicaSetsFor(d, selector) };
    if (d.metadata.deletionTimestamp) {
      await this.syncStatusOnly(state);
    } else {
      await this.checkPausedConditions(state);
      if (d.spec.paused) await this.syncScale(state);
      else if (rollbackTo(d) !== undefined) await this.rollback(state);
      else if (await this.isScalingEvent(state)) await this.syncScale(state);
      else if (isRollingUpdate(d)) await this.rolloutRolling(state);
      else if (d.spec.strategy?.type === 'Recreate') await this.rolloutRecreate(state);
      else throw new Error(`unexpected deployment strategy type: ${d.spec.strategy?.type}`);
    }
    return state.requeueAfter !== undefined ? { requeueAfter: state.requeueAfter } : undefined;
  }

  /** The ReplicaSets this deployment controls, after adoption and release. */
  private async replicaSetsFor(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const owned = [...this.sets.owned(d.metadata.uid ?? '').values()];
    const orphans = [...this.sets.orphansIn(d.metadata.namespace ?? '').values()];
    if (orphans.length === 0 && owned.every((rs) => selector.matches(rs.metadata.labels ?? {}))) return owned;
    return claimObjects(
      {
        client: this.ctx.client,
        ref: resources.replicasets,
        owner: d,
        ownerRef: resources.deployments,
        selector,
      },
      [...owned, ...orphans],
    );
  }

  private replace(state: SyncState, rs: ReplicaSet): void {
    const i = state.rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
    if (i >= 0) state.rsList[i] = rs;
    else state.rsList.push(rs);
  }

  /**
   * Writes the deployment's status and its revision annotation (deployments/status keeps
   * annotation changes, so the revision does not bump the generation); keeps state.d's
   * resourceVersion current.
   */
  private async writeStatus(state: SyncState): Promise<void> {
    const { d } = state;
    const body = { ...d, status: wireDeploymentStatus(d.status ?? {}) } as Deployment;
    const written = await this.ctx.client.update<Deployment>(resources.deployments, body, {
      namespace: d.metadata.namespace,
      subresource: 'status',
    });
    d.metadata.resourceVersion = written.metadata.resourceVersion;
  }

  private async syncStatusOnly(state: SyncState): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, false);
    await this.syncDeploymentStatus(state, [...oldRSs, newRS], newRS);
  }

  /** Scaling events and paused deployments: scale, clean up, report. */
  private async syncScale(state: SyncState): Promise<void> {
    const { d } = state;
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, false);
    await this.scale(state, newRS, oldRSs);
    if (d.spec.paused && rollbackTo(d) === undefined) await this.cleanup(state, this.current(state, oldRSs));
    const fresh = this.current(state, [...oldRSs, newRS]);
    await this.syncDeploymentStatus(state, fresh, newRS && this.current(state, [newRS])[0]);
  }

  /** The latest copies (after this sync's writes) of some ReplicaSets. */
  private current(state: SyncState, sets: (ReplicaSet | undefined)[]): ReplicaSet[] {
    const out: ReplicaSet[] = [];
    for (const rs of sets) {
      if (!rs) continue;
      out.push(state.rsList.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs);
    }
    return out;
  }

  private async checkPausedConditions(state: SyncState): Promise<void> {
    const { d } = state;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON_TIMED_OUT) return;
    const pausedExists = cond?.reason === REASON_PAUSED;
    const now = this.ctx.now();
    d.status ??= {};
    if (d.spec.paused && !pausedExists) {
      setCondition(
        d.status,
        newCondition('Progressing', 'Unknown', REASON_PAUSED, 'Deployment is paused', now),
      );
    } else if (!d.spec.paused && pausedExists) {
      setCondition(
        d.status,
        newCondition('Progressing', 'Unknown', REASON_RESUMED, 'Deployment is resumed', now),
      );
    } else {
      return;
    }
    await this.writeStatus(state);
  }

  private async isScalingEvent(state: SyncState): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired === undefined) continue;
      if (desired !== replicasOf(state.d)) return true;
    }
    return false;
  }

  private async allReplicaSetsAndSyncRevision(
    state: SyncState,
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const found = findNewReplicaSet(state.d, state.rsList);
    const oldRSs = state.rsList.filter((rs) => rs.metadata.uid !== found?.metadata.uid);
    const newRS = await this.newReplicaSet(state, oldRSs, found, create);
    return { newRS, oldRSs };
  }

  /** getNewReplicaSet: syncs the new ReplicaSet's revision and annotations, or creates it. */
  private async newReplicaSet(
    state: SyncState,
    oldRSs: ReplicaSet[],
    existing: ReplicaSet | undefined,
    create: boolean,
  ): Promise<ReplicaSet | undefined> {
    const { d } = state;
    const now = this.ctx.now();
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = cloneJson(existing) as ReplicaSet;
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec.minReadySeconds ?? 0;
      if (annotationsUpdated || (copy.spec.minReadySeconds ?? 0) !== minReady) {
        if (minReady > 0) copy.spec.minReadySeconds = minReady;
        else delete copy.spec.minReadySeconds;
        const updated = await this.ctx.client.update<ReplicaSet>(resources.replicasets, copy, {
          namespace: copy.metadata.namespace,
        });
        this.replace(state, updated);
        return updated;
      }
      let needsUpdate = setDeploymentRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      d.status ??= {};
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(
          d.status,
          newCondition(
            'Progressing',
            'True',
            REASON_FOUND_NEW_RS,
            `Found new replica set "${copy.metadata.name}"`,
            now,
          ),
        );
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus(state);
      return copy;
    }
    if (!create) return undefined;

    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = cloneJson(d.spec.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = cloneJson(d.spec.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [newControllerRef(d)],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, selector, template },
    };
    if (d.spec.minReadySeconds) rs.spec.minReadySeconds = d.spec.minReadySeconds;
    const count = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec.replicas = count;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.ctx.client.create<ReplicaSet>(resources.replicasets, rs, {
        namespace: d.metadata.namespace,
      });
    } catch (err) {
      if (isAlreadyExists(err)) {
        const other = this.rsInformer.get(rs.metadata.name ?? '', d.metadata.namespace);
        if (!other) throw err;
        if (
          controllerRefOf(other)?.uid === d.metadata.uid &&
          equalIgnoreHash(d.spec.template, other.spec.template)
        ) {
          created = other;
          alreadyExisted = true;
        } else {
          // A hash collision: another template got this name. Bump collisionCount and retry.
          d.status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
          await this.writeStatus(state);
          this.controller.logger.info(
            { deployment: objectKey(d), collisionCount: d.status.collisionCount },
            'hash collision, collisionCount bumped',
          );
          throw err;
        }
      } else {
        if (isNamespaceTerminating(err)) throw err;
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', REASON_FAILED_RS_CREATE, msg, now));
          await this.writeStatus(state).catch(() => undefined);
        }
        this.recorder.event(d, 'Warning', REASON_FAILED_RS_CREATE, msg);
        throw err;
      }
    }
    this.replace(state, created);
    if (!alreadyExisted && count > 0) {
      this.recorder.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${count}`,
      );
    }
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(
        d.status,
        newCondition(
          'Progressing',
          'True',
          REASON_NEW_RS_CREATED,
          `Created new replica set "${created.metadata.name}"`,
          now,
        ),
      );
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus(state);
    return created;
  }

  // --- scaling --------------------------------------------------------------------------------------

  /** Proportional scaling: a scale of the deployment spread over its active ReplicaSets. */
  private async scale(state: SyncState, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const { d } = state;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) === replicasOf(d)) return;
      await this.scaleAndRecord(state, activeOrLatest, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.scaleAndRecord(state, old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - sumReplicas(all);
    let direction = '';
    if (toAdd > 0) {
      all.sort(bySize(true));
      direction = 'up';
    } else if (toAdd < 0) {
      all.sort(bySize(false));
      direction = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportionOf(rs, d, toAdd, added);
        sizes.set(rs.metadata.uid ?? '', replicasOf(rs) + p);
        added += p;
      } else {
        sizes.set(rs.metadata.uid ?? '', replicasOf(rs));
      }
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i]!;
      const uid = rs.metadata.uid ?? '';
      // Leftovers go to the largest ReplicaSet.
      if (i === 0 && toAdd !== 0) sizes.set(uid, Math.max(0, sizes.get(uid)! + toAdd - added));
      await this.scaleReplicaSet(state, rs, sizes.get(uid)!, direction);
    }
  }

  private async scaleAndRecord(
    state: SyncState,
    rs: ReplicaSet,
    newScale: number,
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(state, rs, newScale, replicasOf(rs) < newScale ? 'up' : 'down');
  }

  private async scaleReplicaSet(
    state: SyncState,
    rs: ReplicaSet,
    newScale: number,
    direction: string,
  ): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const { d } = state;
    const sizeChanged = replicasOf(rs) !== newScale;
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const oldScale = replicasOf(rs);
    const copy = cloneJson(rs) as ReplicaSet;
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.ctx.client.update<ReplicaSet>(resources.replicasets, copy, {
      namespace: copy.metadata.namespace,
    });
    this.replace(state, updated);
    if (sizeChanged) {
      this.recorder.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`,
      );
    }
    return { scaled: sizeChanged, rs: updated };
  }

  /** Keeps revisionHistoryLimit old ReplicaSets (those scaled to zero and settled). */
  private async cleanup(state: SyncState, oldRSs: ReplicaSet[]): Promise<void> {
    const { d } = state;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - (d.spec.revisionHistoryLimit ?? 0);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if (
        (rs.status?.replicas ?? 0) !== 0 ||
        replicasOf(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) ||
        rs.metadata.deletionTimestamp
      ) {
        continue;
      }
      try {
        await this.ctx.client.delete(resources.replicasets, rs.metadata.name ?? '', {
          namespace: rs.metadata.namespace,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  // --- rollouts ---------------------------------------------------------------------------------------

  private async rolloutRolling(state: SyncState): Promise<void> {
    const { d } = state;
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, true);
    const rs = newRS!;
    const allRSs = [...oldRSs, rs];
    if (await this.reconcileNewReplicaSet(state, allRSs, rs)) {
      await this.syncRolloutStatus(state, this.current(state, allRSs), this.current(state, [rs])[0]);
      return;
    }
    if (await this.reconcileOldReplicaSets(state, allRSs, activeReplicaSets(oldRSs), rs)) {
      await this.syncRolloutStatus(state, this.current(state, allRSs), this.current(state, [rs])[0]);
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(state, this.current(state, oldRSs));
    await this.syncRolloutStatus(state, this.current(state, allRSs), this.current(state, [rs])[0]);
  }

  private async reconcileNewReplicaSet(
    state: SyncState,
    allRSs: ReplicaSet[],
    newRS: ReplicaSet,
  ): Promise<boolean> {
    const { d } = state;
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d))
      return (await this.scaleAndRecord(state, newRS, replicasOf(d))).scaled;
    const count = newRSNewReplicas(d, allRSs, newRS);
    return (await this.scaleAndRecord(state, newRS, count)).scaled;
  }

  private async reconcileOldReplicaSets(
    state: SyncState,
    allRSs: ReplicaSet[],
    oldRSs: ReplicaSet[],
    newRS: ReplicaSet,
  ): Promise<boolean> {
    const { d } = state;
    const oldCount = sumReplicas(oldRSs);
    if (oldCount === 0) return false;
    const allCount = sumReplicas(allRSs);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // Unhealthy old replicas first: removing them costs no availability.
    let cleaned = 0;
    let olds: ReplicaSet[];
    try {
      const r = await this.cleanupUnhealthyReplicas(state, oldRSs, maxScaledDown);
      olds = r.oldRSs;
      cleaned = r.scaledDown;
    } catch (err) {
      this.controller.logger.debug({ err }, 'cleaning up unhealthy replicas failed');
      return false;
    }
    let scaledDown = 0;
    try {
      scaledDown = await this.scaleDownOldForRollingUpdate(state, [...olds, newRS], olds);
    } catch (err) {
      this.controller.logger.debug({ err }, 'scaling down old replica sets failed');
      return false;
    }
    return cleaned + scaledDown > 0;
  }

  private async cleanupUnhealthyReplicas(
    state: SyncState,
    oldRSs: ReplicaSet[],
    maxCleanup: number,
  ): Promise<{ oldRSs: ReplicaSet[]; scaledDown: number }> {
    const sorted = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (total >= maxCleanup) break;
      const rs = sorted[i]!;
      const available = rs.status?.availableReplicas ?? 0;
      if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
      const count = Math.min(maxCleanup - total, replicasOf(rs) - available);
      const next = replicasOf(rs) - count;
      const { rs: updated } = await this.scaleAndRecord(state, rs, next);
      total += count;
      sorted[i] = updated;
    }
    return { oldRSs: sorted, scaledDown: total };
  }

  private async scaleDownOldForRollingUpdate(
    state: SyncState,
    allRSs: ReplicaSet[],
    oldRSs: ReplicaSet[],
  ): Promise<number> {
    const { d } = state;
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const available = availableReplicas(allRSs);
    if (available <= minAvailable) return 0;
    const sorted = [...oldRSs].sort(byCreation);
    const toScale = available - minAvailable;
    let total = 0;
    for (const rs of sorted) {
      if (total >= toScale) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), toScale - total);
      await this.scaleAndRecord(state, rs, replicasOf(rs) - count);
      total += count;
    }
    return total;
  }

  private async rolloutRecreate(state: SyncState): Promise<void> {
    const { d } = state;
    let { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, false);
    // Scale every old ReplicaSet down first.
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) {
      if ((await this.scaleAndRecord(state, rs, 0)).scaled) scaledDown = true;
    }
    if (scaledDown) {
      await this.syncRolloutStatus(
        state,
        this.current(state, [...oldRSs, newRS]),
        newRS && this.current(state, [newRS])[0],
      );
      return;
    }
    // Then wait for their pods to be gone.
    if (this.oldPodsRunning(newRS, this.current(state, oldRSs))) {
      await this.syncRolloutStatus(
        state,
        this.current(state, [...oldRSs, newRS]),
        newRS && this.current(state, [newRS])[0],
      );
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, true));
    await this.scaleAndRecord(state, newRS!, replicasOf(d));
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(state, this.current(state, oldRSs));
    await this.syncRolloutStatus(
      state,
      this.current(state, [...oldRSs, newRS]),
      this.current(state, [newRS!])[0],
    );
  }

  /** Whether pods of old ReplicaSets still run (or might: Unknown). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    let oldReplicas = 0;
    for (const rs of oldRSs) oldReplicas += rs.status?.replicas ?? 0;
    if (oldReplicas > 0) return true;
    for (const rs of oldRSs) {
      if (rs.metadata.uid === newRS?.metadata.uid) continue;
      for (const pod of this.pods.owned(rs.metadata.uid ?? '').values()) {
        const phase = pod.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  // --- rollback (the deprecated rollbackTo annotation) -----------------------------------------------

  private async rollback(state: SyncState): Promise<void> {
    const { d } = state;
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(state, true);
    const all = this.current(state, [...oldRSs, newRS]);
    let revision = rollbackTo(d) ?? 0;
    if (revision === 0) {
      revision = lastRevision(all);
      if (revision === 0) {
        this.recorder.event(
          d,
          'Warning',
          'DeploymentRollbackRevisionNotFound',
          'Unable to find last revision.',
        );
        await this.clearRollbackTo(d);
        return;
      }
    }
    for (const rs of all) {
      if (revisionOf(rs) !== revision) continue;
      let performed = false;
      if (!equalIgnoreHash(d.spec.template, rs.spec.template)) {
        const template = cloneJson(rs.spec.template ?? {});
        const labels = { ...template.metadata?.labels };
        delete labels[POD_TEMPLATE_HASH_LABEL];
        template.metadata = { ...template.metadata, labels };
        d.spec.template = template;
        setDeploymentAnnotationsTo(d, rs);
        performed = true;
      } else {
        this.recorder.event(
          d,
          'Warning',
          'DeploymentRollbackTemplateUnchanged',
          `The rollback revision contains the same template as current deployment "${d.metadata.name}"`,
        );
      }
      await this.clearRollbackTo(d);
      if (performed) {
        this.recorder.event(
          d,
          'Normal',
          'DeploymentRollback',
          `Rolled back deployment "${d.metadata.name}" to revision ${revision}`,
        );
      }
      return;
    }
    this.recorder.event(
      d,
      'Warning',
      'DeploymentRollbackRevisionNotFound',
      'Unable to find the revision to rollback to.',
    );
    await this.clearRollbackTo(d);
  }

  private async clearRollbackTo(d: Deployment): Promise<void> {
    if (d.metadata.annotations) delete d.metadata.annotations[ROLLBACK_TO_ANNOTATION];
    const { status: _status, ...rest } = d;
    await this.ctx.client.update(resources.deployments, rest as Deployment, {
      namespace: d.metadata.namespace,
    });
  }

  // --- status -----------------------------------------------------------------------------------------

  private async syncDeploymentStatus(
    state: SyncState,
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    const { d } = state;
    const status = calculateStatus(allRSs, newRS, d, this.ctx.now());
    if (statusEqual(d.status, status)) return;
    d.status = status;
    await this.writeStatus(state);
  }

  /** syncRolloutStatus: status, and the Progressing condition with its deadline. */
  private async syncRolloutStatus(
    state: SyncState,
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    const { d } = state;
    const now = this.ctx.now();
    const status = calculateStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === REASON_NEW_RS_AVAILABLE;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        const msg = newRS
          ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`
          : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(status, newCondition('Progressing', 'True', REASON_NEW_RS_AVAILABLE, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = newRS
          ? `ReplicaSet "${newRS.metadata.name}" is progressing.`
          : `Deployment "${d.metadata.name}" is progressing.`;
        const cond = newCondition('Progressing', 'True', REASON_RS_UPDATED, msg, now);
        // Progress refreshes lastUpdateTime even when the reason stays the same.
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, cond);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = newRS
          ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASON_TIMED_OUT, msg, now));
      }
    }
    // A ReplicaSet's failure to create or delete pods shows on the deployment.
    const failure = replicaFailure(allRSs, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');

    if (statusEqual(d.status, status)) {
      this.requeueStuck(state, status);
      return;
    }
    d.status = status;
    await this.writeStatus(state);
  }

  /** Comes back when the progress deadline would pass, to report it timed out. */
  private requeueStuck(state: SyncState, status: ReturnType<typeof calculateStatus>): void {
    const { d } = state;
    const current = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === REASON_TIMED_OUT) return;
    const updated = Date.parse(current.lastUpdateTime ?? '');
    if (Number.isNaN(updated)) return;
    const after = updated + (d.spec.progressDeadlineSeconds ?? 0) * 1000 - this.ctx.now().getTime();
    state.requeueAfter = after < 1000 ? 1000 : after + 1000;
  }
}

function rollbackTo(d: Deployment): number | undefined {
  const v = d.metadata.annotations?.[ROLLBACK_TO_ANNOTATION];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

function setDeploymentRevision(d: Deployment, revision: string): boolean {
  d.metadata.annotations ??= {};
  const annotations = d.metadata.annotations;
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}

/** The ReplicaFailure condition of the new ReplicaSet, else of an old one, as a deployment condition. */
function replicaFailure(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined) {
  const ordered = newRS ? [newRS, ...allRSs.filter((rs) => rs?.metadata.uid !== newRS.metadata.uid)] : allRSs;
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) {
      return {
        type: 'ReplicaFailure',
        status: c.status,
        lastTransitionTime: c.lastTransitionTime,
        lastUpdateTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    }
  }
  return undefined;
}

export function startDeploymentController(
  ctx: ControllerContext,
  opts: DeploymentControllerOptions = {},
): RunningController {
  return new DeploymentController(ctx, opts).start();
}
