// The objects of one Cluster API Cluster, from an informer index on "namespace/clusterName" (as
// Cluster API indexes Machines and MachineSets by spec.clusterName): with a thousand clusters in
// one namespace, a reconcile reads its cluster's few objects instead of walking the namespace.

import type { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../machinery/object.js';

const BY_CLUSTER = 'provisioning.clusterName';

/** spec.clusterName (Machines, MachineSets, MachineDeployments, ...). */
function bySpecClusterName(obj: KubeObject): string[] {
  const name = (obj as { spec?: { clusterName?: unknown } }).spec?.clusterName;
  return typeof name === 'string' && name !== '' ? [`${obj.metadata.namespace ?? ''}/${name}`] : [];
}

/** The informer's objects whose spec.clusterName is `cluster`, in `namespace`. */
export function ofCluster<T extends KubeObject>(inf: Informer<T>, namespace: string, cluster: string): T[] {
  // Shared informers: the same function added again is a no-op.
  inf.addIndexers({ [BY_CLUSTER]: bySpecClusterName });
  return inf.byIndex(BY_CLUSTER, `${namespace}/${cluster}`);
}
