// Server-side behaviour of Gslb, as k8gb's controller applies it before anything else: a TTL of 0
// or none becomes 30 seconds in the spec, and a strategy k8gb would refuse is refused at once
// with the field named (k8gb only logs it).

import { invalid, notSupported, required } from '../../../apiserver/kinds/field-errors.js';
import type { Strategy } from '../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';
import { DEFAULT_DNS_TTL_SECONDS, GSLB_STRATEGIES, type Gslb, STRATEGY_FAILOVER } from './types.js';

const GEO_TAG = /^[a-zA-Z\-\d]+$/;

export function validateGslb(obj: KubeObject): FieldError[] {
  const spec = (obj as Gslb).spec;
  const errs: FieldError[] = [];
  const s = spec?.strategy;
  if (!s) return [required('spec.strategy')];
  if (!(GSLB_STRATEGIES as readonly string[]).includes(s.type)) {
    errs.push(notSupported('spec.strategy.type', s.type, GSLB_STRATEGIES));
  }
  if (s.dnsTtlSeconds !== undefined && s.dnsTtlSeconds < 0) {
    errs.push(invalid('spec.strategy.dnsTtlSeconds', s.dnsTtlSeconds, 'must be greater than or equal to 0'));
  }
  if (s.type === STRATEGY_FAILOVER && !s.primaryGeoTag) {
    errs.push(required('spec.strategy.primaryGeoTag', 'the failover strategy needs the primary region'));
  }
  if (s.primaryGeoTag && !GEO_TAG.test(s.primaryGeoTag)) {
    errs.push(invalid('spec.strategy.primaryGeoTag', s.primaryGeoTag, 'must be letters, digits and dashes'));
  }
  for (const [tag, w] of Object.entries(s.weight ?? {})) {
    if (!GEO_TAG.test(tag)) errs.push(invalid(`spec.strategy.weight[${tag}]`, tag, 'must be a region tag'));
    if (!Number.isInteger(w) || w < 0) {
      errs.push(invalid(`spec.strategy.weight[${tag}]`, w, 'must be a whole number >= 0'));
    }
  }
  const rules = spec.ingress?.rules ?? [];
  const ref = spec.resourceRef;
  const hasRef = ref !== undefined && Object.keys(ref).length > 0;
  if (rules.length === 0 && !hasRef) {
    errs.push(
      required('spec.ingress', 'name the hosts in spec.ingress.rules or an Ingress in spec.resourceRef'),
    );
  }
  if (hasRef && !ref.name && !ref.matchLabels && !ref.matchExpressions) {
    errs.push(required('spec.resourceRef.name', 'or matchLabels / matchExpressions'));
  }
  return errs;
}

export const gslbStrategy: Strategy = {
  applyDefaults(obj) {
    const strategy = (obj as Gslb).spec?.strategy;
    if (strategy && !strategy.dnsTtlSeconds) strategy.dnsTtlSeconds = DEFAULT_DNS_TTL_SECONDS;
  },
  validate: validateGslb,
};
