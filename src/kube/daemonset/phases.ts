// The DaemonSet's pod phases: a daemon pod on every node that should run one (and none elsewhere),
// created in slow-start batches with a backoff for failed pods, and the rolling update toward the
// current template within maxUnavailable and maxSurge.

import { objectKey } from '../../client/cache.js';
import { resources } from '../../client/resources.js';
import { newControllerRef } from '../../controller/controller-ref.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../../controller/slow-start.js';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import { isPodAvailable, isPodReady, podFromTemplate } from '../workloads/pods.js';
import type { Node, Pod, PodTemplateSpec } from '../workloads/types.js';
import { nodeShouldRunDaemonPod, pinToNode, withDaemonPodTolerations } from './node-fit.js';
import {
  allowsSurge,
  BACKOFF_INITIAL_MS,
  BACKOFF_MAX_MS,
  byCreationAndPhase,
  type DaemonSet,
  type DaemonSetReconciler,
  isPodUpdated,
  REVISION_HASH_LABEL,
  surgeCount,
  TEMPLATE_GENERATION_LABEL,
  unavailableCount,
} from './types.js';

export async function manage(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  key: string,
  nodes: Node[],
  nodeToPods: Map<string, Pod[]>,
  hash: string,
  state: { requeueAfter?: number },
): Promise<void> {
  const spec = ds.spec.template?.spec ?? {};
  const needPods: string[] = [];
  const toDelete: Pod[] = [];
  const now = r.ctx.now();
  const known = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    known.add(name);
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(spec, node);
    const pods = nodeToPods.get(name);
    if (shouldRun && !pods) {
      needPods.push(name);
      continue;
    }
    if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of pods ?? []) {
        if (pod.metadata.deletionTimestamp) continue;
        if (pod.status?.phase === 'Failed') {
          const backoffKey = `${key}\u0000${name}`;
          const wait = backoffRemaining(r, backoffKey, now.getTime());
          if (wait > 0) {
            state.requeueAfter = Math.min(state.requeueAfter ?? wait, wait);
            continue;
          }
          backoffNext(r, backoffKey, now.getTime());
          r.recorder.event(
            ds,
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`,
          );
          toDelete.push(pod);
        } else if (pod.status?.phase === 'Succeeded') {
          toDelete.push(pod);
        } else {
          running.push(pod);
        }
      }
      running.sort(byCreationAndPhase);
      if (!allowsSurge(ds)) {
        // One pod per node: all but the oldest go.
        toDelete.push(...running.slice(1));
        continue;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) needPods.push(name);
        continue;
      }
      // Surging: keep the oldest new pod and, while it is not available, the oldest old one.
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const pod of running) {
        if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        toDelete.push(pod);
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))
          toDelete.push(oldestOld);
      }
      continue;
    }
    for (const pod of pods ?? []) if (!pod.metadata.deletionTimestamp) toDelete.push(pod);
  }
  // Pods for nodes that do not exist (any more) go.
  for (const [node, pods] of nodeToPods) {
    if (known.has(node)) continue;
    for (const pod of pods) if (!pod.metadata.deletionTimestamp) toDelete.push(pod);
  }
  await syncNodes(r, ds, key, toDelete, needPods, hash);
}

/** Creates pods for nodes (slow start, pinned by node affinity) and deletes pods, within the burst limit. */
export async function syncNodes(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  key: string,
  toDelete: Pod[],
  nodes: string[],
  hash: string,
): Promise<void> {
  const create = nodes.slice(0, r.burstReplicas);
  const remove = toDelete.slice(0, r.burstReplicas);
  r.expectations.expect(key, create.length, remove.map(objectKey));
  const errs: unknown[] = [];
  const template = podTemplate(ds, hash);
  const controllerRef = newControllerRef(ds);
  let attempted = 0;
  const created = await slowStartBatch(create.length, SLOW_START_INITIAL_BATCH_SIZE, async (i) => {
    attempted++;
    const t = structuredClone(template);
    t.spec = { ...t.spec, affinity: pinToNode(t.spec?.affinity, create[i]!) };
    const pod = podFromTemplate(t, ds, controllerRef);
    try {
      const out = await r.ctx.client.create<Pod>(resources.pods, pod, { namespace: ds.metadata.namespace });
      r.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${out.metadata.name}`);
    } catch (err) {
      r.expectations.creationObserved(key);
      if (isNamespaceTerminating(err)) return;
      r.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  });
  if (created.error !== undefined) {
    errs.push(created.error);
    // Creates never attempted after a failed batch will not be observed.
    r.expectations.lowerCreations(key, create.length - attempted);
  }
  await Promise.all(
    remove.map(async (pod) => {
      try {
        await r.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace,
        });
        r.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        r.expectations.deletionObserved(key, objectKey(pod));
        if (isNotFound(err)) return;
        r.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
        errs.push(err);
      }
    }),
  );
  if (errs.length > 0) throw errs[0];
}

