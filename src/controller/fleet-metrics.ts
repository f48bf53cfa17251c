// The hub's fleet metrics, defined in one place for every controller that records them (see
// docs/metrics.md). Names follow Karmada's where Karmada has the metric (cluster_*, the
// scheduler's karmada_scheduler_*, binding_sync_work_*, work_sync_workload_*), so that its
// dashboards and alerts work unchanged; what Karmada lacks is named concord_*. Members are told
// apart by the `member_cluster` label, as in Karmada.
//
// Who records what:
// - the fleet gauges (cluster_*, concord_clusters, concord_binding_*_replicas) are derived from
//   Cluster and binding objects by the hub's observability controller;
// - the scheduler observes schedulingDuration and counts scheduleAttempts;
// - the binding controller observes bindingSyncWork, the execution controller workSyncWorkload,
//   and the status controller propagationDuration once a binding is FullyApplied;
// - the registry observes clusterSyncStatusDuration and counts healthProbes per probe;
// - failover counts failovers per eviction it starts and observes failoverDuration when one ends.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** prometheus.ExponentialBuckets(0.001, 2, 15): 1 ms to 16 s, as Karmada's scheduler. */
const SCHEDULING_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);
/** From 1 ms to 2 min: propagation crosses the network to members. */
const PROPAGATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export type ResultLabel = 'success' | 'error';

export class FleetMetrics {
  private static readonly byRegistry = new WeakMap<Registry, FleetMetrics>();

  /** The fleet metrics in `registry`, registered on first use (one set per registry). */
  static for(registry: Registry): FleetMetrics {
    let m = FleetMetrics.byRegistry.get(registry);
    if (!m) {
      m = new FleetMetrics(registry);
      FleetMetrics.byRegistry.set(registry, m);
    }
    return m;
  }

  // Gauges of members (Karmada's names), by member_cluster.
  readonly clusterReadyState: Gauge<'member_cluster'>;
  readonly clusterNodeNumber: Gauge<'member_cluster'>;
  readonly clusterReadyNodeNumber: Gauge<'member_cluster'>;
  readonly clusterCpuAllocatable: Gauge<'member_cluster'>;
  readonly clusterMemoryAllocatable: Gauge<'member_cluster'>;
  readonly clusterPodAllocatable: Gauge<'member_cluster'>;
  readonly clusterCpuAllocated: Gauge<'member_cluster'>;
  readonly clusterMemoryAllocated: Gauge<'member_cluster'>;
  readonly clusterPodAllocated: Gauge<'member_cluster'>;
  /** Members by state: Ready, NotReady, Unknown. */
  readonly clusters: Gauge<'state'>;

  // Gauges of bindings, by namespace ("" for ClusterResourceBindings), name and the template's kind.
  readonly bindingDesiredReplicas: Gauge<'namespace' | 'name' | 'kind'>;
  readonly bindingPlacedReplicas: Gauge<'namespace' | 'name' | 'kind'>;
  readonly bindingReadyReplicas: Gauge<'namespace' | 'name' | 'kind'>;
  /** Bindings whose Scheduled condition is not True. */
  readonly bindingsUnschedulable: Gauge;

  // Latencies and counters, recorded by the controllers that do the work.
  /** Karmada's: a binding's scheduling, from its dequeue to its decision written. */
  readonly schedulingDuration: Histogram<'result' | 'schedule_type'>;
  readonly scheduleAttempts: Counter<'result' | 'schedule_type'>;
  /** Karmada's: syncing a binding's Works. */
  readonly bindingSyncWork: Histogram<'result'>;
  /** Karmada's: applying a Work's workload to its member. */
  readonly workSyncWorkload: Histogram<'result'>;
  /** A template's change until its binding is FullyApplied on every placed member. */
  readonly propagationDuration: Histogram<'kind'>;
  /** Karmada's: one health probe and status update of a member. */
  readonly clusterSyncStatusDuration: Histogram<'member_cluster'>;
  readonly healthProbes: Counter<'member_cluster' | 'result'>;
  /** Workloads moved off a member, by why (TaintUntolerated, ApplicationFailure ...). */
  readonly failovers: Counter<'member_cluster' | 'reason'>;
  /** From a graceful eviction task's creation until it is done (result: healthy, timeout, confirmed). */
  readonly failoverDuration: Histogram<'reason' | 'result'>;

