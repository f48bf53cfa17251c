// The fleet read from Karmada's objects: a member's health, capacity and alerts, a binding's
// replicas (desired, placed, ready), its placement per cluster and why it could not be placed.
// Pure and free of Node APIs: the hub's metrics, `concord status` and the web dashboard all read
// the objects through these, so that they agree on what "Ready" or "placed" means.

import type { Condition } from '../../../machinery/object.js';
import { Quantity } from '../../../machinery/quantity.js';
import {
  CLUSTER_CONDITION_READY,
  type Cluster,
  type QuantityValue,
  TAINT_CLUSTER_NOT_READY,
  TAINT_CLUSTER_UNREACHABLE,
} from './cluster/types.js';
import {
  BINDING_FULLY_APPLIED,
  BINDING_SCHEDULED,
  type ClusterResourceBinding,
  type ResourceBinding,
} from './work/types.js';

/** A member's health as its Ready condition says: True, False, or Unknown (also when absent). */
export type ClusterHealth = 'Ready' | 'NotReady' | 'Unknown';
export const CLUSTER_HEALTH_STATES: readonly ClusterHealth[] = ['Ready', 'NotReady', 'Unknown'];

export function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function clusterHealth(cluster: Cluster): ClusterHealth {
  const ready = condition(cluster.status?.conditions, CLUSTER_CONDITION_READY);
  if (ready?.status === 'True') return 'Ready';
  if (ready?.status === 'False') return 'NotReady';
  return 'Unknown';
}

/** Allocatable and allocated amounts of one resource, in its base unit (cores, bytes, pods). */
export interface ResourceUse {
  allocatable: number;
  allocated: number;
}

export interface ClusterCapacity {
  cpu: ResourceUse;
  memory: ResourceUse;
  pods: ResourceUse;
}

/** A quantity as a number of base units ("500m" is 0.5); 0 when absent or not a quantity. */
export function quantityNumber(value: QuantityValue | undefined): number {
  if (value === undefined) return 0;
  return Quantity.tryParse(value)?.asApproximateFloat64() ?? 0;
}

export function clusterCapacity(cluster: Cluster): ClusterCapacity {
  const summary = cluster.status?.resourceSummary;
  const use = (name: string): ResourceUse => ({
    allocatable: quantityNumber(summary?.allocatable?.[name]),
    allocated: quantityNumber(summary?.allocated?.[name]),
  });
  return { cpu: use('cpu'), memory: use('memory'), pods: use('pods') };
}

/** Zones of a member: spec.zones, or the deprecated spec.zone. */
export function clusterZones(cluster: Cluster): string[] {
  if (cluster.spec?.zones?.length) return cluster.spec.zones;
  return cluster.spec?.zone ? [cluster.spec.zone] : [];
}

/** What an operator should look at on a member: not Ready, taints beyond the registry's own, nodes down. */
export function clusterAlerts(cluster: Cluster): string[] {
  const alerts: string[] = [];
  const health = clusterHealth(cluster);
  if (health !== 'Ready') {
    const ready = condition(cluster.status?.conditions, CLUSTER_CONDITION_READY);
    const why = ready?.reason ? `: ${ready.reason}` : '';
    alerts.push(health === 'NotReady' ? `not ready${why}` : `health unknown${why}`);
  }
  for (const t of cluster.spec?.taints ?? []) {
    // The registry's own taints only repeat the Ready condition.
    if (t.key === TAINT_CLUSTER_NOT_READY || t.key === TAINT_CLUSTER_UNREACHABLE) continue;
    alerts.push(`taint ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  }
  const nodes = cluster.status?.nodeSummary;
  if (nodes?.totalNum !== undefined && (nodes.readyNum ?? 0) < nodes.totalNum) {
    alerts.push(`${nodes.totalNum - (nodes.readyNum ?? 0)} of ${nodes.totalNum} nodes not ready`);
  }
  return alerts;
}

export type Binding = ResourceBinding | ClusterResourceBinding;

/** One cluster a binding was placed on, and what that cluster reports. */
export interface BindingPlacement {
  cluster: string;
  replicas: number;
  applied: boolean | undefined;
  health: string | undefined;
  /** Ready replicas the member reports (status.readyReplicas), when it reports any status. */
  ready: number | undefined;
  message: string | undefined;
}

export function bindingPlacements(binding: Binding): BindingPlacement[] {
  const status = new Map((binding.status?.aggregatedStatus ?? []).map((s) => [s.clusterName, s]));
  return (binding.spec?.clusters ?? []).map((target) => {
    const item = status.get(target.name);
    const ready = item?.status?.readyReplicas;
    return {
      cluster: target.name,
      replicas: target.replicas ?? 0,
      applied: item?.applied,
      health: item?.health,
      ready: typeof ready === 'number' ? ready : item?.status ? 0 : undefined,
      message: item?.appliedMessage,
    };
  });
}

export interface BindingReplicas {
  /** What the template asks for (spec.replicas; 0 for kinds without replicas). */
  desired: number;
  /** Replicas the scheduler assigned to clusters. */
  placed: number;
  /** Ready replicas the members report. */
  ready: number;
}

export function bindingReplicas(binding: Binding): BindingReplicas {
  const placements = bindingPlacements(binding);
  return {
    desired: binding.spec?.replicas ?? 0,
    placed: placements.reduce((n, p) => n + p.replicas, 0),
    ready: placements.reduce((n, p) => n + (p.ready ?? 0), 0),
  };
}

/** Why a binding is not (fully) placed: its Scheduled condition when not True, or no cluster at all. */
export function bindingUnplaced(binding: Binding): { reason: string; message: string } | undefined {
  const scheduled = condition(binding.status?.conditions, BINDING_SCHEDULED);
  if (scheduled && scheduled.status !== 'True') {
    return { reason: scheduled.reason ?? 'Unscheduled', message: scheduled.message ?? '' };
  }
  if (scheduled?.status === 'True' && (binding.spec?.clusters?.length ?? 0) === 0) {
    return { reason: scheduled.reason ?? 'NoCluster', message: 'scheduled on no cluster' };
  }
  return undefined;
}

/** Whether every placed cluster has the workload applied (FullyApplied), if the binding says. */
export function bindingFullyApplied(binding: Binding): boolean | undefined {
  const c = condition(binding.status?.conditions, BINDING_FULLY_APPLIED);
  return c ? c.status === 'True' : undefined;
}
