// The fleet gauges of the hub's /metrics (FleetMetrics): members by state, each member's nodes
// and capacity, each binding's replicas desired, placed and ready, and how many bindings could not
// be placed. All derived from the API objects through informers, so they say what `kubectl get`
// says. Each change updates only the series of the object that changed (one queue key per member
// and per binding): a pass over every binding on each change made the hub's cost per binding grow
// with the number of bindings.

import { type RunningController, reconcileLoop } from '../../controller/context.js';
import { FleetMetrics } from '../../controller/fleet-metrics.js';
import type { Cluster } from '../apis/karmada/cluster/types.js';
import {
  type Binding,
  bindingReplicas,
  bindingUnplaced,
  CLUSTER_HEALTH_STATES,
  clusterCapacity,
  clusterHealth,
} from '../apis/karmada/fleet.js';
import type { HubContext } from '../manager.js';
import { fleetResources } from './resources.js';

type BindingLabels = { namespace: string; name: string; kind: string };

// Queue keys: "c/<member>", "rb/<namespace>/<name>", "crb/<name>".
const clusterKey = (c: Cluster) => `c/${c.metadata.name}`;
const bindingKey = (b: Binding) =>
  b.metadata.namespace ? `rb/${b.metadata.namespace}/${b.metadata.name}` : `crb/${b.metadata.name}`;

export function startFleetGaugesController(ctx: HubContext): RunningController[] {
  if (!ctx.metrics) return [];
  const metrics = FleetMetrics.for(ctx.metrics);
  const clusters = ctx.informers.informerFor<Cluster>(fleetResources.clusters);
  const bindings = ctx.informers.informerFor<Binding>(fleetResources.resourcebindings);
  const clusterBindings = ctx.informers.informerFor<Binding>(fleetResources.clusterresourcebindings);
  const memberGauges = [
    metrics.clusterReadyState,
    metrics.clusterNodeNumber,
    metrics.clusterReadyNodeNumber,
    metrics.clusterCpuAllocatable,
    metrics.clusterCpuAllocated,
    metrics.clusterMemoryAllocatable,
    metrics.clusterMemoryAllocated,
    metrics.clusterPodAllocatable,
    metrics.clusterPodAllocated,
  ];
  const bindingGauges = [
    metrics.bindingDesiredReplicas,
    metrics.bindingPlacedReplicas,
    metrics.bindingReadyReplicas,
  ];
  /** The labels each binding's series carry, to remove them when it goes. */
  const bindingSeries = new Map<string, BindingLabels>();
  const unplaced = new Set<string>();
  /** Each member's state as counted, and the count by state. */
  const stateOf = new Map<string, string>();
  const byState = new Map<string, number>(CLUSTER_HEALTH_STATES.map((s) => [s, 0]));

  function member(name: string): void {
    const c = clusters.get(name);
    const member_cluster = name;
    if (!c) {
      for (const g of memberGauges) g.remove({ member_cluster });
    } else {
      const health = clusterHealth(c);
      metrics.clusterReadyState.set({ member_cluster }, health === 'Ready' ? 1 : 0);
      const nodes = c.status?.nodeSummary;
      metrics.clusterNodeNumber.set({ member_cluster }, nodes?.totalNum ?? 0);
      metrics.clusterReadyNodeNumber.set({ member_cluster }, nodes?.readyNum ?? 0);
      const cap = clusterCapacity(c);
      metrics.clusterCpuAllocatable.set({ member_cluster }, cap.cpu.allocatable);
      metrics.clusterCpuAllocated.set({ member_cluster }, cap.cpu.allocated);
      metrics.clusterMemoryAllocatable.set({ member_cluster }, cap.memory.allocatable);
      metrics.clusterMemoryAllocated.set({ member_cluster }, cap.memory.allocated);
      metrics.clusterPodAllocatable.set({ member_cluster }, cap.pods.allocatable);
      metrics.clusterPodAllocated.set({ member_cluster }, cap.pods.allocated);
    }
    // The count by state follows each member's change (a walk of every member on each change
    // grew with the fleet: a thousand members change often while they are provisioned).
    const was = stateOf.get(name);
    const now = c ? clusterHealth(c) : undefined;
    if (was === now) return;
    if (was !== undefined) byState.set(was, byState.get(was)! - 1);
    if (now !== undefined) byState.set(now, (byState.get(now) ?? 0) + 1);
    if (now === undefined) stateOf.delete(name);
    else stateOf.set(name, now);
    for (const [state, n] of byState) metrics.clusters.set({ state }, n);
  }

  function binding(key: string, b: Binding | undefined): void {
    const old = bindingSeries.get(key);
    const labels = b
      ? { namespace: b.metadata.namespace ?? '', name: b.metadata.name!, kind: b.spec?.resource?.kind ?? '' }
      : undefined;
    if (old && (!labels || old.kind !== labels.kind)) {
      for (const g of bindingGauges) g.remove(old);
      bindingSeries.delete(key);
    }
    if (b && labels) {
      const replicas = bindingReplicas(b);
      metrics.bindingDesiredReplicas.set(labels, replicas.desired);
      metrics.bindingPlacedReplicas.set(labels, replicas.placed);
      metrics.bindingReadyReplicas.set(labels, replicas.ready);
      bindingSeries.set(key, labels);
    }
    if (b && bindingUnplaced(b)) unplaced.add(key);
    else unplaced.delete(key);
    metrics.bindingsUnschedulable.set(unplaced.size);
  }

  const controller = reconcileLoop(ctx, {
    name: 'fleet-metrics',
    reconcile: async (key) => {
      const [kind, ...rest] = key.split('/');
      if (kind === 'c') member(rest[0]!);
      else if (kind === 'rb') binding(key, bindings.get(rest[1]!, rest[0]));
      else binding(key, clusterBindings.get(rest[0]!));
      return undefined;
    },
  });

  const handler = <T>(keyOf: (o: T) => string) => {
    const enqueue = (o: T) => controller.enqueue(keyOf(o));
    return { onAdd: enqueue, onUpdate: (_old: T, cur: T) => enqueue(cur), onDelete: enqueue };
  };
  const offs = [
    clusters.addEventHandler(handler(clusterKey)),
    bindings.addEventHandler(handler(bindingKey)),
    clusterBindings.addEventHandler(handler(bindingKey)),
  ];
  let stopped = false;
  void Promise.all([clusters.waitForSync(), bindings.waitForSync(), clusterBindings.waitForSync()]).then(
    (synced) => {
      if (stopped || !synced.every(Boolean)) return;
      // The gauges read 0 before the first object is seen (an empty fleet has them too).
      for (const state of CLUSTER_HEALTH_STATES) metrics.clusters.set({ state }, 0);
      metrics.bindingsUnschedulable.set(unplaced.size);
      controller.start();
    },
  );
  return [
    {
      name: 'fleet-metrics',
      async stop() {
        stopped = true;
        for (const off of offs) off();
        await controller.stop();
        metrics.resetFleetGauges();
      },
    },
  ];
}
