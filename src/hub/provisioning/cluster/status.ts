// A Cluster's phase and Ready, as Cluster API computes them (v1beta1): Pending, Provisioning once
// it names its infrastructure, Provisioned once that infrastructure is ready and the control plane
// endpoint is known; Deleting while deleted, Failed after a terminal failure. Ready summarises
// ControlPlaneReady and InfrastructureReady.

import {
  type Cluster,
  ClusterPhase,
  type ClusterStatus,
  type Condition,
  ConditionType,
} from '../../apis/cluster-api/index.js';
import { setCondition, summary } from '../conditions.js';

export function clusterPhase(cluster: Cluster, status: ClusterStatus): ClusterPhase {
  if (cluster.metadata.deletionTimestamp) return ClusterPhase.Deleting;
  if (status.failureReason || status.failureMessage) return ClusterPhase.Failed;
  const endpoint = cluster.spec.controlPlaneEndpoint;
  if (status.infrastructureReady && endpoint?.host && endpoint.port) return ClusterPhase.Provisioned;
  if (cluster.spec.infrastructureRef) return ClusterPhase.Provisioning;
  return ClusterPhase.Pending;
}

export function withConditions(
  previous: ClusterStatus | undefined,
  next: ClusterStatus,
  conditions: Condition[],
  now: string,
  readyOverride?: Condition,
): ClusterStatus {
  let list = previous?.conditions ?? [];
  for (const c of conditions) list = setCondition(list, c);
  list = setCondition(
    list,
    readyOverride ?? summary(list, [ConditionType.ControlPlaneReady, ConditionType.InfrastructureReady], now),
  );
  return { ...next, conditions: list };
}
