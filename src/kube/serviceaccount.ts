// The ServiceAccount controller, as Kubernetes' serviceaccounts-controller: every active namespace
// has a "default" ServiceAccount, created with the namespace and again whenever it is deleted.

import type { Informer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../controller/context.js';
import { runController } from '../controller/runner.js';
import type { KubeObject } from '../machinery/object.js';
import { isAlreadyExists, isForbidden, isNotFound } from '../machinery/status.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface ServiceAccountControllerOptions {
  /** The accounts every namespace gets (default: ["default"]). */
  accounts?: string[];
}

export function startServiceAccountController(
  ctx: ControllerContext,
  opts: ServiceAccountControllerOptions = {},
): RunningController {
  const accounts = opts.accounts ?? [DEFAULT_SERVICE_ACCOUNT];
  const namespaces: Informer = ctx.informers.informerFor(resources.namespaces);
  const serviceAccounts: Informer = ctx.informers.informerFor(resources.serviceaccounts);

  const controller = reconcileLoop(ctx, {
    name: 'serviceaccount',
    workers: 1,
    reconcile: async (namespace) => {
      const ns = namespaces.get(namespace);
      // Nothing goes into a namespace that is gone or going.
      if (!ns || ns.metadata.deletionTimestamp) return undefined;
      if ((ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return undefined;
      for (const name of accounts) {
        if (serviceAccounts.get(name, namespace)) continue;
        try {
          await ctx.client.create(
            resources.serviceaccounts,
            { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
            { namespace },
          );
        } catch (err) {
          if (isAlreadyExists(err) || isForbidden(err) || isNotFound(err)) {
            continue;
          }
          throw err;
        }
      }
      return undefined;
    },
  });

  const offNamespaces = namespaces.addEventHandler({
    onAdd: (ns) => controller.enqueue(ns.metadata.name!),
    onUpdate: (_old, ns) => {
      if (!ns.metadata.deletionTimestamp) controller.enqueue(ns.metadata.name!);
    },
  });
  const offAccounts = serviceAccounts.addEventHandler({
    onDelete: (sa: KubeObject) => {
      if (accounts.includes(sa.metadata.name!) && sa.metadata.namespace)
        controller.enqueue(sa.metadata.namespace);
    },
  });
  return runController({
    name: 'serviceaccount',
    controllers: [controller],
    informers: [namespaces, serviceAccounts],
    unregister: [offNamespaces, offAccounts],
  });
}
