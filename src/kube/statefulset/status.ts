// The StatefulSet's status, written when a count or revision changed; a finished rolling update
// makes the update revision current.

import { resources } from '../../client/resources.js';
import { updateStatus } from '../../controller/status.js';
import { wireStatus } from '../../machinery/object.js';
import type { StatefulSet, StatefulSetStatus } from './identity.js';
import type { StatefulSetReconciler } from './types.js';

export async function writeStatus(
  r: StatefulSetReconciler,
  set: StatefulSet,
  status: StatefulSetStatus,
): Promise<void> {
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
  const written = await updateStatus(r.ctx.client, resources.statefulsets, set, wire);
  set.metadata.resourceVersion = written.metadata.resourceVersion;
}
