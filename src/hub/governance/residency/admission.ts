// Residency at admission: a PropagationPolicy or ClusterPropagationPolicy whose placement could
// put resources a ResidencyRule covers on a member the rule does not allow is refused (422,
// naming the placement field and the rule), and so is an OverridePolicy or ClusterOverridePolicy
// whose override rules target such a member for covered resources. "Could" is judged against the
// members registered now and what the policy's resource selectors may select: a selector naming
// one existing object is judged by that object's labels, other selectors by their kind,
// namespace and labels as far as they tell. Members registered later, and resources created
// later, are kept in by the scheduler's residency filter.

import type { AdmissionRequest, ValidatingAdmission } from '../../../apiserver/extensions.js';
import { childPath, indexPath } from '../../../machinery/field-path.js';
import { parseApiVersion } from '../../../machinery/gvk.js';
import type { LabelSelector } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';
import { ARGOCD_GROUP } from '../../apis/argocd/index.js';
import { GOVERNANCE_GROUP, type ResidencyRule, residencyRules } from '../../apis/governance/index.js';
import {
  type Cluster,
  type ClusterAffinity,
  clusterMatches,
  karmadaResources,
  type OverrideSpec,
  type Placement,
  POLICY_GROUP,
  type PropagationSpec,
  type ResourceSelector,
} from '../../apis/karmada/index.js';
import { judgeArgoCD } from './argocd.js';
import { type Judgement, namespaceLabels } from './judgement.js';
import {
  clusterAllowed,
  describeAllowed,
  describeCluster,
  hasNamespaceFilter,
  kindCovered,
  namespaceCovered,
  ruleCovers,
} from './match.js';

export const RESIDENCY_ADMISSION = 'residency.governance.concord.dev';

/** Whether two label selectors surely select nothing in common (conflicting matchLabels or In sets). */
function disjoint(a: LabelSelector | undefined, b: LabelSelector | undefined): boolean {
  if (!a || !b) return false;
  const required = (s: LabelSelector, key: string): string[] | undefined => {
    const fixed = s.matchLabels?.[key];
    if (fixed !== undefined) return [fixed];
    const e = s.matchExpressions?.find((x) => x.key === key && x.operator === 'In');
    return e?.values;
  };
  const keys = new Set([
    ...Object.keys(a.matchLabels ?? {}),
    ...(a.matchExpressions ?? []).map((e) => e.key),
  ]);
  for (const key of keys) {
    const va = required(a, key);
    const vb = required(b, key);
    if (va && vb && !va.some((v) => vb.includes(v))) return true;
  }
  return false;
}

/** Whether resources a policy's selector picks could be covered by the rule. */
async function selectorCouldCover(
  j: Judgement,
  rule: ResidencyRule,
  sel: Partial<ResourceSelector>,
): Promise<boolean> {
  if (sel.kind && !kindCovered(rule, sel.kind)) return false;
  const resource = sel.apiVersion && sel.kind ? j.reader.resourceFor(sel.apiVersion, sel.kind) : undefined;
  const namespace = sel.namespace || j.namespace;
  if (resource && !resource.namespaced) {
    if (hasNamespaceFilter(rule)) return false;
  } else if (namespace) {
    const labels = await namespaceLabels(j, namespace);
    if (!namespaceCovered(rule, namespace, labels)) return false;
  }
  if (sel.name && resource && sel.kind) {
    const { group } = parseApiVersion(sel.apiVersion!);
    const obj = await j.reader.get(
      group,
      resource.resource,
      resource.namespaced ? namespace : undefined,
      sel.name,
    );
    if (obj) {
      const labels = obj.metadata.namespace ? await namespaceLabels(j, obj.metadata.namespace) : undefined;
      return ruleCovers(
        rule,
        { kind: sel.kind, namespace: obj.metadata.namespace, labels: obj.metadata.labels ?? {} },
        labels,
      );
    }
  }
  return !disjoint(rule.spec.resourceSelector?.labelSelector, sel.name ? undefined : sel.labelSelector);
}

