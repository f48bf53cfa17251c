// The control plane Machines of a KubeadmControlPlane, as Cluster API's kubeadm control plane
// provider makes and judges them: each Machine `<kcp>-<random>` has its own infrastructure
// machine cloned from machineTemplate.infrastructureRef and its own KubeadmConfig of that name
// (the first one `kubeadm init`s, the others join), the labels that mark it as the control plane's,
// and the ClusterConfiguration it was made with in an annotation. A Machine is up to date when
// its version, infrastructure template and kubeadm configuration are those of the spec now (and
// it was made after rolloutAfter).

import type { Client } from '../../../client/client.js';
import { canonicalJson } from '../../../machinery/hash.js';
import type { KubeObject, OwnerReference } from '../../../machinery/object.js';
import {
  Annotations,
  BOOTSTRAP_API_VERSION,
  CLUSTER_API_VERSION,
  type Cluster,
  ControlPlaneAnnotations,
  clusterApiResources,
  type KubeadmConfig,
  type KubeadmConfigSpec,
  type KubeadmControlPlane,
  Labels,
  type Machine,
} from '../../apis/cluster-api/index.js';
import { createFromTemplate, type References, randomSuffix } from '../templates.js';

/** The labels of a control plane's Machines (and their bootstrap and infrastructure objects). */
export function controlPlaneLabels(cluster: string, kcp: string): Record<string, string> {
  return { [Labels.clusterName]: cluster, [Labels.controlPlane]: '', [Labels.controlPlaneName]: kcp };
}

/** status.selector: Cluster API selects a cluster's control plane Machines by these two labels. */
export function controlPlaneSelector(cluster: string): string {
  return `${Labels.clusterName}=${cluster},${Labels.controlPlane}`;
}

