// The cluster controller, as Karmada's: every Cluster gets its execution space (the namespace
// karmada-es-<name> where its Works live), the finalizer karmada.io/cluster-controller that
// removes that space when the Cluster is deleted, and the taints its Ready condition calls for
// (see taints.ts). Taint changes are merge patches guarded by the resourceVersion, so that a
// user's taint written meanwhile is never lost; each is an Event (TaintClusterSucceed).

import type { Logger } from 'pino';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { EventRecorder } from '../../controller/events.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import {
  CLUSTER_CONTROLLER_FINALIZER,
  type Cluster,
  clusterOfExecutionSpace,
  executionSpaceName,
  karmadaResources,
} from '../apis/karmada/index.js';
import type { ResolvedHealthOptions } from './options.js';
import { describeTaints, desiredTaints } from './taints.js';

export const CLUSTER_CONTROLLER = 'cluster-controller';

/** Label Karmada puts on the namespaces and Secrets it makes for itself. */
export const KARMADA_SYSTEM_LABEL = 'karmada.io/system';

// Event reasons, as Karmada's.
export const EVENT_CREATE_EXECUTION_SPACE_SUCCEED = 'CreateExecutionSpaceSucceed';
export const EVENT_CREATE_EXECUTION_SPACE_FAILED = 'CreateExecutionSpaceFailed';
export const EVENT_REMOVE_EXECUTION_SPACE_SUCCEED = 'RemoveExecutionSpaceSucceed';
export const EVENT_REMOVE_EXECUTION_SPACE_FAILED = 'RemoveExecutionSpaceFailed';
export const EVENT_TAINT_CLUSTER_SUCCEED = 'TaintClusterSucceed';
export const EVENT_TAINT_CLUSTER_FAILED = 'TaintClusterFailed';

export interface ClusterControllerOptions {
  health: ResolvedHealthOptions;
  recorder?: EventRecorder;
}

function code(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

export function startClusterController(
  ctx: ControllerContext,
  opts: ClusterControllerOptions,
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: CLUSTER_CONTROLLER });
  const recorder = eventRecorder(ctx, CLUSTER_CONTROLLER, opts.recorder);
  const clusters = ctx.informers.informerFor<Cluster>(karmadaResources.clusters);
  const namespaces = ctx.informers.informerFor(resources.namespaces);
  const loop = reconcileLoop(ctx, {
    name: CLUSTER_CONTROLLER,
    workers: 4,
    reconcile: (name) => reconcile(name),
  });

  async function reconcile(name: string): Promise<undefined | { requeueAfter: number }> {
    if (!clusters.hasSynced() || !namespaces.hasSynced()) return { requeueAfter: 100 };
    const cluster = clusters.get(name);
    if (!cluster) return undefined;
    if (cluster.metadata.deletionTimestamp) {
      await removeCluster(cluster);
      return undefined;
    }
    await ensureExecutionSpace(cluster);
    const recheck = await taintAndFinalize(cluster);
    return recheck === undefined ? undefined : { requeueAfter: recheck };
  }

  async function ensureExecutionSpace(cluster: Cluster): Promise<void> {
    const space = executionSpaceName(cluster.metadata.name ?? '');
    const existing = namespaces.get(space);
    if (existing && !existing.metadata.deletionTimestamp) return;
    if (existing) throw new Error(`execution space ${space} is still being deleted`);
    try {
      await ctx.client.create(resources.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: space, labels: { [KARMADA_SYSTEM_LABEL]: 'true' } },
      });
      recorder.event(
        cluster,
        'Normal',
        EVENT_CREATE_EXECUTION_SPACE_SUCCEED,
        `created execution space ${space} for cluster ${cluster.metadata.name}`,
      );
    } catch (err) {
      if (code(err) === 409) return;
      recorder.event(cluster, 'Warning', EVENT_CREATE_EXECUTION_SPACE_FAILED, (err as Error).message);
      throw err;
    }
  }

  /** The taints the Ready condition calls for and the finalizer, in one patch when either is missing. */
  async function taintAndFinalize(cluster: Cluster): Promise<number | undefined> {
    const decision = desiredTaints(cluster, ctx.now(), opts.health.noExecuteGracePeriodMs);
    const finalizers = cluster.metadata.finalizers ?? [];
    const needsFinalizer = !finalizers.includes(CLUSTER_CONTROLLER_FINALIZER);
    if (!decision.changed && !needsFinalizer) return decision.recheckAfterMs;
    try {
      await ctx.client.patch(
        karmadaResources.clusters,
        cluster.metadata.name ?? '',
        {
          metadata: {
            resourceVersion: cluster.metadata.resourceVersion,
            ...(needsFinalizer ? { finalizers: [...finalizers, CLUSTER_CONTROLLER_FINALIZER] } : {}),
          },
          ...(decision.changed ? { spec: { taints: decision.taints } } : {}),
        },
        'merge',
      );
    } catch (err) {
      if (decision.changed && code(err) !== 409) {
        recorder.event(cluster, 'Warning', EVENT_TAINT_CLUSTER_FAILED, (err as Error).message);
      }
      throw err;
    }
    if (decision.changed) {
      recorder.event(
        cluster,
        'Normal',
        EVENT_TAINT_CLUSTER_SUCCEED,
        `cluster taints are now: ${describeTaints(decision.taints)}`,
      );
      logger.info(
        { cluster: cluster.metadata.name, taints: describeTaints(decision.taints) },
        'cluster tainted',
      );
    }
    return decision.recheckAfterMs;
  }

  async function removeCluster(cluster: Cluster): Promise<void> {
    const name = cluster.metadata.name ?? '';
    if (!cluster.metadata.finalizers?.includes(CLUSTER_CONTROLLER_FINALIZER)) return;
    const space = executionSpaceName(name);
    try {
      await ctx.client.delete(resources.namespaces, space);
      recorder.event(
        cluster,
        'Normal',
        EVENT_REMOVE_EXECUTION_SPACE_SUCCEED,
        `removed execution space ${space}`,
      );
    } catch (err) {
      if (code(err) !== 404) {
        recorder.event(cluster, 'Warning', EVENT_REMOVE_EXECUTION_SPACE_FAILED, (err as Error).message);
        throw err;
      }
    }
    await ctx.client.patch(
      karmadaResources.clusters,
      name,
      {
        metadata: {
          resourceVersion: cluster.metadata.resourceVersion,
          finalizers: (cluster.metadata.finalizers ?? []).filter((f) => f !== CLUSTER_CONTROLLER_FINALIZER),
        },
      },
      'merge',
    );
  }

  clusters.addEventHandler(loop.objectHandler());
  namespaces.addEventHandler({
    onDelete: (ns: KubeObject) => {
      const cluster = clusterOfExecutionSpace(ns.metadata.name ?? '');
      if (cluster) loop.enqueue(cluster);
    },
  });
  loop.start();

  return {
    name: CLUSTER_CONTROLLER,
    async stop() {
      await loop.stop();
      if (!opts.recorder) await recorder.stop();
    },
  };
}
