// The desired state of a Cluster with a managed topology, computed as Cluster API's topology
// controller computes it: the ClusterClass's templates, patched for this Cluster, stamped into
// the infrastructure cluster, the control plane (with its machine template) and one
// MachineDeployment per topology entry (with its bootstrap and infrastructure templates). Objects
// that exist keep their names; new ones are named `<cluster>-<random>` (MachineDeployments
// `<cluster>-<md name>-<random>`). Versions follow the upgrade order: the control plane first,
// the workers once the control plane runs the new version and is not rolling.

import type { KubeObject } from '../../../machinery/object.js';
import {
  Annotations,
  CLUSTER_API_VERSION,
  type Cluster,
  type ClusterClass,
  type KubeadmControlPlane,
  Labels,
  type MachineDeployment,
  type MachineDeploymentClass,
  type MachineDeploymentTopology,
  TEMPLATE_SUFFIX,
} from '../../apis/cluster-api/index.js';
import { randomSuffix } from '../templates.js';
import { applyPatches, type TemplateRole } from './patches.js';
import { resolveVariables } from './variables.js';

/** The objects a topology is made of, as found (by reference or label). */
export interface Current {
  infrastructureCluster?: KubeObject;
  controlPlane?: KubeadmControlPlane;
  /** The control plane's machine template now in use. */
  controlPlaneMachineTemplate?: KubeObject;
  machineDeployments: Map<string, MachineDeployment>;
  /** Each MachineDeployment's bootstrap and infrastructure templates now in use, by topology name. */
  mdTemplates: Map<string, { bootstrap?: KubeObject; infrastructure?: KubeObject }>;
}

export interface Templates {
  /** Reads a template of the class by its reference (already fetched by the controller). */
  get(ref: { apiVersion?: string; kind?: string; name?: string } | undefined): KubeObject | undefined;
}

export interface Desired {
  infrastructureCluster?: KubeObject;
  controlPlane?: KubeObject;
  /** A new machine template for the control plane, when the current one is not the desired one. */
  controlPlaneMachineTemplate?: { object: KubeObject; changed: boolean };
  machineDeployments: {
    name: string;
    object: KubeObject;
    bootstrap: { object: KubeObject; changed: boolean };
    infrastructure: { object: KubeObject; changed: boolean };
  }[];
  /** Why the workers are not on the topology's version yet, when they are not. */
  pending?: { reason: 'ControlPlaneUpgradePending' | 'MachineDeploymentsUpgradePending'; message: string };
}

export class TopologyError extends Error {}

function ownedLabels(cluster: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [Labels.clusterName]: cluster, [Labels.topologyOwned]: '', ...extra };
}

function clusterOwner(cluster: Cluster) {
  return {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'Cluster',
    name: cluster.metadata.name ?? '',
    uid: cluster.metadata.uid ?? '',
  };
}

function stripTemplate(kind: string | undefined): string {
  return (kind ?? '').endsWith(TEMPLATE_SUFFIX)
    ? (kind ?? '').slice(0, -TEMPLATE_SUFFIX.length)
    : (kind ?? '');
}

function patchedTemplate(
  cc: ClusterClass,
  template: KubeObject,
  role: TemplateRole,
  variables: Record<string, unknown>,
): KubeObject {
  const copy = structuredClone(template) as KubeObject & { spec?: unknown };
  applyPatches(cc, { template: copy, role, variables });
  return copy;
}

function sameSpec(a: KubeObject | undefined, b: KubeObject): boolean {
  return (
    JSON.stringify((a as { spec?: unknown } | undefined)?.spec ?? null) ===
    JSON.stringify((b as { spec?: unknown }).spec ?? null)
  );
}

/** A template object the topology owns, named and labelled, cloned from the class's template. */
function templateClone(
  cluster: Cluster,
  source: KubeObject,
  name: string,
  labels: Record<string, string>,
): KubeObject {
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    metadata: {
      name,
      namespace: cluster.metadata.namespace,
      labels,
      annotations: {
        [Annotations.clonedFromName]: source.metadata.name ?? '',
        [Annotations.clonedFromGroupKind]: `${source.kind}.${(source.apiVersion ?? '').split('/')[0]}`,
      },
      ownerReferences: [clusterOwner(cluster)],
    },
    spec: structuredClone((source as { spec?: unknown }).spec ?? {}),
  } as KubeObject;
}

