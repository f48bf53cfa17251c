// What Cluster API's webhooks do for ClusterResourceSet (strategy ApplyOnce by default; a
// non-empty selector; strategy and selector fixed once set) and ClusterResourceSetBinding
// (its cluster fixed once set).

import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import {
  asString,
  ensureSpec,
  immutable,
  invalid,
  isEmptySelector,
  specOf,
  validateSelector,
} from '../validation.js';
import { ADDONS_GROUP, ClusterResourceSetStrategy } from './constants.js';

export const clusterResourceSetStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = ensureSpec(obj);
    if (spec.strategy === undefined || spec.strategy === '')
      spec.strategy = ClusterResourceSetStrategy.ApplyOnce;
  },
  validate(obj) {
    const selector = specOf(obj).clusterSelector;
    const errs = validateSelector('spec.clusterSelector', selector);
    // An empty selector would select every Cluster of the namespace.
    if (errs.length === 0 && isEmptySelector(selector)) {
      errs.push(invalid('spec.clusterSelector', selector, 'selector must not be empty'));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    const errs = immutable('spec.clusterSelector', spec.clusterSelector, oldSpec.clusterSelector);
    if (asString(oldSpec.strategy) !== '' && spec.strategy !== oldSpec.strategy) {
      errs.push(invalid('spec.strategy', spec.strategy ?? '', 'field is immutable'));
    }
    return errs;
  },
};

export const clusterResourceSetBindingStrategy: Strategy = {
  validateUpdate(obj, old) {
    const next = specOf(obj).clusterName;
    const prev = specOf(old).clusterName;
    return asString(prev) !== '' && next !== prev
      ? [invalid('spec.clusterName', next ?? '', 'field is immutable')]
      : [];
  },
};

export const addonsStrategies: Record<string, Strategy> = {
  [`${ADDONS_GROUP}/ClusterResourceSet`]: clusterResourceSetStrategy,
  [`${ADDONS_GROUP}/ClusterResourceSetBinding`]: clusterResourceSetBindingStrategy,
};
