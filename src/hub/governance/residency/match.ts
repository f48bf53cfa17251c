// What a residency rule covers and where it allows covered resources to run, as pure functions
// shared by admission, the scheduler's filter, the rules' status and the audit.
// - A resource is covered when every filter of the rule's resourceSelector matches: its
//   namespace is listed or its labels match namespaceSelector (either, when both are given), its
//   kind is listed, its labels match labelSelector. Cluster-scoped resources are covered only by
//   rules without a namespace filter. Namespace objects themselves are never covered (they carry
//   no data and go to every member), nor ConfigMaps and Secrets when includeConfigAndSecrets is
//   false.
// - A member is allowed when it matches every filter of allowedClusters.
// Several rules covering one resource all apply: it may run only where every one of them allows.

import { labelSelectorMatches } from '../../../machinery/labels.js';
import type { LabelSelector } from '../../../machinery/object.js';
import { COUNTRY_LABEL, type ResidencyRule } from '../../apis/governance/index.js';
import type { Cluster } from '../../apis/karmada/index.js';

export type Labels = Record<string, string>;

/** What a rule looks at in a resource. */
export interface ResourceFacts {
  kind: string;
  namespace?: string;
  labels?: Labels;
}

const CONFIG_KINDS = new Set(['ConfigMap', 'Secret']);

function nonEmpty<T>(list: readonly T[] | undefined): list is readonly T[] {
  return list !== undefined && list.length > 0;
}

export function hasNamespaceFilter(rule: ResidencyRule): boolean {
  const s = rule.spec.resourceSelector ?? {};
  return nonEmpty(s.namespaces) || !!s.namespaceSelector;
}

/** Whether the rule may cover resources of this kind at all. */
export function kindCovered(rule: ResidencyRule, kind: string): boolean {
  if (kind === 'Namespace') return false;
  if (CONFIG_KINDS.has(kind) && rule.spec.includeConfigAndSecrets === false) return false;
  const kinds = rule.spec.resourceSelector?.kinds;
  return !nonEmpty(kinds) || kinds.includes(kind);
}

function safeMatches(selector: LabelSelector, labels: Labels): boolean {
  try {
    return labelSelectorMatches(selector, labels);
  } catch {
    return false;
  }
}

/** Whether the rule's namespace filter takes this namespace (labels undefined: unknown namespace). */
export function namespaceCovered(
  rule: ResidencyRule,
  namespace: string,
  labels: Labels | undefined,
): boolean {
  const s = rule.spec.resourceSelector ?? {};
  if (!hasNamespaceFilter(rule)) return true;
  if (s.namespaces?.includes(namespace)) return true;
  return !!s.namespaceSelector && labels !== undefined && safeMatches(s.namespaceSelector, labels);
}

export function ruleCovers(
  rule: ResidencyRule,
  res: ResourceFacts,
  namespaceLabels: Labels | undefined,
): boolean {
  if (!kindCovered(rule, res.kind)) return false;
  if (res.namespace) {
    if (!namespaceCovered(rule, res.namespace, namespaceLabels)) return false;
  } else if (hasNamespaceFilter(rule)) {
    return false;
  }
  const selector = rule.spec.resourceSelector?.labelSelector;
  return !selector || safeMatches(selector, res.labels ?? {});
}

export function clusterAllowed(rule: ResidencyRule, cluster: Cluster): boolean {
  const a = rule.spec.allowedClusters ?? {};
  const name = cluster.metadata.name ?? '';
  if (nonEmpty(a.clusterNames) && !a.clusterNames.includes(name)) return false;
  if (nonEmpty(a.regions) && !a.regions.includes(cluster.spec?.region ?? '')) return false;
  if (nonEmpty(a.providers) && !a.providers.includes(cluster.spec?.provider ?? '')) return false;
  const labels = cluster.metadata.labels ?? {};
  if (nonEmpty(a.countries) && !a.countries.includes(labels[COUNTRY_LABEL] ?? '')) return false;
  return !a.labelSelector || safeMatches(a.labelSelector, labels);
}

/** The rule's allowed clusters in words: "region in (eu-west, eu-central)". */
export function describeAllowed(rule: ResidencyRule): string {
  const a = rule.spec.allowedClusters ?? {};
  const parts: string[] = [];
  const list = (what: string, values: readonly string[] | undefined) => {
    if (nonEmpty(values)) parts.push(`${what} in (${values.join(', ')})`);
  };
  list('region', a.regions);
  list('country', a.countries);
  list('provider', a.providers);
  list('name', a.clusterNames);
  if (a.labelSelector) parts.push(`labels matching ${JSON.stringify(a.labelSelector)}`);
  return parts.join(' and ');
}

/** A member in words: "us-1 (region us-east)". */
export function describeCluster(cluster: Cluster): string {
  const name = cluster.metadata.name ?? '';
  const region = cluster.spec?.region;
  return region ? `${name} (region ${region})` : name;
}

/** Why a member may not hold a resource the rules cover, or undefined when it may. */
export function residencyRefusal(covering: readonly ResidencyRule[], cluster: Cluster): string | undefined {
  const broken = covering.filter((r) => !clusterAllowed(r, cluster)).map((r) => r.metadata.name ?? '');
  if (broken.length === 0) return undefined;
  return `cluster(s) were outside residency rule ${broken.sort().join(', ')}`;
}
