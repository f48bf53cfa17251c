// The rules Karmada's admission applies to policies beyond their schemas, with Kubernetes field
// paths: placement (affinities, spread constraints, tolerations), failover, resource selectors,
// suspension and override rules. Label selectors are also checked to parse, which Karmada leaves
// to the controllers: a selector that cannot parse would select nothing, silently.

import { duplicate, invalid, notSupported, required } from '../../../../apiserver/kinds/field-errors.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  type Json,
  objectItems,
} from '../../../../apiserver/kinds/values.js';
import { childPath, indexPath } from '../../../../machinery/field-path.js';
import { validateLabelSelector } from '../../../../machinery/labels.js';
import { validateAnnotations, validateLabelName, validateLabels } from '../../../../machinery/names.js';
import type { FieldError } from '../../../../machinery/status.js';
import { CLUSTER_FIELDS } from './types.js';

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** Go's jsonpointer.New: empty, or starting with "/". */
function jsonPointer(value: unknown, field: string): FieldError[] {
  const v = asString(value);
  return v === '' || v.startsWith('/')
    ? []
    : [invalid(field, v, 'JSON pointer must be empty or start with a "/"')];
}

// Cluster affinities ---------------------------------------------------------------------------

function validateFieldSelector(selector: unknown, field: string): FieldError[] {
  for (const [expr] of objectItems(asObject(selector)?.matchExpressions)) {
    const key = asString(expr.key);
    if (!(CLUSTER_FIELDS as readonly string[]).includes(key)) {
      return [invalid(field, selector, `unsupported key "${key}", must be provider, region, or zone`)];
    }
    const operator = asString(expr.operator);
    if (operator !== 'In' && operator !== 'NotIn') {
      return [invalid(field, selector, `unsupported operator "${operator}", must be In or NotIn`)];
    }
  }
  return [];
}

/** A ClusterAffinity (also the inline part of an affinity term). */
export function validateClusterAffinity(affinity: unknown, field: string): FieldError[] {
  const a = asObject(affinity);
  if (!a) return [];
  return [
    ...validateFieldSelector(a.fieldSelector, childPath(field, 'fieldSelector')),
    ...validateLabelSelector(a.labelSelector, childPath(field, 'labelSelector')),
  ];
}

function emptyClusterAffinity(a: Json): boolean {
  return (
    !isSet(a.labelSelector) &&
    !isSet(a.fieldSelector) &&
    asArray(a.clusterNames).length === 0 &&
    asArray(a.exclude).length === 0
  );
}

function validateOverflowAffinities(term: Json, field: string): FieldError[] {
  if (!isSet(term.overflowAffinities)) return [];
  const errs: FieldError[] = [];
  const overflowPath = childPath(field, 'overflowAffinities');
  if (emptyClusterAffinity(term)) {
    errs.push(
      invalid(
        overflowPath,
        term.overflowAffinities,
        'overflowAffinities can only be used together with the inline cluster affinity',
      ),
    );
  }
  const names = new Set([asString(term.affinityName)]);
  for (const [overflow, i] of objectItems(term.overflowAffinities)) {
    const p = indexPath(overflowPath, i);
    const name = asString(overflow.affinityName);
    errs.push(...validateLabelName(name, childPath(p, 'affinityName')));
    if (names.has(name)) {
      errs.push(
        invalid(
          childPath(p, 'affinityName'),
          name,
          "overflow affinity names must be unique and differ from the group's own affinityName",
        ),
      );
    }
    names.add(name);
    errs.push(...validateClusterAffinity(overflow, p));
  }
  return errs;
}

function validateClusterAffinities(terms: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [term, i] of objectItems(terms)) {
    const p = indexPath(field, i);
    const name = asString(term.affinityName);
    errs.push(...validateLabelName(name, childPath(p, 'affinityName')));
    if (names.has(name))
      errs.push({
        ...duplicate(childPath(p, 'affinityName'), name),
        detail: 'each affinity term in a policy must have a unique name',
      });
    names.add(name);
    errs.push(...validateClusterAffinity(term, p));
    errs.push(...validateOverflowAffinities(term, p));
  }
  return errs;
}

