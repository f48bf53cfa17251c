// The hub's controller manager. Several hub processes may serve one store (high availability on
// etcd); the hub's controllers run in exactly one of them: the one that holds the Lease
// kube-system/concord-controller-manager, as kube-controller-manager's controllers do. While it
// leads, the manager runs every controller factory it was given on a hub context (the hub's
// in-process client, shared informers of its own, logger, metrics, clock, data dir); when it
// loses the Lease it stops them and their informers, and campaigns again.

import { Gauge, type Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import { InformerFactory, type InformerFactoryOptions } from '../client/informer-factory.js';
import type { ControllerContext, RunningController } from '../controller/context.js';
import { LeaderElector } from '../controller/leader-election.js';

/** What a hub controller is given. */
export interface HubContext extends ControllerContext {
  /** The hub's data dir (--data-dir), for controllers that keep files of their own. */
  dataDir: string;
  /** This hub process's identity, unique among the hubs of one store (its leader-election name). */
  identity: string;
  /** Where this hub serves, and the CA its certificate chains to. */
  endpoint: { url: string; caPem: string };
  /** The hub's store (its description: "memory", "sqlite:PATH", "etcd:..."), for controllers whose own data should last as long. */
  storeDescription?: string;
}

/** Starts some of the hub's controllers; called each time this hub becomes the leader. */
export type HubControllerFactory = (ctx: HubContext) => RunningController[];

export const MANAGER_LEASE = { namespace: 'kube-system', name: 'concord-controller-manager' };

export interface LeaderElectionTimings {
  /** How long the Lease stays held without renewal (default 8 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 6 s). */
  renewDeadlineMs?: number;
  /** Time between attempts to take or renew the Lease (default 1.5 s). */
  retryPeriodMs?: number;
}

// Shorter than kube-controller-manager's 15/10/2 s so that a standby takes over a crashed
// leader within about ten seconds; still several renewals per lease duration.
const DEFAULT_TIMINGS: Required<LeaderElectionTimings> = {
  leaseDurationMs: 8_000,
  renewDeadlineMs: 6_000,
  retryPeriodMs: 1_500,
};

export interface ControllerManagerOptions extends LeaderElectionTimings {
  /** Everything of the hub context but the informers, which the manager makes per term. */
  context: Omit<HubContext, 'informers'>;
  controllers: readonly HubControllerFactory[];
  /** Defaults for the informers controllers ask for (tests use short watches). */
  informers?: Pick<InformerFactoryOptions, 'informerDefaults' | 'resyncPeriodMs'>;
}

export class ControllerManager {
  private readonly elector: LeaderElector;
  private readonly client: Client;
  private running: { informers: InformerFactory; controllers: RunningController[] } | undefined;
  /** Starts and stops of controllers, one after the other (a term may end while it starts). */
  private transitions: Promise<void> = Promise.resolve();
  private readonly leading: Gauge | undefined;

  constructor(private readonly opts: ControllerManagerOptions) {
    const { context } = opts;
    this.client = context.client;
    if (context.metrics) this.leading = leaderGauge(context.metrics);
    this.elector = new LeaderElector({
      client: context.client,
      lease: MANAGER_LEASE,
      identity: context.identity,
      leaseDurationMs: opts.leaseDurationMs ?? DEFAULT_TIMINGS.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs ?? DEFAULT_TIMINGS.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs ?? DEFAULT_TIMINGS.retryPeriodMs,
      logger: context.logger,
      onStartedLeading: () => this.enqueue(() => this.startControllers()),
      onStoppedLeading: () => this.enqueue(() => this.stopControllers()),
    });
  }

  get identity(): string {
    return this.elector.identity;
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The leader last seen on the Lease (this hub or another). */
  get leader(): string | undefined {
    return this.elector.leader;
  }

  /** The controllers running now (none unless this hub leads). */
  controllerNames(): string[] {
    return this.running?.controllers.map((c) => c.name) ?? [];
  }

  start(): void {
    this.leading?.set({ name: MANAGER_LEASE.name }, 0);
    this.elector.start();
  }

  /** Stops campaigning; a leader stops its controllers and releases the Lease. */
  async stop(): Promise<void> {
    await this.elector.stop();
    await this.enqueue(() => this.stopControllers());
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions
      .then(step)
      .catch((err) =>
        this.opts.context.logger.error(
          { err },
          'controller manager: starting or stopping controllers failed',
        ),
      );
    return this.transitions;
  }

  private async startControllers(): Promise<void> {
    if (this.running || !this.elector.isLeader()) return;
    const { context } = this.opts;
    const informers = new InformerFactory(this.client, { logger: context.logger, ...this.opts.informers });
    const ctx: HubContext = { ...context, informers };
    const controllers: RunningController[] = [];
    this.running = { informers, controllers };
    for (const factory of this.opts.controllers) {
      try {
        controllers.push(...factory(ctx));
      } catch (err) {
        // One controller that cannot start must not keep the others from running.
        context.logger.error({ err, factory: factory.name }, 'a hub controller failed to start');
      }
    }
    informers.start();
    this.leading?.set({ name: MANAGER_LEASE.name }, 1);
    context.logger.info({ controllers: controllers.map((c) => c.name) }, 'hub controllers started');
  }

  private async stopControllers(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.leading?.set({ name: MANAGER_LEASE.name }, 0);
    await Promise.all(running.controllers.map((c) => c.stop()));
    running.informers.stop();
    this.opts.context.logger.info('hub controllers stopped');
  }
}

/** client-go's leader-election metric: 1 while this process leads the named Lease. */
function leaderGauge(registry: Registry): Gauge {
  const existing = registry.getSingleMetric('leader_election_master_status');
  if (existing) return existing as Gauge;
  return new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process is the leader of the named lease (1) or not (0).',
    labelNames: ['name'],
    registers: [registry],
  });
}
