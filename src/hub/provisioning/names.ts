// Names the provisioning controllers derive from Cluster API objects.

import type { KubeObject } from '../../machinery/object.js';
import { CLUSTER_API_GROUP, Labels } from '../apis/cluster-api/index.js';
import { ownerOfKind } from './cluster-state.js';

/** The key of the kubeconfig in a Cluster's kubeconfig Secret. */
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
  return ownerOfKind(obj, CLUSTER_API_GROUP, 'Cluster')?.name;
}