/** Overflow groups only make sense when the scheduler fills clusters by capacity. */
function overflowSchedulingAllowed(replicaScheduling: Json | undefined): boolean {
  if (replicaScheduling?.replicaSchedulingType !== 'Divided') return false;
  switch (replicaScheduling.replicaDivisionPreference) {
    case 'Aggregated':
      return true;
    case 'Weighted':
      return asString(asObject(replicaScheduling.weightPreference)?.dynamicWeight) !== '';
    default:
      return false;
  }
}

// Spread constraints ---------------------------------------------------------------------------

function validateSpreadConstraints(constraints: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const byField = new Map<string, boolean>();
  for (const [c, i] of objectItems(constraints)) {
    const p = indexPath(field, i);
    const spreadByField = asString(c.spreadByField);
    const spreadByLabel = asString(c.spreadByLabel);
    const min = asNumber(c.minGroups) ?? 0;
    const max = asNumber(c.maxGroups) ?? 0;
    if (spreadByField !== '' && spreadByLabel !== '') {
      errs.push(invalid(p, c, 'spreadByLabel should not co-exist with spreadByField'));
    }
    if (min < 0) errs.push(invalid(childPath(p, 'minGroups'), min, 'must be greater than or equal to 0'));
    if (max < 0) errs.push(invalid(childPath(p, 'maxGroups'), max, 'must be greater than or equal to 0'));
    if (max > 0 && max < min)
      errs.push(invalid(childPath(p, 'maxGroups'), max, 'must not be lower than minGroups'));
    if (spreadByField !== '') {
      const reported = byField.get(spreadByField);
      if (reported === false) {
        errs.push(
          invalid(field, spreadByField, `multiple ${spreadByField} spread constraints are not allowed`),
        );
        byField.set(spreadByField, true);
      } else if (reported === undefined) {
        byField.set(spreadByField, false);
      }
    }
  }
  // Grouping by region, zone or provider still needs the cluster constraint to say how many clusters.
  if (byField.size > 0 && !byField.has('cluster')) {
    errs.push(
      invalid(
        field,
        [...byField.keys()],
        'the cluster spread constraint must be enabled in one of the constraints in case of spreadByField is enabled',
      ),
    );
  }
  return errs;
}

// Placement ------------------------------------------------------------------------------------

function validateWorkloadAffinity(workloadAffinity: unknown, field: string): FieldError[] {
  const w = asObject(workloadAffinity);
  if (!w) return [];
  const errs: FieldError[] = [];
  const affinity = asObject(w.affinity);
  const anti = asObject(w.antiAffinity);
  if (affinity)
    errs.push(
      ...validateLabelName(
        asString(affinity.groupByLabelKey),
        childPath(field, 'affinity', 'groupByLabelKey'),
      ),
    );
  if (anti)
    errs.push(
      ...validateLabelName(
        asString(anti.groupByLabelKey),
        childPath(field, 'antiAffinity', 'groupByLabelKey'),
      ),
    );
  if (affinity && anti && affinity.groupByLabelKey === anti.groupByLabelKey) {
    errs.push(invalid(field, w, 'affinity and antiAffinity must not use the same groupByLabelKey'));
  }
  return errs;
}

/** Cluster tolerations take the comparison operators of node tolerations away: clusters are not nodes. */
function validateClusterTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [t, i] of objectItems(tolerations)) {
    const op = asString(t.operator);
    if (op === 'Lt' || op === 'Gt')
      errs.push(notSupported(childPath(indexPath(field, i), 'operator'), op, ['', 'Exists', 'Equal']));
  }
  return errs;
}

