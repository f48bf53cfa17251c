// A MachineSet's status, as Cluster API computes it: replicas (its Machines),
// fullyLabeledReplicas (those carrying the template's labels), readyReplicas (a Node that is
// Ready), availableReplicas (ready for minReadySeconds), the selector as a string (for the scale
// subresource), observedGeneration, and the conditions MachinesCreated, Resized, MachinesReady
// and Ready.

import type { Machine, MachineSet, MachineSetStatus } from '../../apis/cluster-api/index.js';
import { ConditionReason, ConditionType } from '../../apis/cluster-api/index.js';
import { Conditions } from '../conditions.js';

export function isMachineReady(m: Machine): boolean {
  return (
    m.status?.nodeRef !== undefined &&
    (m.status.conditions ?? []).some((c) => c.type === ConditionType.NodeHealthy && c.status === 'True')
  );
}

export function isMachineAvailable(m: Machine, minReadySeconds: number, nowMs: number): boolean {
  if (!isMachineReady(m)) return false;
  if (minReadySeconds <= 0) return true;
  const since = (m.status?.conditions ?? []).find(
    (c) => c.type === ConditionType.NodeHealthy,
  )?.lastTransitionTime;
  return since !== undefined && Date.parse(since) + minReadySeconds * 1000 <= nowMs;
}

export function machineSetStatus(
  ms: MachineSet,
  machines: readonly Machine[],
  selector: string,
  opts: { now: Date; createError?: string },
): MachineSetStatus {
  const nowMs = opts.now.getTime();
  const templateLabels = ms.spec.template?.metadata?.labels ?? {};
  const replicas = ms.spec.replicas ?? 1;
  const ready = machines.filter(isMachineReady).length;
  const status: MachineSetStatus = {
    ...(ms.status ?? {}),
    selector,
    replicas: machines.length,
    fullyLabeledReplicas: machines.filter((m) =>
      Object.entries(templateLabels).every(([k, v]) => m.metadata.labels?.[k] === v),
    ).length,
    readyReplicas: ready,
    availableReplicas: machines.filter((m) => isMachineAvailable(m, ms.spec.minReadySeconds ?? 0, nowMs))
      .length,
    observedGeneration: ms.metadata.generation ?? 1,
  };
  const c = new Conditions(ms.status?.conditions, opts.now);
  if (opts.createError) {
    c.markFalse(
      ConditionType.MachinesCreated,
      ConditionReason.MachineCreationFailed,
      'Error',
      opts.createError,
    );
  } else {
    c.markTrue(ConditionType.MachinesCreated);
  }
  const current = machines.filter((m) => !m.metadata.deletionTimestamp).length;
  if (current < replicas) {
    c.markFalse(
      ConditionType.Resized,
      ConditionReason.ScalingUp,
      'Warning',
      `Scaling up MachineSet to ${replicas} replicas (actual ${current})`,
    );
  } else if (machines.length > replicas) {
    c.markFalse(
      ConditionType.Resized,
      ConditionReason.ScalingDown,
      'Warning',
      `Scaling down MachineSet to ${replicas} replicas (actual ${machines.length})`,
    );
  } else {
    c.markTrue(ConditionType.Resized);
  }
  const notReady = machines.filter(
    (m) => !(m.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True'),
  );
  if (notReady.length > 0) {
    const first = (notReady[0]?.status?.conditions ?? []).find((x) => x.type === 'Ready');
    c.markFalse(
      ConditionType.MachinesReady,
      first?.reason ?? ConditionReason.WaitingForInfrastructure,
      (first?.severity || 'Info') as 'Info',
      `${notReady.length} of ${machines.length} machines are not ready`,
    );
  } else {
    c.markTrue(ConditionType.MachinesReady);
  }
  c.summarize([ConditionType.MachinesCreated, ConditionType.Resized, ConditionType.MachinesReady]);
  status.conditions = c.toArray();
  return status;
}
