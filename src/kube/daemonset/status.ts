// The DaemonSet's status: scheduled, misscheduled, ready, updated and available counts over its
// nodes, written when they change (and a requeue for pods that become available later).

import { resources } from '../../client/resources.js';
import type { Selector } from '../../machinery/labels.js';
import { wireStatus } from '../../machinery/object.js';
import { isConflict } from '../../machinery/status.js';
import { isPodAvailable, isPodReady } from '../workloads/pods.js';
import type { Node, Pod } from '../workloads/types.js';
import { nodeShouldRunDaemonPod, targetNodeName } from './node-fit.js';
import {
  byCreationAndPhase,
  type DaemonSet,
  type DaemonSetReconciler,
  type DaemonSetStatus,
  isPodUpdated,
} from './types.js';

export async function updateStatus(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  selector: Selector,
  nodes: Node[],
  hash: string,
  observed: boolean,
  state: { requeueAfter?: number },
): Promise<void> {
  const nodeToPods = new Map<string, Pod[]>();
  for (const pod of r.pods.owned(ds.metadata.uid ?? '').values()) {
    if (!selector.matches(pod.metadata.labels ?? {})) continue;
    const node = targetNodeName(pod.spec);
    if (!node) continue;
    const list = nodeToPods.get(node) ?? [];
    list.push(pod);
    nodeToPods.set(node, list);
  }
  const spec = ds.spec.template?.spec ?? {};
  const now = r.ctx.now();
  const minReady = ds.spec.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(spec, node);
    const pods = nodeToPods.get(node.metadata.name ?? '');
    const scheduled = (pods?.length ?? 0) > 0;
    if (!shouldRun) {
      if (scheduled) misscheduled++;
      continue;
    }
    desired++;
    if (!scheduled) continue;
    current++;
    const pod = [...pods!].sort(byCreationAndPhase)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isPodUpdated(pod, hash, ds.metadata.generation)) updated++;
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    observedGeneration: observed ? (ds.metadata.generation ?? 0) : ds.status?.observedGeneration,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions) status.conditions = ds.status.conditions;
  if (minReady > 0 && ready !== available) {
    state.requeueAfter = Math.min(state.requeueAfter ?? minReady * 1000, minReady * 1000);
  }
  const old = ds.status ?? {};
  const same =
    (old.currentNumberScheduled ?? 0) === current &&
    (old.numberMisscheduled ?? 0) === misscheduled &&
    (old.desiredNumberScheduled ?? 0) === desired &&
    (old.numberReady ?? 0) === ready &&
    (old.updatedNumberScheduled ?? 0) === updated &&
    (old.numberAvailable ?? 0) === available &&
    (old.numberUnavailable ?? 0) === desired - available &&
    (old.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0);
  if (same) return;
  const wire = wireStatus(status, {
    always: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
    whenSet: ['collisionCount'],
  });
  try {
    await r.ctx.client.update(
      resources.daemonsets,
      { ...ds, status: wire },
      { namespace: ds.metadata.namespace, subresource: 'status' },
    );
  } catch (err) {
    if (!isConflict(err)) throw err;
    const fresh = await r.ctx.client.get<DaemonSet>(resources.daemonsets, ds.metadata.name ?? '', {
      namespace: ds.metadata.namespace,
    });
    await r.ctx.client.update(
      resources.daemonsets,
      { ...fresh, status: { ...wire, collisionCount: fresh.status?.collisionCount } },
      { namespace: ds.metadata.namespace, subresource: 'status' },
    );
  }
}