export function validatePlacement(placement: unknown, field: string): FieldError[] {
  const p = asObject(placement);
  if (!p) return [];
  const errs: FieldError[] = [];
  if (isSet(p.clusterAffinity) && isSet(p.clusterAffinities)) {
    errs.push(invalid(field, p, 'clusterAffinities cannot co-exist with clusterAffinity'));
  }
  const allowOverflow = overflowSchedulingAllowed(asObject(p.replicaScheduling));
  for (const [term, i] of objectItems(p.clusterAffinities)) {
    if (isSet(term.overflowAffinities) && !allowOverflow) {
      errs.push(
        invalid(
          childPath(indexPath(childPath(field, 'clusterAffinities'), i), 'overflowAffinities'),
          term.overflowAffinities,
          'overflowAffinities can only be used together with dynamic weight or aggregated scheduling',
        ),
      );
    }
  }
  errs.push(...validateClusterAffinity(p.clusterAffinity, childPath(field, 'clusterAffinity')));
  errs.push(...validateClusterAffinities(p.clusterAffinities, childPath(field, 'clusterAffinities')));
  errs.push(...validateSpreadConstraints(p.spreadConstraints, childPath(field, 'spreadConstraints')));
  errs.push(...validateWorkloadAffinity(p.workloadAffinity, childPath(field, 'workloadAffinity')));
  errs.push(...validateClusterTolerations(p.clusterTolerations, childPath(field, 'clusterTolerations')));
  const weights = childPath(field, 'replicaScheduling', 'weightPreference', 'staticWeightList');
  for (const [w, i] of objectItems(
    asObject(asObject(p.replicaScheduling)?.weightPreference)?.staticWeightList,
  )) {
    errs.push(
      ...validateLabelSelector(
        asObject(w.targetCluster)?.labelSelector,
        childPath(indexPath(weights, i), 'targetCluster', 'labelSelector'),
      ),
    );
  }
  return errs;
}

// Failover ---------------------------------------------------------------------------------------

function validateStatePreservation(sp: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [rule, i] of objectItems(asObject(sp)?.rules)) {
    errs.push(
      ...validateLabelName(
        asString(rule.aliasLabelName),
        childPath(indexPath(childPath(field, 'rules'), i), 'aliasLabelName'),
      ),
    );
  }
  return errs;
}

export function validateFailover(failover: unknown, field: string): FieldError[] {
  const f = asObject(failover);
  if (!f) return [];
  const errs: FieldError[] = [];
  const app = asObject(f.application);
  if (app) {
    const p = childPath(field, 'application');
    const toleration = asNumber(asObject(app.decisionConditions)?.tolerationSeconds);
    if (toleration !== undefined && toleration < 0) {
      errs.push(
        invalid(
          childPath(p, 'decisionConditions', 'tolerationSeconds'),
          toleration,
          'must be greater than or equal to 0',
        ),
      );
    }
    const grace = app.gracePeriodSeconds;
    const gracePath = childPath(p, 'gracePeriodSeconds');
    if (app.purgeMode !== 'Gracefully' && isSet(grace)) {
      errs.push(invalid(gracePath, grace, 'only takes effect when purgeMode is Gracefully'));
    }
    if (app.purgeMode === 'Gracefully' && !isSet(grace))
      errs.push(required(gracePath, 'must be set when purgeMode is Gracefully'));
    const g = asNumber(grace);
    if (g !== undefined && g <= 0) errs.push(invalid(gracePath, g, 'must be greater than 0'));
    errs.push(...validateStatePreservation(app.statePreservation, childPath(p, 'statePreservation')));
  }
  const cluster = asObject(f.cluster);
  if (cluster)
    errs.push(
      ...validateStatePreservation(
        cluster.statePreservation,
        childPath(field, 'cluster', 'statePreservation'),
      ),
    );
  return errs;
}

// Resource selectors ----------------------------------------------------------------------------

/** Selectors of a namespaced policy stay in its namespace; every selector's labels must parse. */
export function validateResourceSelectors(
  selectors: unknown,
  policyNamespace: string | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [s, i] of objectItems(selectors)) {
    const p = indexPath(field, i);
    if (policyNamespace && s.namespace !== policyNamespace) {
      errs.push(
        invalid(
          childPath(p, 'namespace'),
          s.namespace ?? '',
          'namespace of resource selector must be the same as the namespace of the policy',
        ),
      );
    }
    errs.push(...validateLabelSelector(s.labelSelector, childPath(p, 'labelSelector')));
  }
  return errs;
}

// Specs ------------------------------------------------------------------------------------------

export function validatePropagationSpec(spec: Json, policyNamespace: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validatePlacement(spec.placement, 'spec.placement'));
  if (isSet(asObject(spec.failover)?.application) && spec.propagateDeps !== true) {
    errs.push(
      invalid(
        'spec.propagateDeps',
        spec.propagateDeps ?? false,
        'application failover is set, propagateDeps must be true',
      ),
    );
  }
  errs.push(...validateFailover(spec.failover, 'spec.failover'));
  errs.push(...validateResourceSelectors(spec.resourceSelectors, policyNamespace, 'spec.resourceSelectors'));
  if (spec.preemption === 'Always') {
    for (const [s, i] of objectItems(spec.resourceSelectors)) {
      if (asString(s.name) === '') {
        errs.push(
          invalid(
            childPath(indexPath('spec.resourceSelectors', i), 'name'),
            '',
            'name cannot be empty if preemption is Always, the empty name may cause unexpected resources preemption',
          ),
        );
      }
    }
  }
  const suspension = asObject(spec.suspension);
  if (
    suspension?.dispatching === true &&
    asArray(asObject(suspension.dispatchingOnClusters)?.clusterNames).length > 0
  ) {
    errs.push(
      invalid(
        'spec.suspension',
        suspension,
        'suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames',
      ),
    );
  }
  return errs;
}

