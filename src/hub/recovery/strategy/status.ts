// A strategy's status beyond its roles: how much of the application runs on the primary (from
// the bindings' aggregated status, as members report it), the measured recovery of the last
// failover, the state and the conditions.

import { setCondition } from '../../../machinery/conditions.js';
import type { Condition } from '../../../machinery/object.js';
import type { ResourceBinding } from '../../apis/karmada/index.js';
import {
  type DisasterRecoveryStrategy,
  type DisasterRecoveryStrategyStatus,
  StrategyConditionType,
  StrategyReason,
  type StrategyResourceRef,
  type StrategyState,
} from '../../apis/recovery/index.js';
import { failbackInProgress, failoverInProgress, type RoleDecision } from './phases.js';
import { isHealthy, onPrimarySite, type Sites } from './sites.js';

export interface Capacity {
  /** Every workload has a ready replica on the member. */
  firstReady: boolean;
  /** Every workload runs all its replicas there. */
  full: boolean;
  /** "web: 2/4" for workloads short of their replicas. */
  short: string[];
}

function readyOn(b: ResourceBinding, cluster: string): number {
  const item = b.status?.aggregatedStatus?.find((s) => s.clusterName === cluster);
  const ready = (item?.status as { readyReplicas?: unknown } | undefined)?.readyReplicas;
  return typeof ready === 'number' ? ready : 0;
}

/** How much of the workloads runs on `cluster`; with no workload selected, full at once. */
export function capacityOn(
  cluster: string | undefined,
  workloadBindings: readonly ResourceBinding[],
  expectsWorkloads: boolean,
): Capacity {
  if (!cluster) return { firstReady: false, full: false, short: ['no primary'] };
  if (expectsWorkloads && workloadBindings.length === 0) {
    return { firstReady: false, full: false, short: ['no workload placed yet'] };
  }
  let firstReady = true;
  let full = true;
  const short: string[] = [];
  for (const b of workloadBindings) {
    const want = b.spec.replicas ?? 0;
    const ready = readyOn(b, cluster);
    if (ready < Math.min(1, want)) firstReady = false;
    if (ready < want) {
      full = false;
      short.push(`${b.spec.resource.name}: ${ready}/${want}`);
    }
  }
  return { firstReady, full, short };
}

export function resourceRefs(
  bindings: readonly ResourceBinding[],
  role: StrategyResourceRef['role'],
): StrategyResourceRef[] {
  return bindings.map((b) => ({
    apiVersion: b.spec.resource.apiVersion,
    kind: b.spec.resource.kind,
    name: b.spec.resource.name,
    role,
  }));
}

export interface StatusInputs {
  drs: DisasterRecoveryStrategy;
  decision: RoleDecision;
  sites: Sites;
  capacity: Capacity;
  resources: StrategyResourceRef[];
  policiesError?: string;
  now: Date;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function computeStatus(inp: StatusInputs): DisasterRecoveryStrategyStatus {
  const { drs, decision, sites, capacity, now } = inp;
  const status: DisasterRecoveryStrategyStatus = { ...decision.status };
  const iso = now.toISOString();
  const primary = status.currentPrimary;
  const standby = status.currentStandby;

  // Measure the failover's recovery on the promoted member.
  const fo = status.lastFailover;
  if (fo && failoverInProgress(status) && fo.to === primary) {
    const next = { ...fo };
    if (capacity.firstReady && !next.firstReadyTime) next.firstReadyTime = iso;
    if (capacity.full) {
      next.firstReadyTime ??= iso;
      next.fullCapacityTime = iso;
      const ms = now.getTime() - new Date(fo.failureTime).getTime();
      next.recoverySeconds = seconds(ms);
      next.recoveryTime = `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
    }
    status.lastFailover = next;
  }
  const fb = status.lastFailback;
  if (fb && !fb.completionTime && fb.to === primary && capacity.full) {
    status.lastFailback = { ...fb, completionTime: iso };
  }

  const primaryHealthy = isHealthy(primary ? sites.byName.get(primary) : undefined);
  const standbyHealthy = isHealthy(standby ? sites.byName.get(standby) : undefined);
  let state: StrategyState;
  if (failoverInProgress(status) || failbackInProgress(status)) state = 'FailingOver';
  else if (!primaryHealthy) state = 'Degraded';
  else if (!onPrimarySite(sites, primary)) state = 'FailedOver';
  else if (!standbyHealthy) state = 'Degraded';
  else state = 'Protected';
  status.state = state;
  status.observedGeneration = drs.metadata.generation;
  status.resources = inp.resources;

  let conditions: Condition[] = status.conditions ?? [];
  const set = (type: string, ok: boolean, reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status: ok ? 'True' : 'False', reason, message, observedGeneration: drs.metadata.generation },
      iso,
    );
  };
  if (!primary) {
    set(
      StrategyConditionType.PrimaryHealthy,
      false,
      StrategyReason.NoCluster,
      'no member matches spec.primary or spec.secondary',
    );
  } else if (primaryHealthy) {
    set(StrategyConditionType.PrimaryHealthy, true, StrategyReason.ClusterReady, `${primary} is Ready`);
  } else {
    set(
      StrategyConditionType.PrimaryHealthy,
      false,
      decision.noTarget ? StrategyReason.NoHealthyStandby : StrategyReason.ClusterNotReady,
      decision.noTarget
        ? `${primary} has failed and no member of either site is healthy to take over`
        : `${primary} is not healthy`,
    );
  }
  if (standby && standbyHealthy) {
    set(
      StrategyConditionType.StandbyReady,
      true,
      StrategyReason.ClusterReady,
      `${standby} is Ready to take over`,
    );
  } else {
    set(
      StrategyConditionType.StandbyReady,
      false,
      standby ? StrategyReason.ClusterNotReady : StrategyReason.NoCluster,
      standby ? `${standby} is not healthy` : 'no other member to stand by',
    );
  }
  set(
    StrategyConditionType.FullCapacity,
    capacity.full,
    capacity.full ? StrategyReason.AllReplicasReady : StrategyReason.ReplicasNotReady,
    capacity.full
      ? `${primary} runs every workload at its full replicas`
      : `${primary ?? 'no primary'}: ${capacity.short.join(', ')}`,
  );
  set(
    StrategyConditionType.PoliciesApplied,
    !inp.policiesError,
    inp.policiesError ? 'ApplyFailed' : StrategyReason.Applied,
    inp.policiesError ?? 'the propagation and override policies are in place',
  );
  status.conditions = conditions;
  return status;
}
