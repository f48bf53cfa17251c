// The RBAC authorizer: an index of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings,
// kept current by upsert/remove as the store changes, and the decisions Kubernetes' RBAC
// authorizer makes from them. A request is allowed when any rule bound to the user allows it:
// ClusterRoleBindings apply everywhere, RoleBindings only in their own namespace (a RoleBinding
// may grant a ClusterRole's rules there). Nothing is ever denied explicitly; a request no rule
// allows is simply not allowed.
//
// Members of a privileged group (system:masters) are allowed everything before RBAC is asked,
// as kube-apiserver's authorizer chain does, so that an administrator cannot lock themselves out
// by deleting a binding.

import type { KubeObject } from '../../machinery/object.js';
import { GROUP_MASTERS, serviceAccountUsername, type UserInfo } from '../authn.js';
import { type AggregationUpdate, aggregatedRules, pendingAggregations } from './aggregation.js';
import { reviewAccess } from './review.js';
import { normalizeRules, ruleAllows } from './rules.js';
import type {
  AuthorizationAttributes,
  AuthorizationDecision,
  ClusterRole,
  PolicyRule,
  RoleRef,
  Subject,
  SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
  SubjectRulesReviewStatus,
} from './types.js';
import { RBAC_GROUP } from './types.js';

interface StoredRole {
  name: string;
  namespace: string;
  rules: PolicyRule[];
}

interface StoredBinding {
  name: string;
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

/** Where a rule came from, for the "allowed by" reason. */
export interface RuleSource {
  binding: StoredBindingView;
  subject: Subject;
}

export interface StoredBindingView {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace: string;
  roleRef: RoleRef;
}

/** Return false to stop visiting. `rule` is undefined when `error` reports a binding that resolves to nothing. */
export type RuleVisitor = (
  source: RuleSource | undefined,
  rule: PolicyRule | undefined,
  error: string | undefined,
) => boolean;

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

/** The text Kubernetes uses for the binding that allowed a request. */
export function describeSource(source: RuleSource): string {
  const b = source.binding;
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} "${name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(source.subject, b.namespace)}`;
}

function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      // A RoleBinding may leave the namespace out: the binding's own is meant.
      const ns = subject.namespace || namespace;
      if (!ns) return false;
      return user.username === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

function firstApplyingSubject(user: UserInfo, subjects: Subject[], namespace: string): Subject | undefined {
  for (const s of subjects) if (appliesToUser(user, s, namespace)) return s;
  return undefined;
}

/** Messages of several errors, each once, as Kubernetes' error aggregates print them. */
export function aggregateErrors(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  if (unique.length === 0) return '';
  if (errors.length === 1 || unique.length === 1) return unique[0]!;
  return `[${unique.join(', ')}]`;
}

function metaOf(obj: KubeObject): { name: string; namespace: string } {
  return { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace ?? '' };
}

function isRbacObject(obj: KubeObject): boolean {
  const slash = obj.apiVersion?.indexOf('/') ?? -1;
  return slash > 0 && obj.apiVersion.slice(0, slash) === RBAC_GROUP;
}

function normalizeSubjects(raw: unknown): Subject[] {
  if (!Array.isArray(raw)) return [];
  const out: Subject[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) continue;
    const r = s as Record<string, unknown>;
    if (typeof r.kind !== 'string' || typeof r.name !== 'string') continue;
    const subject: Subject = { kind: r.kind, name: r.name };
    if (typeof r.apiGroup === 'string') subject.apiGroup = r.apiGroup;
    if (typeof r.namespace === 'string' && r.namespace !== '') subject.namespace = r.namespace;
    out.push(subject);
  }
  return out;
}

function normalizeRoleRef(raw: unknown): RoleRef {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    apiGroup: typeof r.apiGroup === 'string' ? r.apiGroup : '',
    kind: typeof r.kind === 'string' ? r.kind : '',
    name: typeof r.name === 'string' ? r.name : '',
  };
}

export interface RbacAuthorizerOptions {
  /** Groups allowed everything without consulting RBAC. Default: ["system:masters"]. */
  privilegedGroups?: readonly string[];
}

