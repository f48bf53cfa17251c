// The ReplicaSet controller, as Kubernetes' (pkg/controller/replicaset): it keeps
// spec.replicas pods made from the template, owned by the ReplicaSet (controller reference,
// blockOwnerDeletion), named "<rs>-<random>". It adopts orphan pods its selector matches and
// releases pods that no longer match. Creations go in slow-start batches (1, 2, 4 ...), at most
// burstReplicas (500) per sync; the controller then waits until its informer has seen them
// (expectations) before acting again. Deletions pick pods by Kubernetes' ranking: unscheduled,
// then pending, not ready, doubled up on a node, ready for less time, newer. Status reports
// replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (ready for minReadySeconds)
// and observedGeneration, and a ReplicaFailure condition while creates or deletes fail.

import { objectKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller } from '../../controller/controller.js';
import { claimObjects, controllerRefOf, newControllerRef } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { ControllerExpectations } from '../../controller/expectations.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../../controller/slow-start.js';
import { updateStatus } from '../../controller/status.js';
import { findCondition, withoutCondition } from '../../machinery/conditions.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import type { Condition } from '../../machinery/object.js';
import { wireStatus } from '../../machinery/object.js';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  podFromTemplate,
  podsToDelete,
} from '../workloads/pods.js';
import type { Pod, ReplicaSet, ReplicaSetStatus } from '../workloads/types.js';

export const REPLICASET_CONTROLLER = 'replicaset-controller';
/** Most pods created or deleted in one sync, as kube-controller-manager's BurstReplicas. */
export const BURST_REPLICAS = 500;
/**
 * A sync for a pod change that only moves status comes at once when the ReplicaSet has not been
 * synced for a while, else it waits until MIN_STATUS_SPACING_MS (or STATUS_SYNC_SPACING times
 * the last sync's duration, at most MAX_STATUS_DELAY_MS) after the previous sync. A ReplicaSet
 * of 10,000 pods whose pods change one by one is then recounted (and its status written) in
 * batches rather than once per pod change; kube-controller-manager gets the same effect from
 * its client's write rate limit.
 */
const MIN_STATUS_SPACING_MS = 50;
const STATUS_SYNC_SPACING = 4;
/** Plus this much per pod: a recount of 10,000 pods waits the full MAX_STATUS_DELAY_MS. */
const STATUS_SPACING_PER_POD_MS = 0.05;
const MAX_STATUS_DELAY_MS = 500;

export interface ReplicaSetControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-replicaset-syncs, default 5). */
  workers?: number;
  burstReplicas?: number;
  /** Events are recorded here (default: a recorder of this cluster as "replicaset-controller"). */
  recorder?: EventRecorder;
}

const REPLICASET_KIND: OwnerKind = { group: 'apps', kind: 'ReplicaSet' };

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}

