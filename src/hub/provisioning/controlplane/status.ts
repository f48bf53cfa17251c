// A KubeadmControlPlane's status from its Machines, as Cluster API's kubeadm control plane
// provider reports it: counts (replicas, updatedReplicas, readyReplicas, unavailableReplicas),
// the lowest version any Machine runs, the selector behind the scale subresource, initialized and
// ready (both stay true once reached), and the v1beta1 conditions summarized into Ready.

import {
  ConditionReason,
  ConditionType,
  ControlPlaneConditionReason,
  ControlPlaneConditionType,
  type KubeadmControlPlane,
  type KubeadmControlPlaneStatus,
  type Machine,
} from '../../apis/cluster-api/index.js';
import { Conditions } from '../conditions.js';

/** Whether a control plane Machine counts as ready: it has a Node and nothing says it is unhealthy. */
export function machineReady(m: Machine): boolean {
  if (!m.status?.nodeRef || m.metadata.deletionTimestamp) return false;
  const c = m.status.conditions ?? [];
  return !c.some(
    (x) => (x.type === ConditionType.Ready || x.type === ConditionType.NodeHealthy) && x.status === 'False',
  );
}

function semverParts(v: string): number[] {
  return v
    .replace(/^v/, '')
    .split(/[.+-]/)
    .slice(0, 3)
    .map((p) => Number.parseInt(p, 10) || 0);
}

export function lowestVersion(versions: string[]): string | undefined {
  return [...versions].sort((a, b) => {
    const x = semverParts(a);
    const y = semverParts(b);
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  })[0];
}

export interface StatusInput {
  kcp: KubeadmControlPlane;
  machines: Machine[];
  outdated: Set<string>;
  selector: string;
  initialized: boolean;
  now: Date;
  /** Why the last attempt to create a Machine failed, if it did. */
  createFailure?: { reason: string; message: string };
}

export function controlPlaneStatus(input: StatusInput): KubeadmControlPlaneStatus {
  const { kcp, machines, outdated } = input;
  const desired = kcp.spec.replicas ?? 1;
  const live = machines.filter((m) => !m.metadata.deletionTimestamp);
  const ready = machines.filter(machineReady).length;
  const updated = live.filter((m) => !outdated.has(m.metadata.name ?? '')).length;
  const c = new Conditions(kcp.status?.conditions, input.now);

  if (input.initialized) c.markTrue(ControlPlaneConditionType.Available);
  else
    c.markFalse(
      ControlPlaneConditionType.Available,
      ControlPlaneConditionReason.WaitingForKubeadmInit,
      'Info',
    );
  c.markTrue(ControlPlaneConditionType.CertificatesAvailable);
  if (input.createFailure) {
    c.markFalse(
      ControlPlaneConditionType.MachinesCreated,
      input.createFailure.reason,
      'Error',
      input.createFailure.message,
    );
  } else if (machines.length > 0) c.markTrue(ControlPlaneConditionType.MachinesCreated);

  if (live.length < desired) {
    c.markFalse(
      ControlPlaneConditionType.Resized,
      ControlPlaneConditionReason.ScalingUp,
      'Warning',
      `Scaling up control plane to ${desired} replicas (actual ${live.length})`,
    );
  } else if (live.length > desired) {
    c.markFalse(
      ControlPlaneConditionType.Resized,
      ControlPlaneConditionReason.ScalingDown,
      'Warning',
      `Scaling down control plane to ${desired} replicas (actual ${live.length})`,
    );
  } else c.markTrue(ControlPlaneConditionType.Resized);

  if (outdated.size > 0) {
    c.markFalse(
      ControlPlaneConditionType.MachinesSpecUpToDate,
      ControlPlaneConditionReason.RollingUpdateInProgress,
      'Warning',
      `Rolling ${live.length} replicas with outdated spec (${updated} replicas up to date)`,
    );
  } else c.markTrue(ControlPlaneConditionType.MachinesSpecUpToDate);

  const notReady = machines.filter((m) => !machineReady(m));
  if (machines.length === 0) {
    c.markFalse(
      ControlPlaneConditionType.MachinesReady,
      ConditionReason.WaitingForNodeRef,
      'Info',
      'No Machines yet',
    );
  } else if (notReady.length > 0) {
    c.markFalse(
      ControlPlaneConditionType.MachinesReady,
      ConditionReason.WaitingForNodeRef,
      'Info',
      `${notReady.length} of ${machines.length} Machines are not ready: ${notReady.map((m) => m.metadata.name).join(', ')}`,
    );
  } else c.markTrue(ControlPlaneConditionType.MachinesReady);

  c.summarize([
    ControlPlaneConditionType.Available,
    ControlPlaneConditionType.CertificatesAvailable,
    ControlPlaneConditionType.MachinesCreated,
    ControlPlaneConditionType.MachinesReady,
    ControlPlaneConditionType.MachinesSpecUpToDate,
    ControlPlaneConditionType.Resized,
  ]);

  const version = lowestVersion(live.map((m) => m.spec.version ?? '').filter(Boolean));
  return {
    ...kcp.status,
    selector: input.selector,
    replicas: machines.length,
    updatedReplicas: updated,
    readyReplicas: ready,
    unavailableReplicas: machines.length - ready,
    initialized: input.initialized,
    ready: kcp.status?.ready === true || ready > 0,
    ...(version ? { version } : {}),
    observedGeneration: kcp.metadata.generation,
    conditions: c.toArray(),
  };
}
