// A MachineDeployment's status, as Cluster API's calculateStatus: replicas, updatedReplicas (the
// new MachineSet's), readyReplicas, availableReplicas, unavailableReplicas (spec replicas of all
// sets minus available, never negative), the selector string, observedGeneration, the phase
// (Running, ScalingUp, ScalingDown, Failed) and the conditions Available, MachineSetReady, Ready.

import {
  ConditionReason,
  ConditionType,
  type MachineDeployment,
  type MachineDeploymentStatus,
  type MachineSet,
} from '../../apis/cluster-api/index.js';
import { Conditions } from '../conditions.js';
import { fenceposts } from './rollout.js';

export function machineDeploymentStatus(
  md: MachineDeployment,
  newMS: MachineSet | undefined,
  all: readonly MachineSet[],
  selector: string,
  now: Date,
): MachineDeploymentStatus {
  const sum = (f: (ms: MachineSet) => number | undefined) => all.reduce((n, ms) => n + (f(ms) ?? 0), 0);
  const availableReplicas = sum((ms) => ms.status?.availableReplicas);
  const totalReplicas = sum((ms) => ms.spec.replicas);
  const replicas = md.spec.replicas ?? 1;
  const status: MachineDeploymentStatus = {
    ...(md.status ?? {}),
    observedGeneration: md.metadata.generation ?? 1,
    selector,
    replicas: sum((ms) => ms.status?.replicas),
    updatedReplicas: newMS?.status?.replicas ?? 0,
    readyReplicas: sum((ms) => ms.status?.readyReplicas),
    availableReplicas,
    unavailableReplicas: Math.max(0, totalReplicas - availableReplicas),
  };
  const ready = status.readyReplicas ?? 0;
  if (replicas === ready) status.phase = 'Running';
  if (replicas > ready) status.phase = 'ScalingUp';
  if (totalReplicas - availableReplicas < 0) status.phase = 'ScalingDown';
  if (all.some((ms) => ms.status?.failureReason || ms.status?.failureMessage)) status.phase = 'Failed';

  const c = new Conditions(md.status?.conditions, now);
  const minAvailable = replicas - fenceposts(md).unavailable;
  if (availableReplicas >= minAvailable) c.markTrue(ConditionType.Available);
  else {
    c.markFalse(
      ConditionType.Available,
      ConditionReason.WaitingForAvailableMachines,
      'Warning',
      `Minimum availability requires ${minAvailable} replicas, current ${availableReplicas} available`,
    );
  }
  const msReady = newMS?.status?.conditions?.find((x) => x.type === 'Ready');
  if (!newMS) c.markFalse(ConditionType.MachineSetReady, ConditionReason.WaitingForMachineSet, 'Info');
  else if (msReady?.status === 'True') c.markTrue(ConditionType.MachineSetReady);
  else if (msReady) {
    c.markFalse(
      ConditionType.MachineSetReady,
      msReady.reason ?? ConditionReason.WaitingForMachineSet,
      (msReady.severity || 'Info') as 'Info',
      msReady.message ?? '',
    );
  }
  c.summarize([ConditionType.Available]);
  status.conditions = c.toArray();
  return status;
}
