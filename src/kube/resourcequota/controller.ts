// The resource quota controller, as kube-controller-manager's: each ResourceQuota's status.hard
// is its spec.hard and status.used what the namespace's objects use of each of those resources
// (machinery/quota.ts): pods and their compute requests and limits within the quota's scopes,
// object counts (count/<resource>[.<group>] and the legacy names), services' load balancers and
// node ports, claims' storage. Pods are followed through the shared pod informer; other objects
// are listed when a quota is looked at: on its own changes, a pod's, and every resync (10 s).
// Counts of kinds this cluster has no client reference for are left out of status.used.

import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import {
  objectUsage,
  podMatchesScopes,
  quotaScopeTerms,
  quotaSource,
  sumUsage,
  type Usage,
} from '../../machinery/quota.js';
import { isConflict, isNotFound } from '../../machinery/status.js';

export const RESOURCE_QUOTA_CONTROLLER = 'resourcequota';

export interface ResourceQuotaControllerOptions {
  /** Every quota is counted again this often (default 10 s). */
  resyncMs?: number;
}

interface ResourceQuota extends KubeObject {
  spec?: { hard?: Record<string, string> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

const COUNTABLE: ResourceRef[] = [
  resources.services,
  resources.configmaps,
  resources.secrets,
  resources.persistentvolumeclaims,
  resources.resourcequotas,
  resources.deployments,
  resources.replicasets,
  resources.statefulsets,
  resources.daemonsets,
  resources.jobs,
  resources.cronjobs,
];

/** Where a quota resource name is counted from ('pods': the informer has them; undefined: no client reference). */
function sourceOf(name: string): ResourceRef | 'pods' | undefined {
  const source = quotaSource(name);
  if (!source) return undefined;
  if (source.group === '' && source.resource === 'pods') return 'pods';
  return COUNTABLE.find((r) => r.group === source.group && r.resource === source.resource);
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

export function startResourceQuotaController(
  ctx: ControllerContext,
  opts: ResourceQuotaControllerOptions = {},
): RunningController {
  const quotas: Informer<ResourceQuota> = ctx.informers.informerFor<ResourceQuota>(resources.resourcequotas);
  const pods: Informer = ctx.informers.informerFor(resources.pods);
  const loop = reconcileLoop(ctx, {
    name: RESOURCE_QUOTA_CONTROLLER,
    workers: 1,
    reconcile: async (key) => {
      try {
        return await reconcile(key);
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) return { requeue: true };
        throw err;
      }
    },
  });

  async function reconcile(key: string) {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const quota = quotas.get(key.slice(slash + 1), namespace);
    if (!quota || quota.metadata.deletionTimestamp) return undefined;
    const hard = quota.spec?.hard ?? {};
    const names = Object.keys(hard);
    const terms = quotaScopeTerms(quota);
    const bySource = new Map<ResourceRef | 'pods', string[]>();
    for (const n of names) {
      const source = sourceOf(n);
      if (source) bySource.set(source, [...(bySource.get(source) ?? []), n]);
    }
    const used: Usage = new Map();
    for (const [source, wanted] of bySource) {
      let usages: Usage[];
      if (source === 'pods') {
        usages = pods
          .list({ namespace })
          .filter((p) => terms.length === 0 || podMatchesScopes(p, terms))
          .map((p) => objectUsage('', 'pods', p));
      } else {
        const list = await ctx.client.list(source, { namespace });
        usages = list.items.map((o) => objectUsage(source.group, source.resource, o));
      }
      for (const [n, q] of sumUsage(usages, wanted)) used.set(n, q);
    }
    const status = {
      hard: { ...hard },
      used: Object.fromEntries(
        [...used].sort(([a], [b]) => a.localeCompare(b)).map(([n, q]) => [n, q.toString()]),
      ),
    };
    if (
      JSON.stringify(sorted(quota.status?.hard)) === JSON.stringify(sorted(status.hard)) &&
      JSON.stringify(sorted(quota.status?.used)) === JSON.stringify(sorted(status.used))
    ) {
      return undefined;
    }
    await ctx.client.update(
      resources.resourcequotas,
      { ...quota, status },
      { namespace, subresource: 'status' },
    );
    return undefined;
  }

  const enqueueNamespace = (ns: string | undefined) => {
    if (!ns) return;
    for (const q of quotas.list({ namespace: ns })) loop.enqueue(keyOf(q));
  };
  const offQuotas = quotas.addEventHandler({
    onAdd: (q) => loop.enqueue(keyOf(q)),
    onUpdate: (o, q) => {
      if (
        JSON.stringify(o.spec) !== JSON.stringify(q.spec) ||
        JSON.stringify(o.status) !== JSON.stringify(q.status)
      ) {
        loop.enqueue(keyOf(q));
      }
    },
  });
  const offPods = pods.addEventHandler({
    onAdd: (p) => enqueueNamespace(p.metadata.namespace),
    onUpdate: (o, p) => {
      const phase = (x: KubeObject) => (x as { status?: { phase?: string } }).status?.phase;
      if (phase(o) !== phase(p) || JSON.stringify(o.spec) !== JSON.stringify(p.spec)) {
        enqueueNamespace(p.metadata.namespace);
      }
    },
    onDelete: (p) => enqueueNamespace(p.metadata.namespace),
  });
  const resync = setInterval(() => {
    for (const q of quotas.list()) loop.enqueue(keyOf(q));
  }, opts.resyncMs ?? 10_000);
  resync.unref();
  loop.start();
  return {
    name: RESOURCE_QUOTA_CONTROLLER,
    async stop() {
      clearInterval(resync);
      offQuotas();
      offPods();
      await loop.stop();
    },
  };
}

function sorted(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