/** The template pods are made from: daemon tolerations, generation and revision hash labels. */
export function podTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = structuredClone(ds.spec.template ?? {});
  t.spec = { ...t.spec, tolerations: withDaemonPodTolerations(t.spec ?? {}) };
  const labels: Record<string, string> = {
    ...t.metadata?.labels,
    [TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 0),
  };
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  t.metadata = { ...t.metadata, labels };
  return t;
}

export async function rollingUpdate(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  key: string,
  nodes: Node[],
  nodeToPods: Map<string, Pod[]>,
  hash: string,
): Promise<void> {
  const spec = ds.spec.template?.spec ?? {};
  const generation = ds.metadata.generation;
  const now = r.ctx.now();
  const minReady = ds.spec.minReadySeconds ?? 0;
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(spec, node).shouldRun) continue;
    desired++;
    const name = node.metadata.name ?? '';
    if (!nodeToPods.has(name)) nodeToPods.set(name, []);
  }
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

  const split = (pods: Pod[]): { newPod?: Pod; oldPod?: Pod; ok: boolean } => {
    let newPod: Pod | undefined;
    let oldPod: Pod | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      if (isPodUpdated(pod, hash, generation)) {
        if (newPod) return { ok: false };
        newPod = pod;
      } else {
        if (oldPod) return { ok: false };
        oldPod = pod;
      }
    }
    return { newPod, oldPod, ok: true };
  };

  if (maxSurge === 0) {
    // Delete just enough old pods to stay within maxUnavailable; manage() creates their replacements.
    let unavailable = 0;
    const replacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const pods of nodeToPods.values()) {
      const { newPod, oldPod, ok } = split(pods);
      if (!ok) {
        unavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) {
        unavailable++;
      } else if (newPod) {
        if (!isPodAvailable(newPod, minReady, now)) unavailable++;
      } else if (oldPod) {
        if (!isPodAvailable(oldPod, minReady, now)) {
          replacements.push(oldPod);
          unavailable++;
        } else if (unavailable < maxUnavailable) {
          candidates.push(oldPod);
        }
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    await syncNodes(r, ds, key, [...replacements, ...candidates.slice(0, room)], [], hash);
    return;
  }

  // Surge: new pods beside old ones (up to maxSurge), old ones deleted once the new are available.
  const oldToDelete: Pod[] = [];
  const shouldNotRun: Pod[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let surge = 0;
  let available = 0;
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
  for (const [name, pods] of nodeToPods) {
    const { newPod, oldPod, ok } = split(pods);
    if (!ok) {
      surge++;
      continue;
    }
    if (oldPod) {
      if (isPodAvailable(oldPod, minReady, now)) available++;
    } else if (newPod && isPodAvailable(newPod, minReady, now)) {
      available++;
    }
    if (!oldPod) continue;
    const node = nodeByName.get(name);
    const shouldRun = node ? nodeShouldRunDaemonPod(spec, node).shouldRun : false;
    if (!newPod) {
      if (!isPodAvailable(oldPod, minReady, now)) {
        if (!shouldRun) oldToDelete.push(oldPod);
        else allowedNodes.push(name);
      } else if (!shouldRun) {
        shouldNotRun.push(oldPod);
      } else if (surge < maxSurge) {
        candidateNodes.push(name);
      }
      continue;
    }
    if (!isPodAvailable(newPod, minReady, now)) {
      surge++;
      continue;
    }
    oldToDelete.push(oldPod);
  }
  const deletable = Math.min(available - desired, shouldNotRun.length);
  if (deletable > 0) oldToDelete.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - surge), candidateNodes.length);
  await syncNodes(r, ds, key, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, room)], hash);
}

export function backoffRemaining(r: DaemonSetReconciler, key: string, now: number): number {
  const b = r.failedBackoff.get(key);
  if (!b) return 0;
  if (now - b.at > 2 * BACKOFF_MAX_MS) {
    r.failedBackoff.delete(key);
    return 0;
  }
  return Math.max(0, b.at + b.delay - now);
}

export function backoffNext(r: DaemonSetReconciler, key: string, now: number): void {
  const b = r.failedBackoff.get(key);
  const delay =
    !b || now - b.at > 2 * BACKOFF_MAX_MS ? BACKOFF_INITIAL_MS : Math.min(b.delay * 2, BACKOFF_MAX_MS);
  r.failedBackoff.set(key, { delay, at: now });
}
