// The residency audit, as a pure function of the hub's objects: every propagated resource (each
// binding's resource, and each manifest of each Work), where it runs (a binding's clusters; a
// Work's member, from its execution namespace karmada-es-<cluster>), which rules cover it and
// where it breaks them. A violation is Placed when a binding put the resource on the member, and
// Drift when only a Work carries it there (a Work made or edited by hand, outside any binding).
// Both `concord audit` and the rules' status controller use it.

import type { KubeObject } from '../../../machinery/object.js';
import {
  MAX_VIOLATION_DETAILS,
  type ResidencyRule,
  type ResidencyViolation,
} from '../../apis/governance/index.js';
import {
  type Cluster,
  type ClusterResourceBinding,
  clusterOfExecutionSpace,
  type ResourceBinding,
  type Work,
} from '../../apis/karmada/index.js';
import { clusterAllowed, type Labels, ruleCovers } from '../residency/match.js';

export interface AuditInput {
  rules: readonly ResidencyRule[];
  clusters: readonly Cluster[];
  bindings: readonly (ResourceBinding | ClusterResourceBinding)[];
  works: readonly Work[];
  namespaces: readonly KubeObject[];
  /** Labels of resource templates by resourceKey (bindings carry none; Works' manifests do). */
  templateLabels?: ReadonlyMap<string, Labels>;
}

export interface AuditViolation {
  cluster: string;
  rules: string[];
  type: ResidencyViolation['type'];
}

export interface AuditEntry {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Members it runs on (placed by a binding or carried by a Work), sorted. */
  clusters: string[];
  /** Rules that cover it, sorted. */
  rules: string[];
  violations: AuditViolation[];
}

export interface RuleSummary {
  name: string;
  allowedClusters: string[];
  coveredResources: number;
  violations: ResidencyViolation[];
}

export interface AuditReport {
  resources: AuditEntry[];
  rules: RuleSummary[];
  /** Violations in all (one per resource and member). */
  violations: number;
}

export function resourceKey(r: {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}): string {
  return `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}|${r.name}`;
}

interface Found {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  labels?: Labels;
  placed: Set<string>;
  carried: Set<string>;
}

function byName<T>(a: T & { name: string }, b: T & { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function auditResidency(input: AuditInput): AuditReport {
  const found = new Map<string, Found>();
  const entry = (r: { apiVersion: string; kind: string; namespace?: string; name: string }): Found => {
    const key = resourceKey(r);
    let e = found.get(key);
    if (!e) {
      e = {
        apiVersion: r.apiVersion,
        kind: r.kind,
        name: r.name,
        ...(r.namespace ? { namespace: r.namespace } : {}),
        placed: new Set(),
        carried: new Set(),
      };
      found.set(key, e);
    }
    return e;
  };
  for (const b of input.bindings) {
    const r = b.spec?.resource;
    if (!r) continue;
    const e = entry(r);
    for (const t of b.spec.clusters ?? []) e.placed.add(t.name);
  }
  for (const w of input.works) {
    const ns = w.metadata.namespace ?? '';
    const cluster = clusterOfExecutionSpace(ns);
    if (cluster === undefined || w.metadata.deletionTimestamp) continue;
    for (const m of w.spec?.workload?.manifests ?? []) {
      if (!m.apiVersion || !m.kind || !m.metadata?.name) continue;
      const e = entry({
        apiVersion: m.apiVersion,
        kind: m.kind,
        name: m.metadata.name,
        ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
      });
      e.carried.add(cluster);
      e.labels ??= m.metadata.labels ?? {};
    }
  }

  const nsLabels = new Map(input.namespaces.map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]));
  const clusters = new Map(input.clusters.map((c) => [c.metadata.name ?? '', c]));
  const summaries = new Map<string, RuleSummary>(
    input.rules.map((r) => [
      r.metadata.name ?? '',
      {
        name: r.metadata.name ?? '',
        allowedClusters: input.clusters
          .filter((c) => !c.metadata.deletionTimestamp && clusterAllowed(r, c))
          .map((c) => c.metadata.name ?? '')
          .sort(),
        coveredResources: 0,
        violations: [],
      },
    ]),
  );
  const resources: AuditEntry[] = [];
  let total = 0;
  for (const [key, e] of found) {
    const labels = e.labels ?? input.templateLabels?.get(key) ?? {};
    const covering = input.rules.filter((r) =>
      ruleCovers(
        r,
        { kind: e.kind, labels, ...(e.namespace ? { namespace: e.namespace } : {}) },
        e.namespace ? nsLabels.get(e.namespace) : undefined,
      ),
    );
    const where = [...new Set([...e.placed, ...e.carried])].sort();
    const violations: AuditViolation[] = [];
    for (const name of where) {
      const member = clusters.get(name);
      // A member no longer registered is judged by name alone: no rule can allow what it cannot see.
      const broken = covering
        .filter((r) => !member || !clusterAllowed(r, member))
        .map((r) => r.metadata.name ?? '');
      if (broken.length === 0) continue;
      const type = e.placed.has(name) ? 'Placed' : 'Drift';
      violations.push({ cluster: name, rules: broken.sort(), type });
      for (const rule of broken) {
        summaries.get(rule)!.violations.push({
          apiVersion: e.apiVersion,
          kind: e.kind,
          name: e.name,
          cluster: name,
          type,
          ...(e.namespace ? { namespace: e.namespace } : {}),
        });
      }
    }
    total += violations.length;
    for (const r of covering) summaries.get(r.metadata.name ?? '')!.coveredResources++;
    resources.push({
      apiVersion: e.apiVersion,
      kind: e.kind,
      name: e.name,
      ...(e.namespace ? { namespace: e.namespace } : {}),
      clusters: where,
      rules: covering.map((r) => r.metadata.name ?? '').sort(),
      violations,
    });
  }
  resources.sort(
    (a, b) =>
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  return { resources, rules: [...summaries.values()].sort(byName), violations: total };
}

/** The violations a rule's status lists. */
export function violationDetails(s: RuleSummary): ResidencyViolation[] {
  return s.violations.slice(0, MAX_VIOLATION_DETAILS);
}
