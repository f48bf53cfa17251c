// Fleet security baselines in the audit, as a pure function of the hub's objects: the resources
// of every ClusterPropagationPolicy labelled governance.concord.dev/baseline=true (their bindings
// name the policy), the members each is placed on and applied to (the binding's aggregated
// status), and the drift execution put right on each member (DriftCorrected Events on the Works,
// with their counts).

import type { KubeObject } from '../../../machinery/object.js';
import { BASELINE_LABEL } from '../../apis/governance/index.js';
import { WORK_REASON_DRIFT_CORRECTED } from '../../apis/karmada/execution/member-works.js';
import {
  CLUSTER_PROPAGATION_POLICY_ANNOTATION,
  type ClusterPropagationPolicy,
  type ClusterResourceBinding,
  clusterOfExecutionSpace,
  type ResourceBinding,
  type Work,
} from '../../apis/karmada/index.js';

export interface DriftCorrection {
  cluster: string;
  /** What happened on the member: "deleted", "changed" ... */
  change: string;
  /** How often it was put right (the Event's count). */
  count: number;
  lastTime: string;
}

export interface BaselineEntry {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  policy: string;
  /** Members the binding places it on, sorted. */
  clusters: string[];
  /** Of those, the members where it is applied now. */
  applied: string[];
  driftCorrections: DriftCorrection[];
}

export interface BaselineInput {
  policies: readonly ClusterPropagationPolicy[];
  bindings: readonly (ResourceBinding | ClusterResourceBinding)[];
  works: readonly Work[];
  events: readonly KubeObject[];
}

const id = (r: { kind: string; namespace?: string; name: string }) =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

export function auditBaselines(input: BaselineInput): BaselineEntry[] {
  const baselinePolicies = new Set(
    input.policies
      .filter((p) => p.metadata.labels?.[BASELINE_LABEL] === 'true')
      .map((p) => p.metadata.name ?? ''),
  );
  if (baselinePolicies.size === 0) return [];
  const works = new Map(input.works.map((w) => [`${w.metadata.namespace}/${w.metadata.name}`, w]));
  // Drift put right, by resource and member, from the Events on the Works that carry it.
  const corrections = new Map<string, DriftCorrection[]>();
  for (const e of input.events) {
    if (e.reason !== WORK_REASON_DRIFT_CORRECTED) continue;
    const o = (e.involvedObject ?? {}) as { kind?: string; namespace?: string; name?: string };
    const ns = o.namespace ?? '';
    const cluster = clusterOfExecutionSpace(ns);
    if (o.kind !== 'Work' || cluster === undefined) continue;
    const message = String(e.message ?? '');
    for (const m of works.get(`${ns}/${o.name}`)?.spec.workload?.manifests ?? []) {
      const key = id({
        kind: m.kind ?? '',
        name: m.metadata?.name ?? '',
        ...(m.metadata?.namespace ? { namespace: m.metadata.namespace } : {}),
      });
      // "<Kind> <ns/name> was <change> on <cluster>; applied again"
      if (!message.startsWith(`${key} was `)) continue;
      const change = message.slice(`${key} was `.length).split(` on ${cluster}`)[0] ?? '';
      corrections.set(key, [
        ...(corrections.get(key) ?? []),
        {
          cluster,
          change,
          count: Number(e.count ?? 1),
          lastTime: String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? ''),
        },
      ]);
    }
  }
  const out: BaselineEntry[] = [];
  for (const b of input.bindings) {
    const policy = b.metadata.annotations?.[CLUSTER_PROPAGATION_POLICY_ANNOTATION];
    const r = b.spec?.resource;
    if (!policy || !baselinePolicies.has(policy) || !r) continue;
    const clusters = (b.spec.clusters ?? []).map((c) => c.name).sort();
    const applied = (b.status?.aggregatedStatus ?? [])
      .filter((s) => s.applied && clusters.includes(s.clusterName))
      .map((s) => s.clusterName)
      .sort();
    out.push({
      apiVersion: r.apiVersion,
      kind: r.kind,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      name: r.name,
      policy,
      clusters,
      applied,
      driftCorrections: (corrections.get(id(r)) ?? []).sort(
        (x, y) => x.cluster.localeCompare(y.cluster) || x.lastTime.localeCompare(y.lastTime),
      ),
    });
  }
  return out.sort(
    (a, b) =>
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
}
