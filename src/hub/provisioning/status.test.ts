import { describe, expect, it } from 'vitest';
import type { Cluster, Condition, Machine } from '../apis/cluster-api/index.js';
import { clusterPhase } from './cluster/status.js';
import { falseCondition, setCondition, summary, trueCondition } from './conditions.js';
import { machinePhase } from './machine/status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

describe('v1beta1 conditions as values', () => {
  it('keep the transition time while status, severity, reason and message stay', () => {
    const waiting = (t: string) =>
      falseCondition('InfrastructureReady', 'WaitingForInfrastructure', 'Info', 'waiting', t);
    const again = setCondition(setCondition([], waiting(T0)), waiting(T1));
    expect(again).toEqual([
      {
        type: 'InfrastructureReady',
        status: 'False',
        severity: 'Info',
        reason: 'WaitingForInfrastructure',
        message: 'waiting',
        lastTransitionTime: T0,
      },
    ]);
    const flipped = setCondition(again, trueCondition('InfrastructureReady', T1));
    expect(flipped).toEqual([{ type: 'InfrastructureReady', status: 'True', lastTransitionTime: T1 }]);
  });

  it('sort Ready first and the others by type', () => {
    let list: Condition[] = [];
    for (const t of ['NodeHealthy', 'Ready', 'BootstrapReady'])
      list = setCondition(list, trueCondition(t, T0));
    expect(list.map((c) => c.type)).toEqual(['Ready', 'BootstrapReady', 'NodeHealthy']);
  });

  it('summarise Ready from the worst False condition of the types named', () => {
    const list: Condition[] = [
      falseCondition('ControlPlaneReady', 'WaitingForControlPlane', 'Info', 'cp', T0),
      falseCondition('InfrastructureReady', 'IncorrectExternalRef', 'Error', 'infra', T0),
      falseCondition('Other', 'Ignored', 'Error', 'not named', T0),
    ];
    expect(summary(list, ['ControlPlaneReady', 'InfrastructureReady'], T1)).toMatchObject({
      type: 'Ready',
      status: 'False',
      severity: 'Error',
      reason: 'IncorrectExternalRef',
    });
    expect(summary([trueCondition('A', T0)], ['A', 'B'], T1).status).toBe('True');
  });
});

describe('phases', () => {
  const machine = (spec: Partial<Machine['spec']>, deleting = false): Machine => ({
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: { name: 'm', ...(deleting ? { deletionTimestamp: T0 } : {}) },
    spec: { clusterName: 'c', bootstrap: {}, infrastructureRef: {}, ...spec },
  });

  it("walks a Machine through Cluster API's phases", () => {
    expect(machinePhase(machine({}), {})).toBe('Pending');
    expect(machinePhase(machine({ bootstrap: { dataSecretName: '' } }), {})).toBe('Provisioning');
    expect(machinePhase(machine({ bootstrap: { dataSecretName: 'x' } }), { infrastructureReady: true })).toBe(
      'Provisioned',
    );
    expect(machinePhase(machine({}), { infrastructureReady: true, nodeRef: { name: 'n' } })).toBe('Running');
    expect(machinePhase(machine({}), { failureReason: 'InvalidConfiguration' })).toBe('Failed');
    expect(machinePhase(machine({}, true), { nodeRef: { name: 'n' } })).toBe('Deleting');
  });

  it("walks a Cluster through Cluster API's phases", () => {
    const cluster = (spec: Cluster['spec'], deleting = false): Cluster => ({
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'Cluster',
      metadata: { name: 'c', ...(deleting ? { deletionTimestamp: T0 } : {}) },
      spec,
    });
    const infra = { infrastructureRef: { kind: 'LocalCluster', name: 'c' } };
    expect(clusterPhase(cluster({}), {})).toBe('Pending');
    expect(clusterPhase(cluster(infra), {})).toBe('Provisioning');
    // Ready infrastructure without an endpoint is still provisioning.
    expect(clusterPhase(cluster(infra), { infrastructureReady: true })).toBe('Provisioning');
    expect(
      clusterPhase(cluster({ ...infra, controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 } }), {
        infrastructureReady: true,
      }),
    ).toBe('Provisioned');
    expect(clusterPhase(cluster(infra), { failureMessage: 'gone' })).toBe('Failed');
    expect(clusterPhase(cluster(infra, true), { infrastructureReady: true })).toBe('Deleting');
  });
});