export function kcpOwnerRef(kcp: KubeadmControlPlane): OwnerReference {
  return {
    apiVersion: kcp.apiVersion ?? 'controlplane.cluster.x-k8s.io/v1beta1',
    kind: 'KubeadmControlPlane',
    name: kcp.metadata.name ?? '',
    uid: kcp.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The KubeadmConfig spec a new Machine bootstraps with: init for the first, join for the rest. */
export function bootstrapSpec(spec: KubeadmConfigSpec, init: boolean): KubeadmConfigSpec {
  const out = structuredClone(spec);
  if (init) {
    out.initConfiguration ??= {};
    out.clusterConfiguration ??= {};
    delete out.joinConfiguration;
  } else {
    out.joinConfiguration = {
      ...out.joinConfiguration,
      controlPlane: out.joinConfiguration?.controlPlane ?? {},
    };
    delete out.initConfiguration;
    delete out.clusterConfiguration;
  }
  return out;
}

/** What of the kubeadm configuration must match for a Machine to be up to date. */
function comparable(spec: KubeadmConfigSpec | undefined): string {
  const { initConfiguration: _i, joinConfiguration: _j, clusterConfiguration: _c, ...rest } = spec ?? {};
  return canonicalJson(rest);
}

export interface UpToDate {
  upToDate: boolean;
  /** Why not, for the MachinesSpecUpToDate message and the logs. */
  reasons: string[];
}

export function machineUpToDate(
  kcp: KubeadmControlPlane,
  machine: Machine,
  config: KubeadmConfig | undefined,
  now: Date,
): UpToDate {
  const reasons: string[] = [];
  if (machine.spec.version !== kcp.spec.version) {
    reasons.push(
      `Machine version "${machine.spec.version ?? ''}" is not equal to KCP version "${kcp.spec.version}"`,
    );
  }
  const wantedInfra = kcp.spec.machineTemplate.infrastructureRef;
  const cloned = machine.metadata.annotations?.[Annotations.clonedFromName];
  if (cloned !== undefined && cloned !== wantedInfra.name) {
    reasons.push(`Infrastructure template on KCP rotated from ${cloned} to ${wantedInfra.name}`);
  }
  const clusterConfiguration =
    machine.metadata.annotations?.[ControlPlaneAnnotations.kubeadmClusterConfiguration];
  if (
    clusterConfiguration !== undefined &&
    clusterConfiguration !== canonicalJson(kcp.spec.kubeadmConfigSpec.clusterConfiguration ?? {})
  ) {
    reasons.push('Machine ClusterConfiguration is outdated');
  }
  if (config && comparable(config.spec) !== comparable(kcp.spec.kubeadmConfigSpec)) {
    reasons.push('Machine KubeadmConfig is outdated');
  }
  const after = kcp.spec.rolloutAfter ? Date.parse(kcp.spec.rolloutAfter) : Number.NaN;
  if (
    !Number.isNaN(after) &&
    after <= now.getTime() &&
    Date.parse(machine.metadata.creationTimestamp ?? '') < after
  ) {
    reasons.push('Machine created before rolloutAfter');
  }
  return { upToDate: reasons.length === 0, reasons };
}

export interface NewMachine {
  kcp: KubeadmControlPlane;
  cluster: Cluster;
  init: boolean;
  failureDomain?: string;
}

/** Creates the infrastructure machine, the KubeadmConfig and the Machine of a new control plane member. */
export async function createControlPlaneMachine(
  client: Client,
  refs: References,
  opts: NewMachine,
): Promise<string> {
  const { kcp, cluster } = opts;
  const namespace = kcp.metadata.namespace ?? 'default';
  const clusterName = cluster.metadata.name ?? '';
  const kcpName = kcp.metadata.name ?? '';
  const name = `${kcpName}-${randomSuffix()}`;
  const template = kcp.spec.machineTemplate;
  const labels = { ...template.metadata?.labels, ...controlPlaneLabels(clusterName, kcpName) };
  const annotations = { ...template.metadata?.annotations };
  const owner = kcpOwnerRef(kcp);

  const infrastructureRef = await createFromTemplate(refs, {
    template: template.infrastructureRef,
    namespace,
    name,
    clusterName,
    owner,
    labels,
    annotations,
  });
  const config: KubeadmConfig = {
    apiVersion: BOOTSTRAP_API_VERSION,
    kind: 'KubeadmConfig',
    metadata: { name, namespace, labels, annotations, ownerReferences: [owner] },
    spec: bootstrapSpec(kcp.spec.kubeadmConfigSpec, opts.init),
  };
  await client.create(clusterApiResources.kubeadmconfigs, config, { namespace });
  const machine = {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'Machine',
    metadata: {
      name,
      namespace,
      labels,
      annotations: {
        ...annotations,
        [Annotations.clonedFromName]: template.infrastructureRef.name ?? '',
        [ControlPlaneAnnotations.kubeadmClusterConfiguration]: canonicalJson(
          kcp.spec.kubeadmConfigSpec.clusterConfiguration ?? {},
        ),
      },
      ownerReferences: [owner],
    },
    spec: {
      clusterName,
      version: kcp.spec.version,
      bootstrap: { configRef: { apiVersion: BOOTSTRAP_API_VERSION, kind: 'KubeadmConfig', name, namespace } },
      infrastructureRef,
      ...(opts.failureDomain ? { failureDomain: opts.failureDomain } : {}),
      ...(template.nodeDrainTimeout ? { nodeDrainTimeout: template.nodeDrainTimeout } : {}),
      ...(template.nodeVolumeDetachTimeout
        ? { nodeVolumeDetachTimeout: template.nodeVolumeDetachTimeout }
        : {}),
      ...(template.nodeDeletionTimeout ? { nodeDeletionTimeout: template.nodeDeletionTimeout } : {}),
      ...(template.readinessGates ? { readinessGates: template.readinessGates } : {}),
    },
  } as KubeObject;
  await client.create(clusterApiResources.machines, machine, { namespace });
  return name;
}

/** The failure domain for a new Machine: the control plane domain with the fewest Machines. */
export function pickFailureDomain(cluster: Cluster, machines: Machine[]): string | undefined {
  const domains = Object.entries(cluster.status?.failureDomains ?? {})
    .filter(([, d]) => d.controlPlane)
    .map(([name]) => name)
    .sort();
  if (domains.length === 0) return undefined;
  const count = (d: string) => machines.filter((m) => m.spec.failureDomain === d).length;
  return domains.reduce((best, d) => (count(d) < count(best) ? d : best));
}

/** The Machine to delete when scaling down: outdated first, in the busiest failure domain, oldest. */
export function pickMachineToDelete(machines: Machine[], outdated: Set<string>): Machine | undefined {
  const pool = machines.some((m) => outdated.has(m.metadata.name ?? ''))
    ? machines.filter((m) => outdated.has(m.metadata.name ?? ''))
    : machines;
  const perDomain = new Map<string, number>();
  for (const m of pool)
    perDomain.set(m.spec.failureDomain ?? '', (perDomain.get(m.spec.failureDomain ?? '') ?? 0) + 1);
  const busiest = Math.max(...perDomain.values());
  return pool
    .filter((m) => perDomain.get(m.spec.failureDomain ?? '') === busiest)
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )[0];
}
