// Which members a binding may be placed on (Karmada's filter plugins), each refusal with the
// reason Karmada's scheduler gives:
// - ClusterAffinity: the member is in the placement's affinity (the observed affinity group and,
//   for workloads, its overflow groups);
// - TaintToleration: every NoSchedule/NoExecute taint is tolerated. Besides spec.taints a member
//   whose Ready condition is not True carries the taint the registry gives it
//   (cluster.karmada.io/not-ready or /unreachable, NoSchedule), so a placement is safe even before
//   the registry has written it. Members the binding is already on pass: taking work away from a
//   failing member is failover's job, with its tolerations and grace periods;
// - APIEnablement: the member serves the resource's API, when it has reported its APIs;
// - SpreadConstraint: the member has the field (or label) the placement spreads by;
// - ClusterEviction: the binding is not being evicted from the member;
// - the filters the scheduler was given (plugins.ts), even for members the binding is already on.
// Members being deleted are left out altogether.

import {
  CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
  CLUSTER_CONDITION_READY,
  type Cluster,
  type ClusterAffinity,
  type ResourceBindingSpec,
  type ResourceBindingStatus,
  TAINT_CLUSTER_NOT_READY,
  TAINT_CLUSTER_UNREACHABLE,
  type Taint,
} from '../../apis/karmada/index.js';
import { clusterMatches, clusterZones } from '../match/cluster-affinity.js';
import type { ClusterRefusal } from './plugins.js';
import { untoleratedTaint } from './taints.js';

/** The affinity groups a binding may use now: the observed term, plus its overflow groups for workloads. */
export function activeAffinities(
  spec: ResourceBindingSpec,
  affinityName: string | undefined,
): ClusterAffinity[] {
  const placement = spec.placement ?? {};
  if (placement.clusterAffinity) return [placement.clusterAffinity];
  const terms = placement.clusterAffinities ?? [];
  if (terms.length === 0) return [];
  const term = terms.find((t) => t.affinityName === affinityName) ?? terms[0]!;
  const out: ClusterAffinity[] = [term];
  if (isWorkload(spec)) out.push(...(term.overflowAffinities ?? []));
  return out;
}

/** A workload has replicas (or requirements): non-workloads (Service, ConfigMap) go everywhere selected. */
export function isWorkload(spec: ResourceBindingSpec): boolean {
  return (
    (spec.replicas ?? 0) > 0 || spec.replicaRequirements !== undefined || (spec.components?.length ?? 0) > 0
  );
}

export function targetContains(spec: ResourceBindingSpec, cluster: string): boolean {
  return (spec.clusters ?? []).some((c) => c.name === cluster);
}

/** The taints a member has for scheduling: its own, and the readiness taint its Ready condition implies. */
export function effectiveTaints(cluster: Cluster): Taint[] {
  const taints = [...(cluster.spec?.taints ?? [])];
  const ready = cluster.status?.conditions?.find((c) => c.type === CLUSTER_CONDITION_READY);
  if (ready?.status !== 'True') {
    const key = ready?.status === 'Unknown' ? TAINT_CLUSTER_UNREACHABLE : TAINT_CLUSTER_NOT_READY;
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule'))
      taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

function apiEnabled(cluster: Cluster, apiVersion: string, kind: string): boolean {
  const enablements = cluster.status?.apiEnablements ?? [];
  for (const e of enablements) {
    if (e.groupVersion === apiVersion && (e.resources ?? []).some((r) => r.kind === kind)) return true;
  }
  // Absent from a complete list: not served. Absent from a partial (or no) list: unknown, allowed.
  const complete = cluster.status?.conditions?.find(
    (c) => c.type === CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
  );
  return complete?.status !== 'True';
}

function spreadFieldMissing(spec: ResourceBindingSpec, cluster: Cluster): string | undefined {
  for (const sc of spec.placement?.spreadConstraints ?? []) {
    if (sc.spreadByLabel) {
      if (cluster.metadata.labels?.[sc.spreadByLabel] === undefined)
        return `cluster(s) did not have label ${sc.spreadByLabel}`;
      continue;
    }
    switch (sc.spreadByField) {
      case 'provider':
        if (!cluster.spec?.provider) return 'cluster(s) did not have provider property';
        break;
      case 'region':
        if (!cluster.spec?.region) return 'cluster(s) did not have region property';
        break;
      case 'zone':
        if (clusterZones(cluster).length === 0) return 'cluster(s) did not have zones property';
        break;
    }
  }
  return undefined;
}

function taintString(t: Taint): string {
  return t.value ? `${t.key}=${t.value}:${t.effect}` : `${t.key}:${t.effect}`;
}

/** Why the member cannot take the binding, or undefined when it can. */
export function filterCluster(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
  cluster: Cluster,
  affinityName?: string,
  refuse?: ClusterRefusal,
  targets?: ReadonlySet<string>,
): string | undefined {
  const name = cluster.metadata.name ?? '';
  const affinities = activeAffinities(spec, affinityName ?? status?.schedulerObservingAffinityName);
  if (affinities.length > 0 && !affinities.some((a) => clusterMatches(cluster, a))) {
    return 'cluster(s) did not match the placement cluster affinity constraint';
  }
  const refused = refuse?.(cluster);
  if (refused) return refused;
  const scheduled = targets ? targets.has(name) : targetContains(spec, name);
  if (!scheduled) {
    const taint = untoleratedTaint(effectiveTaints(cluster), spec.placement?.clusterTolerations ?? []);
    if (taint) return `cluster(s) had untolerated taint {${taintString(taint)}}`;
    if (!apiEnabled(cluster, spec.resource.apiVersion, spec.resource.kind)) {
      return 'cluster(s) did not have the API resource';
    }
  }
  const missing = spreadFieldMissing(spec, cluster);
  if (missing) return missing;
  if ((spec.gracefulEvictionTasks ?? []).some((t) => t.fromCluster === name)) {
    return 'cluster(s) is in the process of eviction';
  }
  return undefined;
}

export interface FilterOutcome {
  feasible: Cluster[];
  /** Why each other member was left out. */
  reasons: Map<string, string>;
  /** Members considered (not being deleted). */
  considered: number;
}

export function findClustersThatFit(
  spec: ResourceBindingSpec,
  status: ResourceBindingStatus | undefined,
  clusters: readonly Cluster[],
  affinityName?: string,
  refuse?: ClusterRefusal,
): FilterOutcome {
  const feasible: Cluster[] = [];
  const reasons = new Map<string, string>();
  let considered = 0;
  const targets = new Set((spec.clusters ?? []).map((t) => t.name));
  for (const c of clusters) {
    if (c.metadata.deletionTimestamp) continue;
    considered++;
    const reason = filterCluster(spec, status, c, affinityName, refuse, targets);
    if (reason) reasons.set(c.metadata.name ?? '', reason);
    else feasible.push(c);
  }
  return { feasible, reasons, considered };
}

/** Karmada's FitError message: "0/3 clusters are available: 1 cluster(s) ..., 2 cluster(s) ...". */
export function noClusterFitMessage(outcome: FilterOutcome): string {
  if (outcome.considered === 0 || outcome.reasons.size === 0) {
    return `0/${outcome.considered} clusters are available: no cluster exists.`;
  }
  const counts = new Map<string, number>();
  for (const r of outcome.reasons.values()) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${outcome.considered} clusters are available: ${parts.join(', ')}.`;
}