  private constructor(registry: Registry) {
    const registers = [registry];
    const member = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['member_cluster'] as const, registers });
    this.clusterReadyState = member('cluster_ready_state', 'State of the member (1 if Ready, 0 otherwise).');
    this.clusterNodeNumber = member('cluster_node_number', 'Nodes of the member.');
    this.clusterReadyNodeNumber = member('cluster_ready_node_number', 'Ready nodes of the member.');
    this.clusterCpuAllocatable = member(
      'cluster_cpu_allocatable_number',
      'Allocatable CPU cores of the member.',
    );
    this.clusterMemoryAllocatable = member(
      'cluster_memory_allocatable_bytes',
      'Allocatable memory of the member in bytes.',
    );
    this.clusterPodAllocatable = member('cluster_pod_allocatable_number', 'Allocatable pods of the member.');
    this.clusterCpuAllocated = member('cluster_cpu_allocated_number', 'CPU cores requested on the member.');
    this.clusterMemoryAllocated = member(
      'cluster_memory_allocated_bytes',
      'Memory requested on the member in bytes.',
    );
    this.clusterPodAllocated = member('cluster_pod_allocated_number', 'Pods on the member.');
    this.clusters = new Gauge({
      name: 'concord_clusters',
      help: 'Members by state of their Ready condition (Ready, NotReady, Unknown).',
      labelNames: ['state'],
      registers,
    });
    const binding = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['namespace', 'name', 'kind'] as const, registers });
    this.bindingDesiredReplicas = binding(
      'concord_binding_desired_replicas',
      'Replicas the template of a binding asks for.',
    );
    this.bindingPlacedReplicas = binding(
      'concord_binding_placed_replicas',
      'Replicas of a binding the scheduler assigned to members.',
    );
    this.bindingReadyReplicas = binding(
      'concord_binding_ready_replicas',
      'Ready replicas of a binding, as its members report them.',
    );
    this.bindingsUnschedulable = new Gauge({
      name: 'concord_bindings_unschedulable',
      help: 'Bindings the scheduler could not place (Scheduled is not True).',
      registers,
    });
    this.schedulingDuration = new Histogram({
      name: 'karmada_scheduler_e2e_scheduling_duration_seconds',
      help: 'Time to schedule a binding, from taking it off the queue to its decision written.',
      labelNames: ['result', 'schedule_type'],
      buckets: SCHEDULING_BUCKETS,
      registers,
    });
    this.scheduleAttempts = new Counter({
      name: 'karmada_scheduler_schedule_attempts_total',
      help: 'Attempts to schedule a binding, by result and schedule type.',
      labelNames: ['result', 'schedule_type'],
      registers,
    });
    this.bindingSyncWork = new Histogram({
      name: 'binding_sync_work_duration_seconds',
      help: "Time to sync a binding's Works, by result.",
      labelNames: ['result'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.workSyncWorkload = new Histogram({
      name: 'work_sync_workload_duration_seconds',
      help: "Time to apply a Work's workload to its member, by result.",
      labelNames: ['result'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.propagationDuration = new Histogram({
      name: 'concord_propagation_duration_seconds',
      help: 'Time from a change of a template to its binding being FullyApplied on every placed member.',
      labelNames: ['kind'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.clusterSyncStatusDuration = new Histogram({
      name: 'cluster_sync_status_duration_seconds',
      help: 'Time to probe a member and update its status once.',
      labelNames: ['member_cluster'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
    this.healthProbes = new Counter({
      name: 'concord_cluster_health_probes_total',
      help: 'Health probes of members, by result (success, failure).',
      labelNames: ['member_cluster', 'result'],
      registers,
    });
    this.failovers = new Counter({
      name: 'concord_failovers_total',
      help: 'Workloads moved off a member, by reason.',
      labelNames: ['member_cluster', 'reason'],
      registers,
    });
    this.failoverDuration = new Histogram({
      name: 'concord_failover_duration_seconds',
      help: 'Time from a workload leaving a member until its graceful eviction is done, by reason and result.',
      labelNames: ['reason', 'result'],
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
  }

  /** Gauges derived from objects, emptied (a hub that stops leading no longer speaks for the fleet). */
  resetFleetGauges(): void {
    for (const g of [
      this.clusterReadyState,
      this.clusterNodeNumber,
      this.clusterReadyNodeNumber,
      this.clusterCpuAllocatable,
      this.clusterMemoryAllocatable,
      this.clusterPodAllocatable,
      this.clusterCpuAllocated,
      this.clusterMemoryAllocated,
      this.clusterPodAllocated,
      this.clusters,
      this.bindingDesiredReplicas,
      this.bindingPlacedReplicas,
      this.bindingReadyReplicas,
      this.bindingsUnschedulable,
    ] as Gauge<string>[]) {
      g.reset();
    }
  }
}
