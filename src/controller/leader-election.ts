// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does
// it, so that Concord's controllers and client-go's controllers read the same Lease the same way:
// - a candidate takes the Lease when it is free or its holder has not renewed it for
//   leaseDurationSeconds, counted on the candidate's own clock from when it last saw the Lease
//   change (clocks of different machines are never compared);
// - the leader renews every retryPeriod; if it cannot renew within renewDeadline, it steps down;
// - every write carries the Lease's resourceVersion, so two candidates never both win;
// - leaseTransitions counts changes of holder; acquireTime is when the holder took it;
// - on stop, the leader releases the Lease (holder cleared) so that another takes over at once;
// - a leader that lost the Lease (onStoppedLeading) campaigns again, as a new candidate.

import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import { resources } from '../client/resources.js';
import type { KubeObject } from '../machinery/object.js';
import { isNotFound } from '../machinery/status.js';
import { microTime } from '../machinery/time.js';
import { controllerLogger, type LogOptions } from './logging.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type Lease = KubeObject & { spec?: LeaseSpec };

export interface LeaderElectionOptions extends LogOptions {
  client: Client;
  lease: { namespace: string; name: string };
  /** This candidate's name, unique among candidates (host name + a random suffix, typically). */
  identity: string;
  /** How long a Lease stays held without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts to take or renew the Lease (default 2 s). */
  retryPeriodMs?: number;
  /** Clear the holder when stopping as leader (default true). */
  releaseOnStop?: boolean;
  /** This candidate became leader; `signal` aborts when it stops being leader. */
  onStartedLeading?(signal: AbortSignal): void | Promise<void>;
  /** This candidate was leader and is not anymore (lost the Lease or stopped). */
  onStoppedLeading?(): void;
  /** The holder seen on the Lease changed (including to this candidate). */
  onNewLeader?(identity: string): void;
}

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly client: Client;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnStop: boolean;
  private readonly logger: Logger;
  private running = false;
  private leading = false;
  private leadership: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private sleeping: (() => void) | undefined;
  /** The Lease spec as last seen, and when (on this candidate's clock) it was seen to change. */
  private observed: LeaseSpec | undefined;
  private observedAt = 0;
  private reportedLeader: string | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {
    const { lease, identity } = opts;
    if (!identity) throw new TypeError('leader election: identity must not be empty');
    if (!lease?.namespace || !lease.name)
      throw new TypeError('leader election: lease.namespace and lease.name are required');
    this.client = opts.client;
    this.namespace = lease.namespace;
    this.name = lease.name;
    this.identity = identity;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.releaseOnStop = opts.releaseOnStop ?? true;
    // The same checks as client-go, for the same reasons: a leader must give up before its
    // Lease can be taken, and must get several attempts within its deadline.
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new RangeError('leader election: leaseDurationMs must be greater than renewDeadlineMs');
    }
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new RangeError(
        `leader election: renewDeadlineMs must be greater than ${JITTER_FACTOR} * retryPeriodMs`,
      );
    }
    if (!(this.retryPeriodMs > 0)) throw new RangeError('leader election: retryPeriodMs must be positive');
    this.logger = controllerLogger(`leader-election/${lease.namespace}/${lease.name}`, opts).child({
      identity,
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease ("" when free, undefined before the first look). */
  get leader(): string | undefined {
    return this.observed?.holderIdentity;
  }

  start(): void {
    if (this.running || this.loop) return;
    this.running = true;
    this.loop = this.run().catch((err) =>
      this.logger.error({ err }, 'leader election stopped on an unexpected error'),
    );
  }

  /** Stops campaigning; a leader steps down (and releases the Lease unless told not to). */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeping?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      // Campaign until the Lease is ours.
      while (this.running && !(await this.tryAcquireOrRenew())) {
        await this.sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR));
      }
      if (!this.running) break;
      this.becomeLeader();
      // Renew until we cannot, or are stopped.
      while (this.running) {
        await this.sleep(this.retryPeriodMs);
        if (!this.running) break;
        if (!(await this.renew())) {
          this.logger.warn('failed to renew the lease in time, stepping down');
          break;
        }
      }
      const release = !this.running && this.releaseOnStop;
      this.stepDown();
      if (release) await this.release();
    }
  }

  /** Tries every retryPeriod until renewed or renewDeadline has passed. */
  private async renew(): Promise<boolean> {
    const deadline = Date.now() + this.renewDeadlineMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (await this.withDeadline(this.tryAcquireOrRenew(), left)) return true;
      if (!this.running) return true; // stopping: the caller releases
      if (deadline - Date.now() <= 0) return false;
      await this.sleep(Math.min(this.retryPeriodMs, Math.max(0, deadline - Date.now())));
      if (!this.running) return true;
    }
  }

  private becomeLeader(): void {
    this.leading = true;
    this.leadership = new AbortController();
    this.logger.info('became leader');
    try {
      const r = this.opts.onStartedLeading?.(this.leadership.signal);
      if (r && typeof (r as Promise<void>).catch === 'function') {
        (r as Promise<void>).catch((err) => this.logger.error({ err }, 'onStartedLeading failed'));
      }
    } catch (err) {
      this.logger.error({ err }, 'onStartedLeading failed');
    }
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.leadership?.abort();
    this.leadership = undefined;
    this.logger.info('stopped leading');
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.logger.error({ err }, 'onStoppedLeading failed');
    }
  }

  /** One attempt to take or keep the Lease. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const desired: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(resources.leases, this.name, { namespace: this.namespace });
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.debug({ err }, 'reading the lease failed');
        return false;
      }
      try {
        await this.client.create<Lease>(resources.leases, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: desired,
        });
      } catch (createErr) {
        this.logger.debug({ err: createErr }, 'creating the lease failed');
        return false;
      }
      this.observe(desired, now);
      return true;
    }

    const record = lease.spec ?? {};
    this.observe(record, now);
    const holder = record.holderIdentity ?? '';
    const duration = (record.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + duration > now) {
      return false; // held by another, and renewed recently enough
    }
    if (holder === this.identity) {
      desired.acquireTime = record.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = record.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (record.leaseTransitions ?? 0) + 1;
    }
    try {
      // The resourceVersion we read makes this a compare-and-swap.
      await this.client.update<Lease>(resources.leases, { ...lease, spec: { ...record, ...desired } });
    } catch (err) {
      this.logger.debug({ err }, 'updating the lease failed');
      return false;
    }
    this.observe(desired, now);
    return true;
  }

  /** Clears the holder so that another candidate need not wait for the Lease to expire. */
  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(resources.leases, this.name, { namespace: this.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(Date.now());
      await this.client.update<Lease>(resources.leases, {
        ...lease,
        spec: {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        },
      });
      this.logger.info('released the lease');
    } catch (err) {
      this.logger.warn({ err }, 'releasing the lease failed; it expires on its own');
    }
  }

  private observe(record: LeaseSpec, now: number): void {
    const prev = this.observed;
    const changed =
      !prev ||
      prev.holderIdentity !== record.holderIdentity ||
      prev.renewTime !== record.renewTime ||
      prev.acquireTime !== record.acquireTime ||
      prev.leaseDurationSeconds !== record.leaseDurationSeconds ||
      prev.leaseTransitions !== record.leaseTransitions;
    if (changed) {
      this.observed = { ...record };
      this.observedAt = now;
    }
    const holder = record.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.opts.onNewLeader?.(holder);
      } catch (err) {
        this.logger.error({ err }, 'onNewLeader failed');
      }
    }
  }

  private async withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
    });
  }
}
