// Which propagation policy claims a resource template, and the binding it makes of it — pure
// functions of the template and the policies (Karmada's detector):
// - a PropagationPolicy in the template's namespace comes before any ClusterPropagationPolicy;
// - among matching policies of one kind: the highest spec.priority, then the closest match (by
//   name, by label selector, by kind alone), then the first name alphabetically;
// - a template stays with the policy that claimed it, unless a policy with `preemption: Always`
//   outranks it: a PropagationPolicy of higher priority, any PropagationPolicy over a
//   ClusterPropagationPolicy, or a ClusterPropagationPolicy of higher priority.

import type { KubeObject, OwnerReference } from '../../../machinery/object.js';
import {
  BINDING_API_VERSION,
  BINDING_CONTROLLER_FINALIZER,
  bindingName,
  CLUSTER_PROPAGATION_POLICY_ANNOTATION,
  CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER,
  type ClusterPropagationPolicy,
  PROPAGATION_POLICY_NAME_ANNOTATION,
  PROPAGATION_POLICY_NAMESPACE_ANNOTATION,
  PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  type PropagationPolicy,
  type ResourceBindingSpec,
} from '../../apis/karmada/index.js';
import { ImplicitPriority, selectorsPriority } from '../match/resource-selector.js';
import { REBALANCE_ANNOTATION } from '../scheduler/decision.js';
import type { AnyBinding } from '../util.js';
import { interpretReplicas } from '../workload.js';

export type PolicyKind = 'PropagationPolicy' | 'ClusterPropagationPolicy';

export interface AnyPolicy {
  kind: PolicyKind;
  policy: PropagationPolicy | ClusterPropagationPolicy;
}

const explicitPriority = (p: AnyPolicy) => p.policy.spec.priority ?? 0;
const policyName = (p: AnyPolicy) => p.policy.metadata.name ?? '';

export function permanentId(p: AnyPolicy): string {
  const label =
    p.kind === 'PropagationPolicy'
      ? PROPAGATION_POLICY_PERMANENT_ID_LABEL
      : CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL;
  return p.policy.metadata.labels?.[label] ?? '';
}

/** The policy among these (of one kind) that claims the template, or undefined. */
export function highestPriorityPolicy(
  template: KubeObject,
  policies: readonly AnyPolicy[],
): AnyPolicy | undefined {
  let best: AnyPolicy | undefined;
  let bestImplicit: ImplicitPriority = ImplicitPriority.MisMatch;
  for (const p of policies) {
    if (p.policy.metadata.deletionTimestamp) continue;
    const implicit = selectorsPriority(template, p.policy.spec.resourceSelectors);
    if (implicit === ImplicitPriority.MisMatch) continue;
    if (
      !best ||
      explicitPriority(p) > explicitPriority(best) ||
      (explicitPriority(p) === explicitPriority(best) &&
        (implicit > bestImplicit || (implicit === bestImplicit && policyName(p) < policyName(best))))
    ) {
      best = p;
      bestImplicit = implicit;
    }
  }
  return best;
}

/** Whether `candidate` takes a template away from `claimer` (policy preemption). */
export function preempts(candidate: AnyPolicy, claimer: AnyPolicy): boolean {
  if (candidate.policy.spec.preemption !== 'Always') return false;
  if (candidate.policy.metadata.uid === claimer.policy.metadata.uid) return false;
  if (candidate.kind === 'PropagationPolicy' && claimer.kind === 'ClusterPropagationPolicy') return true;
  if (candidate.kind !== claimer.kind) return false;
  return explicitPriority(candidate) > explicitPriority(claimer);
}

/** The policy a template names as its claimer: kind, namespace, name and permanent id. */
export interface Claim {
  kind: PolicyKind;
  namespace?: string;
  name: string;
  id: string;
}

export function claimOf(obj: KubeObject): Claim | undefined {
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  const ppId = labels[PROPAGATION_POLICY_PERMANENT_ID_LABEL];
  const ppNs = annotations[PROPAGATION_POLICY_NAMESPACE_ANNOTATION];
  const ppName = annotations[PROPAGATION_POLICY_NAME_ANNOTATION];
  if (ppId && ppNs && ppName) return { kind: 'PropagationPolicy', namespace: ppNs, name: ppName, id: ppId };
  const cppId = labels[CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL];
  const cppName = annotations[CLUSTER_PROPAGATION_POLICY_ANNOTATION];
  if (cppId && cppName) return { kind: 'ClusterPropagationPolicy', name: cppName, id: cppId };
  return undefined;
}

