// ClusterRole aggregation, as kube-controller-manager's clusterrole-aggregation controller does
// it: a ClusterRole with an aggregationRule has as rules the union of the rules of every other
// ClusterRole its selectors match, roles taken in name order per selector, each distinct rule
// once. Its own rules are replaced, not kept. Aggregated roles can be aggregated in turn
// (view -> edit -> admin), so updates are computed until nothing changes. An empty selector
// selects every ClusterRole, as metav1.LabelSelectorAsSelector has it.

import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import { normalizeRules, rulesEqual } from './rules.js';
import type { ClusterRole, PolicyRule } from './types.js';

export interface AggregationUpdate {
  /** The aggregated ClusterRole to update. */
  name: string;
  /** Its rules from now on. */
  rules: PolicyRule[];
}

function hasAggregationRule(role: ClusterRole): boolean {
  return typeof role.aggregationRule === 'object' && role.aggregationRule !== null;
}

/**
 * The rules `role` aggregates from `all` (the other ClusterRoles, as stored now), or undefined
 * when the role has no aggregationRule or one of its selectors is invalid.
 */
export function aggregatedRules(role: ClusterRole, all: Iterable<ClusterRole>): PolicyRule[] | undefined {
  if (!hasAggregationRule(role)) return undefined;
  const selectors = Array.isArray(role.aggregationRule?.clusterRoleSelectors)
    ? role.aggregationRule.clusterRoleSelectors
    : [];
  const roles = [...all].sort((a, b) => {
    const x = a.metadata?.name ?? '';
    const y = b.metadata?.name ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
  // A selector Kubernetes cannot convert (an In without values, a bad key) stops the
  // aggregation of this role until it is fixed, as the controller's sync fails on it.
  const compiled: Selector[] = [];
  for (const selector of selectors) {
    if (typeof selector !== 'object' || selector === null) return undefined;
    try {
      compiled.push(fromLabelSelector(selector));
    } catch {
      return undefined;
    }
  }
  const out: PolicyRule[] = [];
  for (const selector of compiled) {
    for (const other of roles) {
      if (other.metadata?.name === role.metadata?.name) continue;
      if (!selector.matches(other.metadata?.labels ?? {})) continue;
      for (const rule of normalizeRules(other.rules)) {
        if (!out.some((r) => rulesEqual(r, rule))) out.push(rule);
      }
    }
  }
  return out;
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  return a.length === b.length && a.every((r, i) => rulesEqual(r, b[i]!));
}

/**
 * The aggregated roles among `roles` whose stored rules differ from what aggregation gives, with
 * their new rules, after following chains of aggregation until they settle.
 */
export function pendingAggregations(roles: readonly ClusterRole[]): AggregationUpdate[] {
  const current = new Map<string, ClusterRole>();
  for (const r of roles) current.set(r.metadata?.name ?? '', { ...r, rules: normalizeRules(r.rules) });
  const aggregated = [...current.values()].filter(hasAggregationRule);
  const changed = new Set<string>();
  // Each round settles at least one more level of a chain; cycles stop after as many rounds as roles.
  for (let round = 0; round <= aggregated.length; round++) {
    let any = false;
    for (const role of aggregated) {
      const name = role.metadata?.name ?? '';
      const now = current.get(name)!;
      const rules = aggregatedRules(now, current.values());
      if (rules === undefined || sameRules(rules, normalizeRules(now.rules))) continue;
      current.set(name, { ...now, rules });
      changed.add(name);
      any = true;
    }
    if (!any) break;
  }
  const original = new Map(roles.map((r) => [r.metadata?.name ?? '', normalizeRules(r.rules)]));
  const updates: AggregationUpdate[] = [];
  for (const name of [...changed].sort()) {
    const rules = normalizeRules(current.get(name)!.rules);
    if (!sameRules(rules, original.get(name) ?? [])) updates.push({ name, rules });
  }
  return updates;
}
