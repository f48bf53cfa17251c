// Prometheus metrics of the scheduler under kube-scheduler's names (scheduler_pending_pods,
// scheduler_schedule_attempts_total, scheduler_scheduling_attempt_duration_seconds,
// scheduler_preemption_attempts_total, scheduler_preemption_victims), in the registry the caller
// passes, with a `cluster` label: many clusters share one process. A stopped scheduler removes
// its series.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

type PendingCounts = { active: number; backoff: number; unschedulable: number; gated: number };

const ATTEMPT_BUCKETS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1];

class SchedulerMetricFamilies {
  readonly pending: Gauge<'queue' | 'cluster'>;
  readonly attempts: Counter<'result' | 'profile' | 'cluster'>;
  readonly attemptDuration: Histogram<'result' | 'profile' | 'cluster'>;
  readonly preemptionAttempts: Counter<'cluster'>;
  readonly preemptionVictims: Histogram<'cluster'>;
  readonly sources = new Map<string, () => PendingCounts>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.pending = new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type.',
      labelNames: ['queue', 'cluster'],
      registers,
      collect: () => {
        for (const [cluster, counts] of this.sources) {
          const c = counts();
          this.pending.set({ queue: 'active', cluster }, c.active);
          this.pending.set({ queue: 'backoff', cluster }, c.backoff);
          this.pending.set({ queue: 'unschedulable', cluster }, c.unschedulable);
          this.pending.set({ queue: 'gated', cluster }, c.gated);
        }
      },
    });
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result.',
      labelNames: ['result', 'profile', 'cluster'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding).',
      labelNames: ['result', 'profile', 'cluster'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    this.preemptionAttempts = new Counter({
      name: 'scheduler_preemption_attempts_total',
      help: 'Total preemption attempts in the cluster till now.',
      labelNames: ['cluster'],
      registers,
    });
    this.preemptionVictims = new Histogram({
      name: 'scheduler_preemption_victims',
      help: 'Number of selected preemption victims.',
      labelNames: ['cluster'],
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
  }
}

const families = new WeakMap<Registry, SchedulerMetricFamilies>();

export class SchedulerMetrics {
  private readonly f: SchedulerMetricFamilies;

  constructor(
    registry: Registry,
    private readonly cluster: string,
    private readonly profile: string,
    pending: () => PendingCounts,
  ) {
    let f = families.get(registry);
    if (!f) {
      f = new SchedulerMetricFamilies(registry);
      families.set(registry, f);
    }
    this.f = f;
    f.sources.set(cluster, pending);
  }

  attempt(result: AttemptResult, seconds: number): void {
    const labels = { result, profile: this.profile, cluster: this.cluster };
    this.f.attempts.inc(labels);
    this.f.attemptDuration.observe(labels, seconds);
  }

  preemption(victims: number): void {
    this.f.preemptionAttempts.inc({ cluster: this.cluster });
    if (victims > 0) this.f.preemptionVictims.observe({ cluster: this.cluster }, victims);
  }

  close(): void {
    const cluster = this.cluster;
    this.f.sources.delete(cluster);
    for (const queue of ['active', 'backoff', 'unschedulable', 'gated'])
      this.f.pending.remove({ queue, cluster });
    for (const result of ['scheduled', 'unschedulable', 'error']) {
      this.f.attempts.remove({ result, profile: this.profile, cluster });
      this.f.attemptDuration.remove({ result, profile: this.profile, cluster });
    }
    this.f.preemptionAttempts.remove({ cluster });
    this.f.preemptionVictims.remove({ cluster });
  }
}
