// How many more replicas of a workload a member can take, from the resource summary the registry
// writes on its Cluster (Karmada's general estimator): for each resource a replica requests,
// (allocatable - allocated - allocating) / request, and no more than the pods the member still
// allows. A member that reports no summary takes none.

import { Quantity } from '../../../machinery/quantity.js';
import type { Cluster, QuantityValue, ReplicaRequirements } from '../../apis/karmada/index.js';

type ResourceMap = Record<string, QuantityValue> | undefined;

function quantity(map: ResourceMap, name: string): Quantity | undefined {
  const v = map?.[name];
  return v === undefined ? undefined : Quantity.tryParse(v);
}

/** allocatable - allocated - allocating of one resource (undefined when it is not allocatable). */
function available(cluster: Cluster, name: string): Quantity | undefined {
  const summary = cluster.status?.resourceSummary;
  const allocatable = quantity(summary?.allocatable, name);
  if (!allocatable) return undefined;
  let left = allocatable;
  const allocated = quantity(summary?.allocated, name);
  if (allocated) left = left.sub(allocated);
  const allocating = quantity(summary?.allocating, name);
  if (allocating) left = left.sub(allocating);
  return left;
}

/** The pods the member still allows (0 when it reports none). */
export function allowedPods(cluster: Cluster): number {
  const left = available(cluster, 'pods');
  if (!left) return 0;
  return Math.max(0, left.value());
}

/** The most replicas with these requirements that fit on the member now. */
export function maxAvailableReplicas(
  cluster: Cluster,
  requirements: ReplicaRequirements | undefined,
): number {
  if (!cluster.status?.resourceSummary) return 0;
  let max = allowedPods(cluster);
  if (max <= 0 || !requirements?.resourceRequest) return max;
  for (const [name, value] of Object.entries(requirements.resourceRequest)) {
    const request = Quantity.tryParse(value);
    if (!request || request.value() <= 0) continue;
    const left = available(cluster, name);
    if (!left || left.value() <= 0) return 0;
    // CPU counts in millicores, everything else in whole units (as Kubernetes' Value() rounds up).
    const fits =
      name === 'cpu'
        ? Math.floor(left.milliValue() / request.milliValue())
        : Math.floor(left.value() / request.value());
    max = Math.min(max, fits);
  }
  return Math.max(0, max);
}
