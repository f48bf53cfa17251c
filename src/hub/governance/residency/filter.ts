// Residency in the scheduler: the filter the hub gives the scheduler (its SchedulerFilter shape),
// so that a member outside a rule that covers a binding's resource is never chosen and a binding
// already on one is moved off (or unplaced, its Scheduled condition naming the rule) — whether
// the rule came before the policy or after it, and whatever placement, override or failover asked.
// Rules and namespaces come from informers; a resource's own labels are read from the hub only
// when a rule that may cover it selects by label.

import type { Client } from '../../../client/client.js';
import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import { type DiscoveryClient, RESTMapper } from '../../../client/rest-mapper.js';
import type { ControllerContext } from '../../../controller/context.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import { type ResidencyRule, residencyRules } from '../../apis/governance/index.js';
import type { Cluster, ClusterResourceBinding, ResourceBinding } from '../../apis/karmada/index.js';
import {
  hasNamespaceFilter,
  kindCovered,
  type Labels,
  namespaceCovered,
  residencyRefusal,
  ruleCovers,
} from './match.js';

export const RESIDENCY_FILTER = 'Residency';

export interface ResidencyFilter {
  readonly name: string;
  waitForSync(): Promise<boolean>;
  forBinding(
    binding: ResourceBinding | ClusterResourceBinding,
  ): Promise<((c: Cluster) => string | undefined) | undefined>;
  onChange(listener: () => void): () => void;
}

function mapperFor(client: Client): RESTMapper {
  const discovery = client as Client & Partial<DiscoveryClient>;
  if (typeof discovery.discover !== 'function') {
    throw new TypeError('the residency filter needs a client that can discover');
  }
  return new RESTMapper(discovery as DiscoveryClient);
}

/** The hub's residency filter on the controller context's informers. */
export function residencyFilter(ctx: ControllerContext): ResidencyFilter {
  const rules: Informer<ResidencyRule> = ctx.informers.informerFor(residencyRules);
  const namespaces: Informer<KubeObject> = ctx.informers.informerFor(resources.namespaces);
  const mapper = mapperFor(ctx.client);

  async function templateLabels(r: ResourceBinding['spec']['resource']): Promise<Labels> {
    try {
      const ref = await mapper.refFor(r.apiVersion, r.kind);
      const obj = await ctx.client.get(ref, r.name, r.namespace ? { namespace: r.namespace } : {});
      return obj.metadata.labels ?? {};
    } catch (err) {
      // A template already gone is judged by kind and namespace alone.
      if (isNotFound(err)) return {};
      throw err;
    }
  }

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
        ? await templateLabels(r)
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
