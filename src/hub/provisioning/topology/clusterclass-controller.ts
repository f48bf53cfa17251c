// The ClusterClass controller, as Cluster API's: status.variables lists each variable with its
// definition (from "inline", the class itself), VariablesReconciled says they were read, and
// observedGeneration tells the topology controller which generation that was.

import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { runController } from '../../../controller/runner.js';
import { updateStatus } from '../../../controller/status.js';
import {
  type ClusterClass,
  type ClusterClassStatus,
  ConditionType,
  clusterApiResources,
} from '../../apis/cluster-api/index.js';
import { Conditions } from '../conditions.js';

export const CLUSTER_CLASS_CONTROLLER = 'clusterclass-controller';

/** Where variables defined in the ClusterClass itself come from, in status.variables. */
export const INLINE_VARIABLES = 'inline';

export function clusterClassStatus(cc: ClusterClass, now: Date): ClusterClassStatus {
  const conditions = new Conditions(cc.status?.conditions, now).markTrue(ConditionType.VariablesReconciled);
  return {
    ...cc.status,
    variables: (cc.spec.variables ?? []).map((v) => ({
      name: v.name,
      definitions: [
        {
          from: INLINE_VARIABLES,
          required: v.required,
          ...(v.metadata ? { metadata: v.metadata } : {}),
          schema: v.schema,
        },
      ],
    })),
    observedGeneration: cc.metadata.generation,
    conditions: conditions.toArray(),
  };
}

export function startClusterClassController(ctx: ControllerContext): RunningController {
  const classes = ctx.informers.informerFor<ClusterClass>(clusterApiResources.clusterclasses);
  const loop = reconcileLoop(ctx, {
    name: CLUSTER_CLASS_CONTROLLER,
    workers: 2,
    reconcile: async (key) => {
      const [namespace, name] = key.split('/') as [string, string];
      const cc = classes.get(name, namespace);
      if (!cc || cc.metadata.deletionTimestamp) return undefined;
      const status = clusterClassStatus(cc, ctx.now());
      if (JSON.stringify(status) !== JSON.stringify(cc.status ?? {})) {
        await updateStatus(ctx.client, clusterApiResources.clusterclasses, cc, status);
      }
      return undefined;
    },
  });
  return runController({
    name: CLUSTER_CLASS_CONTROLLER,
    controllers: [loop],
    informers: [classes],
    unregister: [classes.addEventHandler(loop.objectHandler())],
  });
}
