// The fleet gauges of the hub's /metrics (FleetMetrics): members by state, each member's nodes
// and capacity, each binding's replicas desired, placed and ready, and how many bindings could not
// be placed. All derived from the API objects through informers, so they say what `kubectl get`
// says; recomputed as a whole after changes (one queue key: a burst of changes is one pass).

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

const FLEET_KEY = 'fleet';

export function startFleetGaugesController(ctx: HubContext): RunningController[] {
  if (!ctx.metrics) return [];
  const metrics = FleetMetrics.for(ctx.metrics);
  const clusters = ctx.informers.informerFor<Cluster>(fleetResources.clusters);
  const bindings = ctx.informers.informerFor<Binding>(fleetResources.resourcebindings);
  const clusterBindings = ctx.informers.informerFor<Binding>(fleetResources.clusterresourcebindings);

  const controller = reconcileLoop(ctx, {
    name: 'fleet-metrics',
    reconcile: async () => {
      metrics.resetFleetGauges();
      const byState = new Map(CLUSTER_HEALTH_STATES.map((s) => [s, 0]));
      for (const c of clusters.list()) {
        const member_cluster = c.metadata.name!;
        const health = clusterHealth(c);
        byState.set(health, (byState.get(health) ?? 0) + 1);
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
      for (const [state, n] of byState) metrics.clusters.set({ state }, n);
      let unschedulable = 0;
      for (const b of [...bindings.list(), ...clusterBindings.list()]) {
        const labels = {
          namespace: b.metadata.namespace ?? '',
          name: b.metadata.name!,
          kind: b.spec?.resource?.kind ?? '',
        };
        const replicas = bindingReplicas(b);
        metrics.bindingDesiredReplicas.set(labels, replicas.desired);
        metrics.bindingPlacedReplicas.set(labels, replicas.placed);
        metrics.bindingReadyReplicas.set(labels, replicas.ready);
        if (bindingUnplaced(b)) unschedulable++;
      }
      metrics.bindingsUnschedulable.set(unschedulable);
      return undefined;
    },
  });

  const enqueue = () => controller.enqueue(FLEET_KEY);
  const handler = { onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue };
  const offs = [clusters, bindings, clusterBindings].map((i) => i.addEventHandler(handler));
  let stopped = false;
  void Promise.all([clusters.waitForSync(), bindings.waitForSync(), clusterBindings.waitForSync()]).then(
    (synced) => {
      if (stopped || !synced.every(Boolean)) return;
      controller.start();
      enqueue();
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
