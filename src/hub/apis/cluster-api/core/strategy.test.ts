import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { admit, type Doc, newObject, update } from '../test-support.js';
import {
  clusterStrategy,
  machineDeploymentStrategy,
  machineHealthCheckStrategy,
  machinePoolStrategy,
  machineSetStrategy,
  machineStrategy,
} from './strategy.js';

const V = 'cluster.x-k8s.io/v1beta1';
const INFRA = {
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'DockerMachineTemplate',
  name: 'workers',
};
const BOOTSTRAP = {
  apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
  kind: 'KubeadmConfigTemplate',
  name: 'workers',
};
const MIN = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size';
const MAX = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size';

function machineDeployment(spec: Record<string, unknown> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return newObject(
    V,
    'MachineDeployment',
    'md-0',
    {
      clusterName: 'c1',
      selector: {},
      template: {
        spec: {
          clusterName: 'c1',
          version: 'v1.31.0',
          bootstrap: { configRef: BOOTSTRAP },
          infrastructureRef: INFRA,
        },
      },
      ...spec,
    },
    extra,
  );
}

describe('MachineDeployment', () => {
  it("gets Cluster API's defaults: replicas, rollout, selector and labels, refs' namespaces", () => {
    const { obj, errors } = admit(machineDeploymentStrategy, machineDeployment());
    expect(errors).toEqual([]);
    expect(obj.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'c1' });
    expect(obj.spec).toEqual({
      clusterName: 'c1',
      replicas: 1,
      minReadySeconds: 0,
      revisionHistoryLimit: 1,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: {
        matchLabels: { 'cluster.x-k8s.io/deployment-name': 'md-0', 'cluster.x-k8s.io/cluster-name': 'c1' },
      },
      template: {
        metadata: {
          labels: { 'cluster.x-k8s.io/deployment-name': 'md-0', 'cluster.x-k8s.io/cluster-name': 'c1' },
        },
        spec: {
          clusterName: 'c1',
          version: 'v1.31.0',
          bootstrap: { configRef: { ...BOOTSTRAP, namespace: 'ns' } },
          infrastructureRef: { ...INFRA, namespace: 'ns' },
        },
      },
    });
  });

  it('keeps a selector that selects something, adding only the cluster name', () => {
    const { obj } = admit(
      machineDeploymentStrategy,
      machineDeployment({ selector: { matchLabels: { pool: 'a' } } }),
    );
    expect((obj.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { pool: 'a', 'cluster.x-k8s.io/cluster-name': 'c1' },
    });
  });

  it('leaves OnDelete without rolling update settings and a version without "v" gets one', () => {
    const md = machineDeployment({ strategy: { type: 'OnDelete' } });
    (md.spec as { template: { spec: { version: string } } }).template.spec.version = '1.30.1';
    const { obj } = admit(machineDeploymentStrategy, md);
    const spec = obj.spec as { strategy: unknown; template: { spec: { version: string } } };
    expect(spec.strategy).toEqual({ type: 'OnDelete' });
    expect(spec.template.spec.version).toBe('v1.30.1');
  });

  it('takes its size from the autoscaler annotations: the minimum at first, kept within bounds later', () => {
    const annotated = (replicas?: number) =>
      machineDeployment(replicas === undefined ? {} : { replicas }, {
        metadata: { name: 'md-0', namespace: 'ns', annotations: { [MIN]: '2', [MAX]: '5' } },
      });
    expect((admit(machineDeploymentStrategy, annotated()).obj.spec as { replicas: number }).replicas).toBe(2);
    const sized = (stored: number) => {
      const created = admit(machineDeploymentStrategy, annotated(stored)).obj;
      const next = structuredClone(created);
      delete (next.spec as { replicas?: number }).replicas;
      return (admit(machineDeploymentStrategy, next, created).obj.spec as { replicas: number }).replicas;
    };
    expect(sized(4)).toBe(4);
    expect(sized(1)).toBe(2);
    expect(sized(9)).toBe(5);
    const bad = machineDeployment(
      {},
      { metadata: { name: 'md-0', namespace: 'ns', annotations: { [MIN]: 'two', [MAX]: '5' } } },
    );
    expect(admit(machineDeploymentStrategy, bad).errors).toEqual([
      expect.stringContaining('metadata.annotations: Invalid value'),
    ]);
  });

  it('refuses what Cluster API refuses, naming the field', () => {
    const md = machineDeployment({
      replicas: -1,
      selector: { matchLabels: { pool: 'a' } },
      strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
      machineNamingStrategy: { template: '{{ .machineSet.name }}-x' },
      template: {
        metadata: { labels: { pool: 'b' } },
        spec: {
          clusterName: 'c2',
          version: 'v1.31',
          bootstrap: {},
          infrastructureRef: { ...INFRA, namespace: 'other' },
        },
      },
    });
    expect(admit(machineDeploymentStrategy, md).errors).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.metadata.labels: Forbidden: must match spec.selector "cluster.x-k8s.io/cluster-name=c1,pool=a"',
      'spec.template.spec.bootstrap: Required value: expected either spec.template.spec.bootstrap.dataSecretName or spec.template.spec.bootstrap.configRef to be populated',
      'spec.clusterName: Invalid value: "c1": spec.clusterName and spec.template.spec.clusterName must be set to the same value',
      'spec.strategy.rollingUpdate: Invalid value: 0: maxUnavailable and maxSurge cannot both be 0',
      'spec.machineNamingStrategy.template: Invalid value: "{{ .machineSet.name }}-x": invalid template, {{ .random }} is missing',
      'spec.template.spec.version: Invalid value: "v1.31": must be a valid semantic version',
      'spec.template.spec.infrastructureRef.namespace: Invalid value: "other": must match metadata.namespace',
    ]);
  });

  it('may skip only the preflight checks MachineSets make', () => {
    const md = (skip: string) =>
      machineDeployment(
        {},
        {
          metadata: {
            name: 'md-0',
            namespace: 'ns',
            annotations: { 'machineset.cluster.x-k8s.io/skip-preflight-checks': skip },
          },
        },
      );
    expect(admit(machineDeploymentStrategy, md('KubeadmVersionSkew, ControlPlaneIsStable')).errors).toEqual(
      [],
    );
    expect(admit(machineDeploymentStrategy, md('All,Everything')).errors).toEqual([
      'metadata.annotations.machineset.cluster.x-k8s.io/skip-preflight-checks: Invalid value: ["Everything"]: skipped preflight check(s) must be among: [All ControlPlaneIsStable ControlPlaneVersionSkew KubeadmVersionSkew KubernetesVersionSkew]',
    ]);
  });

  it('keeps its clusterName', () => {
    const { errors } = update(machineDeploymentStrategy, machineDeployment(), (md) => {
      (md.spec as { clusterName: string }).clusterName = 'c2';
    });
    expect(errors).toContain('spec.clusterName: Forbidden: field is immutable');
  });
});