/** Rules that may cover something the selectors pick (no selectors: everything in scope). */
async function rulesCovering(
  j: Judgement,
  selectors: ResourceSelector[] | undefined,
): Promise<ResidencyRule[]> {
  const out: ResidencyRule[] = [];
  const list: Partial<ResourceSelector>[] = selectors?.length ? selectors : [{}];
  for (const rule of j.rules) {
    for (const sel of list) {
      if (await selectorCouldCover(j, rule, sel)) {
        out.push(rule);
        break;
      }
    }
  }
  return out;
}

/** Members a set of affinities takes (undefined: every member). */
function membersIn(j: Judgement, affinities: ClusterAffinity[] | undefined): Cluster[] {
  const live = j.clusters.filter((c) => !c.metadata.deletionTimestamp);
  return affinities ? live.filter((c) => affinities.some((a) => clusterMatches(c, a))) : live;
}

function refusal(rule: ResidencyRule, field: string, what: string, outside: Cluster[]): FieldError {
  return {
    type: 'FieldValueForbidden',
    field,
    detail:
      `denied by residency rule "${rule.metadata.name}": ${what} may run only on clusters with ` +
      `${describeAllowed(rule)}, and this selects ${outside.map(describeCluster).join(', ')}`,
  };
}

export function check(
  covering: ResidencyRule[],
  field: string,
  what: string,
  members: Cluster[],
): FieldError[] {
  const errs: FieldError[] = [];
  for (const rule of covering) {
    const outside = members.filter((c) => !clusterAllowed(rule, c));
    if (outside.length > 0) errs.push(refusal(rule, field, what, outside));
  }
  return errs;
}

/** The placement's affinity fields, each with the members it could use. */
function placementTargets(
  placement: Placement | undefined,
): { field: string; affinities?: ClusterAffinity[] }[] {
  if (placement?.clusterAffinity) {
    return [{ field: 'spec.placement.clusterAffinity', affinities: [placement.clusterAffinity] }];
  }
  const terms = placement?.clusterAffinities ?? [];
  if (terms.length === 0) return [{ field: 'spec.placement' }];
  return terms.map((t, i) => ({
    field: indexPath('spec.placement.clusterAffinities', i),
    affinities: [t, ...(t.overflowAffinities ?? [])],
  }));
}

async function judge(req: AdmissionRequest): Promise<FieldError[]> {
  const rules = (await req.reader.list(GOVERNANCE_GROUP, residencyRules.resource)) as ResidencyRule[];
  if (rules.length === 0) return [];
  const j: Judgement = {
    reader: req.reader,
    rules,
    clusters: (await req.reader.list(
      karmadaResources.clusters.group,
      karmadaResources.clusters.resource,
    )) as Cluster[],
    namespaceLabels: new Map(),
    ...(req.namespace ? { namespace: req.namespace } : {}),
  };
  const what = 'the resources it covers';
  if (req.group === ARGOCD_GROUP) return judgeArgoCD(j, req.object, check);
  if (req.kind.endsWith('PropagationPolicy')) {
    const spec = req.object.spec as PropagationSpec | undefined;
    const covering = await rulesCovering(j, spec?.resourceSelectors);
    if (covering.length === 0) return [];
    return placementTargets(spec?.placement).flatMap((t) =>
      check(covering, t.field, what, membersIn(j, t.affinities)),
    );
  }
  const spec = req.object.spec as OverrideSpec | undefined;
  const covering = await rulesCovering(j, spec?.resourceSelectors);
  if (covering.length === 0) return [];
  const errs: FieldError[] = [];
  for (const [i, rule] of (spec?.overrideRules ?? []).entries()) {
    if (!rule.targetCluster) continue;
    const field = childPath(indexPath('spec.overrideRules', i), 'targetCluster');
    errs.push(...check(covering, field, what, membersIn(j, [rule.targetCluster])));
  }
  if (spec?.targetCluster) {
    errs.push(...check(covering, 'spec.targetCluster', what, membersIn(j, [spec.targetCluster])));
  }
  return errs;
}

export const residencyAdmission: ValidatingAdmission = {
  name: RESIDENCY_ADMISSION,
  kinds: [
    ...['PropagationPolicy', 'ClusterPropagationPolicy', 'OverridePolicy', 'ClusterOverridePolicy'].map(
      (k) => `${POLICY_GROUP}/${k}`,
    ),
    `${ARGOCD_GROUP}/Application`,
    `${ARGOCD_GROUP}/ApplicationSet`,
  ],
  validate: judge,
};
