// RBAC's escalation prevention, as kube-apiserver applies it to writes of roles and bindings: a
// user may only write a Role or ClusterRole whose rules they hold already (or who may `escalate`
// roles), and may only bind a role whose rules they hold (or who may `bind` it). Without it,
// anyone allowed to create RoleBindings could grant themselves cluster-admin. Members of a
// privileged group skip the checks, as they skip RBAC itself.

import { errors } from '../../machinery/status.js';
import type { AdmissionRequest, ValidatingAdmission } from '../admission/validating.js';
import type { UserInfo } from '../authn.js';
import { aggregateErrors, type RbacAuthorizer } from './authorizer.js';
import { API_GROUP_ALL, NON_RESOURCE_ALL, normalizeRules, RESOURCE_ALL, VERB_ALL } from './rules.js';
import type { PolicyRule, RoleRef } from './types.js';
import { RBAC_GROUP } from './types.js';

/** One permission: a single verb on a single group/resource(/name), or on a single URL. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of names)
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

const hasAll = (set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean =>
  (wanted ?? []).every((w) => (set ?? []).includes(w));

function resourcesCovered(
  owned: readonly string[] | undefined,
  wanted: readonly string[] | undefined,
): boolean {
  const set = owned ?? [];
  if (set.includes(RESOURCE_ALL)) return true;
  return (wanted ?? []).every((r) => {
    if (set.includes(r)) return true;
    // "*/scale" holds the scale subresource of every resource.
    const slash = r.indexOf('/');
    return slash > 0 && set.includes(`*${r.slice(slash)}`);
  });
}

function urlsCovered(owned: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((path) =>
    (owned ?? []).some(
      (u) =>
        u === NON_RESOURCE_ALL || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))),
    ),
  );
}

/** Whether holding `owner` gives every permission of the single-permission rule `sub`. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  return (
    (owner.verbs.includes(VERB_ALL) || hasAll(owner.verbs, sub.verbs)) &&
    ((owner.apiGroups ?? []).includes(API_GROUP_ALL) || hasAll(owner.apiGroups, sub.apiGroups)) &&
    resourcesCovered(owner.resources, sub.resources) &&
    urlsCovered(owner.nonResourceURLs, sub.nonResourceURLs) &&
    (ownerNames.length === 0 || (subNames.length > 0 && hasAll(ownerNames, subNames)))
  );
}

/** The permissions of `wanted` that no rule of `held` gives, verbs of one target merged. */
export function uncoveredRules(held: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing = new Map<string, PolicyRule>();
  for (const sub of wanted.flatMap(breakdown)) {
    if (held.some((owner) => ruleCovers(owner, sub))) continue;
    const { verbs, ...target } = sub;
    const key = JSON.stringify(target);
    const known = missing.get(key);
    if (!known) missing.set(key, { ...sub, verbs: [...verbs] });
    else if (!known.verbs.includes(verbs[0]!)) known.verbs.push(verbs[0]!);
  }
  return [...missing.values()];
}

const quoted = (values: readonly string[]): string => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** A rule as Kubernetes prints it in escalation errors: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`. */
export function compactRule(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${quoted(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${quoted(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${quoted(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoted(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${quoted(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: [VERB_ALL], apiGroups: [API_GROUP_ALL], resources: [RESOURCE_ALL] },
  { verbs: [VERB_ALL], nonResourceURLs: [NON_RESOURCE_ALL] },
];

export class EscalationCheck implements ValidatingAdmission {
  readonly name = 'rbac-escalation';
  readonly kinds = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].map(
    (k) => `${RBAC_GROUP}/${k}`,
  );

  constructor(
    private readonly authorizer: RbacAuthorizer,
    private readonly privilegedGroups: readonly string[],
  ) {}

  async validate(req: AdmissionRequest): Promise<[]> {
    const user = req.user;
    if (!user || user.groups.some((g) => this.privilegedGroups.includes(g))) return [];
    const namespace = req.namespace ?? '';
    const forbidden = (why: string) => errors.forbiddenObject(RBAC_GROUP, req.resource, req.name, why);
    if (req.kind === 'Role' || req.kind === 'ClusterRole') {
      if (this.may(user, 'escalate', req.resource, namespace, req.name)) return [];
      if (req.kind === 'ClusterRole' && req.object.aggregationRule) {
        // An aggregated role collects the rules of roles its user may not know of: only an
        // administrator may declare one.
        if (this.missing(user, '', FULL_AUTHORITY))
          throw forbidden('must have cluster-admin privileges to use the aggregationRule');
        return [];
      }
      const why = this.missing(user, namespace, normalizeRules(req.object.rules));
      if (why) throw forbidden(why);
      return [];
    }
    const ref = (req.object.roleRef ?? {}) as RoleRef;
    const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
    if (this.may(user, 'bind', refResource, namespace, ref.name)) return [];
    const rules = this.authorizer.roleRules(ref, namespace);
    if (typeof rules === 'string') throw forbidden(rules);
    const why = this.missing(user, namespace, rules);
    if (why) throw forbidden(why);
    return [];
  }

  private may(user: UserInfo, verb: string, resource: string, namespace: string, name: string): boolean {
    return this.authorizer.authorize({
      user,
      verb,
      isResourceRequest: true,
      apiGroup: RBAC_GROUP,
      resource,
      namespace,
      name,
    }).allowed;
  }

  /** Why writing `rules` would escalate `user`'s privileges in `namespace`, or undefined. */
  private missing(user: UserInfo, namespace: string, rules: PolicyRule[]): string | undefined {
    const held: PolicyRule[] = [];
    const resolution: string[] = [];
    this.authorizer.visitRulesFor(user, namespace, (_source, rule, error) => {
      if (rule) held.push(rule);
      if (error) resolution.push(error);
      return true;
    });
    const uncovered = uncoveredRules(held, rules);
    if (uncovered.length === 0) return undefined;
    const lines = uncovered.map(compactRule).sort();
    let why = `user ${JSON.stringify(user.username)} (groups=${quoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
    if (resolution.length > 0) why += `; resolution errors: [${aggregateErrors(resolution)}]`;
    return why;
  }
}