const CLAIM_LABELS = [PROPAGATION_POLICY_PERMANENT_ID_LABEL, CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL];
const CLAIM_ANNOTATIONS = [
  PROPAGATION_POLICY_NAMESPACE_ANNOTATION,
  PROPAGATION_POLICY_NAME_ANNOTATION,
  CLUSTER_PROPAGATION_POLICY_ANNOTATION,
];

/** The claim labels and annotations of a policy (null values remove the others, as a merge patch). */
export function claimMetadata(p: AnyPolicy | undefined): {
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
} {
  const labels: Record<string, string | null> = Object.fromEntries(CLAIM_LABELS.map((k) => [k, null]));
  const annotations: Record<string, string | null> = Object.fromEntries(
    CLAIM_ANNOTATIONS.map((k) => [k, null]),
  );
  if (p?.kind === 'PropagationPolicy') {
    labels[PROPAGATION_POLICY_PERMANENT_ID_LABEL] = permanentId(p);
    annotations[PROPAGATION_POLICY_NAMESPACE_ANNOTATION] = p.policy.metadata.namespace ?? '';
    annotations[PROPAGATION_POLICY_NAME_ANNOTATION] = p.policy.metadata.name ?? '';
  } else if (p) {
    labels[CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL] = permanentId(p);
    annotations[CLUSTER_PROPAGATION_POLICY_ANNOTATION] = p.policy.metadata.name ?? '';
  }
  return { labels, annotations };
}

/** Whether the object carries exactly this claim metadata already. */
export function hasClaimMetadata(obj: KubeObject, p: AnyPolicy | undefined): boolean {
  const want = claimMetadata(p);
  const same = (have: Record<string, string> | undefined, w: Record<string, string | null>) =>
    Object.entries(w).every(([k, v]) => (have?.[k] ?? null) === v);
  return same(obj.metadata.labels, want.labels) && same(obj.metadata.annotations, want.annotations);
}

/** Applies (or, for undefined, removes) claim metadata on a copy of the object's metadata. */
export function withClaimMetadata<T extends KubeObject>(obj: T, p: AnyPolicy | undefined): T {
  const want = claimMetadata(p);
  const apply = (have: Record<string, string> | undefined, w: Record<string, string | null>) => {
    const out = { ...(have ?? {}) };
    for (const [k, v] of Object.entries(w)) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  };
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: apply(obj.metadata.labels, want.labels),
      annotations: apply(obj.metadata.annotations, want.annotations),
    },
  };
}

