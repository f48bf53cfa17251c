// The steps of reconciling a Cluster, as Cluster API's cluster controller takes them: the
// infrastructure cluster (ready, endpoint, failure domains), the control plane (its provider's
// object, or, without one, the Cluster's control plane Machines), and deletion in Cluster API's
// order: MachineDeployments, MachineSets and worker Machines, then control plane Machines, then the
// control plane object, then the infrastructure cluster.

import type { Client, ResourceRef } from '../../../client/client.js';
import type { Informer } from '../../../client/informer.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  type APIEndpoint,
  type Cluster,
  type ClusterStatus,
  type Condition,
  ConditionReason,
  ConditionType,
  clusterApiResources,
  type FailureDomains,
  Labels,
  type Machine,
  type MachineDeployment,
  type MachineSet,
} from '../../apis/cluster-api/index.js';
import { ofCluster } from '../cluster-index.js';
import { falseCondition, isTrue, mirrorCondition, trueCondition } from '../conditions.js';
import { type ExternalObjects, specField, statusField } from '../external.js';

export interface ClusterScope {
  cluster: Cluster;
  status: ClusterStatus;
  conditions: Condition[];
  /** The endpoint to write into spec.controlPlaneEndpoint, when it changes. */
  endpoint?: APIEndpoint;
  now: string;
}

export async function reconcileInfrastructure(scope: ClusterScope, external: ExternalObjects): Promise<void> {
  const { cluster, now } = scope;
  const ref = cluster.spec.infrastructureRef;
  const namespace = cluster.metadata.namespace ?? '';
  if (!ref) {
    // Cluster API: a Cluster without infrastructure has nothing to wait for.
    scope.status.infrastructureReady = true;
    scope.conditions.push(trueCondition(ConditionType.InfrastructureReady, now));
    return;
  }
  const found = await external.get(ref, namespace, `${namespace}/${cluster.metadata.name}`);
  if (found.state !== 'found') {
    if (cluster.status?.infrastructureReady && found.state === 'missing') {
      scope.status.failureReason = 'InvalidConfiguration';
      scope.status.failureMessage = `Cluster infrastructure resource ${ref.kind} ${namespace}/${ref.name} has been deleted after being ready`;
    }
    scope.conditions.push(
      falseCondition(
        ConditionType.InfrastructureReady,
        found.state === 'invalid'
          ? ConditionReason.IncorrectExternalRef
          : ConditionReason.WaitingForInfrastructure,
        found.state === 'invalid' ? 'Error' : 'Info',
        found.message,
        now,
      ),
    );
    return;
  }
  const infra = await external.ensureOwner(found.resource, found.obj, cluster, true, {
    [Labels.clusterName]: cluster.metadata.name ?? '',
  });
  const ready = statusField<boolean>(infra, 'ready') === true;
  if (ready) scope.status.infrastructureReady = true;
  const domains = statusField<FailureDomains>(infra, 'failureDomains');
  if (domains) scope.status.failureDomains = domains;
  const endpoint = specField<APIEndpoint>(infra, 'controlPlaneEndpoint');
  if (ready) copyEndpoint(scope, endpoint);
  scope.conditions.push(
    mirrorCondition(
      ConditionType.InfrastructureReady,
      statusField<Condition[]>(infra, 'conditions'),
      'Ready',
      ready
        ? trueCondition(ConditionType.InfrastructureReady, now)
        : falseCondition(
            ConditionType.InfrastructureReady,
            ConditionReason.WaitingForInfrastructure,
            'Info',
            `waiting for ${ref.kind} ${namespace}/${ref.name} to be ready`,
            now,
          ),
    ),
  );
}

/** Cluster API copies the endpoint only into a Cluster that has none. */
function copyEndpoint(scope: ClusterScope, endpoint: APIEndpoint | undefined): void {
  const current = scope.cluster.spec.controlPlaneEndpoint;
  if (!endpoint?.host || !endpoint.port) return;
  if (current?.host && current.port) return;
  scope.endpoint = { host: endpoint.host, port: endpoint.port };
}

