// The MCS specification's rules for one exported service (pure): which exports are valid, and
// the ServiceImport their Services make together. Conflicts are resolved by the oldest export
// (the earliest creationTimestamp; cluster name breaks ties): its type, session affinity and
// exported labels win; ports are merged by name, and a port whose name another export gives a
// different number or protocol keeps the oldest's. Every export of a service in conflict gets
// Conflict=True with the reasons (joined by commas), as the spec recommends.

import type { Condition } from '../../../machinery/object.js';
import {
  EXPORT_CONDITION_CONFLICT,
  EXPORT_CONDITION_VALID,
  EXPORT_REASON_ANNOTATIONS_CONFLICT,
  EXPORT_REASON_INTERNAL_TRAFFIC_POLICY_CONFLICT,
  EXPORT_REASON_INVALID_SERVICE_TYPE,
  EXPORT_REASON_LABELS_CONFLICT,
  EXPORT_REASON_NO_CONFLICTS,
  EXPORT_REASON_NO_SERVICE,
  EXPORT_REASON_PORT_CONFLICT,
  EXPORT_REASON_SESSION_AFFINITY_CONFIG_CONFLICT,
  EXPORT_REASON_SESSION_AFFINITY_CONFLICT,
  EXPORT_REASON_TRAFFIC_DISTRIBUTION_CONFLICT,
  EXPORT_REASON_TYPE_CONFLICT,
  EXPORT_REASON_VALID,
  type ImportPort,
  type ServiceExport,
  type ServiceImportSpec,
  type ServiceImportType,
} from '../../apis/mcs/index.js';
import type { MemberService } from '../members.js';

export interface Export {
  cluster: string;
  export: ServiceExport;
  /** The Service of the export's name in that cluster (undefined: there is none). */
  service: MemberService | undefined;
}

export type ExportCondition = Omit<Condition, 'lastTransitionTime'>;

export interface MergedService {
  /** The import the valid exports make (undefined: no valid export). */
  spec: Omit<ServiceImportSpec, 'ips'> | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Valid exports, oldest first. */
  clusters: string[];
  /** Valid and Conflict conditions per exporting cluster. */
  conditions: Map<string, ExportCondition[]>;
}

function typeOf(svc: MemberService): ServiceImportType {
  return svc.spec?.clusterIP === 'None' ? 'Headless' : 'ClusterSetIP';
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function portsOf(svc: MemberService): ImportPort[] {
  return (svc.spec?.ports ?? []).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    protocol: p.protocol ?? 'TCP',
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    port: p.port,
  }));
}

/** Oldest first: creationTimestamp, then cluster name. */
function byAge(a: Export, b: Export): number {
  const ta = a.export.metadata.creationTimestamp ?? '';
  const tb = b.export.metadata.creationTimestamp ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : a.cluster.localeCompare(b.cluster);
}

function validity(e: Export): ExportCondition {
  const name = `${e.export.metadata.namespace}/${e.export.metadata.name}`;
  if (!e.service) {
    return {
      type: EXPORT_CONDITION_VALID,
      status: 'False',
      reason: EXPORT_REASON_NO_SERVICE,
      message: `Service ${name} not found`,
    };
  }
  if (e.service.spec?.type === 'ExternalName') {
    return {
      type: EXPORT_CONDITION_VALID,
      status: 'False',
      reason: EXPORT_REASON_INVALID_SERVICE_TYPE,
      message: `Service ${name} is of type ExternalName, which cannot be exported`,
    };
  }
  return {
    type: EXPORT_CONDITION_VALID,
    status: 'True',
    reason: EXPORT_REASON_VALID,
    message: 'Service export is valid',
  };
}

