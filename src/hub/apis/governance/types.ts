// governance.concord.dev/v1alpha1: Concord's own governance kinds. A ResidencyRule says which
// resources (by namespace, namespace labels, kind and labels) may run only on which member
// clusters (by region, country, provider, name or labels). Admission refuses policies whose
// placement could break a rule, the scheduler never places covered resources outside, and the
// rule's status counts what it covers and what breaks it.

import type { Condition, KubeObject, LabelSelector } from '../../../machinery/object.js';

export const GOVERNANCE_GROUP = 'governance.concord.dev';
export const GOVERNANCE_VERSION = 'v1alpha1';
export const GOVERNANCE_API_VERSION = `${GOVERNANCE_GROUP}/${GOVERNANCE_VERSION}`;

/** The label of a member cluster that names its country (ISO 3166-1 alpha-2, e.g. "de"). */
export const COUNTRY_LABEL = 'governance.concord.dev/country';

/**
 * The label of a ClusterPropagationPolicy ("true") whose resources are a fleet security baseline
 * (RBAC, NetworkPolicies ...) kept on every member it places them on: `concord audit` lists them
 * with the drift corrected on each member.
 */
export const BASELINE_LABEL = 'governance.concord.dev/baseline';

/** Which resources a rule covers: every filter given must match (namespaces OR namespaceSelector). */
export interface ResidencyResourceSelector {
  /** Namespaces whose resources are covered. */
  namespaces?: string[];
  /** Namespaces (by their labels) whose resources are covered. */
  namespaceSelector?: LabelSelector;
  /** Kinds covered ("Deployment"); empty: every kind. */
  kinds?: string[];
  /** Resources (by their labels) covered. */
  labelSelector?: LabelSelector;
}

/** Where covered resources may run: a member must match every filter given. */
export interface AllowedClusters {
  regions?: string[];
  /** Matched against the member's governance.concord.dev/country label. */
  countries?: string[];
  providers?: string[];
  clusterNames?: string[];
  labelSelector?: LabelSelector;
}

export interface ResidencyRuleSpec {
  resourceSelector: ResidencyResourceSelector;
  allowedClusters: AllowedClusters;
  /** ConfigMaps and Secrets of covered namespaces are bound too (default true). */
  includeConfigAndSecrets?: boolean;
}

/** One covered resource placed (or found by hand) outside the rule's clusters. */
export interface ResidencyViolation {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The member it runs on. */
  cluster: string;
  /** Placed: a binding put it there; Drift: it was found on the member outside any binding. */
  type: 'Placed' | 'Drift';
}

export interface ResidencyRuleStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Members the rule allows now. */
  allowedClusters?: string[];
  /** Propagated resources the rule covers. */
  coveredResources?: number;
  violations?: number;
  /** The first violations found (at most 20). */
  violationDetails?: ResidencyViolation[];
  lastAuditTime?: string;
}

export interface ResidencyRule extends KubeObject {
  spec: ResidencyRuleSpec;
  status?: ResidencyRuleStatus;
}

export const RESIDENCY_RULE_READY = 'Ready';
export const RESIDENCY_RULE_COMPLIANT = 'Compliant';
export const REASON_ENFORCED = 'Enforced';
export const REASON_NO_ALLOWED_CLUSTERS = 'NoAllowedClusters';
export const REASON_NO_VIOLATIONS = 'NoViolations';
export const REASON_VIOLATIONS_FOUND = 'ViolationsFound';

/** Most violations a rule's status lists. */
export const MAX_VIOLATION_DETAILS = 20;

export const residencyRules = {
  group: GOVERNANCE_GROUP,
  version: GOVERNANCE_VERSION,
  resource: 'residencyrules',
  kind: 'ResidencyRule',
  namespaced: false,
} as const;
