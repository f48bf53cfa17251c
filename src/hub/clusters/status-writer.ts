// Writes one member's Cluster.status: one write at a time, only when something changed, through
// the status subresource with a retry on a conflict (against the object read again), and an Event
// on every change of the Ready condition. Conditions keep their lastTransitionTime while their
// status holds, as the API's condition helpers do.

import type { Logger } from 'pino';
import type { Client } from '../../client/client.js';
import type { EventRecorder } from '../../controller/events.js';
import { updateStatus } from '../../controller/status.js';
import { deepEqual } from '../../machinery/json.js';
import type { Condition } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import {
  CLUSTER_CONDITION_READY,
  CLUSTER_REASON_READY,
  type Cluster,
  type ClusterStatus,
  karmadaResources,
} from '../apis/karmada/index.js';

/** The conditions with `next` in place of the one of its type; lastTransitionTime moves only with the status. */
export function withCondition(
  conditions: readonly Condition[] | undefined,
  next: Condition,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const old = list.find((c) => c.type === next.type);
  const lastTransitionTime =
    old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : metaTime(now);
  const entry: Condition = { ...next, lastTransitionTime };
  return old ? list.map((c) => (c.type === next.type ? entry : c)) : [...list, entry];
}

export function readyOf(cluster: Cluster | undefined): Condition | undefined {
  return cluster?.status?.conditions?.find((c) => c.type === CLUSTER_CONDITION_READY);
}

/** Changes a status: returns the new one (the given one is a copy the function may change). */
export type StatusChange = (status: ClusterStatus, cluster: Cluster) => ClusterStatus;

export interface StatusWriterOptions {
  name: string;
  hub: Client;
  /** The Cluster as the hub's cache has it. */
  cached(): Cluster | undefined;
  recorder: EventRecorder;
  logger: Logger;
  now(): Date;
}

export class ClusterStatusWriter {
  private chain: Promise<void> = Promise.resolve();
  /** What our last write returned, and the version it replaced (the cache may not have caught up). */
  private written: { cluster: Cluster; replaced: string | undefined } | undefined;

  constructor(private readonly opts: StatusWriterOptions) {}

  /** The Cluster as last known: our own last write if the cache has not seen it yet. */
  current(): Cluster | undefined {
    const cached = this.opts.cached();
    const w = this.written;
    if (cached && w && cached.metadata.uid === w.cluster.metadata.uid) {
      if (cached.metadata.resourceVersion === w.replaced) return w.cluster;
    }
    return cached;
  }

  /** Applies `change` to the current status and writes it if it differs; resolves when done. */
  write(change: StatusChange): Promise<void> {
    const run = this.chain.then(() => this.writeNow(change));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the writes queued so far are done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async writeNow(change: StatusChange): Promise<void> {
    const cluster = this.current();
    if (!cluster || cluster.metadata.deletionTimestamp) return;
    const before = cluster.status ?? {};
    const after = change(structuredClone(before), cluster);
    if (deepEqual(before, after)) return;
    const updated = await updateStatus<Cluster>(
      this.opts.hub,
      karmadaResources.clusters,
      cluster,
      after,
      (fresh) => change(structuredClone(fresh.status ?? {}), fresh),
    );
    this.written = { cluster: updated, replaced: cluster.metadata.resourceVersion };
    this.announce(readyOf(cluster), readyOf(updated), updated);
  }

  /** An Event when Ready changed its status or its reason. */
  private announce(before: Condition | undefined, after: Condition | undefined, cluster: Cluster): void {
    if (!after) return;
    if (before && before.status === after.status && before.reason === after.reason) return;
    const healthy = after.status === 'True';
    const reason = after.reason || (healthy ? CLUSTER_REASON_READY : 'ClusterNotReady');
    this.opts.recorder.event(cluster, healthy ? 'Normal' : 'Warning', reason, after.message ?? '');
    const level = healthy ? 'info' : 'warn';
    this.opts.logger[level](
      { cluster: this.opts.name, ready: after.status, reason, message: after.message },
      'cluster readiness changed',
    );
  }
}
