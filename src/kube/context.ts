// What every built-in controller of a cluster is given: the cluster's API as its own identity,
// the cluster's shared informers, logs, metrics and a clock. One process runs these for many
// clusters, so controllers keep no process-wide state and start no timers they do not stop.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import type { InformerFactory } from '../client/informer-factory.js';

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
}

/** A started controller. */
export interface RunningController {
  readonly name: string;
  /** Stops its loops and informer handlers; resolves when in-flight work is done. */
  stop(): Promise<void>;
}
