// The steps of reconciling a Machine, as Cluster API's machine controller takes them: bootstrap
// (the config's data secret), infrastructure (the infra machine's readiness, providerID and
// addresses), node (the workload cluster's Node with that providerID), and deletion (the infra
// machine and bootstrap config go first, then the finalizer).

import type { ResourceRef } from '../../../client/client.js';
import {
  type Condition,
  ConditionReason,
  ConditionType,
  Labels,
  type Machine,
  type MachineAddress,
  type MachineStatus,
  type ObjectReference,
} from '../../apis/cluster-api/index.js';
import { falseCondition, mirrorCondition, trueCondition } from '../conditions.js';
import { type ExternalObjects, specField, statusField } from '../external.js';
import type { WorkloadNodes } from '../workload-nodes.js';

/** What the steps gather: the status to write, spec fields to patch, conditions to set. */
export interface MachineScope {
  machine: Machine;
  status: MachineStatus;
  specPatch: Record<string, unknown>;
  conditions: Condition[];
  now: string;
  /** Reconcile again after this many ms (waiting on something no watch reports). */
  requeueAfter?: number;
}

export async function reconcileBootstrap(scope: MachineScope, external: ExternalObjects): Promise<void> {
  const { machine, now } = scope;
  const ref = machine.spec.bootstrap?.configRef;
  const namespace = machine.metadata.namespace ?? '';
  if (!ref) {
    const ready = machine.spec.bootstrap?.dataSecretName !== undefined;
    scope.status.bootstrapReady = ready;
    scope.conditions.push(
      ready
        ? trueCondition(ConditionType.BootstrapReady, now)
        : falseCondition(
            ConditionType.BootstrapReady,
            ConditionReason.WaitingForDataSecret,
            'Info',
            'spec.bootstrap.dataSecretName is not set',
            now,
          ),
    );
    return;
  }
  const found = await external.get(ref, namespace, `${namespace}/${machine.metadata.name}`);
  if (found.state !== 'found') {
    scope.status.bootstrapReady =
      machine.status?.bootstrapReady === true && machine.spec.bootstrap.dataSecretName !== undefined;
    if (!scope.status.bootstrapReady) {
      scope.conditions.push(
        falseCondition(
          ConditionType.BootstrapReady,
          found.state === 'invalid'
            ? ConditionReason.IncorrectExternalRef
            : ConditionReason.WaitingForDataSecret,
          found.state === 'invalid' ? 'Error' : 'Info',
          found.message,
          now,
        ),
      );
    }
    return;
  }
  const config = await external.ensureOwner(found.resource, found.obj, machine, true, clusterLabel(machine));
  const ready = statusField<boolean>(config, 'ready') === true;
  const dataSecretName = statusField<string>(config, 'dataSecretName');
  if (ready && dataSecretName && machine.spec.bootstrap.dataSecretName !== dataSecretName) {
    scope.specPatch.bootstrap = { ...machine.spec.bootstrap, dataSecretName };
  }
  scope.status.bootstrapReady = ready && dataSecretName !== undefined;
  scope.conditions.push(
    mirrorCondition(
      ConditionType.BootstrapReady,
      statusField<Condition[]>(config, 'conditions'),
      'Ready',
      scope.status.bootstrapReady
        ? trueCondition(ConditionType.BootstrapReady, now)
        : falseCondition(
            ConditionType.BootstrapReady,
            ConditionReason.WaitingForDataSecret,
            'Info',
            `waiting for ${ref.kind} ${namespace}/${ref.name} to provide the bootstrap data secret`,
            now,
          ),
    ),
  );
}

