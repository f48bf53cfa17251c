// Prometheus metrics of the controller runtime, under the names client-go's workqueue and
// controller-runtime use (dashboards for those work unchanged), in a Registry the caller passes:
// many API servers and clusters share one process, so nothing goes to prom-client's global
// registry. Every series carries the controller's name and a `cluster` label ("" when the caller
// gives none). A stopped controller's series are removed, so clusters that come and go leave no
// stale series behind.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueMetricsSink } from './queue.js';

/** client-go: ExponentialBuckets(10e-9, 10, 10): 10 ns to 10 s. */
const WORKQUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);
/** Reconcile durations from 1 ms to 1 min; fewer buckets than controller-runtime, for fleets. */
const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

/** What a controller reports about its reconciles. */
export interface ReconcileMetricsSink {
  reconciled(result: ReconcileResultLabel, seconds: number): void;
  workers(active: number, max: number): void;
  close(): void;
}

type QueueLabels = { name: string; cluster: string };
type ControllerLabels = { controller: string; cluster: string };

export class ControllerMetrics {
  private static readonly byRegistry = new WeakMap<Registry, ControllerMetrics>();

  /** The runtime's metrics in `registry`, registered on first use. */
  static for(registry: Registry): ControllerMetrics {
    let m = ControllerMetrics.byRegistry.get(registry);
    if (!m) {
      m = new ControllerMetrics(registry);
      ControllerMetrics.byRegistry.set(registry, m);
    }
    return m;
  }

  private readonly depth: Gauge<'name' | 'cluster'>;
  private readonly adds: Counter<'name' | 'cluster'>;
  private readonly queueDuration: Histogram<'name' | 'cluster'>;
  private readonly workDuration: Histogram<'name' | 'cluster'>;
  private readonly retries: Counter<'name' | 'cluster'>;
  private readonly unfinished: Gauge<'name' | 'cluster'>;
  private readonly longest: Gauge<'name' | 'cluster'>;
  private readonly reconcileTotal: Counter<'controller' | 'cluster' | 'result'>;
  private readonly reconcileErrors: Counter<'controller' | 'cluster'>;
  private readonly reconcileTime: Histogram<'controller' | 'cluster'>;
  private readonly activeWorkers: Gauge<'controller' | 'cluster'>;
  private readonly maxWorkers: Gauge<'controller' | 'cluster'>;
  /** Queues whose work in progress a scrape measures. */
  private readonly probes = new Map<
    string,
    { labels: QueueLabels; probe: () => { unfinishedSeconds: number; longestSeconds: number } }
  >();

  private constructor(registry: Registry) {
    const registers = [registry];
    const q = ['name', 'cluster'] as const;
    const c = ['controller', 'cluster'] as const;
    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of the work queue.',
      labelNames: q,
      registers,
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Adds handled by the work queue.',
      labelNames: q,
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long an item stays in the work queue before being requested.',
      labelNames: q,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long processing an item from the work queue takes.',
      labelNames: q,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Retries handled by the work queue.',
      labelNames: q,
      registers,
    });
    const probes = this.probes;
    const measure = (pick: 'unfinishedSeconds' | 'longestSeconds') =>
      function collect(this: Gauge<'name' | 'cluster'>) {
        for (const { labels, probe } of probes.values()) this.set(labels, probe()[pick]);
      };
    this.unfinished = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'Seconds of work in progress not yet observed by work_duration; large values suggest stuck workers.',
      labelNames: q,
      registers,
      collect: measure('unfinishedSeconds'),
    });
    this.longest = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How long the longest running worker of the queue has been at its item.',
      labelNames: q,
      registers,
      collect: measure('longestSeconds'),
    });
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Reconciliations per controller, by result (success, error, requeue, requeue_after).',
      labelNames: [...c, 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Reconciliations per controller that ended in an error.',
      labelNames: c,
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Time per reconciliation per controller.',
      labelNames: c,
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Workers busy reconciling, per controller.',
      labelNames: c,
      registers,
    });
    this.maxWorkers = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Workers per controller.',
      labelNames: c,
      registers,
    });
  }

  /** The sink for one work queue. */
  workqueue(name: string, cluster = ''): QueueMetricsSink {
    const labels: QueueLabels = { name, cluster };
    const key = `${cluster}\u0000${name}`;
    this.depth.set(labels, 0);
    return {
      added: () => this.adds.inc(labels),
      depth: (n) => this.depth.set(labels, n),
      queued: (s) => this.queueDuration.observe(labels, s),
      worked: (s) => this.workDuration.observe(labels, s),
      retried: () => this.retries.inc(labels),
      watchProcessing: (probe) => {
        this.probes.set(key, { labels, probe });
      },
      close: () => {
        this.probes.delete(key);
        for (const m of [
          this.depth,
          this.adds,
          this.queueDuration,
          this.workDuration,
          this.retries,
          this.unfinished,
          this.longest,
        ]) {
          m.remove(labels);
        }
      },
    };
  }

  /** The sink for one controller's reconciles. */
  reconciler(controller: string, cluster = ''): ReconcileMetricsSink {
    const labels: ControllerLabels = { controller, cluster };
    // Every series exists from the start at zero, so rates and alerts work before the first error.
    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) {
      this.reconcileTotal.inc({ ...labels, result }, 0);
    }
    this.reconcileErrors.inc(labels, 0);
    return {
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ ...labels, result });
        if (result === 'error') this.reconcileErrors.inc(labels);
        this.reconcileTime.observe(labels, seconds);
      },
      workers: (active, max) => {
        this.activeWorkers.set(labels, active);
        this.maxWorkers.set(labels, max);
      },
      close: () => {
        for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) {
          this.reconcileTotal.remove({ ...labels, result });
        }
        for (const m of [this.reconcileErrors, this.reconcileTime, this.activeWorkers, this.maxWorkers])
          m.remove(labels);
      },
    };
  }
}
