import { describe, expect, it } from 'vitest';
import { clusterManifests, fleetPlan } from './fleet.js';

describe('fleetPlan', () => {
  it('spreads the fleet over europe, us and asia in turn', () => {
    expect(fleetPlan(5)).toEqual([
      { name: 'europe-1', region: 'europe' },
      { name: 'us-1', region: 'us' },
      { name: 'asia-1', region: 'asia' },
      { name: 'europe-2', region: 'europe' },
      { name: 'us-2', region: 'us' },
    ]);
    expect(fleetPlan(0)).toEqual([]);
  });
});

describe('clusterManifests', () => {
  const objs = clusterManifests({ name: 'us-2', region: 'us' }, { nodes: 5, shape: 'sim.gpu' });
  const all = [...objs.cluster, ...objs.machines];
  // biome-ignore lint/suspicious/noExplicitAny: reading into the objects' specs
  const find = (kind: string, name: string): any =>
    all.find((o) => o.kind === kind && o.metadata.name === name);

  it('declares the cluster and its infrastructure first, then the control plane and the workers', () => {
    expect(objs.cluster.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Cluster/us-2',
      'LocalCluster/us-2',
    ]);
    expect(objs.machines.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'LocalMachineTemplate/us-2-control-plane',
      'KubeadmControlPlane/us-2-control-plane',
      'LocalMachineTemplate/us-2-md-0',
      'KubeadmConfigTemplate/us-2-md-0',
      'MachineDeployment/us-2-md-0',
    ]);
  });

  it('labels the Cluster with its region and sizes the workers by --nodes and --shape', () => {
    expect(find('Cluster', 'us-2').metadata.labels).toEqual({ 'topology.kubernetes.io/region': 'us' });
    expect(find('LocalCluster', 'us-2').spec).toEqual({ region: 'us', zones: ['us-a', 'us-b', 'us-c'] });
    expect(find('KubeadmControlPlane', 'us-2-control-plane').spec.replicas).toBe(1);
    expect(find('MachineDeployment', 'us-2-md-0').spec.replicas).toBe(5);
    expect(find('LocalMachineTemplate', 'us-2-md-0').spec.template.spec.instanceType).toBe('sim.gpu');
    expect(find('MachineDeployment', 'us-2-md-0').spec.template.spec.version).toBe('v1.33.0');
  });
});