/** The binding the detector wants for a template claimed by a policy (a ClusterResourceBinding for cluster-scoped templates). */
export function desiredBinding(template: KubeObject, p: AnyPolicy): AnyBinding {
  const spec = p.policy.spec;
  const namespaced = !!template.metadata.namespace;
  const owner: OwnerReference = {
    apiVersion: template.apiVersion,
    kind: template.kind,
    name: template.metadata.name ?? '',
    uid: template.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  const { replicas, requirements } = interpretReplicas(template);
  const bindingSpec: ResourceBindingSpec = {
    resource: {
      apiVersion: template.apiVersion,
      kind: template.kind,
      ...(namespaced ? { namespace: template.metadata.namespace } : {}),
      name: template.metadata.name ?? '',
      ...(template.metadata.uid ? { uid: template.metadata.uid } : {}),
      ...(template.metadata.resourceVersion ? { resourceVersion: template.metadata.resourceVersion } : {}),
    },
    placement: spec.placement ?? {},
    ...(replicas > 0 ? { replicas } : {}),
    ...(requirements ? { replicaRequirements: requirements } : {}),
    ...(spec.propagateDeps || spec.association ? { propagateDeps: true } : {}),
    ...(spec.schedulerName ? { schedulerName: spec.schedulerName } : {}),
    ...(spec.failover ? { failover: spec.failover } : {}),
    ...(spec.conflictResolution ? { conflictResolution: spec.conflictResolution } : {}),
    ...(spec.preserveResourcesOnDeletion !== undefined
      ? { preserveResourcesOnDeletion: spec.preserveResourcesOnDeletion }
      : {}),
    ...(spec.suspension ? { suspension: { ...spec.suspension } } : {}),
  };
  const claimed = withClaimMetadata(
    {
      apiVersion: BINDING_API_VERSION,
      kind: namespaced ? 'ResourceBinding' : 'ClusterResourceBinding',
      metadata: {
        name: bindingName(template.kind, template.metadata.name ?? ''),
        ...(namespaced ? { namespace: template.metadata.namespace } : {}),
        ownerReferences: [owner],
        finalizers: [
          namespaced ? BINDING_CONTROLLER_FINALIZER : CLUSTER_RESOURCE_BINDING_CONTROLLER_FINALIZER,
        ],
      },
      spec: bindingSpec,
    } as AnyBinding,
    p,
  );
  const rebalance = p.policy.metadata.annotations?.[REBALANCE_ANNOTATION];
  if (rebalance !== undefined)
    claimed.metadata.annotations = { ...claimed.metadata.annotations, [REBALANCE_ANNOTATION]: rebalance };
  return claimed;
}

/** Spec fields the detector owns; the scheduler, failover and dependencies own the rest. */
const DETECTOR_SPEC_FIELDS = [
  'resource',
  'placement',
  'replicas',
  'replicaRequirements',
  'components',
  'propagateDeps',
  'schedulerName',
  'failover',
  'conflictResolution',
  'preserveResourcesOnDeletion',
] as const;

/**
 * The existing binding brought in line with the desired one (labels, annotations and finalizers
 * merged, owner references and the detector's spec fields replaced), or undefined when it already is.
 */
export function mergeBinding(existing: AnyBinding, desired: AnyBinding): AnyBinding | undefined {
  const spec: Record<string, unknown> = { ...existing.spec };
  for (const f of DETECTOR_SPEC_FIELDS) {
    const v = (desired.spec as unknown as Record<string, unknown>)[f];
    if (v === undefined) delete spec[f];
    else spec[f] = v;
  }
  // The policy's suspension replaces the binding's, keeping what others set (scheduling).
  const policySuspension = desired.spec.suspension;
  const scheduling = existing.spec.suspension?.scheduling;
  if (policySuspension || scheduling !== undefined) {
    spec.suspension = { ...(policySuspension ?? {}), ...(scheduling !== undefined ? { scheduling } : {}) };
  } else delete spec.suspension;
  const rebalance = desired.metadata.annotations?.[REBALANCE_ANNOTATION];
  const annotations = { ...(existing.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) };
  if (rebalance === undefined) delete annotations[REBALANCE_ANNOTATION];
  const merged = withClaimMetadata(
    {
      ...existing,
      metadata: {
        ...existing.metadata,
        labels: { ...(existing.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
        annotations,
        finalizers: [
          ...new Set([...(existing.metadata.finalizers ?? []), ...(desired.metadata.finalizers ?? [])]),
        ],
        ownerReferences: desired.metadata.ownerReferences,
      },
      spec: spec as unknown as ResourceBindingSpec,
    },
    claimFromBinding(desired),
  );
  return JSON.stringify(merged) === JSON.stringify(existing) ? undefined : merged;
}

/** A stand-in policy carrying a binding's claim, for withClaimMetadata. */
function claimFromBinding(b: AnyBinding): AnyPolicy | undefined {
  const claim = claimOf(b);
  if (!claim) return undefined;
  const label =
    claim.kind === 'PropagationPolicy'
      ? PROPAGATION_POLICY_PERMANENT_ID_LABEL
      : CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL;
  const labels: Record<string, string> = { [label]: claim.id };
  return {
    kind: claim.kind,
    policy: {
      apiVersion: '',
      kind: claim.kind,
      metadata: { name: claim.name, ...(claim.namespace ? { namespace: claim.namespace } : {}), labels },
      spec: { resourceSelectors: [] },
    },
  };
}
