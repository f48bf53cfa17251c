// Residency in the scheduler: the filter the hub gives the scheduler (its SchedulerFilter shape),
// so that a member outside a rule that covers a binding's resource is never chosen and a binding
// already on one is moved off (or unplaced, its Scheduled condition naming the rule) — whether
// the rule came before the policy or after it, and whatever placement, override or failover asked.
// Rules and namespaces come from informers; a resource's own labels are read from the hub only
// when a rule that may cover it selects by label.

import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import type { ControllerContext } from '../../../controller/context.js';
import type { KubeObject } from '../../../machinery/object.js';
import { type ResidencyRule, residencyRules } from '../../apis/governance/index.js';
import type { Cluster, ClusterResourceBinding, ResourceBinding } from '../../apis/karmada/index.js';
import { hasNamespaceFilter, kindCovered, namespaceCovered, residencyRefusal, ruleCovers } from './match.js';
import { TemplateLabels } from './templates.js';

export const RESIDENCY_FILTER = 'Residency';

export interface ResidencyFilter {
  readonly name: string;
  waitForSync(): Promise<boolean>;
  forBinding(
    binding: ResourceBinding | ClusterResourceBinding,
  ): Promise<((c: Cluster) => string | undefined) | undefined>;
  onChange(listener: () => void): () => void;
}

/** The hub's residency filter on the controller context's informers. */
export function residencyFilter(ctx: ControllerContext): ResidencyFilter {
  const rules: Informer<ResidencyRule> = ctx.informers.informerFor(residencyRules);
  const namespaces: Informer<KubeObject> = ctx.informers.informerFor(resources.namespaces);
  const templates = new TemplateLabels(ctx.client);

  return {
    name: RESIDENCY_FILTER,
    async waitForSync() {
      const synced = await Promise.all([rules.waitForSync(), namespaces.waitForSync()]);
      return synced.every(Boolean);
    },
    async forBinding(binding) {
      const r = binding.spec.resource;
      const nsLabels = r.namespace ? (namespaces.get(r.namespace)?.metadata.labels ?? {}) : undefined;
      const candidates = rules.list().filter((rule) => {
        if (!kindCovered(rule, r.kind)) return false;
        return r.namespace ? namespaceCovered(rule, r.namespace, nsLabels) : !hasNamespaceFilter(rule);
      });
      if (candidates.length === 0) return undefined;
      const labels = candidates.some((rule) => rule.spec.resourceSelector?.labelSelector)
        ? await templates.of(r)
        : {};
      const covering = candidates.filter((rule) =>
        ruleCovers(
          rule,
          { kind: r.kind, ...(r.namespace ? { namespace: r.namespace } : {}), labels },
          nsLabels,
        ),
      );
      if (covering.length === 0) return undefined;
      return (cluster) => residencyRefusal(covering, cluster);
    },
    onChange(listener) {
      const offRules = rules.addEventHandler({
        onAdd: (_r, initial) => {
          if (!initial) listener();
        },
        onUpdate: (old, cur) => {
          if (old.metadata.generation !== cur.metadata.generation) listener();
        },
        onDelete: () => listener(),
      });
      const offNamespaces = namespaces.addEventHandler({
        onUpdate: (old, cur) => {
          if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {}))
            listener();
        },
      });
      return () => {
        offRules();
        offNamespaces();
      };
    },
  };
}
