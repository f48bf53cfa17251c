// One Push member as the hub watches it: its own probe loop (nothing shared with other members,
// so a member that hangs delays only itself), the Ready condition from the probes through the
// thresholds, and, while it is Ready, its version and APIs (read again every
// statusUpdateIntervalMs, in the background so that a slow answer never holds up a probe) and
// its capacity (from informers on its nodes and pods, recomputed shortly after they change). On
// its first Ready, all of these go in the write of the condition.
// A member whose watches break is probed at once rather than at its next tick.

import type { Logger } from 'pino';
import type { ClientLease } from '../../client/client-cache.js';
import type { HttpsClient } from '../../client/https.js';
import { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { Condition } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import {
  CLUSTER_REASON_STATUS_COLLECTION_FAILED,
  type Cluster,
  type ClusterStatus,
} from '../apis/karmada/index.js';
import { ApiEnablementsReader } from './api-enablements.js';
import { HealthTracker, type ProbeResult } from './health.js';
import type { ResolvedHealthOptions } from './options.js';
import { probeHealth } from './probe.js';
import { type ClusterStatusWriter, readyOf, type StatusChange, withCondition } from './status-writer.js';
import {
  nodeSummary,
  resourceSummary,
  type SummaryNode,
  type SummaryPod,
  slimNode,
  slimPod,
} from './summary.js';

export interface MemberOptions {
  name: string;
  writer: ClusterStatusWriter;
  options: ResolvedHealthOptions;
  logger: Logger;
  now(): Date;
}

/** How the hub reaches the member: a client, or why there is none. */
export type MemberConnection = { lease: ClientLease } | { error: string; fingerprint: string };

export class PushMember {
  readonly fingerprint: string;
  private readonly client: HttpsClient | undefined;
  private readonly tracker: HealthTracker;
  private readonly opts: MemberOptions;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Number.POSITIVE_INFINITY;
  private queued = false;
  private probing: Promise<void> = Promise.resolve();
  private stopped = false;
  private informers: { nodes: Informer<SummaryNode>; pods: Informer<SummaryPod> } | undefined;
  private summaryTimer: NodeJS.Timeout | undefined;
  /** When the last summary was computed (performance.now()). */
  private summaryAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private readonly apis: ApiEnablementsReader | undefined;

  constructor(
    opts: MemberOptions,
    private readonly connection: MemberConnection,
  ) {
    this.opts = opts;
    this.tracker = new HealthTracker(opts.options);
    if ('lease' in connection) {
      this.client = connection.lease.client;
      this.fingerprint = connection.lease.fingerprint;
      this.apis = new ApiEnablementsReader(this.client, opts.options.requestTimeoutMs);
    } else {
      this.fingerprint = connection.fingerprint;
    }
  }

  /** Starts probing; the first probe at a random point of the interval, so a thousand members spread out. */
  start(): void {
    const first = readyOf(this.opts.writer.current()) ? Math.random() * this.opts.options.probeIntervalMs : 0;
    this.schedule(first);
  }

  /** Probes at once (soon after the one in flight, if any). */
  probeSoon(): void {
    this.schedule(0);
  }

  /** The Cluster's spec changed (resource models): recompute the summary. */
  specChanged(): void {
    this.summarySoon();
  }

  /** Stops probing and watching; settled() resolves once the work in flight has ended. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.summaryTimer);
    this.informers?.nodes.stop();
    this.informers?.pods.stop();
    if ('lease' in this.connection) this.connection.lease.release();
  }

  async settled(): Promise<void> {
    await this.probing;
    await this.refreshing;
    await this.opts.writer.idle();
  }

  // Probes -----------------------------------------------------------------------------------

  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    if (this.timer && this.dueAt <= at) return;
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => this.fire(), ms);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.dueAt = Number.POSITIVE_INFINITY;
    if (this.queued || this.stopped) return;
    this.queued = true;
    this.probing = this.probing
      .then(() => {
        this.queued = false;
        return this.stopped ? undefined : this.tick();
      })
      .catch((err) => this.opts.logger.error({ err, cluster: this.opts.name }, 'probing the cluster failed'));
  }

  private async probe(): Promise<ProbeResult> {
    if (!this.client) {
      const error = 'error' in this.connection ? this.connection.error : 'no client';
      return { ok: false, reason: CLUSTER_REASON_STATUS_COLLECTION_FAILED, message: error };
    }
    return probeHealth(this.client, this.opts.options.probeTimeoutMs);
  }

  private async tick(): Promise<void> {
    const result = await this.probe();
    if (this.stopped) return;
    const { writer, options } = this.opts;
    const current = readyOf(writer.current());
    const next = this.tracker.observe(result, current);
    const ready = next?.status === 'True';
    const recovered = ready && current?.status !== 'True';
    // A member that becomes Ready gets its version, APIs and capacity in the same write as the
    // condition: one update of the Cluster (which every controller watching members reacts to)
    // instead of three in a row.
    const arrival = recovered && result.ok && !this.informers ? await this.arrival() : undefined;
    if (this.stopped) return;
    if (next && !sameCondition(current, next)) {
      await writer
        .write((status, cluster) => {
          const changed = { ...status, conditions: withCondition(status.conditions, next, this.opts.now()) };
          return arrival ? arrival(changed, { ...cluster, status: changed }) : changed;
        })
        .catch((err) => this.writeFailed(err));
    }
    if (ready && result.ok) {
      this.ensureInformers(recovered && !arrival);
      if ((recovered && !arrival) || Date.now() - this.lastRefresh >= options.statusUpdateIntervalMs)
        this.refresh();
    }
    const unsettled = !result.ok || this.tracker.unsettled(next);
    this.schedule(unsettled ? options.failureRetryMs : options.probeIntervalMs);
  }

  private writeFailed(err: unknown): void {
    // A conflict with another writer of the Cluster is routine: the next probe writes again.
    const routine = err instanceof ApiError && err.code === 409;
    this.opts.logger[routine ? 'debug' : 'warn'](
      { err, cluster: this.opts.name },
      'writing the cluster status failed',
    );
  }

  /**
   * What a member that has just become Ready adds to its status: version and APIs, and the
   * capacity summary once its nodes and pods have listed (not waited for past the request
   * timeout: the summary then follows in a write of its own, as on any later change).
   */
  private async arrival(): Promise<StatusChange> {
    this.ensureInformers(false);
    const informers = this.informers;
    this.lastRefresh = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const [info] = await Promise.all([
      this.versionAndApis(),
      informers &&
        Promise.race([
          Promise.all([informers.nodes.waitForSync(), informers.pods.waitForSync()]),
          new Promise((resolve) => {
            timer = setTimeout(resolve, this.opts.options.requestTimeoutMs);
          }),
        ]).finally(() => clearTimeout(timer)),
    ]);
    return (status, cluster) => {
      const next = info ? info(status, cluster) : status;
      return informers ? this.withSummary(informers, next, cluster) : next;
    };
  }

  // Version and APIs -------------------------------------------------------------------------

  /** Reads the version and APIs; the change that records them (none without a client). */
  private async versionAndApis(): Promise<StatusChange | undefined> {
    if (!this.client || !this.apis) return undefined;
    let version: string | undefined;
    try {
      const doc = await this.client.getDocument('/version', {
        timeoutMs: this.opts.options.requestTimeoutMs,
      });
      if (doc.notModified === false) version = (doc.body as { gitVersion?: string })?.gitVersion;
    } catch (err) {
      this.opts.logger.debug({ err, cluster: this.opts.name }, 'reading the version failed');
      if (!this.stopped) this.probeSoon();
    }
    const read = await this.apis.read();
    return (status) => {
      const next: ClusterStatus = { ...status, apiEnablements: read.enablements };
      if (version !== undefined) next.kubernetesVersion = version;
      next.conditions = withCondition(status.conditions, read.condition, this.opts.now());
      return next;
    };
  }

  private refresh(): void {
    if (this.refreshing || !this.client || !this.apis) return;
    this.lastRefresh = Date.now();
    this.refreshing = (async () => {
      const change = await this.versionAndApis();
      if (!change || this.stopped || readyOf(this.opts.writer.current())?.status !== 'True') return;
      await this.opts.writer.write(change);
    })()
      .catch((err) => this.writeFailed(err))
      .finally(() => {
        this.refreshing = undefined;
      });
  }

  // Capacity ---------------------------------------------------------------------------------

  private ensureInformers(recovered: boolean): void {
    if (this.informers) {
      if (recovered) {
        // Their watches broke while the member was away: resume now rather than at the end of
        // a backoff, so the summary is fresh soon after Ready.
        this.informers.nodes.retryNow();
        this.informers.pods.retryNow();
      }
      return;
    }
    if (!this.client) return;
    const { memberInformers } = this.opts.options;
    const common = {
      logger: this.opts.logger.child({ cluster: this.opts.name }),
      onFailure: () => this.probeSoon(),
      ...(memberInformers?.watchTimeoutSeconds
        ? { watchTimeoutSeconds: memberInformers.watchTimeoutSeconds }
        : {}),
      ...(memberInformers?.backoff ? { backoff: memberInformers.backoff } : {}),
    };
    const nodes = new Informer<SummaryNode>(this.client, resources.nodes, { ...common, transform: slimNode });
    const pods = new Informer<SummaryPod>(this.client, resources.pods, { ...common, transform: slimPod });
    const changed = {
      onAdd: () => this.summarySoon(),
      onUpdate: () => this.summarySoon(),
      onDelete: () => this.summarySoon(),
    };
    nodes.addEventHandler(changed);
    pods.addEventHandler(changed);
    this.informers = { nodes, pods };
    nodes.start();
    pods.start();
    // The first summary as soon as both have listed: a member is not usable by placement
    // until its capacity is known, so this one does not wait out summaryDelayMs.
    void Promise.all([nodes.waitForSync(), pods.waitForSync()]).then((synced) => {
      if (synced.every(Boolean)) void this.writeSummary();
    });
  }

  private summarySoon(): void {
    if (this.stopped || this.summaryTimer || !this.informers) return;
    const { summaryDelayMs, summaryIntervalMs } = this.opts.options;
    const wait = Math.max(summaryDelayMs, this.summaryAt + summaryIntervalMs - performance.now());
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = undefined;
      void this.writeSummary();
    }, wait);
    this.summaryTimer.unref();
  }

  private async writeSummary(): Promise<void> {
    const informers = this.informers;
    if (!informers || this.stopped) return;
    if (!informers.nodes.hasSynced() || !informers.pods.hasSynced()) return;
    this.summaryAt = performance.now();
    await this.opts.writer
      .write((status, cluster: Cluster) => this.withSummary(informers, status, cluster))
      .catch((err) => this.writeFailed(err));
  }

  /** The status with the capacity summary of the informers, when they have listed and the member is Ready. */
  private withSummary(
    informers: NonNullable<PushMember['informers']>,
    status: ClusterStatus,
    cluster: Cluster,
  ): ClusterStatus {
    if (readyOf(cluster)?.status !== 'True') return status;
    if (!informers.nodes.hasSynced() || !informers.pods.hasSynced()) return status;
    const nodes = informers.nodes.list();
    const pods = informers.pods.list();
    return {
      ...status,
      nodeSummary: nodeSummary(nodes),
      resourceSummary: resourceSummary(nodes, pods, cluster.spec?.resourceModels),
    };
  }
}

function sameCondition(a: Condition | undefined, b: Condition): boolean {
  return a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;
}
