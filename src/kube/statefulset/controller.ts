// The StatefulSet controller, as Kubernetes' (pkg/controller/statefulset): pods with stable
// names <set>-<ordinal> (from spec.ordinals.start), created in order with OrderedReady (one at a
// time, each waiting for its predecessors to be Running and Ready) and removed in reverse order,
// or all at once with Parallel; a PersistentVolumeClaim per volumeClaimTemplate, kept or deleted
// per persistentVolumeClaimRetentionPolicy (through owner references the garbage collector
// follows); ControllerRevisions of the template, pods labelled controller-revision-hash with
// their revision; RollingUpdate from the highest ordinal down to the partition, or OnDelete;
// status replicas/readyReplicas/currentReplicas/updatedReplicas/availableReplicas,
// currentRevision/updateRevision, observedGeneration, collisionCount.

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
import { wireStatus } from '../../machinery/object.js';
import { errorMessage, isAlreadyExists, isConflict, isNotFound } from '../../machinery/status.js';
import {
  type ControllerHistory,
  equalRevision,
  findEqualRevisions,
  newControllerRevision,
  nextRevision,
  sortControllerRevisions,
  templateOfRevision,
  templatePatch,
} from '../history/history.js';
import { revisionedWorkload } from '../history/revisioned.js';
import { isPodAvailable, isPodReady, msUntilAvailable } from '../workloads/pods.js';
import type { ControllerRevision, PersistentVolumeClaim, Pod } from '../workloads/types.js';
import {
  claimIsStale,
  claimOwnersFor,
  claimOwnersUpToDate,
  claimsFor,
  identityMatches,
  inOrdinalRange,
  isMemberOf,
  newStatefulSetPod,
  ordinalOf,
  podRevision,
  replicasOf,
  type StatefulSet,
  type StatefulSetStatus,
  startOrdinal,
  storageMatches,
  updateIdentity,
  updateStorage,
} from './identity.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';

export interface StatefulSetControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-statefulset-syncs, default 5). */
  workers?: number;
  recorder?: EventRecorder;
}

const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);
const isCreated = (pod: Pod) => Boolean(pod.status?.phase);
const isTerminating = (pod: Pod) => Boolean(pod.metadata.deletionTimestamp);
const isHealthy = (pod: Pod) => isRunningAndReady(pod) && !isTerminating(pod);

const STATEFULSET_KIND: OwnerKind = { group: 'apps', kind: 'StatefulSet' };