export class ReplicaSetController {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly rsInformer: Informer<ReplicaSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly releasePods: () => void;
  private readonly recorder: EventRecorder;
  /** Per pod object: whether it is selected by, and fully labelled for, its ReplicaSet (uid, generation). */
  private readonly podLabels = new WeakMap<
    Pod,
    { uid: string; generation: number; selected: boolean; full: boolean }
  >();
  private readonly burstReplicas: number;
  /** When each ReplicaSet's last status-only sync ended and what it cost (ms, performance.now()). */
  private readonly lastSync = new Map<string, { end: number; cost: number; pods: number }>();
  /** ReplicaSets being synced right now. */
  private readonly syncing = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.burstReplicas = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new ControllerExpectations(ctx.now);
    this.recorder = eventRecorder(ctx, REPLICASET_CONTROLLER, opts.recorder);
    this.rsInformer = ctx.informers.informerFor<ReplicaSet>(resources.replicasets);
    this.podInformer = ctx.informers.informerFor<Pod>(resources.pods);
    // Registered before this controller's own handlers, so they see the index up to date.
    const { index, release } = acquireOwnerIndex(this.podInformer);
    this.pods = index;
    this.releasePods = release;
    this.controller = reconcileLoop(ctx, {
      name: 'replicaset',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
  }

  start(): RunningController {
    const unregister = [
      this.rsInformer.addEventHandler({
        onAdd: (rs) => this.controller.enqueue(objectKey(rs)),
        onUpdate: (old, cur) => {
          if (old.metadata.uid !== cur.metadata.uid) this.expectations.delete(objectKey(old));
          // A change of status alone is mostly this controller's own write coming back: it only
          // needs the spaced recount, not an immediate sync (which would write status again).
          if (onlyStatusChanged(old, cur)) this.enqueueForPod(objectKey(cur));
          else this.controller.enqueue(objectKey(cur));
        },
        onDelete: (rs) => {
          const key = objectKey(rs);
          this.expectations.delete(key);
          this.lastSync.delete(key);
          this.controller.enqueue(key);
        },
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.addPod(pod),
        onUpdate: (old, cur) => this.updatePod(old, cur),
        onDelete: (pod) => this.deletePod(pod),
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.rsInformer, this.podInformer],
      unregister: [...unregister, this.releasePods],
      recorder: this.recorder,
    });
  }

  // --- informer events ---------------------------------------------------------------------------

  /**
   * Enqueues a ReplicaSet for a pod change. A change that satisfies its expectations (the last
   * expected create or delete seen) is acted on at once; other changes only move status, and
   * wait for the spacing after the previous sync (see STATUS_SYNC_SPACING).
   */
  private enqueueForPod(key: string, fulfilled = false): void {
    const last = this.lastSync.get(key);
    if (fulfilled || !last) {
      this.controller.enqueue(key);
      return;
    }
    const spacing = Math.min(
      MAX_STATUS_DELAY_MS,
      Math.max(MIN_STATUS_SPACING_MS, last.cost * STATUS_SYNC_SPACING, last.pods * STATUS_SPACING_PER_POD_MS),
    );
    // While a sync runs, the spacing counts from (about) its end.
    const from = this.syncing.has(key) ? performance.now() : last.end;
    const wait = from + spacing - performance.now();
    if (wait <= 0) this.controller.enqueue(key);
    else this.controller.enqueueAfter(key, wait);
  }

  /** The ReplicaSet a controller reference names, if it is the one in the cache (same uid). */
  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.rsInformer, REPLICASET_KIND, namespace, ref);
  }

  private addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      // Seen for the first time already going away (e.g. after a restart): not a creation.
      this.deletePod(pod);
      return;
    }
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = objectKey(rs);
      this.enqueueForPod(key, this.expectations.creationObserved(key));
      return;
    }
    for (const rs of selectingOwners(this.rsInformer, pod)) this.controller.enqueue(objectKey(rs));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = !labelsEqual(old.metadata.labels, cur.metadata.labels);
    if (cur.metadata.deletionTimestamp) {
      // Graceful deletion started: replace the pod now rather than when the kubelet is done.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerRefOf(cur);
    const oldRef = controllerRefOf(old);
    const refChanged = curRef?.uid !== oldRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata.namespace, oldRef);
      if (rs) this.controller.enqueue(objectKey(rs));
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata.namespace, curRef);
      if (!rs) return;
      const key = objectKey(rs);
      this.enqueueForPod(key);
      const minReady = rs.spec.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) {
        this.controller.enqueueAfter(key, minReady * 1000 + 1000);
      }
      return;
    }
    if (labelsChanged || refChanged) {
      for (const rs of selectingOwners(this.rsInformer, cur)) this.controller.enqueue(objectKey(rs));
    }
  }

  private deletePod(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref) return;
    const rs = this.resolve(pod.metadata.namespace, ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.enqueueForPod(key, this.expectations.deletionObserved(key, objectKey(pod)));
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<{ requeueAfter?: number } | undefined> {
    const started = performance.now();
    let managed = false;
    const pods = this.pods.owned(this.rsInformer.getByKey(key)?.metadata.uid ?? '').size;
    this.syncing.add(key);
    try {
      return await this.syncOnce(key, () => {
        managed = true;
      });
    } finally {
      this.syncing.delete(key);
      const end = performance.now();
      // Syncs that create or delete pods take as long as the API calls; they say nothing about
      // what recounting costs.
      const cost = managed ? (this.lastSync.get(key)?.cost ?? 0) : end - started;
      if (this.rsInformer.getByKey(key)) this.lastSync.set(key, { end, cost, pods });
      else this.lastSync.delete(key);
    }
  }

  private async syncOnce(key: string, onManage: () => void): Promise<{ requeueAfter?: number } | undefined> {
    const cached = this.rsInformer.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      return undefined;
    }
    const rs = cached;
    const needsSync = this.expectations.satisfied(key);
    let selector: Selector;
    try {
      selector = fromLabelSelector(rs.spec.selector);
    } catch (err) {
      this.controller.logger.warn({ err, key }, 'invalid selector');
      return undefined;
    }
    const pods = await this.claimPods(rs, selector);

    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        if (await this.manageReplicas(key, rs, pods)) onManage();
      } catch (err) {
        onManage();
        manageError = err;
      }
    }
    const now = this.ctx.now();
    const fullyLabeled = (p: Pod) => this.labelFacts(rs, selector, p).full;
    const status = calculateStatus(rs, pods, manageError, now, fullyLabeled);
    const updated = await this.writeStatus(rs, status, pods, manageError);
    if (manageError !== undefined) throw manageError;
    // A last line of defence for minReadySeconds: check availability again when due.
    const minReady = updated.spec.minReadySeconds ?? 0;
    const want = updated.spec.replicas ?? 1;
    if (
      minReady > 0 &&
      updated.status?.readyReplicas === want &&
      (updated.status?.availableReplicas ?? 0) !== want
    ) {
      let soonest: number | undefined;
      for (const p of pods) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && ms > 0) soonest = soonest === undefined ? ms : Math.min(soonest, ms);
      }
      return { requeueAfter: soonest ?? minReady * 1000 };
    }
    return undefined;
  }

  /** Whether a pod is selected by (and fully labelled for) the ReplicaSet that owns it. */
  private labelFacts(rs: ReplicaSet, selector: Selector, pod: Pod): { selected: boolean; full: boolean } {
    const uid = rs.metadata.uid ?? '';
    const generation = rs.metadata.generation ?? 0;
    const memo = this.podLabels.get(pod);
    if (memo && memo.uid === uid && memo.generation === generation) return memo;
    const labels = pod.metadata.labels ?? {};
    const template = rs.spec.template?.metadata?.labels ?? {};
    const facts = {
      uid,
      generation,
      selected: selector.matches(labels),
      full: Object.keys(template).every((k) => labels[k] === template[k]),
    };
    this.podLabels.set(pod, facts);
    return facts;
  }

  /** Active pods of this ReplicaSet, after adopting matching orphans and releasing strays. */
  private async claimPods(rs: ReplicaSet, selector: Selector): Promise<Pod[]> {
    const owned = this.pods.owned(rs.metadata.uid ?? '');
    const orphans = this.pods.orphansIn(rs.metadata.namespace ?? '');
    const candidates: Pod[] = [];
    let allSelected = true;
    for (const p of owned.values()) {
      if (!isPodActive(p)) continue;
      candidates.push(p);
      if (allSelected && !this.labelFacts(rs, selector, p).selected) allSelected = false;
    }
    // The common case: every candidate is ours and selected, no orphan to consider.
    if (allSelected && orphans.size === 0) return candidates;
    for (const p of orphans.values()) if (isPodActive(p)) candidates.push(p);
    return claimObjects(
      { client: this.ctx.client, ref: resources.pods, owner: rs, ownerRef: resources.replicasets, selector },
      candidates,
    );
  }

  /** Creates or deletes pods toward spec.replicas; true when it did (or tried). */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<boolean> {
    const want = rs.spec.replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      const count = Math.min(-diff, this.burstReplicas);
      this.expectations.expectCreations(key, count);
      this.controller.logger.debug({ key, need: want, creating: count }, 'too few replicas');
      const template = rs.spec.template ?? {};
      const controllerRef = newControllerRef(rs);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        try {
          await this.createPod(rs, template, controllerRef);
        } catch (err) {
          // Creates in a terminating namespace all fail; nothing to retry.
          if (isNamespaceTerminating(err)) return;
          throw err;
        }
      });
      // Creates never attempted (or refused) will not be observed.
      const skipped = count - successes;
      if (skipped > 0) this.expectations.lowerCreations(key, skipped);
      if (error !== undefined) throw error;
      return true;
    }
    if (diff > 0) {
      const count = Math.min(diff, this.burstReplicas);
      this.controller.logger.debug({ key, need: want, deleting: count }, 'too many replicas');
      const victims = podsToDelete(pods, this.relatedPods(rs), count, this.ctx.now());
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const errs: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.deletePodOf(rs, pod);
          } catch (err) {
            this.expectations.deletionObserved(key, objectKey(pod));
            if (!isNotFound(err)) errs.push(err);
          }
        }),
      );
      if (errs.length > 0) throw errs[0];
      return true;
    }
    return false;
  }

  /** Pods of every ReplicaSet with the same controlling owner (a Deployment's other ReplicaSets). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerRefOf(rs);
    if (!owner) return [...this.pods.owned(rs.metadata.uid ?? '').values()];
    const out: Pod[] = [];
    for (const other of this.rsInformer.list({ namespace: rs.metadata.namespace ?? '' })) {
      if (controllerRefOf(other)?.uid !== owner.uid) continue;
      for (const p of this.pods.owned(other.metadata.uid ?? '').values()) out.push(p);
    }
    return out;
  }

  private async createPod(
    rs: ReplicaSet,
    template: ReplicaSet['spec']['template'],
    ref: ReturnType<typeof newControllerRef>,
  ) {
    const pod = podFromTemplate(template ?? {}, rs, ref);
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    try {
      const created = await this.ctx.client.create<Pod>(resources.pods, pod, {
        namespace: rs.metadata.namespace,
      });
      this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      if (!isNamespaceTerminating(err)) {
        this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      }
      throw err;
    }
  }

  private async deletePodOf(rs: ReplicaSet, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace,
      });
      this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      if (!isNotFound(err)) {
        this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
      }
      throw err;
    }
  }

  private async writeStatus(
    rs: ReplicaSet,
    status: ReplicaSetStatus,
    pods: Pod[],
    manageError: unknown,
  ): Promise<ReplicaSet> {
    const generation = rs.metadata.generation ?? 0;
    if (statusUnchanged(rs.status, status) && (rs.status?.observedGeneration ?? 0) === generation) return rs;
    const next = wireStatus({ ...status, observedGeneration: generation }, RS_WIRE);
    return updateStatus(this.ctx.client, resources.replicasets, rs, next, (fresh) =>
      wireStatus(
        { ...calculateStatus(fresh, pods, manageError, this.ctx.now()), observedGeneration: generation },
        RS_WIRE,
      ),
    );
  }
}

/** replicas is written even when 0; the other counts are omitempty. */
const RS_WIRE = { always: ['replicas'] } as const;

