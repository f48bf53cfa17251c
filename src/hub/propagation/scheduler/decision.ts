// When a binding is scheduled again, and what its status says afterwards. Karmada schedules a
// binding when its placement changed, its replicas no longer add up, a reschedule was asked for,
// it is duplicated (or not a workload), or a member it is on is being deleted. Concord also
// schedules again when a member it is on has gone or left the placement's affinity, and when a
// divided binding is not complete yet (so it completes once capacity appears). A placement whose
// policy asks to rebalance is scheduled afresh every time.

import { deepEqual } from '../../../machinery/json.js';
import type { Condition } from '../../../machinery/object.js';
import {
  BINDING_REASON_NO_CLUSTER_FIT,
  BINDING_REASON_SUCCESS,
  BINDING_REASON_UNSCHEDULABLE,
  BINDING_SCHEDULED,
  type Cluster,
  POLICY_PLACEMENT_ANNOTATION,
  type ResourceBindingSpec,
  type ResourceBindingStatus,
  replicaSchedulingType,
} from '../../apis/karmada/index.js';
import { clusterMatches } from '../match/cluster-affinity.js';
import type { AnyBinding } from '../util.js';
import { sumReplicas } from './division.js';
import { activeAffinities, isWorkload } from './filter.js';
import type { ScheduleResult } from './schedule.js';

/** On a policy (and the bindings it makes): "true" schedules afresh on every change, moving replicas back. */
export const REBALANCE_ANNOTATION = 'policy.concord.dev/rebalance';

export function rebalances(b: AnyBinding): boolean {
  return b.metadata.annotations?.[REBALANCE_ANNOTATION] === 'true';
}

/** Whether the placement annotation written at the last schedule says what spec.placement says. */
function placementApplied(applied: string | undefined, spec: ResourceBindingSpec): boolean {
  if (applied === undefined) return false;
  try {
    return deepEqual(JSON.parse(applied), spec.placement ?? {});
  } catch {
    return false;
  }
}

/** rescheduleTriggeredAt later than lastScheduledTime (once a first schedule has happened). */
export function rescheduleRequired(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
): boolean {
  const at = spec.rescheduleTriggeredAt;
  const last = status?.lastScheduledTime;
  if (!at || !last) return false;
  return Date.parse(at) > Date.parse(last);
}

function replicasChanged(spec: ResourceBindingSpec): boolean {
  const clusters = spec.clusters ?? [];
  if (replicaSchedulingType(spec.placement) === 'Duplicated') {
    return clusters.some((c) => (c.replicas ?? 0) !== (spec.replicas ?? 0));
  }
  return sumReplicas(clusters) !== (spec.replicas ?? 0);
}

/** Why the binding needs scheduling now, or undefined when its placement stands. */
export function scheduleReason(b: AnyBinding, clusters: ReadonlyMap<string, Cluster>): string | undefined {
  const spec = b.spec;
  const applied = b.metadata.annotations?.[POLICY_PLACEMENT_ANNOTATION];
  if (!placementApplied(applied, spec)) return 'placement changed';
  if (rebalances(b)) return 'the policy rebalances';
  if (rescheduleRequired(spec, b.status)) return 'a reschedule was triggered';
  if (!isWorkload(spec) || replicaSchedulingType(spec.placement) === 'Duplicated') return 'duplicated';
  if (replicasChanged(spec)) return 'replicas changed';
  const affinities = activeAffinities(spec, b.status?.schedulerObservingAffinityName);
  for (const t of spec.clusters ?? []) {
    const c = clusters.get(t.name);
    if (!c) return `cluster ${t.name} is gone`;
    if (c.metadata.deletionTimestamp) return `cluster ${t.name} is being deleted`;
    if (affinities.length > 0 && !affinities.some((a) => clusterMatches(c, a))) {
      return `cluster ${t.name} left the placement`;
    }
  }
  return undefined;
}

/** The Scheduled condition for a result. */
export function scheduledCondition(result: ScheduleResult): Condition {
  switch (result.outcome) {
    case 'Success':
      return {
        type: BINDING_SCHEDULED,
        status: 'True',
        reason: BINDING_REASON_SUCCESS,
        message: result.message,
      };
    case 'NoClusterFit':
      return {
        type: BINDING_SCHEDULED,
        status: 'False',
        reason: BINDING_REASON_NO_CLUSTER_FIT,
        message: result.message,
      };
    default:
      return {
        type: BINDING_SCHEDULED,
        status: 'False',
        reason: BINDING_REASON_UNSCHEDULABLE,
        message: result.message,
      };
  }
}
