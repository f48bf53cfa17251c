// Room the scheduler has just given away. A member's resource summary shows new replicas only
// once the registry has seen their pods; until then the scheduler counts the replicas it placed
// there as allocating (as Karmada's overcommit protection assumes in-flight workloads), so that a
// second decision in the meantime does not hand out the same room twice. An assumption lasts
// until the member's summary changes: the registry's next report includes what was placed.

import { Quantity } from '../../../machinery/quantity.js';
import type { Cluster, QuantityValue, ResourceBindingSpec, TargetCluster } from '../../apis/karmada/index.js';

interface Assumed {
  /** The summary the assumption was made against. */
  summary: string;
  pods: number;
  requests: Map<string, Quantity>;
}

const summaryOf = (c: Cluster) => JSON.stringify(c.status?.resourceSummary ?? null);

export class Assumptions {
  private readonly byCluster = new Map<string, Assumed>();

  /** Records the replicas a placement added on each member (relative to spec.clusters before it). */
  assume(
    before: ResourceBindingSpec,
    after: readonly TargetCluster[],
    members: ReadonlyMap<string, Cluster>,
  ): void {
    const old = new Map((before.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
    for (const t of after) {
      const added = (t.replicas ?? 0) - (old.get(t.name) ?? 0);
      const member = members.get(t.name);
      if (added <= 0 || !member) continue;
      const summary = summaryOf(member);
      let a = this.byCluster.get(t.name);
      if (!a || a.summary !== summary) {
        a = { summary, pods: 0, requests: new Map() };
        this.byCluster.set(t.name, a);
      }
      a.pods += added;
      for (const [name, v] of Object.entries(before.replicaRequirements?.resourceRequest ?? {})) {
        const q = Quantity.tryParse(v);
        if (q) a.requests.set(name, (a.requests.get(name) ?? Quantity.zero()).add(q.mul(added)));
      }
    }
  }

  /** The members with what is still assumed on them added to their allocating resources. */
  apply(clusters: readonly Cluster[]): Cluster[] {
    return clusters.map((c) => {
      const a = this.byCluster.get(c.metadata.name ?? '');
      if (!a) return c;
      if (a.summary !== summaryOf(c)) {
        this.byCluster.delete(c.metadata.name ?? '');
        return c;
      }
      const summary = c.status?.resourceSummary ?? {};
      const allocating: Record<string, QuantityValue> = { ...(summary.allocating ?? {}) };
      const add = (name: string, q: Quantity) => {
        const have = Quantity.tryParse(allocating[name] ?? '0') ?? Quantity.zero();
        allocating[name] = have.add(q).toString();
      };
      add('pods', Quantity.fromValue(a.pods));
      for (const [name, q] of a.requests) add(name, q);
      return { ...c, status: { ...c.status, resourceSummary: { ...summary, allocating } } };
    });
  }
}
