// The fleet `concord up` provisions, as Cluster API objects a user could write and apply to the
// hub themselves: per cluster a Cluster labelled with its region, its LocalCluster (region and
// zones), a KubeadmControlPlane of one machine and a MachineDeployment of --nodes workers, each
// with its LocalMachineTemplate (the --shape) and kubeadm bootstrap configuration. `concord up`
// writes what it applies to DATA_DIR/fleet.yaml, and docs/provisioning.md shows one cluster of it.

import { stringify } from 'yaml';
import { defaultZones } from '../hub/apis/infrastructure/index.js';
import type { KubeObject } from '../machinery/object.js';
import { KUBELET_VERSION } from '../sim/kubelet/node-template.js';

/** Regions the fleet is spread over, in turn. */
export const FLEET_REGIONS = ['europe', 'us', 'asia'];

export interface FleetMember {
  name: string;
  region: string;
}

/** Names and regions of a fleet of n clusters: europe-1, us-1, asia-1, europe-2 ... */
export function fleetPlan(n: number): FleetMember[] {
  return Array.from({ length: n }, (_, i) => {
    const region = FLEET_REGIONS[i % FLEET_REGIONS.length]!;
    return { name: `${region}-${Math.floor(i / FLEET_REGIONS.length) + 1}`, region };
  });
}

export interface FleetSize {
  /** Worker machines per cluster (the MachineDeployment's replicas). */
  nodes: number;
  /** The LocalMachineTemplates' instance type (sim.small ... sim.gpu). */
  shape: string;
  /** Kubernetes version of the machines (default: what the simulated kubelet reports). */
  version?: string;
}

const CAPI = 'cluster.x-k8s.io/v1beta1';
const LOCAL = 'infrastructure.concord.dev/v1alpha1';
const CONTROL_PLANE = 'controlplane.cluster.x-k8s.io/v1beta1';
const BOOTSTRAP = 'bootstrap.cluster.x-k8s.io/v1beta1';
const REGION_LABEL = 'topology.kubernetes.io/region';
const NAMESPACE = 'default';

/**
 * The objects of one cluster: `cluster` (the Cluster and its LocalCluster, applied first, so that
 * the simulated cluster starts while the rest is applied) and `machines` (its control plane and
 * workers with their templates).
 */
export function clusterManifests(
  member: FleetMember,
  size: FleetSize,
): { cluster: KubeObject[]; machines: KubeObject[] } {
  const { name, region } = member;
  const version = size.version ?? KUBELET_VERSION;
  const meta = (objName: string) => ({ name: objName, namespace: NAMESPACE });
  const machineTemplate = (objName: string): KubeObject => ({
    apiVersion: LOCAL,
    kind: 'LocalMachineTemplate',
    metadata: meta(objName),
    spec: { template: { spec: { instanceType: size.shape } } },
  });
  const cluster: KubeObject[] = [
    {
      apiVersion: CAPI,
      kind: 'Cluster',
      metadata: { ...meta(name), labels: { [REGION_LABEL]: region } },
      spec: {
        clusterNetwork: {
          pods: { cidrBlocks: ['10.244.0.0/16'] },
          services: { cidrBlocks: ['10.96.0.0/12'] },
        },
        infrastructureRef: { apiVersion: LOCAL, kind: 'LocalCluster', name },
        controlPlaneRef: {
          apiVersion: CONTROL_PLANE,
          kind: 'KubeadmControlPlane',
          name: `${name}-control-plane`,
        },
      },
    },
    {
      apiVersion: LOCAL,
      kind: 'LocalCluster',
      metadata: meta(name),
      spec: { region, zones: defaultZones(region) },
    },
  ];
  const machines: KubeObject[] = [
    machineTemplate(`${name}-control-plane`),
    {
      apiVersion: CONTROL_PLANE,
      kind: 'KubeadmControlPlane',
      metadata: meta(`${name}-control-plane`),
      spec: {
        replicas: 1,
        version,
        machineTemplate: {
          infrastructureRef: {
            apiVersion: LOCAL,
            kind: 'LocalMachineTemplate',
            name: `${name}-control-plane`,
          },
        },
        kubeadmConfigSpec: { clusterConfiguration: {}, initConfiguration: {}, joinConfiguration: {} },
      },
    },
    machineTemplate(`${name}-md-0`),
    {
      apiVersion: BOOTSTRAP,
      kind: 'KubeadmConfigTemplate',
      metadata: meta(`${name}-md-0`),
      spec: { template: { spec: { joinConfiguration: {} } } },
    },
    {
      apiVersion: CAPI,
      kind: 'MachineDeployment',
      metadata: meta(`${name}-md-0`),
      spec: {
        clusterName: name,
        replicas: size.nodes,
        selector: { matchLabels: {} },
        template: {
          spec: {
            clusterName: name,
            version,
            bootstrap: {
              configRef: { apiVersion: BOOTSTRAP, kind: 'KubeadmConfigTemplate', name: `${name}-md-0` },
            },
            infrastructureRef: { apiVersion: LOCAL, kind: 'LocalMachineTemplate', name: `${name}-md-0` },
          },
        },
      },
    },
  ];
  return { cluster, machines };
}

/** Every cluster's objects, cluster by cluster, as `kubectl apply -f` would take them. */
export function fleetManifests(plan: FleetMember[], size: FleetSize): KubeObject[] {
  return plan.flatMap((m) => {
    const objs = clusterManifests(m, size);
    return [...objs.cluster, ...objs.machines];
  });
}

/** The objects as one YAML stream, as `kubectl apply -f` takes it. */
export function manifestsYaml(objs: KubeObject[]): string {
  return objs.map((o) => stringify(o)).join('---\n');
}