export function desiredState(
  cluster: Cluster,
  cc: ClusterClass,
  templates: Templates,
  current: Current,
): Desired {
  const topology = cluster.spec.topology;
  if (!topology) throw new TopologyError('the Cluster has no topology');
  const clusterName = cluster.metadata.name ?? '';
  const namespace = cluster.metadata.namespace ?? 'default';
  const values = resolveVariables(cc, topology.variables);
  const builtinCluster = {
    name: clusterName,
    namespace,
    uid: cluster.metadata.uid,
    topology: { version: topology.version, class: topology.class, classNamespace: cc.metadata.namespace },
    ...(cluster.spec.clusterNetwork ? { network: cluster.spec.clusterNetwork } : {}),
  };
  const need = (
    ref: { apiVersion?: string; kind?: string; name?: string } | undefined,
    what: string,
  ): KubeObject => {
    const t = templates.get(ref);
    if (!t) throw new TopologyError(`${what} ${ref?.kind ?? '?'} ${namespace}/${ref?.name ?? '?'} not found`);
    return t;
  };

  // Control plane version: the topology's. Workers follow once it is there and stable.
  const cpVersion = topology.version;
  const kcp = current.controlPlane;
  // Upgrading: the control plane is told a version it does not run yet on every Machine.
  const cpUpgrading =
    !!kcp &&
    (kcp.spec.version !== topology.version ||
      (!!kcp.status?.version &&
        (kcp.status.version !== kcp.spec.version ||
          (kcp.status.updatedReplicas ?? 0) < (kcp.status.replicas ?? 0))));
  const cpReplicas = topology.controlPlane?.replicas;
  const cpVars = {
    ...values,
    builtin: {
      cluster: builtinCluster,
      controlPlane: {
        version: cpVersion,
        name: kcp?.metadata.name ?? '',
        ...(cpReplicas !== undefined ? { replicas: cpReplicas } : {}),
      },
    },
  };

  const out: Desired = { machineDeployments: [] };

  // Infrastructure cluster.
  if (cc.spec.infrastructure?.ref) {
    const t = patchedTemplate(
      cc,
      need(cc.spec.infrastructure.ref, 'infrastructure cluster template'),
      { role: 'infrastructureCluster' },
      cpVars,
    );
    const spec = (t as { spec?: { template?: { metadata?: KubeObject['metadata']; spec?: unknown } } }).spec
      ?.template;
    out.infrastructureCluster = {
      apiVersion: t.apiVersion,
      kind: stripTemplate(t.kind),
      metadata: {
        name: current.infrastructureCluster?.metadata.name ?? `${clusterName}-${randomSuffix()}`,
        namespace,
        labels: ownedLabels(clusterName, spec?.metadata?.labels ?? {}),
        annotations: {
          ...spec?.metadata?.annotations,
          [Annotations.clonedFromName]: t.metadata.name ?? '',
          [Annotations.clonedFromGroupKind]: `${t.kind}.${(t.apiVersion ?? '').split('/')[0]}`,
        },
        ownerReferences: [clusterOwner(cluster)],
      },
      spec: structuredClone(spec?.spec ?? {}),
    } as KubeObject;
  }

  // Control plane and its machine template.
  const cpClass = cc.spec.controlPlane;
  if (cpClass?.ref) {
    const t = patchedTemplate(
      cc,
      need(cpClass.ref, 'control plane template'),
      { role: 'controlPlane' },
      cpVars,
    );
    const tspec = (
      t as { spec?: { template?: { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> } } }
    ).spec?.template;
    let machineInfrastructureRef: Record<string, unknown> | undefined;
    if (cpClass.machineInfrastructure?.ref) {
      const mt = patchedTemplate(
        cc,
        need(cpClass.machineInfrastructure.ref, 'control plane machine template'),
        { role: 'controlPlane' },
        cpVars,
      );
      const existing = current.controlPlaneMachineTemplate;
      const changed = !existing || !sameSpec(existing, mt);
      const name = changed ? `${clusterName}-${randomSuffix()}` : (existing?.metadata.name ?? '');
      out.controlPlaneMachineTemplate = {
        object: templateClone(cluster, mt, name, ownedLabels(clusterName)),
        changed,
      };
      machineInfrastructureRef = { apiVersion: mt.apiVersion, kind: mt.kind, name, namespace };
    }
    const cpMeta = {
      labels: { ...cpClass.metadata?.labels, ...topology.controlPlane?.metadata?.labels },
      annotations: { ...cpClass.metadata?.annotations, ...topology.controlPlane?.metadata?.annotations },
    };
    const tpl = topology.controlPlane ?? {};
    out.controlPlane = {
      apiVersion: t.apiVersion,
      kind: stripTemplate(t.kind),
      metadata: {
        name: kcp?.metadata.name ?? `${clusterName}-${randomSuffix()}`,
        namespace,
        labels: ownedLabels(clusterName, { ...tspec?.metadata?.labels, ...cpMeta.labels }),
        annotations: { ...tspec?.metadata?.annotations, ...cpMeta.annotations },
        ownerReferences: [clusterOwner(cluster)],
      },
      spec: {
        ...structuredClone(tspec?.spec ?? {}),
        version: cpVersion,
        ...(cpReplicas !== undefined ? { replicas: cpReplicas } : {}),
        ...(machineInfrastructureRef
          ? {
              machineTemplate: {
                ...((tspec?.spec?.machineTemplate as Record<string, unknown>) ?? {}),
                metadata: {
                  labels: ownedLabels(clusterName, cpMeta.labels),
                  annotations: cpMeta.annotations,
                },
                infrastructureRef: machineInfrastructureRef,
                ...((tpl.nodeDrainTimeout ?? cpClass.nodeDrainTimeout)
                  ? { nodeDrainTimeout: tpl.nodeDrainTimeout ?? cpClass.nodeDrainTimeout }
                  : {}),
                ...((tpl.nodeVolumeDetachTimeout ?? cpClass.nodeVolumeDetachTimeout)
                  ? {
                      nodeVolumeDetachTimeout: tpl.nodeVolumeDetachTimeout ?? cpClass.nodeVolumeDetachTimeout,
                    }
                  : {}),
                ...((tpl.nodeDeletionTimeout ?? cpClass.nodeDeletionTimeout)
                  ? { nodeDeletionTimeout: tpl.nodeDeletionTimeout ?? cpClass.nodeDeletionTimeout }
                  : {}),
              },
            }
          : {}),
      },
    } as KubeObject;
  }

  // MachineDeployments.
  const mdUpgradeAllowed = !cpUpgrading;
  const lagging: string[] = [];
  for (const md of topology.workers?.machineDeployments ?? []) {
    const mdClass = cc.spec.workers?.machineDeployments?.find((c) => c.class === md.class);
    if (!mdClass)
      throw new TopologyError(
        `MachineDeployment class "${md.class}" not found in ClusterClass ${cc.metadata.name}`,
      );
    const existing = current.machineDeployments.get(md.name);
    const currentVersion = existing?.spec.template.spec.version;
    // A new MachineDeployment starts at the control plane's version; an existing one moves once the control plane is done.
    const version = !existing
      ? (kcp?.status?.version ?? topology.version)
      : mdUpgradeAllowed
        ? topology.version
        : (currentVersion ?? topology.version);
    if (version !== topology.version) lagging.push(md.name);
    out.machineDeployments.push(
      machineDeployment(
        cluster,
        cc,
        mdClass,
        md,
        version,
        values,
        builtinCluster,
        cpVars.builtin.controlPlane,
        existing,
        current.mdTemplates.get(md.name),
        need,
      ),
    );
  }
  if (lagging.length > 0 && cpUpgrading) {
    out.pending = {
      reason: 'ControlPlaneUpgradePending',
      message: `Control plane is upgrading to version ${topology.version}`,
    };
  } else if (lagging.length > 0) {
    out.pending = {
      reason: 'MachineDeploymentsUpgradePending',
      message: `MachineDeployment(s) ${lagging.join(', ')} upgrading to version ${topology.version}`,
    };
  } else if (cpUpgrading) {
    out.pending = {
      reason: 'ControlPlaneUpgradePending',
      message: `Control plane is upgrading to version ${topology.version}`,
    };
  }
  return out;
}

