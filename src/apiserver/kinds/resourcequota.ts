// ResourceQuotas (v1): hard limits named by resource (quantities of zero or more), scopes and a
// scope selector that Kubernetes accepts, scoped quotas limiting only what pods use, and the
// NAME / AGE / REQUEST / LIMIT table ("pods: 1/2"). Usage is counted by the quota controller and
// enforced by the quota admission check (admission/quota.ts).

import { Quantity } from '../../machinery/quantity.js';
import { isPodComputeResource, QUOTA_SCOPES } from '../../machinery/quota.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { invalid, notSupported, qualifiedName, required } from './field-errors.js';
import { asArray, asObject, asString, objectItems } from './values.js';

const SCOPE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function validateResourceList(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(asObject(list) ?? {})) {
    const at = `${field}[${name}]`;
    errs.push(...qualifiedName(at, name));
    const q = Quantity.tryParse(value);
    if (!q) errs.push(invalid(at, value, 'quantities must match the regular expression'));
    else if (q.sign() < 0) errs.push(invalid(at, value, 'must be greater than or equal to 0'));
  }
  return errs;
}

function validateSpec(spec: Record<string, unknown>): FieldError[] {
  const errs = validateResourceList(spec.hard, 'spec.hard');
  const scopes: string[] = [];
  asArray(spec.scopes).forEach((s, i) => {
    const scope = asString(s);
    if (!(QUOTA_SCOPES as readonly string[]).includes(scope)) {
      errs.push(notSupported(`spec.scopes[${i}]`, s, QUOTA_SCOPES));
    }
    scopes.push(scope);
  });
  for (const [e, i] of objectItems(asObject(spec.scopeSelector)?.matchExpressions)) {
    const at = `spec.scopeSelector.matchExpressions[${i}]`;
    const scope = asString(e.scopeName);
    if (!(QUOTA_SCOPES as readonly string[]).includes(scope)) {
      errs.push(notSupported(`${at}.scopeName`, e.scopeName, QUOTA_SCOPES));
    }
    const op = asString(e.operator);
    if (!SCOPE_OPERATORS.includes(op)) errs.push(notSupported(`${at}.operator`, e.operator, SCOPE_OPERATORS));
    const values = asArray(e.values);
    if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      errs.push(
        required(
          `${at}.values`,
          "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
        ),
      );
    }
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      errs.push(
        invalid(
          `${at}.values`,
          e.values,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
    if (scope !== 'PriorityClass' && op !== 'Exists' && op !== 'DoesNotExist') {
      errs.push(
        invalid(
          `${at}.operator`,
          e.operator,
          `must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`,
        ),
      );
    }
    scopes.push(scope);
  }
  const has = (a: string, b: string) => scopes.includes(a) && scopes.includes(b);
  if (has('Terminating', 'NotTerminating') || has('BestEffort', 'NotBestEffort')) {
    errs.push(invalid('spec.scopes', spec.scopes, 'conflicting scopes'));
  }
  if (scopes.length > 0) {
    for (const name of Object.keys(asObject(spec.hard) ?? {})) {
      const podsOnly = scopes.includes('BestEffort') && name !== 'pods' && name !== 'count/pods';
      if (!isPodComputeResource(name) || podsOnly) {
        errs.push(invalid(`spec.hard[${name}]`, name, 'unsupported scope applied to resource'));
      }
    }
  }
  return errs;
}

/** "pods: 1/2, requests.cpu: 500m/1": used/hard per resource, sorted by name, as kubectl prints. */
function usageText(obj: Record<string, unknown>, limits: boolean): string {
  const hard = asObject(asObject(obj.status)?.hard) ?? {};
  const used = asObject(asObject(obj.status)?.used) ?? {};
  return Object.keys(hard)
    .filter((k) => k.startsWith('limit') === limits)
    .sort()
    .map((k) => `${k}: ${asString(used[k]) || '0'}/${asString(hard[k])}`)
    .join(', ');
}

export const resourceQuotaStrategy: Strategy = {
  validate: (obj) => validateSpec(asObject(obj.spec) ?? {}),
  validateUpdate(obj) {
    const status = asObject(obj.status) ?? {};
    return [
      ...validateResourceList(status.hard, 'status.hard'),
      ...validateResourceList(status.used, 'status.used'),
    ];
  },
  table: {
    columns: [
      nameColumn,
      ageColumn,
      column(
        'Request',
        'string',
        'Request represents a minimum amount of cpu/memory that a container may consume.',
      ),
      column(
        'Limit',
        'string',
        'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
      ),
    ],
    cells(obj, now) {
      return [obj.metadata.name, objectAge(obj, now), usageText(obj, false), usageText(obj, true)];
    },
  },
};