export function mergeExports(all: readonly Export[]): MergedService {
  const conditions = new Map<string, ExportCondition[]>();
  const valid: Export[] = [];
  for (const e of [...all].sort(byAge)) {
    const v = validity(e);
    conditions.set(e.cluster, [v]);
    if (v.status === 'True') valid.push(e);
  }
  if (valid.length === 0) return { spec: undefined, labels: {}, annotations: {}, clusters: [], conditions };

  const oldest = valid[0]!;
  const svc = oldest.service!;
  const reasons = new Set<string>();
  const ports: ImportPort[] = [];
  const portKey = (p: ImportPort) => p.name ?? '';
  for (const e of valid) {
    const s = e.service!;
    if (typeOf(s) !== typeOf(svc)) reasons.add(EXPORT_REASON_TYPE_CONFLICT);
    if ((s.spec?.sessionAffinity ?? 'None') !== (svc.spec?.sessionAffinity ?? 'None')) {
      reasons.add(EXPORT_REASON_SESSION_AFFINITY_CONFLICT);
    } else if (!same(s.spec?.sessionAffinityConfig, svc.spec?.sessionAffinityConfig)) {
      reasons.add(EXPORT_REASON_SESSION_AFFINITY_CONFIG_CONFLICT);
    }
    if ((s.spec?.internalTrafficPolicy ?? 'Cluster') !== (svc.spec?.internalTrafficPolicy ?? 'Cluster')) {
      reasons.add(EXPORT_REASON_INTERNAL_TRAFFIC_POLICY_CONFLICT);
    }
    if (!same(s.spec?.trafficDistribution, svc.spec?.trafficDistribution)) {
      reasons.add(EXPORT_REASON_TRAFFIC_DISTRIBUTION_CONFLICT);
    }
    if (!same(e.export.spec?.exportedLabels ?? {}, oldest.export.spec?.exportedLabels ?? {})) {
      reasons.add(EXPORT_REASON_LABELS_CONFLICT);
    }
    if (!same(e.export.spec?.exportedAnnotations ?? {}, oldest.export.spec?.exportedAnnotations ?? {})) {
      reasons.add(EXPORT_REASON_ANNOTATIONS_CONFLICT);
    }
    for (const p of portsOf(s)) {
      const taken = ports.find((q) => portKey(q) === portKey(p));
      if (!taken) ports.push(p);
      else if (taken.port !== p.port || taken.protocol !== p.protocol)
        reasons.add(EXPORT_REASON_PORT_CONFLICT);
    }
  }
  // Any difference in the port lists (one cluster lacks a port another has) is a conflict too:
  // the union is served, but not every cluster can answer on every port.
  const sorted = (list: ImportPort[]) =>
    JSON.stringify([...list].sort((a, b) => portKey(a).localeCompare(portKey(b))));
  if (valid.some((e) => sorted(portsOf(e.service!)) !== sorted(ports)))
    reasons.add(EXPORT_REASON_PORT_CONFLICT);

  const conflict: ExportCondition =
    reasons.size > 0
      ? {
          type: EXPORT_CONDITION_CONFLICT,
          status: 'True',
          reason: ORDER.filter((r) => reasons.has(r)).join(','),
          message: `the exports of this service differ (${ORDER.filter((r) => reasons.has(r)).join(', ')}); the oldest export, from cluster ${oldest.cluster}, wins`,
        }
      : {
          type: EXPORT_CONDITION_CONFLICT,
          status: 'False',
          reason: EXPORT_REASON_NO_CONFLICTS,
          message: 'the exports of this service agree',
        };
  for (const e of valid) conditions.get(e.cluster)!.push(conflict);

  const spec: Omit<ServiceImportSpec, 'ips'> = {
    type: typeOf(svc),
    ports,
    sessionAffinity: svc.spec?.sessionAffinity ?? 'None',
    ipFamilies: ['IPv4'],
  };
  if (svc.spec?.sessionAffinityConfig) spec.sessionAffinityConfig = svc.spec.sessionAffinityConfig;
  if (svc.spec?.internalTrafficPolicy) spec.internalTrafficPolicy = svc.spec.internalTrafficPolicy;
  if (svc.spec?.trafficDistribution) spec.trafficDistribution = svc.spec.trafficDistribution;
  return {
    spec,
    labels: { ...(oldest.export.spec?.exportedLabels ?? {}) },
    annotations: { ...(oldest.export.spec?.exportedAnnotations ?? {}) },
    clusters: valid.map((e) => e.cluster),
    conditions,
  };
}

/** Reasons in the order the API lists them. */
const ORDER = [
  EXPORT_REASON_PORT_CONFLICT,
  EXPORT_REASON_TYPE_CONFLICT,
  EXPORT_REASON_SESSION_AFFINITY_CONFLICT,
  EXPORT_REASON_SESSION_AFFINITY_CONFIG_CONFLICT,
  EXPORT_REASON_LABELS_CONFLICT,
  EXPORT_REASON_ANNOTATIONS_CONFLICT,
  EXPORT_REASON_INTERNAL_TRAFFIC_POLICY_CONFLICT,
  EXPORT_REASON_TRAFFIC_DISTRIBUTION_CONFLICT,
];
