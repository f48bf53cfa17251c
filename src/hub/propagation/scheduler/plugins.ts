// Filters the scheduler is given besides Karmada's (filter.ts), for rules that live in other
// capabilities and reach the scheduler only as a judge of members (e.g. data residency): a member
// a filter refuses is never chosen, and a binding already on one is scheduled again, so no
// placement, override or failover (which moves bindings through the scheduler) gets past it. The
// capability implements this shape; the hub's composition root hands it to the scheduler.

import type { Cluster, ClusterResourceBinding, ResourceBinding } from '../../apis/karmada/index.js';

/** Why a member may not take a binding ("cluster(s) ..." as Karmada words it), or undefined. */
export type ClusterRefusal = (cluster: Cluster) => string | undefined;

export interface SchedulerFilter {
  readonly name: string;
  /** Resolves true once it knows enough to judge (its informers have synced); false if stopped. */
  waitForSync(): Promise<boolean>;
  /** The judge of members for one binding, or undefined when the filter does not restrict it. */
  forBinding(binding: ResourceBinding | ClusterResourceBinding): Promise<ClusterRefusal | undefined>;
  /** Calls back when its judgements may have changed (every binding is looked at again). */
  onChange(listener: () => void): () => void;
}

/** One judge for all filters: the first refusal wins. */
export async function refusalOf(
  filters: readonly SchedulerFilter[],
  binding: ResourceBinding | ClusterResourceBinding,
): Promise<ClusterRefusal | undefined> {
  const judges: ClusterRefusal[] = [];
  for (const f of filters) {
    const judge = await f.forBinding(binding);
    if (judge) judges.push(judge);
  }
  if (judges.length === 0) return undefined;
  return (cluster) => {
    for (const judge of judges) {
      const reason = judge(cluster);
      if (reason) return reason;
    }
    return undefined;
  };
}