/** Same spec (generation), labels, annotations, owners and deletion state: only status moved. */
function onlyStatusChanged(old: ReplicaSet, cur: ReplicaSet): boolean {
  const a = old.metadata;
  const b = cur.metadata;
  return (
    a.uid === b.uid &&
    a.generation === b.generation &&
    a.deletionTimestamp === b.deletionTimestamp &&
    labelsEqual(a.labels, b.labels) &&
    labelsEqual(a.annotations, b.annotations) &&
    JSON.stringify(a.ownerReferences ?? []) === JSON.stringify(b.ownerReferences ?? [])
  );
}

function statusUnchanged(old: ReplicaSetStatus | undefined, s: ReplicaSetStatus): boolean {
  const o = old ?? {};
  return (
    (o.replicas ?? 0) === (s.replicas ?? 0) &&
    (o.fullyLabeledReplicas ?? 0) === (s.fullyLabeledReplicas ?? 0) &&
    (o.readyReplicas ?? 0) === (s.readyReplicas ?? 0) &&
    (o.availableReplicas ?? 0) === (s.availableReplicas ?? 0) &&
    JSON.stringify(o.conditions ?? []) === JSON.stringify(s.conditions ?? [])
  );
}

/** The status a ReplicaSet should report for its active pods (calculateStatus). */
export function calculateStatus(
  rs: ReplicaSet,
  pods: readonly Pod[],
  manageError: unknown,
  now: Date,
  fullyLabeled?: (pod: Pod) => boolean,
): ReplicaSetStatus {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const templateKeys = Object.keys(templateLabels);
  const isFullyLabeled =
    fullyLabeled ??
    ((pod: Pod) => {
      const labels = pod.metadata.labels ?? {};
      return templateKeys.every((k) => labels[k] === templateLabels[k]);
    });
  const minReady = rs.spec.minReadySeconds ?? 0;
  let labeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (isFullyLabeled(pod)) labeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions: Condition[] = [...(rs.status?.conditions ?? [])];
  const failure = findCondition(conditions, 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: metaTime(now),
      reason,
      message: errorMessage(manageError),
    });
  } else if (manageError === undefined && failure) {
    conditions = withoutCondition(conditions, 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: labeled,
    readyReplicas: ready,
    availableReplicas: available,
  };
  if (rs.status?.observedGeneration !== undefined) status.observedGeneration = rs.status.observedGeneration;
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

export function startReplicaSetController(
  ctx: ControllerContext,
  opts: ReplicaSetControllerOptions = {},
): RunningController {
  return new ReplicaSetController(ctx, opts).start();
}
