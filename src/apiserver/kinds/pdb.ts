// PodDisruptionBudgets (policy/v1): either minAvailable or maxUnavailable, each an int or a
// percentage up to 100%, a valid selector, and the MIN AVAILABLE / MAX UNAVAILABLE / ALLOWED
// DISRUPTIONS table.

import { validateLabelSelector } from '../../machinery/labels.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import {
  invalid,
  nonNegative,
  notMoreThan100Percent,
  notSupported,
  positiveIntOrPercent,
} from './field-errors.js';
import { asNumber, asObject, intOrStringText, path } from './values.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

function set(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function validatePdbSpec(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const key of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[key])) continue;
    errs.push(
      ...positiveIntOrPercent(`spec.${key}`, spec[key]),
      ...notMoreThan100Percent(`spec.${key}`, spec[key]),
    );
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (set(policy) && !EVICTION_POLICIES.includes(String(policy))) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  }
  return errs;
}

export const podDisruptionBudgetStrategy: Strategy = {
  validate: (obj) => validatePdbSpec(asObject(obj.spec) ?? {}),
  validateUpdate(obj, old) {
    const status = asObject(obj.status) ?? {};
    if (JSON.stringify(obj.status) === JSON.stringify(old.status)) return [];
    const errs: FieldError[] = [];
    for (const key of [
      'disruptionsAllowed',
      'currentHealthy',
      'desiredHealthy',
      'expectedPods',
      'observedGeneration',
    ]) {
      errs.push(...nonNegative(`status.${key}`, status[key]));
    }
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      column('Min Available', 'string', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      column(
        'Allowed Disruptions',
        'integer',
        'Calculated number of pods that may be disrupted at this time.',
      ),
      ageColumn,
    ],
    cells(obj, now) {
      const spec = asObject(obj.spec) ?? {};
      return [
        obj.metadata.name,
        set(spec.minAvailable) ? intOrStringText(spec.minAvailable) : 'N/A',
        set(spec.maxUnavailable) ? intOrStringText(spec.maxUnavailable) : 'N/A',
        asNumber(path(obj, 'status', 'disruptionsAllowed')) ?? 0,
        objectAge(obj, now),
      ];
    },
  },
};