describe('MachineSet', () => {
  it('selects its Machines by its name, hashed when the name is no label value', () => {
    const long = 'a'.repeat(70);
    const ms = (name: string) =>
      newObject(V, 'MachineSet', name, {
        clusterName: 'c1',
        selector: {},
        template: {
          spec: { clusterName: 'c1', bootstrap: { dataSecretName: 's' }, infrastructureRef: INFRA },
        },
      });
    const { obj, errors } = admit(machineSetStrategy, ms(long));
    expect(errors).toEqual([]);
    const spec = obj.spec as {
      replicas: number;
      deletePolicy: string;
      selector: { matchLabels: Record<string, string> };
    };
    expect(spec.replicas).toBe(1);
    expect(spec.deletePolicy).toBe('Random');
    const value = spec.selector.matchLabels['cluster.x-k8s.io/set-name']!;
    expect(value).toMatch(/^hash_[A-Za-z0-9_-]{6}_z$/);
    const short = admit(machineSetStrategy, ms('ms-1')).obj;
    expect((short.spec as typeof spec).selector.matchLabels).toEqual({ 'cluster.x-k8s.io/set-name': 'ms-1' });
  });
});

describe('Machine', () => {
  const machine = (spec: Record<string, unknown>, labels?: Record<string, string>) =>
    newObject(
      V,
      'Machine',
      'm-0',
      { clusterName: 'c1', infrastructureRef: INFRA, ...spec },
      labels ? { metadata: { name: 'm-0', namespace: 'ns', labels } } : {},
    );

  it('gets a 10s node deletion timeout, its cluster label and namespaced refs', () => {
    const { obj, errors } = admit(
      machineStrategy,
      machine({ bootstrap: { dataSecretName: 'data' }, version: '1.31.0' }),
    );
    expect(errors).toEqual([]);
    expect(obj.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'c1' });
    expect(obj.spec).toMatchObject({
      nodeDeletionTimeout: '10s',
      version: 'v1.31.0',
      infrastructureRef: { namespace: 'ns' },
    });
  });

  it('needs bootstrap data unless a MachinePool owns it; durations are Go durations', () => {
    expect(admit(machineStrategy, machine({ bootstrap: {}, nodeDrainTimeout: '5 minutes' })).errors).toEqual([
      'spec.bootstrap.data: Required value: expected either spec.bootstrap.dataSecretName or spec.bootstrap.configRef to be populated',
      'spec.nodeDrainTimeout: Invalid value: "5 minutes": time: unknown unit " minutes" in duration "5 minutes"',
    ]);
    expect(
      admit(machineStrategy, machine({ bootstrap: {} }, { 'cluster.x-k8s.io/pool-name': 'mp' })).errors,
    ).toEqual([]);
  });
});

