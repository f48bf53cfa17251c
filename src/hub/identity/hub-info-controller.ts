// The hub's identity, published where clients and agents can read it: the namespace
// concord-system (home of the hub's own objects) and the ConfigMap concord-system/hub-info with
// the endpoint of the hub that leads, its CA and a credential-free kubeconfig for discovery (as
// kubeadm's kube-public/cluster-info). The leading hub keeps both as they should be: a deleted
// or edited object comes back, and after a failover the new leader writes its own endpoint.

import { stringify } from 'yaml';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import { reconcileLoop } from '../../controller/context.js';
import { runController } from '../../controller/runner.js';
import type { KubeObject } from '../../machinery/object.js';
import { isAlreadyExists } from '../../machinery/status.js';
import type { HubContext } from '../manager.js';

export const HUB_NAMESPACE = 'concord-system';
export const HUB_INFO = 'hub-info';

/** What hub-info holds for a hub: its leader, endpoint, CA and a discovery kubeconfig. */
export function hubInfoData(ctx: Pick<HubContext, 'identity' | 'endpoint'>): Record<string, string> {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'concord-hub',
        cluster: {
          server: ctx.endpoint.url,
          'certificate-authority-data': Buffer.from(ctx.endpoint.caPem).toString('base64'),
        },
      },
    ],
    contexts: [],
    users: [],
    'current-context': '',
  };
  return {
    leader: ctx.identity,
    endpoint: ctx.endpoint.url,
    'ca.crt': ctx.endpoint.caPem,
    kubeconfig: stringify(kubeconfig),
  };
}

function sameData(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

const ignoreExisting = (err: unknown) => {
  if (!isAlreadyExists(err)) throw err;
};

export function startHubInfoController(ctx: HubContext): RunningController[] {
  const desired = hubInfoData(ctx);
  const namespaces = ctx.informers.informerFor(resources.namespaces, {
    fieldSelector: `metadata.name=${HUB_NAMESPACE}`,
  });
  const configMaps = ctx.informers.informerFor(resources.configmaps, {
    namespace: HUB_NAMESPACE,
    fieldSelector: `metadata.name=${HUB_INFO}`,
  });

  const controller = reconcileLoop(ctx, {
    name: 'hub-info',
    reconcile: async () => {
      const ns = namespaces.get(HUB_NAMESPACE);
      if (!ns) {
        await ctx.client
          .create(resources.namespaces, {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: HUB_NAMESPACE },
          })
          .catch(ignoreExisting);
      } else if (ns.metadata.deletionTimestamp) {
        // Being deleted: it comes back once it is gone (the informer says when).
        return undefined;
      }
      const cm = configMaps.get(HUB_INFO, HUB_NAMESPACE);
      if (!cm) {
        const created: KubeObject = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: HUB_INFO, namespace: HUB_NAMESPACE },
          data: desired,
        };
        await ctx.client
          .create(resources.configmaps, created, { namespace: HUB_NAMESPACE })
          .catch(ignoreExisting);
      } else if (!sameData(cm.data as Record<string, string> | undefined, desired)) {
        // The resourceVersion read makes this a compare-and-swap; a conflict retries with backoff.
        await ctx.client.update(resources.configmaps, { ...cm, data: desired }, { namespace: HUB_NAMESPACE });
      }
      return undefined;
    },
  });

  const enqueue = () => controller.enqueue(HUB_INFO);
  const offNamespaces = namespaces.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
  const offConfigMaps = configMaps.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
  return [
    runController({
      controllers: [controller],
      informers: [namespaces, configMaps],
      unregister: [offNamespaces, offConfigMaps],
      // Whatever the informers held at the start, the objects are checked once.
      onSynced: enqueue,
    }),
  ];
}
