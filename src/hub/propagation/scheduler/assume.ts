// Room the scheduler has just given away. A member's resource summary shows new replicas only
// once the registry has seen their pods; until then the scheduler counts the replicas it placed
// there as allocating (as Karmada's overcommit protection assumes in-flight workloads), so that a
// second decision in the meantime does not hand out the same room twice. An assumption lasts
// until the member's summary changes: the registry's next report includes what was placed.

import { Quantity } from '../../../machinery/quantity.js';
import type { Cluster, ResourceBindingSpec, TargetCluster } from '../../apis/karmada/index.js';
import { type Allocating, parsedRequests } from './estimate.js';

interface Assumed extends Allocating {
  /** The summary the assumption was made against. */
  summary: string;
  requests: Map<string, Quantity>;
}

// A summary's text, once per summary object (the informer replaces a Cluster on each change).
const texts = new WeakMap<object, string>();
function summaryOf(c: Cluster): string {
  const summary = c.status?.resourceSummary;
  if (!summary) return 'null';
  let text = texts.get(summary);
  if (text === undefined) {
    text = JSON.stringify(summary);
    texts.set(summary, text);
  }
  return text;
}

export class Assumptions {
  private readonly byCluster = new Map<string, Assumed>();

  /** Records the replicas a placement added on each member (relative to spec.clusters before it). */
  assume(
    before: ResourceBindingSpec,
    after: readonly TargetCluster[],
    members: ReadonlyMap<string, Cluster>,
  ): void {
    const old = new Map((before.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
    const requests = parsedRequests(before.replicaRequirements);
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
      for (const { name, quantity } of requests) {
        a.requests.set(name, (a.requests.get(name) ?? Quantity.zero()).add(quantity.mul(added)));
      }
    }
  }

  /**
   * What is still assumed on a member, beyond its summary's allocating resources; an assumption
   * made against an older summary is dropped.
   */
  on(c: Cluster): Allocating | undefined {
    const name = c.metadata.name ?? '';
    const a = this.byCluster.get(name);
    if (!a) return undefined;
    if (a.summary !== summaryOf(c)) {
      this.byCluster.delete(name);
      return undefined;
    }
    return a;
  }
}