describe('MachineHealthCheck', () => {
  const mhc = (spec: Record<string, unknown>) =>
    newObject(V, 'MachineHealthCheck', 'mhc', { clusterName: 'c1', ...spec });

  it('defaults maxUnhealthy to 100% and nodeStartupTimeout to 10m', () => {
    const { obj, errors } = admit(machineHealthCheckStrategy, mhc({ selector: { matchLabels: { a: 'b' } } }));
    expect(errors).toEqual([]);
    expect(obj.spec).toMatchObject({ maxUnhealthy: '100%', nodeStartupTimeout: '10m0s' });
    expect(obj.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'c1' });
  });

  it('refuses an empty selector, another cluster, a short startup timeout, a bad maxUnhealthy', () => {
    expect(
      admit(machineHealthCheckStrategy, mhc({ selector: {}, maxUnhealthy: '40', nodeStartupTimeout: '10s' }))
        .errors,
    ).toEqual([
      'spec.selector: Required value: selector must not be empty',
      'spec.nodeStartupTimeout: Invalid value: "10s": must be at least 30s',
      'spec.maxUnhealthy: Invalid value: "40": must be either an int or a percentage: a string must be a percentage, like "40%"',
    ]);
    const other = mhc({
      selector: { matchLabels: { 'cluster.x-k8s.io/cluster-name': 'c2' } },
      nodeStartupTimeout: '0',
      unhealthyMachineConditions: [{ type: 'Ready', status: 'False', timeout: '1m' }],
    });
    expect(admit(machineHealthCheckStrategy, other).errors).toEqual([
      expect.stringMatching(
        /^spec\.selector: Invalid value: .*cannot specify a cluster selector other than the one specified by ClusterName$/,
      ),
      'spec.unhealthyMachineConditions[0].type: Invalid value: "Ready": type must not be one of: Ready, Available, HealthCheckSucceeded, OwnerRemediated, ExternallyRemediated',
    ]);
  });
});

describe('MachinePool', () => {
  it('gets replicas, minReadySeconds and the node deletion timeout of its Machines', () => {
    const mp = newObject(V, 'MachinePool', 'mp', {
      clusterName: 'c1',
      template: {
        spec: { clusterName: 'c1', bootstrap: { configRef: BOOTSTRAP }, infrastructureRef: INFRA },
      },
    });
    const { obj, errors } = admit(machinePoolStrategy, mp);
    expect(errors).toEqual([]);
    expect(obj.spec).toMatchObject({
      replicas: 1,
      minReadySeconds: 0,
      template: { spec: { nodeDeletionTimeout: '10s' } },
    });
  });
});