export async function reconcileInfrastructure(scope: MachineScope, external: ExternalObjects): Promise<void> {
  const { machine, now } = scope;
  const ref = machine.spec.infrastructureRef;
  const namespace = machine.metadata.namespace ?? '';
  const found = await external.get(ref, namespace, `${namespace}/${machine.metadata.name}`);
  if (found.state !== 'found') {
    if (machine.status?.infrastructureReady && found.state === 'missing') {
      // Cluster API's terminal failure: the machine's infrastructure went away after it was ready.
      scope.status.failureReason = 'InvalidConfiguration';
      scope.status.failureMessage = `Machine infrastructure resource ${ref.kind} ${namespace}/${ref.name} has been deleted after being ready`;
    }
    scope.status.infrastructureReady = machine.status?.infrastructureReady === true;
    scope.conditions.push(
      falseCondition(
        ConditionType.InfrastructureReady,
        found.state === 'invalid'
          ? ConditionReason.IncorrectExternalRef
          : ConditionReason.WaitingForInfrastructure,
        found.state === 'invalid' || machine.status?.infrastructureReady ? 'Error' : 'Info',
        found.message,
        now,
      ),
    );
    return;
  }
  const infra = await external.ensureOwner(found.resource, found.obj, machine, true, clusterLabel(machine));
  const ready = statusField<boolean>(infra, 'ready') === true;
  scope.status.infrastructureReady = ready || machine.status?.infrastructureReady === true;
  const providerID = specField<string>(infra, 'providerID');
  if (ready && providerID && machine.spec.providerID !== providerID) scope.specPatch.providerID = providerID;
  const failureDomain =
    statusField<string>(infra, 'failureDomain') ?? specField<string>(infra, 'failureDomain');
  if (ready && failureDomain && !machine.spec.failureDomain) scope.specPatch.failureDomain = failureDomain;
  const addresses = statusField<MachineAddress[]>(infra, 'addresses');
  if (addresses) scope.status.addresses = addresses;
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

export function reconcileNode(scope: MachineScope, workload: WorkloadNodes): void {
  const { machine, now } = scope;
  const providerID = (scope.specPatch.providerID as string | undefined) ?? machine.spec.providerID;
  const namespace = machine.metadata.namespace ?? '';
  if (!providerID) {
    scope.conditions.push(
      falseCondition(ConditionType.NodeHealthy, ConditionReason.WaitingForNodeRef, 'Info', '', now),
    );
    return;
  }
  const node = workload.node(namespace, machine.spec.clusterName, providerID);
  if (node === 'no-connection' || node === 'not-synced') {
    if (!machine.status?.nodeRef) {
      scope.conditions.push(
        falseCondition(ConditionType.NodeHealthy, ConditionReason.WaitingForNodeRef, 'Info', '', now),
      );
    }
    scope.requeueAfter = 500;
    return;
  }
  if (!node) {
    if (machine.status?.nodeRef) {
      scope.conditions.push(
        falseCondition(
          ConditionType.NodeHealthy,
          ConditionReason.NodeNotFound,
          'Error',
          `node ${machine.status.nodeRef.name} was not found`,
          now,
        ),
      );
      // The node is gone: nodeRef stays, as Cluster API leaves it for health checks to act on.
      return;
    }
    scope.conditions.push(
      falseCondition(
        ConditionType.NodeHealthy,
        ConditionReason.NodeProvisioning,
        'Warning',
        `Waiting for a node with matching ProviderID to exist`,
        now,
      ),
    );
    return;
  }
  scope.status.nodeRef = { apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid };
  if (node.status?.nodeInfo)
    scope.status.nodeInfo = node.status.nodeInfo as unknown as MachineStatus['nodeInfo'];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  scope.conditions.push(
    ready?.status === 'True'
      ? trueCondition(ConditionType.NodeHealthy, now)
      : falseCondition(
          ConditionType.NodeHealthy,
          ConditionReason.NodeConditionsFailed,
          'Warning',
          `Node condition Ready is ${ready?.status ?? 'Unknown'}${ready?.message ? `: ${ready.message}` : ''}`,
          now,
        ),
  );
}

/** Deletes the machine's infra machine and bootstrap config; true once both are gone. */
export async function reconcileDelete(
  scope: MachineScope,
  external: ExternalObjects,
  client: { delete(ref: ResourceRef, name: string, opts: { namespace: string }): Promise<unknown> },
): Promise<boolean> {
  const { machine } = scope;
  const namespace = machine.metadata.namespace ?? '';
  const refs: ObjectReference[] = [machine.spec.infrastructureRef];
  if (machine.spec.bootstrap?.configRef) refs.push(machine.spec.bootstrap.configRef);
  let gone = true;
  for (const ref of refs) {
    const found = await external.get(ref, namespace, `${namespace}/${machine.metadata.name}`);
    if (found.state !== 'found') continue;
    gone = false;
    if (!found.obj.metadata.deletionTimestamp) {
      await client.delete(found.resource, ref.name ?? '', { namespace }).catch(ignoreNotFound);
    }
  }
  return gone;
}

function ignoreNotFound(err: unknown): void {
  if ((err as { code?: number }).code !== 404) throw err;
}

function clusterLabel(machine: Machine): Record<string, string> {
  return { [Labels.clusterName]: machine.spec.clusterName };
}
