// A Machine's phase and Ready, as Cluster API's machine controller computes them (v1beta1):
// Pending, then Provisioning once it has bootstrap data, Provisioned once its infrastructure is
// ready, Running once it has a Node; Deleting while deleted, Failed after a terminal failure.
// Ready summarises BootstrapReady and InfrastructureReady (NodeHealthy is reported beside it).

import type { Condition, MachineStatus } from '../../apis/cluster-api/index.js';
import { ConditionType, MachinePhase } from '../../apis/cluster-api/index.js';
import { setCondition, summary } from '../conditions.js';

export function machinePhase(
  m: { spec: { bootstrap?: { dataSecretName?: string } }; metadata: { deletionTimestamp?: string } },
  status: MachineStatus,
): MachinePhase {
  if (m.metadata.deletionTimestamp) return MachinePhase.Deleting;
  if (status.failureReason || status.failureMessage) return MachinePhase.Failed;
  if (status.nodeRef) return MachinePhase.Running;
  if (status.infrastructureReady) return MachinePhase.Provisioned;
  if (m.spec.bootstrap?.dataSecretName !== undefined) return MachinePhase.Provisioning;
  return MachinePhase.Pending;
}

/** The status with its conditions set, Ready summarised and the phase (lastUpdated moves with it). */
export function withConditions(
  previous: MachineStatus | undefined,
  next: MachineStatus,
  conditions: Condition[],
  phase: MachinePhase,
  now: string,
): MachineStatus {
  let list = previous?.conditions ?? [];
  for (const c of conditions) list = setCondition(list, c);
  list = setCondition(
    list,
    summary(list, [ConditionType.BootstrapReady, ConditionType.InfrastructureReady], now),
  );
  const out: MachineStatus = { ...next, conditions: list, phase };
  out.lastUpdated = previous?.phase === phase && previous.lastUpdated ? previous.lastUpdated : now;
  return out;
}