function machineDeployment(
  cluster: Cluster,
  cc: ClusterClass,
  mdClass: MachineDeploymentClass,
  md: MachineDeploymentTopology,
  version: string,
  values: Record<string, unknown>,
  builtinCluster: Record<string, unknown>,
  builtinControlPlane: Record<string, unknown>,
  existing: MachineDeployment | undefined,
  templates: { bootstrap?: KubeObject; infrastructure?: KubeObject } | undefined,
  need: (ref: { apiVersion?: string; kind?: string; name?: string } | undefined, what: string) => KubeObject,
): Desired['machineDeployments'][number] {
  const clusterName = cluster.metadata.name ?? '';
  const namespace = cluster.metadata.namespace ?? 'default';
  const mdName = existing?.metadata.name ?? `${clusterName}-${md.name}-${randomSuffix()}`;
  const vars = {
    ...resolveVariables(
      cc,
      Object.entries(values).map(([name, value]) => ({ name, value })),
      md.variables?.overrides,
    ),
    builtin: {
      cluster: builtinCluster,
      controlPlane: builtinControlPlane,
      machineDeployment: {
        version,
        class: md.class,
        name: mdName,
        topologyName: md.name,
        ...(md.replicas !== undefined ? { replicas: md.replicas } : {}),
      },
    },
  };
  const role: TemplateRole = { role: 'machineDeployment', class: md.class };
  const labels = ownedLabels(clusterName, { [Labels.topologyDeploymentName]: md.name });
  const bt = patchedTemplate(cc, need(mdClass.template.bootstrap.ref, 'bootstrap template'), role, vars);
  const it = patchedTemplate(
    cc,
    need(mdClass.template.infrastructure.ref, 'infrastructure machine template'),
    role,
    vars,
  );
  const clone = (t: KubeObject, cur: KubeObject | undefined) => {
    const changed = !cur || !sameSpec(cur, t);
    const name = changed ? `${mdName}-${randomSuffix()}` : (cur?.metadata.name ?? '');
    return { object: templateClone(cluster, t, name, labels), changed };
  };
  const bootstrap = clone(bt, templates?.bootstrap);
  const infrastructure = clone(it, templates?.infrastructure);
  const meta = {
    labels: { ...mdClass.template.metadata?.labels, ...md.metadata?.labels },
    annotations: { ...mdClass.template.metadata?.annotations, ...md.metadata?.annotations },
  };
  const pick = <K extends 'nodeDrainTimeout' | 'nodeVolumeDetachTimeout' | 'nodeDeletionTimeout'>(k: K) =>
    (md[k] ?? mdClass[k]) ? { [k]: md[k] ?? mdClass[k] } : {};
  const strategy = md.strategy ?? mdClass.strategy;
  const minReadySeconds = md.minReadySeconds ?? mdClass.minReadySeconds;
  const failureDomain = md.failureDomain ?? mdClass.failureDomain;
  const object = {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'MachineDeployment',
    metadata: {
      name: mdName,
      namespace,
      labels: { ...meta.labels, ...labels },
      annotations: meta.annotations,
      ownerReferences: [clusterOwner(cluster)],
    },
    spec: {
      clusterName,
      ...(md.replicas !== undefined ? { replicas: md.replicas } : {}),
      selector: { matchLabels: labels },
      ...(strategy ? { strategy } : {}),
      ...(minReadySeconds !== undefined ? { minReadySeconds } : {}),
      template: {
        metadata: { labels: { ...meta.labels, ...labels }, annotations: meta.annotations },
        spec: {
          clusterName,
          version,
          bootstrap: {
            configRef: {
              apiVersion: bt.apiVersion,
              kind: bt.kind,
              name: bootstrap.object.metadata.name,
              namespace,
            },
          },
          infrastructureRef: {
            apiVersion: it.apiVersion,
            kind: it.kind,
            name: infrastructure.object.metadata.name,
            namespace,
          },
          ...(failureDomain ? { failureDomain } : {}),
          ...pick('nodeDrainTimeout'),
          ...pick('nodeVolumeDetachTimeout'),
          ...pick('nodeDeletionTimeout'),
        },
      },
    },
  } as KubeObject;
  return { name: md.name, object, bootstrap, infrastructure };
}
