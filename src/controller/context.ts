// What every built-in controller of a cluster is given: the cluster's API as its own identity,
// the cluster's shared informers, logs, metrics and a clock. One process runs these for many
// clusters, so controllers keep no process-wide state and start no timers they do not stop.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import type { InformerFactory } from '../client/informer-factory.js';
import { Controller, type ControllerOptions } from './controller.js';
import { EventRecorder } from './events.js';
import type { BackgroundLane } from './lane.js';

export interface ControllerContext {
  /** The cluster's name, for logs and metrics labels. */
  cluster: string;
  /** The cluster's API (in-process for simulated clusters), as the controller's identity. */
  client: Client;
  /** Shared informers of this cluster: every controller asks here, so each resource is watched once. */
  informers: InformerFactory;
  logger: Logger;
  /** Where controllers register their metrics (none: no metrics). */
  metrics?: Registry;
  now(): Date;
  /**
   * Where the cluster's controllers take turns when they share a process with its API server
   * (simulated clusters): requests ready to be served go first (lane.ts). None: at once.
   */
  lane?: BackgroundLane;
}

/** A started controller. */
export interface RunningController {
  readonly name: string;
  /** Stops its loops and informer handlers; resolves when in-flight work is done. */
  stop(): Promise<void>;
}

/** A reconcile loop of this cluster: its logs and metrics carry the cluster's name. */
export function reconcileLoop(
  ctx: ControllerContext,
  opts: Pick<ControllerOptions, 'name' | 'reconcile' | 'workers'>,
): Controller {
  return new Controller({
    ...opts,
    logger: ctx.logger,
    metrics: ctx.metrics,
    cluster: ctx.cluster,
    ...(ctx.lane ? { lane: ctx.lane } : {}),
  });
}

/** The recorder a controller was given, or one writing this cluster's Events as `component`. */
export function eventRecorder(
  ctx: ControllerContext,
  component: string,
  given?: EventRecorder,
): EventRecorder {
  return given ?? new EventRecorder({ client: ctx.client, component, now: ctx.now, logger: ctx.logger });
}
