import { describe, expect, it } from 'vitest';
import { NODE_SHAPES } from '../../../sim/kubelet/node-template.js';
import { admit, type Doc, newObject, update } from '../cluster-api/test-support.js';
import { dockerClusterStrategy, dockerMachineTemplateStrategy } from './docker/strategy.js';
import { INSTANCE_TYPES } from './local/constants.js';
import {
  localClusterStrategy,
  localMachineStrategy,
  localMachineTemplateStrategy,
} from './local/strategy.js';

const DOCKER = 'infrastructure.cluster.x-k8s.io/v1beta1';
const LOCAL = 'infrastructure.concord.dev/v1alpha1';

describe('Docker provider kinds', () => {
  it('default the control plane endpoint port to 6443', () => {
    expect(admit(dockerClusterStrategy, newObject(DOCKER, 'DockerCluster', 'c')).obj.spec).toEqual({
      controlPlaneEndpoint: { port: 6443 },
    });
  });

  it('keep a machine template as it was made', () => {
    const template = newObject(DOCKER, 'DockerMachineTemplate', 't', { template: { spec: {} } });
    const changed = update(dockerMachineTemplateStrategy, template, (t) => {
      (t.spec as Doc).template.spec.customImage = 'kindest/node:v1.31.0';
    });
    expect(changed.errors).toEqual([
      expect.stringContaining('DockerMachineTemplate spec.template.spec field is immutable'),
    ]);
  });
});

describe('local provider kinds', () => {
  it("offer the simulated kubelet's node shapes", () => {
    expect([...INSTANCE_TYPES].sort()).toEqual(Object.keys(NODE_SHAPES).sort());
  });

  it('give a LocalCluster three zones of its region, refusing duplicates', () => {
    expect(
      admit(localClusterStrategy, newObject(LOCAL, 'LocalCluster', 'c', { region: 'asia' })).obj.spec,
    ).toEqual({
      region: 'asia',
      zones: ['asia-a', 'asia-b', 'asia-c'],
    });
    expect(
      admit(localClusterStrategy, newObject(LOCAL, 'LocalCluster', 'c', { zones: ['a', 'b', 'a'] })).errors,
    ).toEqual(['spec.zones[2]: Duplicate value: "a"']);
  });

  it('give a LocalMachine the default shape, valid node labels only, and keep its providerID', () => {
    expect(admit(localMachineStrategy, newObject(LOCAL, 'LocalMachine', 'm')).obj.spec).toEqual({
      instanceType: 'sim.xlarge',
    });
    const labelled = newObject(LOCAL, 'LocalMachine', 'm', {
      nodeLabels: { 'node.kubernetes.io/instance-type': 'big', 'bad key!': 'x' },
    });
    expect(admit(localMachineStrategy, labelled).errors).toEqual([
      expect.stringMatching(/^spec\.nodeLabels: Invalid value: "bad key!"/),
      'spec.nodeLabels[node.kubernetes.io/instance-type]: Forbidden: is set by the provider from region, zones and instanceType',
    ]);
    const placed = newObject(LOCAL, 'LocalMachine', 'm', { providerID: 'concord://ns/c/m' });
    expect(
      update(
        localMachineStrategy,
        placed,
        (m) => ((m.spec as Record<string, unknown>).providerID = 'concord://ns/c/n'),
      ).errors,
    ).toEqual(['spec.providerID: Invalid value: "concord://ns/c/n": field is immutable']);
    const template = newObject(LOCAL, 'LocalMachineTemplate', 't', { template: { spec: { gpus: 2 } } });
    expect((admit(localMachineTemplateStrategy, template).obj.spec as Doc).template.spec).toEqual({
      gpus: 2,
      instanceType: 'sim.xlarge',
    });
  });
});