export class StatefulSetController {
  readonly controller: Controller;
  private readonly setInformer: Informer<StatefulSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly pvcInformer: Informer<PersistentVolumeClaim>;
  private readonly revisionInformer: Informer<ControllerRevision>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly history: ControllerHistory;
  private readonly releaseIndexes: (() => void)[];
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    opts: StatefulSetControllerOptions = {},
  ) {
    this.recorder = eventRecorder(ctx, STATEFULSET_CONTROLLER, opts.recorder);
    const w = revisionedWorkload<StatefulSet>(ctx, resources.statefulsets);
    this.setInformer = w.owners;
    this.podInformer = w.podInformer;
    this.revisionInformer = w.revisionInformer;
    this.pods = w.pods;
    this.history = w.history;
    this.releaseIndexes = w.release;
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
      this.setInformer.addEventHandler({
        onAdd: enqueue,
        onUpdate: (_o, s) => enqueue(s),
        onDelete: enqueue,
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.podChanged(undefined, pod),
        onUpdate: (old, pod) => this.podChanged(old, pod),
        onDelete: (pod) => this.podChanged(undefined, pod),
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.setInformer, this.podInformer, this.pvcInformer, this.revisionInformer],
      unregister: [...unregister, ...this.releaseIndexes],
      recorder: this.recorder,
    });
  }

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.setInformer, STATEFULSET_KIND, namespace, ref);
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
    for (const set of selectingOwners(this.setInformer, pod)) this.controller.enqueue(objectKey(set));
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.setInformer.getByKey(key);
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
    const { current, update, collisionCount } = await this.revisionsFor(set, revisions);
    let status: StatefulSetStatus | undefined;
    let syncError: unknown;
    try {
      status = await this.syncPods(set, current, update, collisionCount, pods);
    } catch (err) {
      if (err instanceof SyncFailure) {
        status = err.status;
        syncError = err.cause;
      } else {
        throw err;
      }
    }
    if (status) await this.writeStatus(set, status);
    await this.truncateHistory(set, pods, revisions, current, update);
    if (syncError !== undefined) throw syncError;
    return status;
  }

  private async revisionsFor(
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
      update = await this.history.updateRevision(equal[equal.length - 1]!, candidate.revision);
    } else {
      const created = await this.history.create(set, candidate, collisionCount);
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** updateStatefulSet: the pods toward the spec, one step at a time when ordered. */
  private async syncPods(
    set: StatefulSet,
    currentRevision: ControllerRevision,
    updateRevision: ControllerRevision,
    collisionCount: number,
    pods: Pod[],
  ): Promise<StatefulSetStatus> {
    const currentTemplate = templateOfRevision(currentRevision);
    const updateTemplate = templateOfRevision(updateRevision);
    const currentName = currentRevision.metadata.name ?? '';
    const updateName = updateRevision.metadata.name ?? '';
    const now = this.ctx.now();
    const minReady = set.spec.minReadySeconds ?? 0;
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation ?? 0,
      replicas: 0,
      readyReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount,
    };
    const count = (pod: Pod, delta: number) => {
      if (podRevision(pod) === currentName) status.currentReplicas! += delta;
      if (podRevision(pod) === updateName) status.updatedReplicas! += delta;
    };
    const start = startOrdinal(set);
    const replicaCount = replicasOf(set);
    const replicas: (Pod | undefined)[] = new Array(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      status.replicas!++;
      if (isRunningAndReady(pod)) {
        status.readyReplicas!++;
        if (isPodAvailable(pod, minReady, now)) status.availableReplicas!++;
      }
      if (isCreated(pod) && !isTerminating(pod)) count(pod, 1);
      const ordinal = ordinalOf(pod);
      if (inOrdinalRange(pod, set)) replicas[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    // Missing ordinals get a pod of the revision their position calls for.
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const newPod = (ordinal: number): Pod => {
      const useCurrent =
        (rolling &&
          !set.spec.updateStrategy?.rollingUpdate &&
          ordinal < start + (set.status?.currentReplicas ?? 0)) ||
        (set.spec.updateStrategy?.rollingUpdate !== undefined && ordinal < start + partition);
      return useCurrent
        ? newStatefulSetPod(set, currentTemplate, ordinal, currentName)
        : newStatefulSetPod(set, updateTemplate, ordinal, updateName);
    };
    for (let i = 0; i < replicaCount; i++) replicas[i] ??= newPod(start + i);
    condemned.sort((a, b) => ordinalOf(a) - ordinalOf(b));

    let firstUnhealthy: Pod | undefined;
    for (const p of [...(replicas as Pod[]), ...condemned]) {
      if (!isHealthy(p)) {
        firstUnhealthy = p;
        break;
      }
    }
    if (set.metadata.deletionTimestamp) return status;
    const monotonic = (set.spec.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
    const fail = (err: unknown): never => {
      throw new SyncFailure(status, err);
    };

    for (let i = 0; i < replicaCount; i++) {
      let pod = replicas[i]!;
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') {
        const reason = phase === 'Failed' ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod';
        const what = phase === 'Failed' ? 'failed' : 'terminated';
        this.recorder.event(
          set,
          'Warning',
          reason,
          `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating ${what} Pod ${pod.metadata.name}`,
        );
        try {
          await this.deletePod(set, pod);
        } catch (err) {
          fail(err);
        }
        count(pod, -1);
        status.replicas!--;
        pod = newPod(start + i);
        replicas[i] = pod;
      }
      if (!isCreated(pod)) {
        if (retentionOf(set).whenScaled === 'Delete' && this.hasStaleClaim(set, pod)) return status;
        try {
          await this.createPod(set, pod);
        } catch (err) {
          fail(err);
        }
        status.replicas!++;
        count(pod, 1);
        if (monotonic) return status;
        continue;
      }
      if (pod.status?.phase === 'Pending') {
        try {
          await this.createMissingClaims(set, pod);
        } catch (err) {
          fail(err);
        }
      }
      if (isTerminating(pod) && monotonic) return status;
      if (!isRunningAndReady(pod) && monotonic) return status;
      if (!isPodAvailable(pod, minReady, now) && monotonic) return status;
      const claimsOk = this.claimsMatchRetention(set, pod);
      if (identityMatches(set, pod) && storageMatches(set, pod) && claimsOk) continue;
      try {
        await this.updatePod(set, pod);
      } catch (err) {
        fail(err);
      }
    }

    // Claims of pods about to go get the owners the retention policy wants.
    for (const pod of condemned) {
      if (!this.claimsMatchRetention(set, pod)) {
        try {
          await this.updateClaimOwners(set, pod);
        } catch (err) {
          fail(err);
        }
      }
    }

    // Scale down from the highest ordinal.
    for (let t = condemned.length - 1; t >= 0; t--) {
      const pod = condemned[t]!;
      if (isTerminating(pod)) {
        if (monotonic) return status;
        continue;
      }
      if (!isRunningAndReady(pod) && monotonic && pod !== firstUnhealthy) return status;
      if (!isPodAvailable(pod, minReady, now) && monotonic && pod !== firstUnhealthy) return status;
      try {
        await this.deletePod(set, pod);
      } catch (err) {
        fail(err);
      }
      count(pod, -1);
      if (monotonic) return status;
    }

    if (set.spec.updateStrategy?.type === 'OnDelete') return status;

    // Rolling update: the highest ordinal not yet at the update revision goes first, one at a time.
    for (let t = replicaCount - 1; t >= partition; t--) {
      const pod = replicas[t]!;
      if (podRevision(pod) !== updateName && !isTerminating(pod)) {
        try {
          await this.deletePod(set, pod);
        } catch (err) {
          if (!isNotFound(err)) fail(err);
        }
        status.currentReplicas!--;
        return status;
      }
      if (!isHealthy(pod)) return status;
    }
    return status;
  }

  // --- pods and claims -------------------------------------------------------------------------------

  private claimOf(claim: PersistentVolumeClaim): PersistentVolumeClaim | undefined {
    return this.pvcInformer.get(claim.metadata.name ?? '', claim.metadata.namespace);
  }

  private hasStaleClaim(set: StatefulSet, pod: Pod): boolean {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claimOf(claim);
      if (existing && claimIsStale(existing, pod)) return true;
    }
    return false;
  }

  private claimsMatchRetention(set: StatefulSet, pod: Pod): boolean {
    if (!pod.metadata.uid) return true;
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claimOf(claim);
      if (existing && !claimOwnersUpToDate(existing, set, pod)) return false;
    }
    return true;
  }

  private async updateClaimOwners(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claimOf(claim);
      if (!existing || claimOwnersUpToDate(existing, set, pod)) continue;
      const next = {
        ...existing,
        metadata: { ...existing.metadata, ownerReferences: claimOwnersFor(existing, set, pod) },
      };
      if (next.metadata.ownerReferences.length === 0)
        delete (next.metadata as { ownerReferences?: unknown }).ownerReferences;
      try {
        await this.ctx.client.update(resources.persistentvolumeclaims, next, {
          namespace: existing.metadata.namespace,
        });
      } catch (err) {
        this.recordClaim('update', set, pod, existing, err);
        throw err;
      }
    }
  }

  /** The pod's claims, created when missing (a claim being deleted is an error: wait for it). */
  private async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claimOf(claim);
      if (existing) {
        if (existing.metadata.deletionTimestamp) {
          throw new Error(`pvc ${existing.metadata.name} is being deleted`);
        }
        continue;
      }
      try {
        await this.ctx.client.create(resources.persistentvolumeclaims, claim, {
          namespace: claim.metadata.namespace,
        });
        this.recordClaim('create', set, pod, claim);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.recordClaim('create', set, pod, claim, err);
        throw new Error(`failed to create PVC ${claim.metadata.name}: ${errorMessage(err)}`);
      }
    }
  }

  private async createPod(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createMissingClaims(set, pod);
    let created: Pod;
    try {
      created = await this.ctx.client.create<Pod>(resources.pods, pod, { namespace: set.metadata.namespace });
    } catch (err) {
      if (isAlreadyExists(err)) throw err;
      this.recordPod('create', set, pod, err);
      throw err;
    }
    this.recordPod('create', set, pod);
    await this.updateClaimOwners(set, created);
  }

  /** Restores identity and storage (and claim owners) of an existing pod. */
  private async updatePod(set: StatefulSet, pod: Pod): Promise<void> {
    let current = pod;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(current) as Pod;
      let changed = false;
      const ordinal = ordinalOf(next);
      if (!identityMatches(set, next)) {
        updateIdentity(set, next, ordinal);
        changed = true;
      }
      if (!storageMatches(set, next)) {
        updateStorage(set, next, ordinal);
        changed = true;
        await this.createMissingClaims(set, next);
      }
      if (!this.claimsMatchRetention(set, next)) await this.updateClaimOwners(set, next);
      if (!changed) return;
      try {
        await this.ctx.client.update(resources.pods, next, { namespace: next.metadata.namespace });
        this.recordPod('update', set, next);
        return;
      } catch (err) {
        if (isConflict(err) && attempt < 3) {
          current = await this.ctx.client.get<Pod>(resources.pods, pod.metadata.name ?? '', {
            namespace: pod.metadata.namespace,
          });
          continue;
        }
        this.recordPod('update', set, next, err);
        throw err;
      }
    }
  }

  private async deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace,
      });
    } catch (err) {
      this.recordPod('delete', set, pod, err);
      throw err;
    }
    this.recordPod('delete', set, pod);
  }

  private recordPod(verb: 'create' | 'update' | 'delete', set: StatefulSet, pod: Pod, err?: unknown): void {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    if (err === undefined) {
      this.recorder.event(
        set,
        'Normal',
        `Successful${Verb}`,
        `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
    } else {
      this.recorder.event(
        set,
        'Warning',
        `Failed${Verb}`,
        `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
      );
    }
  }

  private recordClaim(
    verb: 'create' | 'update',
    set: StatefulSet,
    pod: Pod,
    claim: PersistentVolumeClaim,
    err?: unknown,
  ): void {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    if (err === undefined) {
      this.recorder.event(
        set,
        'Normal',
        `Successful${Verb}`,
        `${verb} Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
      );
    } else {
      this.recorder.event(
        set,
        'Warning',
        `Failed${Verb}`,
        `${verb} Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
      );
    }
  }

  // --- status and history ----------------------------------------------------------------------------

  private async writeStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    // A finished rolling update makes the update revision current.
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const old = set.status ?? {};
    const keys: (keyof StatefulSetStatus)[] = [
      'observedGeneration',
      'replicas',
      'readyReplicas',
      'currentReplicas',
      'updatedReplicas',
      'availableReplicas',
      'currentRevision',
      'updateRevision',
      'collisionCount',
    ];
    if (keys.every((k) => (old[k] ?? 0) === (status[k] ?? 0))) return;
    const wire = wireStatus(
      { ...status, conditions: old.conditions },
      { always: ['replicas', 'availableReplicas'], whenSet: ['collisionCount'] },
    );
    const written = await this.ctx.client
      .update<StatefulSet>(
        resources.statefulsets,
        { ...set, status: wire },
        { namespace: set.metadata.namespace, subresource: 'status' },
      )
      .catch(async (err) => {
        if (!isConflict(err)) throw err;
        const fresh = await this.ctx.client.get<StatefulSet>(
          resources.statefulsets,
          set.metadata.name ?? '',
          {
            namespace: set.metadata.namespace,
          },
        );
        return this.ctx.client.update<StatefulSet>(
          resources.statefulsets,
          { ...fresh, status: wire },
          { namespace: set.metadata.namespace, subresource: 'status' },
        );
      });
    set.metadata.resourceVersion = written.metadata.resourceVersion;
  }

  /** Keeps revisionHistoryLimit revisions besides the live ones (current, update, pods'). */
  private async truncateHistory(
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
    for (const r of history.slice(0, history.length - limit)) await this.history.delete(r);
  }
}

/** A sync step failed after some work: the status so far still gets written. */
class SyncFailure extends Error {
  constructor(
    readonly status: StatefulSetStatus,
    override readonly cause: unknown,
  ) {
    super(errorMessage(cause));
  }
}

function retentionOf(set: StatefulSet) {
  const p = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

export function startStatefulSetController(
  ctx: ControllerContext,
  opts: StatefulSetControllerOptions = {},
): RunningController {
  return new StatefulSetController(ctx, opts).start();
}
