// Server-side rules of ResidencyRule beyond its schema: namespaces are namespace names, label
// selectors parse, and the allowed clusters say something (a rule that names no filter would
// allow every member, which is not a residency rule).

import { dns1123Label, required } from '../../../apiserver/kinds/field-errors.js';
import { asArray, asObject, asString, type Json } from '../../../apiserver/kinds/values.js';
import type { Strategy } from '../../../apiserver/registry/strategy.js';
import { indexPath } from '../../../machinery/field-path.js';
import { validateLabelSelector } from '../../../machinery/labels.js';
import type { FieldError } from '../../../machinery/status.js';
import { GOVERNANCE_GROUP } from './types.js';

const ALLOWED_FILTERS = ['regions', 'countries', 'providers', 'clusterNames', 'labelSelector'];

function validateSpec(spec: Json | undefined): FieldError[] {
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const selector = asObject(spec.resourceSelector);
  for (const [i, ns] of asArray(selector?.namespaces).entries()) {
    errs.push(...dns1123Label(indexPath('spec.resourceSelector.namespaces', i), asString(ns)));
  }
  errs.push(
    ...validateLabelSelector(selector?.namespaceSelector, 'spec.resourceSelector.namespaceSelector'),
    ...validateLabelSelector(selector?.labelSelector, 'spec.resourceSelector.labelSelector'),
  );
  const allowed = asObject(spec.allowedClusters);
  errs.push(...validateLabelSelector(allowed?.labelSelector, 'spec.allowedClusters.labelSelector'));
  const given = ALLOWED_FILTERS.some((f) => {
    const v = allowed?.[f];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
  });
  if (!given) {
    errs.push(required('spec.allowedClusters', `name at least one of ${ALLOWED_FILTERS.join(', ')}`));
  }
  return errs;
}

export const residencyRuleStrategy: Strategy = {
  validate(obj) {
    return validateSpec(asObject(obj.spec));
  },
};

export const governanceStrategies: Record<string, Strategy> = {
  [`${GOVERNANCE_GROUP}/ResidencyRule`]: residencyRuleStrategy,
};
