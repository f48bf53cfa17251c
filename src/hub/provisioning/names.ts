// Names the provisioning controllers derive from Cluster API objects.

import { parseApiVersion } from '../../machinery/gvk.js';
import type { KubeObject } from '../../machinery/object.js';
import { CLUSTER_API_GROUP, Labels } from '../apis/cluster-api/index.js';

/** The Secret holding a Cluster's kubeconfig, as Cluster API names it. */
export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/** The key of the kubeconfig in that Secret. */
export const KUBECONFIG_SECRET_KEY = 'value';

/** The type Cluster API gives the Secrets it makes. */
export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';

/**
 * The name of a Cluster's simulated cluster, and of its member on the hub (both one namespace for
 * all): the Cluster's own name in `default`, else `<namespace>-<name>`.
 */
export function fleetName(namespace: string | undefined, name: string): string {
  const full = !namespace || namespace === 'default' ? name : `${namespace}-${name}`;
  return full.slice(0, 63).replace(/-+$/, '');
}

/** The name of the Cluster an object belongs to: its cluster-name label, or its owner Cluster. */
export function clusterNameOf(obj: KubeObject): string | undefined {
  const label = obj.metadata.labels?.[Labels.clusterName];
  if (label) return label;
  return ownerOfKind(obj, 'Cluster')?.name;
}

/** The object's owner of a Cluster API kind (Cluster, Machine ...), if any. */
export function ownerOfKind(obj: KubeObject, kind: string): { name: string; uid: string } | undefined {
  const r = obj.metadata.ownerReferences?.find(
    (o) => o.kind === kind && parseApiVersion(o.apiVersion).group === CLUSTER_API_GROUP,
  );
  return r && { name: r.name, uid: r.uid };
}

export function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function nowIso(now: () => Date): string {
  return now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Whether reconciling is paused for this object or its Cluster (spec.paused, the paused annotation). */
export function isPaused(cluster: { spec?: { paused?: boolean } } | undefined, obj: KubeObject): boolean {
  return (
    cluster?.spec?.paused === true || obj.metadata.annotations?.['cluster.x-k8s.io/paused'] !== undefined
  );
}
