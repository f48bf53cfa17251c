// The core controllers of a cluster, started together as kube-controller-manager starts them:
// garbage collector, namespace lifecycle, EndpointSlices and Endpoints, node lifecycle and taint
// eviction, pod garbage collection, ServiceAccounts and PodDisruptionBudget status. Names follow
// kube-controller-manager's --controllers flag.

import type { ControllerContext, RunningController } from '../controller/context.js';
import {
  type DisruptionControllerOptions,
  startDisruptionController,
} from './disruption/disruption-controller.js';
import {
  type EndpointsControllerOptions,
  startEndpointsController,
} from './endpoints/endpoints-controller.js';
import {
  type EndpointSliceControllerOptions,
  startEndpointSliceController,
} from './endpoints/endpointslice-controller.js';
import {
  type GarbageCollectorOptions,
  type RunningGarbageCollector,
  startGarbageCollector,
} from './gc/garbage-collector.js';
import { ResourceMonitors } from './gc/monitors.js';
import {
  type NamespaceControllerOptions,
  startNamespaceController,
} from './namespace/namespace-controller.js';
import {
  type NodeLifecycleOptions,
  startNodeLifecycleController,
} from './node-lifecycle/node-lifecycle-controller.js';
import { startTaintEvictionController, type TaintEvictionOptions } from './node-lifecycle/taint-eviction.js';
import { type PodGCOptions, startPodGCController } from './podgc/podgc-controller.js';
import {
  type ResourceQuotaControllerOptions,
  startResourceQuotaController,
} from './resourcequota/controller.js';
import { type ServiceAccountControllerOptions, startServiceAccountController } from './serviceaccount.js';

export const CORE_CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'endpointslice-controller',
  'endpoints-controller',
  'node-lifecycle-controller',
  'taint-eviction-controller',
  'pod-garbage-collector-controller',
  'serviceaccount-controller',
  'disruption-controller',
  'resourcequota-controller',
] as const;

export type CoreControllerName = (typeof CORE_CONTROLLERS)[number];

export interface CoreControllerOptions {
  /** Which controllers run (default: all of CORE_CONTROLLERS). */
  controllers?: readonly CoreControllerName[];
  /** Node health: silence after which a node is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Node health: how often it is checked (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /**
   * Eviction behaviour: whether pods are evicted from NoExecute-tainted nodes at all (default
   * true; false leaves out the taint eviction controller), and the rates of the node controller's
   * NoExecute tainting (see NodeLifecycleOptions).
   */
  eviction?: {
    enabled?: boolean;
    rate?: number;
    secondaryRate?: number;
    largeClusterSizeThreshold?: number;
    unhealthyZoneThreshold?: number;
  };
  /** Further options per controller. */
  garbageCollector?: GarbageCollectorOptions;
  namespace?: NamespaceControllerOptions;
  endpointSlice?: EndpointSliceControllerOptions;
  endpoints?: EndpointsControllerOptions;
  nodeLifecycle?: NodeLifecycleOptions;
  taintEviction?: TaintEvictionOptions;
  podGC?: PodGCOptions;
  serviceAccount?: ServiceAccountControllerOptions;
  disruption?: DisruptionControllerOptions;
  resourceQuota?: ResourceQuotaControllerOptions;
}

export interface RunningCoreControllers extends RunningController {
  readonly controllers: readonly RunningController[];
  /** The garbage collector, when it runs (its graph and sync state, for tests and diagnostics). */
  readonly garbageCollector: RunningGarbageCollector | undefined;
}

/**
 * Starts the selected core controllers on the cluster's shared informers, and starts those
 * informers. stop() stops them all (the informers belong to the caller's factory).
 */
export function startCoreControllers(
  ctx: ControllerContext,
  options: CoreControllerOptions = {},
): RunningCoreControllers {
  const wanted = new Set<string>(options.controllers ?? CORE_CONTROLLERS);
  for (const name of wanted) {
    if (!(CORE_CONTROLLERS as readonly string[]).includes(name)) {
      throw new Error(`unknown core controller "${name}": known are ${CORE_CONTROLLERS.join(', ')}`);
    }
  }
  const eviction = options.eviction ?? {};
  const started: RunningController[] = [];
  // One view of every resource, shared by the garbage collector and the namespace controller.
  const monitors =
    wanted.has('garbage-collector-controller') || wanted.has('namespace-controller')
      ? new ResourceMonitors(ctx)
      : undefined;
  let gc: RunningGarbageCollector | undefined;
  try {
    if (wanted.has('garbage-collector-controller')) {
      gc = startGarbageCollector(ctx, { ...options.garbageCollector, monitors });
      started.push(gc);
    }
    if (wanted.has('namespace-controller'))
      started.push(startNamespaceController(ctx, { ...options.namespace, monitors }));
    if (wanted.has('endpointslice-controller'))
      started.push(startEndpointSliceController(ctx, options.endpointSlice));
    if (wanted.has('endpoints-controller')) started.push(startEndpointsController(ctx, options.endpoints));
    if (wanted.has('node-lifecycle-controller')) {
      started.push(
        startNodeLifecycleController(ctx, {
          ...options.nodeLifecycle,
          ...(options.nodeMonitorGracePeriodMs !== undefined
            ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs }
            : {}),
          ...(options.nodeMonitorPeriodMs !== undefined
            ? { nodeMonitorPeriodMs: options.nodeMonitorPeriodMs }
            : {}),
          ...(eviction.rate !== undefined ? { evictionRate: eviction.rate } : {}),
          ...(eviction.secondaryRate !== undefined ? { secondaryEvictionRate: eviction.secondaryRate } : {}),
          ...(eviction.largeClusterSizeThreshold !== undefined
            ? { largeClusterSizeThreshold: eviction.largeClusterSizeThreshold }
            : {}),
          ...(eviction.unhealthyZoneThreshold !== undefined
            ? { unhealthyZoneThreshold: eviction.unhealthyZoneThreshold }
            : {}),
        }),
      );
    }
    if (wanted.has('taint-eviction-controller') && eviction.enabled !== false) {
      started.push(startTaintEvictionController(ctx, options.taintEviction));
    }
    if (wanted.has('pod-garbage-collector-controller'))
      started.push(startPodGCController(ctx, options.podGC));
    if (wanted.has('serviceaccount-controller'))
      started.push(startServiceAccountController(ctx, options.serviceAccount));
    if (wanted.has('disruption-controller')) started.push(startDisruptionController(ctx, options.disruption));
    if (wanted.has('resourcequota-controller'))
      started.push(startResourceQuotaController(ctx, options.resourceQuota));
  } catch (err) {
    for (const c of started) void c.stop();
    monitors?.stop();
    throw err;
  }
  ctx.informers.start();
  return {
    name: 'core',
    controllers: started,
    garbageCollector: gc,
    async stop() {
      await Promise.all(started.map((c) => c.stop()));
      monitors?.stop();
    },
  };
}
