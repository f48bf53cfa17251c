// Which Machines a MachineSet deletes first when it scales down, as Cluster API's delete
// policies rank them: a Machine being deleted, then one with the delete-machine annotation, then
// an unhealthy one (no Node, failed, NodeHealthy or HealthCheckSucceeded False), then by policy:
// Random (any), Newest (youngest first) or Oldest (oldest first). Ties go by name.

import { Annotations, ConditionType, type Machine } from '../../apis/cluster-api/index.js';

export type DeletePolicy = 'Random' | 'Newest' | 'Oldest';

const MUST = 100;
const SHOULD = 75;
const BETTER = 50;
const COULD = 20;
const TEN_DAYS_S = 10 * 24 * 3600;

export function isMachineHealthy(m: Machine): boolean {
  if (!m.status?.nodeRef) return false;
  if (m.status.failureReason || m.status.failureMessage) return false;
  const conditions = m.status.conditions ?? [];
  for (const type of [ConditionType.NodeHealthy, ConditionType.HealthCheckSucceeded]) {
    if (conditions.find((c) => c.type === type)?.status === 'False') return false;
  }
  return true;
}

function oldest(m: Machine, nowMs: number): number {
  const created = Date.parse(m.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created) || nowMs < created) return 0;
  return BETTER * (1 - Math.exp(-(nowMs - created) / 1000 / TEN_DAYS_S));
}

export function deletePriority(policy: DeletePolicy, m: Machine, nowMs: number): number {
  if (m.metadata.deletionTimestamp) return MUST;
  if (m.metadata.annotations?.[Annotations.deleteMachine] !== undefined) return SHOULD;
  if (!isMachineHealthy(m)) return BETTER;
  if (policy === 'Oldest') return oldest(m, nowMs);
  if (policy === 'Newest') return BETTER - oldest(m, nowMs);
  return COULD;
}

/** The `count` Machines to delete, highest priority first. */
export function machinesToDelete(
  policy: DeletePolicy,
  machines: readonly Machine[],
  count: number,
  nowMs: number,
): Machine[] {
  if (count <= 0) return [];
  const ranked = machines
    .map((m) => ({ m, p: deletePriority(policy, m, nowMs) }))
    .sort((a, b) => b.p - a.p || ((a.m.metadata.name ?? '') < (b.m.metadata.name ?? '') ? -1 : 1));
  return ranked.slice(0, count).map((r) => r.m);
}
