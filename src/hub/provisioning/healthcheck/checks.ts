// What a MachineHealthCheck decides for each target, as Cluster API decides it, without I/O: a
// Machine is unhealthy when it has the remediate-machine annotation, a failure, a Node that was
// deleted, no Node past nodeStartupTimeout, or a Node condition in an unhealthy status for longer
// than its timeout; nothing is judged before the Cluster's infrastructure is ready and (for
// workers) its control plane initialized. Then whether remediation is allowed: at most
// maxUnhealthy (an int or a percentage of the targets, rounded down) unhealthy, or a count within
// unhealthyRange "[min-max]".

import { parseGoDuration } from '../../../machinery/duration.js';
import type { Condition as NodeCondition } from '../../../machinery/object.js';
import {
  Annotations,
  type Cluster,
  ConditionReason,
  ConditionType,
  type IntOrString,
  Labels,
  type Machine,
  type MachineHealthCheck,
} from '../../apis/cluster-api/index.js';
import { controlPlaneInitialized } from '../cluster-state.js';

/** Marks the Machine unhealthy with this reason and message (HealthCheckSucceeded False). */
export interface Verdict {
  healthy: boolean;
  reason?: string;
  message?: string;
  /** When to look again (ms) for a target that may turn unhealthy by time alone. */
  nextCheckMs?: number;
}

export interface Target {
  machine: Machine;
  /** The Node, when the Machine has one and it was found. */
  node?: { status?: { conditions?: NodeCondition[] } };
  /** The Machine names a Node the workload cluster does not have. */
  nodeMissing: boolean;
}

function conditionTime(
  conditions: { type: string; status: string; lastTransitionTime?: string }[] | undefined,
  type: string,
): number | undefined {
  const c = conditions?.find((x) => x.type === type);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

function infrastructureReady(cluster: Cluster): boolean {
  if (cluster.status?.infrastructureReady) return true;
  return (
    cluster.status?.conditions?.some(
      (c) => c.type === ConditionType.InfrastructureReady && c.status === 'True',
    ) ?? false
  );
}

/** Go's time.Duration String() for whole seconds and above ("5m0s", "10s", "1h0m0s"). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const total = ms / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total - h * 3600 - m * 60;
  const sec = Number.isInteger(s) ? `${s}s` : `${Number(s.toFixed(9))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

export function checkTarget(mhc: MachineHealthCheck, cluster: Cluster, target: Target, now: number): Verdict {
  const { machine } = target;
  if (machine.metadata.annotations?.[Annotations.remediateMachine] !== undefined) {
    return {
      healthy: false,
      reason: ConditionReason.HasRemediateMachineAnnotation,
      message: 'Marked for remediation via remediate-machine annotation',
    };
  }
  const isControlPlane = machine.metadata.labels?.[Labels.controlPlane] !== undefined;
  if (!controlPlaneInitialized(cluster) && !isControlPlane) return { healthy: true };
  if (!infrastructureReady(cluster)) return { healthy: true };
  if (machine.status?.failureReason || machine.status?.failureMessage) {
    return {
      healthy: false,
      reason: ConditionReason.MachineHasFailure,
      message: `FailureReason: ${machine.status.failureReason ?? ''}`,
    };
  }
  if (target.nodeMissing) return { healthy: false, reason: ConditionReason.NodeNotFound, message: '' };

  if (!target.node) {
    const timeoutMs = parseGoDuration(mhc.spec.nodeStartupTimeout ?? '10m0s');
    if (timeoutMs === 0) return { healthy: true };
    // From the latest of: the Machine's creation, the control plane initialized, the cluster's
    // and the Machine's infrastructure ready.
    let since = Date.parse(machine.metadata.creationTimestamp ?? '') || now;
    for (const t of [
      conditionTime(cluster.status?.conditions, ConditionType.ControlPlaneInitialized),
      conditionTime(cluster.status?.conditions, ConditionType.InfrastructureReady),
      conditionTime(machine.status?.conditions, ConditionType.InfrastructureReady),
    ]) {
      if (t !== undefined && t > since) since = t;
    }
    if (since + timeoutMs < now) {
      return {
        healthy: false,
        reason: ConditionReason.NodeStartupTimeout,
        message: `Node failed to report startup in ${goDuration(timeoutMs)}`,
      };
    }
    return { healthy: true, nextCheckMs: since + timeoutMs - now + 1000 };
  }

  const messages: string[] = [];
  let next: number | undefined;
  for (const want of mhc.spec.unhealthyConditions ?? []) {
    const have = target.node.status?.conditions?.find((c) => c.type === want.type);
    if (!have || have.status !== want.status) continue;
    const timeoutMs = parseGoDuration(want.timeout);
    const since = Date.parse(have.lastTransitionTime ?? '') || now;
    if (since + timeoutMs < now) {
      messages.push(
        `Condition ${want.type} on node is reporting status ${want.status} for more than ${goDuration(timeoutMs)}`,
      );
    } else {
      const wait = since + timeoutMs - now + 1000;
      next = next === undefined ? wait : Math.min(next, wait);
    }
  }
  if (messages.length > 0)
    return { healthy: false, reason: ConditionReason.UnhealthyNode, message: messages.join('; ') };
  return next === undefined ? { healthy: true } : { healthy: true, nextCheckMs: next };
}

/** intstr.GetScaledValueFromIntOrPercent: an int, or "N%" of the total, rounded up or down. */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface RemediationDecision {
  allowed: boolean;
  /** How many more Machines may be remediated (status.remediationsAllowed). */
  remaining: number;
  /** Why not, in Cluster API's words. */
  message?: string;
}

export function remediationAllowed(
  mhc: MachineHealthCheck,
  total: number,
  unhealthy: number,
): RemediationDecision {
  const range = mhc.spec.unhealthyRange;
  if (range) {
    const m = /^\[(\d+)-(\d+)\]$/.exec(range);
    const min = Number(m?.[1] ?? 0);
    const max = Number(m?.[2] ?? 0);
    if (m && unhealthy >= min && unhealthy <= max) return { allowed: true, remaining: max - unhealthy };
    return {
      allowed: false,
      remaining: 0,
      message: `Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: ${total}, unhealthy: ${unhealthy}, unhealthyRange: ${range})`,
    };
  }
  const maxUnhealthy = mhc.spec.maxUnhealthy ?? '100%';
  const max = scaledValue(maxUnhealthy, total, false);
  if (unhealthy <= max) return { allowed: true, remaining: max - unhealthy };
  return {
    allowed: false,
    remaining: 0,
    message: `Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: ${total}, unhealthy: ${unhealthy}, maxUnhealthy: ${maxUnhealthy})`,
  };
}
