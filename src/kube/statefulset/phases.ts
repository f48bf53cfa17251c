// The StatefulSet's pod phases: pods <set>-<ordinal> created, updated and deleted toward the spec
// (in order with OrderedReady, all at once with Parallel), their PersistentVolumeClaims made and
// owned per the retention policy, and the rolling update from the highest ordinal down to the
// partition; the status counts come out of the same pass.

import { resources } from '../../client/resources.js';
import { errorMessage, isAlreadyExists, isConflict, isNotFound } from '../../machinery/status.js';
import { templateOfRevision } from '../history/history.js';
import { isPodAvailable } from '../workloads/pods.js';
import type { ControllerRevision, PersistentVolumeClaim, Pod } from '../workloads/types.js';
import {
  claimIsStale,
  claimOwnersFor,
  claimOwnersUpToDate,
  claimsFor,
  identityMatches,
  inOrdinalRange,
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
import {
  isCreated,
  isHealthy,
  isRunningAndReady,
  isTerminating,
  retentionOf,
  type StatefulSetReconciler,
  SyncFailure,
} from './types.js';

/** updateStatefulSet: the pods toward the spec, one step at a time when ordered. */
export async function syncPods(
  r: StatefulSetReconciler,
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
  const now = r.ctx.now();
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
      r.recorder.event(
        set,
        'Warning',
        reason,
        `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating ${what} Pod ${pod.metadata.name}`,
      );
      try {
        await deletePod(r, set, pod);
      } catch (err) {
        fail(err);
      }
      count(pod, -1);
      status.replicas!--;
      pod = newPod(start + i);
      replicas[i] = pod;
    }
    if (!isCreated(pod)) {
      if (retentionOf(set).whenScaled === 'Delete' && hasStaleClaim(r, set, pod)) return status;
      try {
        await createPod(r, set, pod);
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
        await createMissingClaims(r, set, pod);
      } catch (err) {
        fail(err);
      }
    }
    if (isTerminating(pod) && monotonic) return status;
    if (!isRunningAndReady(pod) && monotonic) return status;
    if (!isPodAvailable(pod, minReady, now) && monotonic) return status;
    const claimsOk = claimsMatchRetention(r, set, pod);
    if (identityMatches(set, pod) && storageMatches(set, pod) && claimsOk) continue;
    try {
      await updatePod(r, set, pod);
    } catch (err) {
      fail(err);
    }
  }

  // Claims of pods about to go get the owners the retention policy wants.
  for (const pod of condemned) {
    if (!claimsMatchRetention(r, set, pod)) {
      try {
        await updateClaimOwners(r, set, pod);
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
      await deletePod(r, set, pod);
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
        await deletePod(r, set, pod);
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

export async function createPod(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): Promise<void> {
  await createMissingClaims(r, set, pod);
  let created: Pod;
  try {
    created = await r.ctx.client.create<Pod>(resources.pods, pod, { namespace: set.metadata.namespace });
  } catch (err) {
    if (isAlreadyExists(err)) throw err;
    recordPod(r, 'create', set, pod, err);
    throw err;
  }
  recordPod(r, 'create', set, pod);
  await updateClaimOwners(r, set, created);
}

/** Restores identity and storage (and claim owners) of an existing pod. */
export async function updatePod(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): Promise<void> {
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
      await createMissingClaims(r, set, next);
    }
    if (!claimsMatchRetention(r, set, next)) await updateClaimOwners(r, set, next);
    if (!changed) return;
    try {
      await r.ctx.client.update(resources.pods, next, { namespace: next.metadata.namespace });
      recordPod(r, 'update', set, next);
      return;
    } catch (err) {
      if (isConflict(err) && attempt < 3) {
        current = await r.ctx.client.get<Pod>(resources.pods, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace,
        });
        continue;
      }
      recordPod(r, 'update', set, next, err);
      throw err;
    }
  }
}

export async function deletePod(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): Promise<void> {
  try {
    await r.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
      namespace: pod.metadata.namespace,
    });
  } catch (err) {
    recordPod(r, 'delete', set, pod, err);
    throw err;
  }
  recordPod(r, 'delete', set, pod);
}

/** The pod's claims, created when missing (a claim being deleted is an error: wait for it). */
export async function createMissingClaims(
  r: StatefulSetReconciler,
  set: StatefulSet,
  pod: Pod,
): Promise<void> {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const existing = claimOf(r, claim);
    if (existing) {
      if (existing.metadata.deletionTimestamp) {
        throw new Error(`pvc ${existing.metadata.name} is being deleted`);
      }
      continue;
    }
    try {
      await r.ctx.client.create(resources.persistentvolumeclaims, claim, {
        namespace: claim.metadata.namespace,
      });
      recordClaim(r, 'create', set, pod, claim);
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      recordClaim(r, 'create', set, pod, claim, err);
      throw new Error(`failed to create PVC ${claim.metadata.name}: ${errorMessage(err)}`);
    }
  }
}

export async function updateClaimOwners(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): Promise<void> {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const existing = claimOf(r, claim);
    if (!existing || claimOwnersUpToDate(existing, set, pod)) continue;
    const next = {
      ...existing,
      metadata: { ...existing.metadata, ownerReferences: claimOwnersFor(existing, set, pod) },
    };
    if (next.metadata.ownerReferences.length === 0)
      delete (next.metadata as { ownerReferences?: unknown }).ownerReferences;
    try {
      await r.ctx.client.update(resources.persistentvolumeclaims, next, {
        namespace: existing.metadata.namespace,
      });
    } catch (err) {
      recordClaim(r, 'update', set, pod, existing, err);
      throw err;
    }
  }
}

export function claimOf(
  r: StatefulSetReconciler,
  claim: PersistentVolumeClaim,
): PersistentVolumeClaim | undefined {
  return r.pvcInformer.get(claim.metadata.name ?? '', claim.metadata.namespace);
}

export function hasStaleClaim(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): boolean {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const existing = claimOf(r, claim);
    if (existing && claimIsStale(existing, pod)) return true;
  }
  return false;
}

export function claimsMatchRetention(r: StatefulSetReconciler, set: StatefulSet, pod: Pod): boolean {
  if (!pod.metadata.uid) return true;
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const existing = claimOf(r, claim);
    if (existing && !claimOwnersUpToDate(existing, set, pod)) return false;
  }
  return true;
}

export function recordPod(
  r: StatefulSetReconciler,
  verb: 'create' | 'update' | 'delete',
  set: StatefulSet,
  pod: Pod,
  err?: unknown,
): void {
  const Verb = verb[0]!.toUpperCase() + verb.slice(1);
  if (err === undefined) {
    r.recorder.event(
      set,
      'Normal',
      `Successful${Verb}`,
      `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
    );
  } else {
    r.recorder.event(
      set,
      'Warning',
      `Failed${Verb}`,
      `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
    );
  }
}

export function recordClaim(
  r: StatefulSetReconciler,
  verb: 'create' | 'update',
  set: StatefulSet,
  pod: Pod,
  claim: PersistentVolumeClaim,
  err?: unknown,
): void {
  const Verb = verb[0]!.toUpperCase() + verb.slice(1);
  if (err === undefined) {
    r.recorder.event(
      set,
      'Normal',
      `Successful${Verb}`,
      `${verb} Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
    );
  } else {
    r.recorder.event(
      set,
      'Warning',
      `Failed${Verb}`,
      `${verb} Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`,
    );
  }
}