describe('Cluster', () => {
  const cluster = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
    newObject(
      V,
      'Cluster',
      'c1',
      spec,
      annotations ? { metadata: { name: 'c1', namespace: 'ns', annotations } } : {},
    );
  const topology = { class: 'quick-start', version: '1.31.0' };

  it("defaults references' namespaces and the topology version's v", () => {
    const { obj, errors } = admit(
      clusterStrategy,
      cluster({ infrastructureRef: { kind: 'DockerCluster', name: 'c1' }, topology: { ...topology } }),
    );
    expect(errors).toEqual([]);
    expect(obj.spec).toEqual({
      infrastructureRef: { kind: 'DockerCluster', name: 'c1', namespace: 'ns' },
      topology: { class: 'quick-start', version: 'v1.31.0' },
    });
  });

  it('checks networks and topology without looking at other objects', () => {
    const { errors } = admit(
      clusterStrategy,
      cluster(
        {
          clusterNetwork: { pods: { cidrBlocks: ['10.0.0.0/33'] } },
          topology: {
            ...topology,
            version: 'v1.31',
            variables: [{ name: 'x', value: 1, definitionFrom: 'inline' }],
            workers: {
              machineDeployments: [
                { class: 'w', name: 'md', replicas: 2, metadata: { annotations: { [MIN]: '1' } } },
                { class: 'w', name: 'md' },
              ],
            },
          },
        },
        { 'topology.cluster.x-k8s.io/upgrade-concurrency': '0' },
      ),
    );
    expect(errors).toEqual([
      'spec.clusterNetwork.pods.cidrBlocks[0]: Invalid value: "10.0.0.0/33": invalid CIDR address: 10.0.0.0/33',
      'spec.topology.version: Invalid value: "v1.31": version must be a valid semantic version',
      'spec.topology.variables[x]: Invalid value: 1: variable "x" has DefinitionFrom set',
      'spec.topology.workers.machineDeployments[md].replicas: Invalid value: 2: cannot be set for cluster "c1" in namespace "ns" if the same MachineDeploymentTopology has autoscaler annotations',
      'spec.topology.workers.machineDeployments[1].name: Invalid value: "md": name must be unique. machineDeployments entry "md" is defined more than once',
      'metadata.annotations.topology.cluster.x-k8s.io/upgrade-concurrency: Invalid value: "0": value cannot be less than 1',
    ]);
  });

  it('keeps its references and topology, and upgrades one minor version at a time', () => {
    const base = cluster({
      infrastructureRef: {
        apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
        kind: 'DockerCluster',
        name: 'c1',
      },
      controlPlaneRef: { kind: 'KubeadmControlPlane', name: 'cp' },
      topology: { ...topology },
    });
    const change = (fn: (spec: Doc) => void) =>
      update(clusterStrategy, base, (c) => fn(c.spec as Record<string, unknown>)).errors;
    expect(change((s) => delete s.infrastructureRef)).toEqual([
      'spec.infrastructureRef: Forbidden: cannot be removed',
    ]);
    expect(change((s) => delete s.controlPlaneRef)).toEqual([
      'spec.controlPlaneRef: Forbidden: cannot be removed',
    ]);
    expect(change((s) => (s.infrastructureRef.name = 'c2'))).toEqual([
      expect.stringMatching(
        /^spec\.infrastructureRef: Invalid value: .*cannot be changed to another object once set$/,
      ),
    ]);
    // A newer API version of the same kind is the same object.
    expect(
      change((s) => (s.infrastructureRef.apiVersion = 'infrastructure.cluster.x-k8s.io/v1beta2')),
    ).toEqual([]);
    expect(change((s) => delete s.topology)).toEqual([
      'spec.topology: Forbidden: cannot be removed from an existing Cluster',
    ]);
    expect(change((s) => (s.topology.version = 'v1.30.9'))).toEqual([
      'spec.topology.version: Invalid value: "v1.30.9": version cannot be decreased from "1.31.0" to "1.30.9"',
    ]);
    expect(change((s) => (s.topology.version = 'v1.33.0'))).toEqual([
      'spec.topology.version: Invalid value: "v1.33.0": version cannot be increased from "1.31.0" to "1.33.0"',
    ]);
    expect(change((s) => (s.topology.version = 'v1.32.4'))).toEqual([]);
    const unsafe = update(clusterStrategy, base, (c) => {
      c.metadata.annotations = { 'unsafe.topology.cluster.x-k8s.io/disable-update-version-check': '' };
      (c.spec as Doc).topology.version = 'v1.29.0';
    });
    expect(unsafe.errors).toEqual([]);
    const classless = cluster({});
    expect(
      update(
        clusterStrategy,
        classless,
        (c) => ((c.spec as Record<string, unknown>).topology = { ...topology }),
      ).errors,
    ).toEqual(['spec.topology.class: Forbidden: class cannot be set on an existing Cluster']);
  });
});
