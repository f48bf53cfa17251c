// One Pull member as the hub watches it. The hub does not reach a Pull member: its agent reports
// the Cluster's status and renews a Lease named after the cluster in karmada-cluster, as
// Karmada's agent does. The hub checks that Lease every probe interval; a Lease that has
// expired (renewTime + leaseDurationSeconds in the past) counts as a failed probe, and after
// `failureThreshold` of them in a row Ready becomes Unknown (the agent stopped posting status),
// which taints the member unreachable. Ready True again is the agent's to report.

import type { Logger } from 'pino';
import type { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import { CLUSTER_CONDITION_READY, NAMESPACE_KARMADA_CLUSTER } from '../apis/karmada/index.js';
import type { ResolvedHealthOptions } from './options.js';
import { type ClusterStatusWriter, readyOf, withCondition } from './status-writer.js';

/** The agent's Lease has expired. */
export const CLUSTER_REASON_STATUS_UNKNOWN = 'ClusterStatusUnknown';
/** The agent never reported (no Ready condition, no Lease) within the startup grace period. */
export const CLUSTER_REASON_STATUS_NEVER_UPDATED = 'ClusterStatusNeverUpdated';

interface Lease extends KubeObject {
  spec?: { renewTime?: string; leaseDurationSeconds?: number; holderIdentity?: string };
}

export interface PullMemberOptions {
  name: string;
  writer: ClusterStatusWriter;
  leases: Informer<KubeObject>;
  options: ResolvedHealthOptions;
  logger: Logger;
  now(): Date;
}

export class PullMember {
  readonly fingerprint = 'pull';
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PullMemberOptions) {}

  start(): void {
    this.schedule(Math.random() * this.opts.options.probeIntervalMs);
  }

  /** The Lease changed: look at once. */
  probeSoon(): void {
    this.schedule(0);
  }

  specChanged(): void {}

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async settled(): Promise<void> {
    await this.checking;
    await this.opts.writer.idle();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.checking = this.check().catch((err) =>
        this.opts.logger.warn({ err, cluster: this.opts.name }, 'checking the agent lease failed'),
      );
    }, ms);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const { options, writer, name } = this.opts;
    const now = this.opts.now();
    const lease = this.opts.leases.get(name, NAMESPACE_KARMADA_CLUSTER) as Lease | undefined;
    const cluster = writer.current();
    const ready = readyOf(cluster);
    const renewed = Date.parse(lease?.spec?.renewTime ?? '');
    const durationMs = (lease?.spec?.leaseDurationSeconds ?? 0) * 1000;
    const fresh = !Number.isNaN(renewed) && renewed + durationMs > now.getTime();
    if (fresh) {
      this.failures = 0;
      this.schedule(Math.min(options.probeIntervalMs, renewed + durationMs - now.getTime()));
      return;
    }
    if (!lease && !ready) {
      // Never heard of: give the agent its startup grace before saying so.
      const created = Date.parse(cluster?.metadata.creationTimestamp ?? '');
      if (Number.isNaN(created) || now.getTime() < created + options.startupGracePeriodMs) {
        this.schedule(options.probeIntervalMs);
        return;
      }
    }
    this.failures++;
    if (this.failures >= options.failureThreshold && ready?.status !== 'Unknown') {
      const condition = lease
        ? {
            type: CLUSTER_CONDITION_READY,
            status: 'Unknown' as const,
            reason: CLUSTER_REASON_STATUS_UNKNOWN,
            message: `the agent stopped renewing its lease ${NAMESPACE_KARMADA_CLUSTER}/${name} (last renewed ${
              Number.isNaN(renewed) ? 'never' : metaTime(renewed)
            }, lease duration ${durationMs / 1000}s)`,
          }
        : {
            type: CLUSTER_CONDITION_READY,
            status: 'Unknown' as const,
            reason: CLUSTER_REASON_STATUS_NEVER_UPDATED,
            message: `no agent has reported for this cluster: there is no lease ${NAMESPACE_KARMADA_CLUSTER}/${name}`,
          };
      await writer.write((status) => ({
        ...status,
        conditions: withCondition(status.conditions, condition, now),
      }));
    }
    this.schedule(
      this.failures >= options.failureThreshold ? options.probeIntervalMs : options.failureRetryMs,
    );
  }
}
