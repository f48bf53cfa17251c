// What the controllers beside the core read from a Cluster API Cluster: whether it is paused,
// whether its infrastructure is ready and its control plane initialized.

import type { KubeObject } from '../../machinery/object.js';
import { Annotations, type Cluster, ConditionType } from '../apis/cluster-api/index.js';

/** Cluster API's pause: the Cluster's spec.paused, or the paused annotation on it or on the object. */
export function isPaused(cluster: Cluster | undefined, obj?: KubeObject): boolean {
  if (cluster?.spec?.paused) return true;
  if (cluster?.metadata.annotations?.[Annotations.paused] !== undefined) return true;
  return obj?.metadata.annotations?.[Annotations.paused] !== undefined;
}

export function infrastructureReady(cluster: Cluster): boolean {
  return cluster.status?.infrastructureReady === true;
}

export function controlPlaneInitialized(cluster: Cluster): boolean {
  return (cluster.status?.conditions ?? []).some(
    (c) => c.type === ConditionType.ControlPlaneInitialized && c.status === 'True',
  );
}

/** Whether an object's owner references include one of this kind (any version of the group). */
export function ownerOfKind(
  obj: KubeObject,
  group: string,
  kind: string,
): { name: string; uid: string } | undefined {
  const ref = (obj.metadata.ownerReferences ?? []).find(
    (o) => o.kind === kind && o.apiVersion.startsWith(`${group}/`),
  );
  return ref ? { name: ref.name, uid: ref.uid } : undefined;
}