function overridersSet(overriders: unknown): boolean {
  const o = asObject(overriders);
  if (!o) return false;
  return Object.values(o).some((list) => asArray(list).length > 0);
}

function validatePatchOperations(patches: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [op, i] of objectItems(patches)) {
    const p = indexPath(field, i);
    errs.push(...jsonPointer(op.subPath, childPath(p, 'subPath')));
    const hasValue = op.value !== undefined;
    if ((op.operator === 'add' || op.operator === 'replace') && !hasValue) {
      errs.push(required(childPath(p, 'value'), 'value is required for add or replace operation'));
    }
    if (op.operator === 'remove' && hasValue) {
      errs.push(invalid(childPath(p, 'value'), op.value, 'value is not allowed for remove operation'));
    }
  }
  return errs;
}

function validateOverrideRules(rules: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [rule, i] of objectItems(rules)) {
    const rp = indexPath(field, i);
    const overriders = asObject(rule.overriders) ?? {};
    const op = childPath(rp, 'overriders');
    for (const [a, j] of objectItems(overriders.annotationsOverrider)) {
      errs.push(
        ...validateAnnotations(
          asObject(a.value) as Record<string, string> | undefined,
          childPath(indexPath(childPath(op, 'annotationsOverrider'), j), 'value'),
        ),
      );
    }
    for (const [l, j] of objectItems(overriders.labelsOverrider)) {
      errs.push(
        ...validateLabels(
          asObject(l.value) as Record<string, string> | undefined,
          childPath(indexPath(childPath(op, 'labelsOverrider'), j), 'value'),
        ),
      );
    }
    for (const [image, j] of objectItems(overriders.imageOverrider)) {
      const predicate = asObject(image.predicate);
      if (predicate)
        errs.push(
          ...jsonPointer(
            predicate.path,
            childPath(indexPath(childPath(op, 'imageOverrider'), j), 'predicate', 'path'),
          ),
        );
    }
    for (const [fo, j] of objectItems(overriders.fieldOverrider)) {
      const fp = indexPath(childPath(op, 'fieldOverrider'), j);
      const yaml = asArray(fo.yaml);
      const json = asArray(fo.json);
      if (yaml.length > 0 && json.length > 0)
        errs.push(invalid(fp, fo, 'only one of json and yaml may be set'));
      if (yaml.length === 0 && json.length === 0) errs.push(required(fp, 'one of json or yaml must be set'));
      errs.push(...jsonPointer(fo.fieldPath, childPath(fp, 'fieldPath')));
      errs.push(...validatePatchOperations(fo.json, childPath(fp, 'json')));
      errs.push(...validatePatchOperations(fo.yaml, childPath(fp, 'yaml')));
    }
    errs.push(...validateClusterAffinity(rule.targetCluster, childPath(rp, 'targetCluster')));
  }
  return errs;
}

export function validateOverrideSpec(spec: Json, policyNamespace: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(spec.targetCluster)) {
    errs.push(...validateClusterAffinity(spec.targetCluster, 'spec.targetCluster'));
    if (isSet(spec.overrideRules))
      errs.push(
        invalid('spec.targetCluster', spec.targetCluster, 'overrideRules and targetCluster cannot co-exist'),
      );
  }
  if (overridersSet(spec.overriders) && isSet(spec.overrideRules)) {
    errs.push(invalid('spec.overriders', spec.overriders, 'overrideRules and overriders cannot co-exist'));
  }
  errs.push(...validateOverrideRules(spec.overrideRules, 'spec.overrideRules'));
  errs.push(...validateResourceSelectors(spec.resourceSelectors, policyNamespace, 'spec.resourceSelectors'));
  return errs;
}
