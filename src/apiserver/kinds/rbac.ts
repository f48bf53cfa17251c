// RBAC (rbac.authorization.k8s.io/v1): names that only need to be URL path segments, rules that
// name verbs and (for resource rules) API groups and resources, role bindings whose roleRef is
// defaulted to the RBAC group and can never change, and the NAME / ROLE tables.

import { childPath, indexPath } from '../../machinery/field-path.js';
import { validateLabelSelector } from '../../machinery/labels.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, createdAtTable, nameColumn, objectAge } from './columns.js';
import { eachInvalid, invalid, notSupported, required } from './field-errors.js';
import { asArray, asObject, asString, type Json, objectItems, semanticEqual } from './values.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** ValidatePolicyRule. Namespaced rules (Roles) cannot name non-resource URLs. */
export function validatePolicyRule(rule: Json, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (asArray(rule.verbs).length === 0)
    errs.push(required(childPath(field, 'verbs'), 'verbs must contain at least one value'));
  const urls = asArray(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced)
      errs.push(
        invalid(
          childPath(field, 'nonResourceURLs'),
          urls,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (
      asArray(rule.apiGroups).length > 0 ||
      asArray(rule.resources).length > 0 ||
      asArray(rule.resourceNames).length > 0
    ) {
      errs.push(
        invalid(
          childPath(field, 'nonResourceURLs'),
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (asArray(rule.apiGroups).length === 0) {
    errs.push(required(childPath(field, 'apiGroups'), 'resource rules must supply at least one api group'));
  }
  if (asArray(rule.resources).length === 0) {
    errs.push(required(childPath(field, 'resources'), 'resource rules must supply at least one resource'));
  }
  return errs;
}

function validateRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const [rule, i] of objectItems(obj.rules))
    errs.push(...validatePolicyRule(rule, namespaced, indexPath('rules', i)));
  return errs;
}

function validateSubject(subject: Json, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = asString(subject.name);
  if (name === '') errs.push(required(childPath(field, 'name')));
  const apiGroup = asString(subject.apiGroup);
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') errs.push(...eachInvalid(childPath(field, 'name'), name, isDNS1123Subdomain(name)));
      if (apiGroup !== '') errs.push(notSupported(childPath(field, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && asString(subject.namespace) === '')
        errs.push(required(childPath(field, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP)
        errs.push(notSupported(childPath(field, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(
        notSupported(childPath(field, 'kind'), subject.kind ?? '', ['ServiceAccount', 'User', 'Group']),
      );
  }
  return errs;
}

function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const roleRef = asObject(obj.roleRef) ?? {};
  if (roleRef.apiGroup !== RBAC_GROUP)
    errs.push(notSupported('roleRef.apiGroup', roleRef.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(asString(roleRef.kind)))
    errs.push(notSupported('roleRef.kind', roleRef.kind ?? '', kinds));
  const name = asString(roleRef.name);
  if (name === '') errs.push(required('roleRef.name'));
  else errs.push(...eachInvalid('roleRef.name', name, isValidPathSegmentName(name)));
  for (const [s, i] of objectItems(obj.subjects))
    errs.push(...validateSubject(s, namespaced, indexPath('subjects', i)));
  return errs;
}

/** SetDefaults_RoleBinding / ClusterRoleBinding / Subject: the RBAC group where it is implied. */
function defaultBinding(obj: KubeObject): void {
  const roleRef = asObject(obj.roleRef);
  if (roleRef && asString(roleRef.apiGroup) === '') roleRef.apiGroup = RBAC_GROUP;
  for (const [s] of objectItems(obj.subjects)) {
    if (asString(s.apiGroup) !== '') continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
    else if (s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}

function validateRoleRefUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return semanticEqual(obj.roleRef, old.roleRef)
    ? []
    : [invalid('roleRef', obj.roleRef ?? null, 'cannot change roleRef')];
}

/** SubjectsStrings: users, groups and service accounts ("namespace/name") of a binding. */
function subjectColumns(subjects: unknown): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const [s] of objectItems(subjects)) {
    if (s.kind === 'ServiceAccount') sas.push(`${asString(s.namespace)}/${asString(s.name)}`);
    else if (s.kind === 'User') users.push(asString(s.name));
    else if (s.kind === 'Group') groups.push(asString(s.name));
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingTable(what: string): Strategy['table'] {
  return {
    columns: [
      nameColumn,
      column(
        'Role',
        'string',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
      ),
      ageColumn,
      column('Users', 'string', `Users in the ${what}`, 1),
      column('Groups', 'string', `Groups in the ${what}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    cells(obj, now) {
      const roleRef = asObject(obj.roleRef) ?? {};
      return [
        obj.metadata.name,
        `${asString(roleRef.kind)}/${asString(roleRef.name)}`,
        objectAge(obj, now),
        ...subjectColumns(obj.subjects),
      ];
    },
  };
}

export const roleStrategy: Strategy = {
  nameRule: 'pathSegment',
  validate: (obj) => validateRules(obj, true),
  table: createdAtTable,
};

export const clusterRoleStrategy: Strategy = {
  nameRule: 'pathSegment',
  validate(obj) {
    const errs = validateRules(obj, false);
    const aggregation = asObject(obj.aggregationRule);
    if (aggregation) {
      const selectors = asArray(aggregation.clusterRoleSelectors);
      if (selectors.length === 0) {
        errs.push(
          required(
            'aggregationRule.clusterRoleSelectors',
            'at least one clusterRoleSelector required if aggregationRule is non-nil',
          ),
        );
      }
      selectors.forEach((sel, i) => {
        errs.push(...validateLabelSelector(sel, indexPath('aggregationRule.clusterRoleSelectors', i)));
      });
    }
    return errs;
  },
  table: createdAtTable,
};

export const roleBindingStrategy: Strategy = {
  nameRule: 'pathSegment',
  applyDefaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: validateRoleRefUpdate,
  table: bindingTable('roleBinding'),
};

export const clusterRoleBindingStrategy: Strategy = {
  nameRule: 'pathSegment',
  applyDefaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: validateRoleRefUpdate,
  table: bindingTable('clusterRoleBinding'),
};
