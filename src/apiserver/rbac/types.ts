// The rbac.authorization.k8s.io/v1 objects and the authorization.k8s.io/v1 review shapes, as
// they are on the wire.

import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import type { UserInfo } from '../authn.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  /** User, Group or ServiceAccount. */
  kind: string;
  apiGroup?: string;
  name: string;
  /** ServiceAccount only; in a RoleBinding it defaults to the binding's namespace. */
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  /** Role or ClusterRole. */
  kind: string;
  name: string;
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface Role extends KubeObject {
  rules?: PolicyRule[] | null;
}

export interface ClusterRole extends KubeObject {
  rules?: PolicyRule[] | null;
  aggregationRule?: AggregationRule;
}

export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export type ClusterRoleBinding = RoleBinding;

/** What a request wants to do, as the request resolver describes it (authorizer.Attributes). */
export interface AuthorizationAttributes {
  user: UserInfo;
  /** Resource requests: get, list, watch, create, update, patch, delete, deletecollection, or a
   * special verb (impersonate, bind, escalate...). Non-resource requests: the lower-cased HTTP method. */
  verb: string;
  isResourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  /** Plural resource name: "pods". */
  resource?: string;
  subresource?: string;
  /** Empty for cluster-scoped resources and for lists across all namespaces. */
  namespace?: string;
  /** Empty for list, watch (without a metadata.name field selector), create and deletecollection. */
  name?: string;
  /** Non-resource requests: the URL path, e.g. "/healthz". */
  path?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** Why: "RBAC: allowed by ..." when allowed; on a denial the text Kubernetes appends to the
   * Forbidden message (role resolution errors), or "" when it adds nothing. */
  reason: string;
}

/** What the access reviews ask of an authorizer (the RBAC authorizer answers both). */
export interface ReviewingAuthorizer {
  authorize(attrs: AuthorizationAttributes): AuthorizationDecision;
  /** The user's rules in a namespace, for SelfSubjectRulesReview. */
  rulesFor(user: UserInfo, namespace: string): SubjectRulesReviewStatus;
}

// authorization.k8s.io/v1 reviews

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

/** The spec of a SubjectAccessReview; a SelfSubjectAccessReview has only the two attribute fields. */
export interface SubjectAccessReviewSpec {
  resourceAttributes?: ResourceAttributes | null;
  nonResourceAttributes?: NonResourceAttributes | null;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface SubjectRulesReviewStatus {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}