export class RbacAuthorizer {
  readonly privilegedGroups: readonly string[];
  private readonly roles = new Map<string, Map<string, StoredRole>>();
  private readonly clusterRoles = new Map<string, StoredRole>();
  /** The ClusterRole objects themselves: aggregation needs their labels and selectors. */
  private readonly clusterRoleObjects = new Map<string, ClusterRole>();
  private readonly roleBindings = new Map<string, Map<string, StoredBinding>>();
  private readonly clusterRoleBindings = new Map<string, StoredBinding>();

  constructor(opts: RbacAuthorizerOptions = {}) {
    this.privilegedGroups = opts.privilegedGroups ?? [GROUP_MASTERS];
  }

  /**
   * Adds or replaces a Role, ClusterRole, RoleBinding or ClusterRoleBinding (any other object is
   * ignored). The object is copied: later changes to it do not reach the index.
   */
  upsert(obj: KubeObject): void {
    if (!isRbacObject(obj)) return;
    const { name, namespace } = metaOf(obj);
    if (!name) return;
    switch (obj.kind) {
      case 'Role':
        if (!namespace) return;
        this.nested(this.roles, namespace).set(name, { name, namespace, rules: normalizeRules(obj.rules) });
        return;
      case 'ClusterRole':
        this.clusterRoles.set(name, { name, namespace: '', rules: normalizeRules(obj.rules) });
        this.clusterRoleObjects.set(name, structuredClone(obj) as ClusterRole);
        return;
      case 'RoleBinding':
        if (!namespace) return;
        this.nested(this.roleBindings, namespace).set(name, {
          name,
          namespace,
          roleRef: normalizeRoleRef(obj.roleRef),
          subjects: normalizeSubjects(obj.subjects),
        });
        return;
      case 'ClusterRoleBinding':
        this.clusterRoleBindings.set(name, {
          name,
          namespace: '',
          roleRef: normalizeRoleRef(obj.roleRef),
          subjects: normalizeSubjects(obj.subjects),
        });
        return;
    }
  }

  /** Forgets an object; only its kind, name and namespace are read. */
  remove(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): void {
    if (!isRbacObject(obj as KubeObject)) return;
    const { name, namespace } = metaOf(obj as KubeObject);
    switch (obj.kind) {
      case 'Role':
        this.deleteNested(this.roles, namespace, name);
        return;
      case 'ClusterRole':
        this.clusterRoles.delete(name);
        this.clusterRoleObjects.delete(name);
        return;
      case 'RoleBinding':
        this.deleteNested(this.roleBindings, namespace, name);
        return;
      case 'ClusterRoleBinding':
        this.clusterRoleBindings.delete(name);
        return;
    }
  }

  private nested<T>(map: Map<string, Map<string, T>>, namespace: string): Map<string, T> {
    let inner = map.get(namespace);
    if (!inner) {
      inner = new Map();
      map.set(namespace, inner);
    }
    return inner;
  }

  private deleteNested<T>(map: Map<string, Map<string, T>>, namespace: string, name: string): void {
    const inner = map.get(namespace);
    if (!inner) return;
    inner.delete(name);
    if (inner.size === 0) map.delete(namespace);
  }

  /** The rules a binding grants, or the error Kubernetes reports when its role is missing. */
  roleRules(ref: RoleRef, bindingNamespace: string): PolicyRule[] | string {
    switch (ref.kind) {
      case 'Role': {
        const role = this.roles.get(bindingNamespace)?.get(ref.name);
        return role ? role.rules : `role.${RBAC_GROUP} "${ref.name}" not found`;
      }
      case 'ClusterRole': {
        const role = this.clusterRoles.get(ref.name);
        return role ? role.rules : `clusterrole.${RBAC_GROUP} "${ref.name}" not found`;
      }
      default:
        return `unsupported role reference kind: "${ref.kind}"`;
    }
  }

