// What the controllers of pods (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs) share:
// a selector that must be set, valid and non-empty, and must match the pod template's labels.

import { childPath } from '../../machinery/field-path.js';
import { fromLabelSelector, type Selector, validateLabelSelector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import { forbidden, invalid, nonNegative, notSupported, required } from './field-errors.js';
import { validatePodTemplateSpec } from './podspec-validation.js';
import { asArray, asObject, asStringMap, type Json, path, semanticEqual } from './values.js';

/** The template's labels, as a selector sees them. */
export function templateLabels(template: unknown): Record<string, string> {
  return asStringMap(path(template, 'metadata', 'labels'));
}

/** metav1.LabelSelectorAsSelector; undefined when the selector is malformed. */
export function asSelector(selector: unknown): Selector | undefined {
  try {
    return fromLabelSelector((asObject(selector) ?? null) as LabelSelector | null);
  } catch {
    return undefined;
  }
}

/**
 * The checks of spec.selector: required, valid, and not empty (an empty selector would adopt
 * every pod of the namespace). `kindWord` is how the message names the kind.
 */
export function validateSelector(spec: Json, kindWord: string, field = 'spec.selector'): FieldError[] {
  const errs: FieldError[] = [];
  const selector = spec.selector;
  if (selector === undefined || selector === null) return [required(field)];
  errs.push(...validateLabelSelector(selector, field));
  const sel = asObject(selector);
  if (
    sel &&
    Object.keys(asObject(sel.matchLabels) ?? {}).length + asArray(sel.matchExpressions).length === 0
  ) {
    errs.push(invalid(field, selector, `empty selector is invalid for ${kindWord}`));
  }
  return errs;
}

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** The selector must select the pods the template makes. */
export function selectorMatchesTemplate(
  selector: Selector,
  template: unknown,
  templatePath: string,
): FieldError[] {
  if (selector.empty()) return [];
  const labels = templateLabels(template);
  return selector.matches(labels)
    ? []
    : [invalid(childPath(templatePath, 'metadata', 'labels'), labels, SELECTOR_MISMATCH)];
}

/** ValidatePodTemplateSpecForReplicaSet: also used by Deployments. */
export function validateReplicaSetTemplate(
  template: unknown,
  selector: Selector,
  templatePath: string,
  kind: string,
): FieldError[] {
  const errs = selectorMatchesTemplate(selector, template, templatePath);
  errs.push(...validatePodTemplateSpec(template, templatePath));
  const spec = asObject(asObject(template)?.spec) ?? {};
  if (spec.restartPolicy !== 'Always') {
    errs.push(
      notSupported(childPath(templatePath, 'spec', 'restartPolicy'), spec.restartPolicy ?? '', ['Always']),
    );
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        childPath(templatePath, 'spec', 'activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errs;
}

/** Status counters are never negative, and never claim more pods than there are. */
export function validateReplicaCounts(status: unknown, counters: string[], bounded: string[]): FieldError[] {
  const s = asObject(status) ?? {};
  const errs: FieldError[] = [];
  for (const c of counters) errs.push(...nonNegative(childPath('status', c), s[c]));
  const replicas = typeof s.replicas === 'number' ? s.replicas : 0;
  for (const c of bounded) {
    if (typeof s[c] === 'number' && (s[c] as number) > replicas) {
      errs.push(invalid(childPath('status', c), s[c], 'cannot be greater than status.replicas'));
    }
  }
  return errs;
}

/** Status is only validated when a write changes it (the status subresource). */
export function statusChanged(obj: KubeObject, old: KubeObject): boolean {
  return !semanticEqual(obj.status, old.status);
}
