import { describe, expect, it } from 'vitest';
import type { Machine } from '../../apis/cluster-api/index.js';
import { kubeadmConfigName, nodeRegistration } from './node-registration.js';

function machine(controlPlane: boolean): Machine {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: {
      name: 'm',
      namespace: 'default',
      ...(controlPlane ? { labels: { 'cluster.x-k8s.io/control-plane': '' } } : {}),
    },
    spec: {
      clusterName: 'c',
      bootstrap: {
        configRef: { apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1', kind: 'KubeadmConfig', name: 'm-cfg' },
      },
      infrastructureRef: { kind: 'LocalMachine', name: 'm' },
    },
  } as Machine;
}

const config = (spec: object) => ({
  apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
  kind: 'KubeadmConfig',
  metadata: { name: 'm-cfg' },
  spec,
});

describe('the node registration a kubeadm config gives a machine', () => {
  it('taints a control plane node NoSchedule when the config names no taints, as kubeadm does', () => {
    expect(nodeRegistration(machine(true), config({ initConfiguration: { nodeRegistration: {} } }))).toEqual({
      labels: {
        'node-role.kubernetes.io/control-plane': '',
        'node.kubernetes.io/exclude-from-external-load-balancers': '',
      },
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    });
    expect(nodeRegistration(machine(true), undefined).taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
  });

  it('leaves the control plane untainted when the config gives an empty list', () => {
    const joined = config({ joinConfiguration: { controlPlane: {}, nodeRegistration: { taints: [] } } });
    expect(nodeRegistration(machine(true), joined).taints).toEqual([]);
  });

  it('gives a worker no role and exactly the taints its join configuration names', () => {
    const worker = config({
      joinConfiguration: {
        nodeRegistration: { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] },
      },
    });
    expect(nodeRegistration(machine(false), worker)).toEqual({
      labels: {},
      taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }],
    });
    expect(nodeRegistration(machine(false), config({}))).toEqual({ labels: {}, taints: [] });
  });

  it('reads only KubeadmConfigs', () => {
    expect(kubeadmConfigName(machine(true))).toBe('m-cfg');
    const other = machine(true);
    other.spec.bootstrap = {
      configRef: { apiVersion: 'bootstrap.example.com/v1', kind: 'TalosConfig', name: 'x' },
    };
    expect(kubeadmConfigName(other)).toBeUndefined();
  });
});