export async function reconcileControlPlane(
  scope: ClusterScope,
  external: ExternalObjects,
  machines: Informer<Machine>,
): Promise<void> {
  const { cluster, now } = scope;
  const ref = cluster.spec.controlPlaneRef;
  const namespace = cluster.metadata.namespace ?? '';
  if (ref) {
    const found = await external.get(ref, namespace, `${namespace}/${cluster.metadata.name}`);
    if (found.state !== 'found') {
      const reason =
        found.state === 'invalid'
          ? ConditionReason.IncorrectExternalRef
          : ConditionReason.WaitingForControlPlane;
      const severity = found.state === 'invalid' ? 'Error' : 'Info';
      scope.conditions.push(
        falseCondition(ConditionType.ControlPlaneReady, reason, severity, found.message, now),
      );
      if (!isTrue(cluster.status?.conditions, ConditionType.ControlPlaneInitialized)) {
        scope.conditions.push(
          falseCondition(
            ConditionType.ControlPlaneInitialized,
            ConditionReason.WaitingForControlPlaneProviderInitialized,
            'Info',
            found.message,
            now,
          ),
        );
      }
      return;
    }
    const cp = await external.ensureOwner(found.resource, found.obj, cluster, true, {
      [Labels.clusterName]: cluster.metadata.name ?? '',
    });
    const ready = statusField<boolean>(cp, 'ready') === true;
    const initialized = statusField<boolean>(cp, 'initialized') === true;
    scope.status.controlPlaneReady = ready;
    if (ready) copyEndpoint(scope, specField<APIEndpoint>(cp, 'controlPlaneEndpoint'));
    scope.conditions.push(
      mirrorCondition(
        ConditionType.ControlPlaneReady,
        statusField<Condition[]>(cp, 'conditions'),
        'Ready',
        ready
          ? trueCondition(ConditionType.ControlPlaneReady, now)
          : falseCondition(
              ConditionType.ControlPlaneReady,
              ConditionReason.WaitingForControlPlane,
              'Info',
              `waiting for ${ref.kind} ${namespace}/${ref.name} to be ready`,
              now,
            ),
      ),
    );
    // Once initialized, a control plane stays initialized (Cluster API never turns it back).
    if (initialized || isTrue(cluster.status?.conditions, ConditionType.ControlPlaneInitialized)) {
      scope.conditions.push(trueCondition(ConditionType.ControlPlaneInitialized, now));
    } else {
      scope.conditions.push(
        falseCondition(
          ConditionType.ControlPlaneInitialized,
          ConditionReason.WaitingForControlPlaneProviderInitialized,
          'Info',
          'Waiting for control plane provider to indicate the control plane has been initialized',
          now,
        ),
      );
    }
    return;
  }
  // No control plane provider: the Cluster's Machines labelled as control plane are its control
  // plane. A Cluster with none has the control plane of its infrastructure (a simulated cluster
  // runs its API server without machines): ready with the infrastructure and its endpoint.
  const cpMachines = ofCluster(machines, namespace, cluster.metadata.name ?? '').filter(
    (m) => m.metadata.labels?.[Labels.controlPlane] !== undefined,
  );
  let initialized: boolean;
  let ready: boolean;
  let waiting: string;
  if (cpMachines.length > 0) {
    initialized = cpMachines.some((m) => m.status?.nodeRef !== undefined);
    ready = cpMachines.every(
      (m) => m.status?.nodeRef !== undefined && isTrue(m.status.conditions, ConditionType.NodeHealthy),
    );
    waiting = initialized
      ? `${cpMachines.filter((m) => !isTrue(m.status?.conditions, ConditionType.NodeHealthy)).length} of ${cpMachines.length} control plane machines are not ready`
      : 'Waiting for the first control plane machine to have its status.nodeRef set';
  } else {
    const endpoint = scope.endpoint ?? cluster.spec.controlPlaneEndpoint;
    initialized = ready =
      scope.status.infrastructureReady === true && Boolean(endpoint?.host && endpoint.port);
    waiting = 'Waiting for the infrastructure to provide the control plane endpoint';
  }
  initialized ||= isTrue(cluster.status?.conditions, ConditionType.ControlPlaneInitialized);
  scope.status.controlPlaneReady = ready;
  scope.conditions.push(
    initialized
      ? trueCondition(ConditionType.ControlPlaneInitialized, now)
      : falseCondition(
          ConditionType.ControlPlaneInitialized,
          ConditionReason.WaitingForControlPlaneProviderInitialized,
          'Info',
          waiting,
          now,
        ),
    ready
      ? trueCondition(ConditionType.ControlPlaneReady, now)
      : falseCondition(
          ConditionType.ControlPlaneReady,
          ConditionReason.WaitingForControlPlane,
          'Info',
          waiting,
          now,
        ),
  );
}

export interface Descendants {
  machineDeployments: Informer<MachineDeployment>;
  machineSets: Informer<MachineSet>;
  machines: Informer<Machine>;
}

/**
 * One step of deleting a Cluster's objects; returns what it is waiting for ("" once everything
 * but the Cluster is gone). Each call deletes what may go now.
 */
export async function reconcileDelete(
  cluster: Cluster,
  client: Client,
  external: ExternalObjects,
  d: Descendants,
): Promise<string> {
  const namespace = cluster.metadata.namespace ?? '';
  const name = cluster.metadata.name ?? '';
  const mine = <T extends KubeObject & { spec: { clusterName: string } }>(inf: Informer<T>) =>
    ofCluster(inf, namespace, name);
  const del = async (ref: ResourceRef, objs: KubeObject[]) => {
    await Promise.all(
      objs
        .filter((o) => !o.metadata.deletionTimestamp)
        .map((o) =>
          client.delete(ref, o.metadata.name ?? '', { namespace }).catch((err) => {
            if (!isNotFound(err)) throw err;
          }),
        ),
    );
  };
  const mds = mine(d.machineDeployments);
  const mss = mine(d.machineSets);
  const machines = mine(d.machines);
  const workers = machines.filter((m) => m.metadata.labels?.[Labels.controlPlane] === undefined);
  const controlPlane = machines.filter((m) => m.metadata.labels?.[Labels.controlPlane] !== undefined);
  await del(clusterApiResources.machinedeployments, mds);
  await del(clusterApiResources.machinesets, mss);
  await del(clusterApiResources.machines, workers);
  if (mds.length + mss.length + workers.length > 0) {
    return `waiting for ${mds.length} MachineDeployments, ${mss.length} MachineSets and ${workers.length} worker Machines to be deleted`;
  }
  for (const ref of [cluster.spec.controlPlaneRef, undefined, cluster.spec.infrastructureRef]) {
    if (ref === undefined) {
      // Control plane machines go once their provider's object is gone (it deletes them itself).
      if (controlPlane.length > 0) {
        await del(clusterApiResources.machines, controlPlane);
        return `waiting for ${controlPlane.length} control plane Machines to be deleted`;
      }
      continue;
    }
    const found = await external.get(ref, namespace, `${namespace}/${cluster.metadata.name}`);
    if (found.state !== 'found') continue;
    if (!found.obj.metadata.deletionTimestamp) await del(found.resource, [found.obj]);
    return `waiting for ${ref.kind} ${namespace}/${ref.name} to be deleted`;
  }
  return '';
}