  /**
   * Calls `visitor` with every rule that applies to `user` in `namespace` ("" for cluster-wide
   * requests): first those of ClusterRoleBindings, then those of the namespace's RoleBindings.
   */
  visitRulesFor(user: UserInfo, namespace: string, visitor: RuleVisitor): void {
    for (const binding of this.clusterRoleBindings.values()) {
      if (!this.visitBinding(user, binding, 'ClusterRoleBinding', '', visitor)) return;
    }
    if (!namespace) return;
    const bindings = this.roleBindings.get(namespace);
    if (!bindings) return;
    for (const binding of bindings.values()) {
      if (!this.visitBinding(user, binding, 'RoleBinding', namespace, visitor)) return;
    }
  }

  private visitBinding(
    user: UserInfo,
    binding: StoredBinding,
    kind: 'RoleBinding' | 'ClusterRoleBinding',
    namespace: string,
    visitor: RuleVisitor,
  ): boolean {
    const subject = firstApplyingSubject(user, binding.subjects, namespace);
    if (!subject) return true;
    const rules = this.roleRules(binding.roleRef, namespace);
    if (typeof rules === 'string') return visitor(undefined, undefined, rules);
    const source: RuleSource = { binding: { kind, ...binding }, subject };
    for (const rule of rules) {
      if (!visitor(source, rule, undefined)) return false;
    }
    return true;
  }

  authorize(attrs: AuthorizationAttributes): AuthorizationDecision {
    for (const g of attrs.user.groups) {
      if (this.privilegedGroups.includes(g)) return { allowed: true, reason: '' };
    }
    let allowedBy: RuleSource | undefined;
    const errors: string[] = [];
    this.visitRulesFor(attrs.user, attrs.namespace ?? '', (source, rule, error) => {
      if (rule && source && ruleAllows(attrs, rule)) {
        allowedBy = source;
        return false;
      }
      if (error) errors.push(error);
      return true;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${describeSource(allowedBy)}` };
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrors(errors)}` : '' };
  }

  /**
   * What `user` may do in `namespace`, as a SelfSubjectRulesReview reports it
   * (`kubectl auth can-i --list`): every rule that applies, unmerged.
   */
  rulesFor(user: UserInfo, namespace: string): SubjectRulesReviewStatus {
    const status: SubjectRulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_source, rule, error) => {
      if (rule) {
        if (rule.resources && rule.resources.length > 0) {
          const r: SubjectRulesReviewStatus['resourceRules'][number] = { verbs: [...rule.verbs] };
          if (rule.apiGroups) r.apiGroups = [...rule.apiGroups];
          r.resources = [...rule.resources];
          if (rule.resourceNames) r.resourceNames = [...rule.resourceNames];
          status.resourceRules.push(r);
        }
        if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) {
          status.nonResourceRules.push({
            verbs: [...rule.verbs],
            nonResourceURLs: [...rule.nonResourceURLs],
          });
        }
      }
      if (error) errors.push(error);
      return true;
    });
    if (errors.length > 0) status.evaluationError = aggregateErrors(errors);
    return status;
  }

  /**
   * The status of an access review of `spec` (resourceAttributes or nonResourceAttributes) for
   * `user`. Validation of the review object is accessReview's (review.ts).
   */
  reviewAccess(spec: SubjectAccessReviewSpec, user: UserInfo): SubjectAccessReviewStatus {
    return reviewAccess(this, spec, user);
  }

  /** Every ClusterRole in the index (copies). */
  listClusterRoles(): ClusterRole[] {
    return [...this.clusterRoleObjects.values()].map((r) => structuredClone(r));
  }

  /** The rules an aggregated ClusterRole should have now, or undefined when it aggregates nothing. */
  aggregatedRules(name: string): PolicyRule[] | undefined {
    const role = this.clusterRoleObjects.get(name);
    return role ? aggregatedRules(role, this.clusterRoleObjects.values()) : undefined;
  }

  /**
   * The aggregated ClusterRoles whose rules are out of date, with the rules to write. The server
   * calls this after ClusterRole changes and updates those roles (field manager
   * "clusterrole-aggregation-controller"); chains of aggregation are followed to the end.
   */
  pendingAggregations(): AggregationUpdate[] {
    return pendingAggregations([...this.clusterRoleObjects.values()]);
  }
}
