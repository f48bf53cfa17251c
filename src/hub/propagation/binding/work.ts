// What the binding controller writes for one member: a Work in karmada-es-<member> whose single
// manifest is the resource template as that member gets it (Karmada's ensureWork and
// CreateOrUpdateWork): the member's share of the replicas (and of a divided Job's completions),
// the overrides, and the labels and annotations that tie the manifest to its binding and Work.

import { cloneJson } from '../../../machinery/json.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  APPLIED_CLUSTER_OVERRIDES_ANNOTATION,
  APPLIED_OVERRIDES_ANNOTATION,
  CLUSTER_RESOURCE_BINDING_ANNOTATION,
  CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL,
  type Cluster,
  CONFLICT_RESOLUTION_ANNOTATION,
  EXECUTION_CONTROLLER_FINALIZER,
  executionSpaceName,
  MANAGED_BY_KARMADA_LABEL,
  RESOURCE_BINDING_NAME_ANNOTATION,
  RESOURCE_BINDING_NAMESPACE_ANNOTATION,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  RESOURCE_TEMPLATE_GENERATION_ANNOTATION,
  RESOURCE_TEMPLATE_UID_ANNOTATION,
  type ResourceBindingSpec,
  replicaSchedulingType,
  type TargetCluster,
  WORK_API_VERSION,
  WORK_NAME_ANNOTATION,
  WORK_NAMESPACE_ANNOTATION,
  type Work,
} from '../../apis/karmada/index.js';
import { workName } from '../names.js';
import {
  appliedOverridesAnnotation,
  applyOverridePolicies,
  type OverridePolicyLike,
} from '../override/overrides.js';
import { divideByWeight } from '../scheduler/division.js';
import { isWorkload } from '../scheduler/filter.js';
import type { AnyBinding } from '../util.js';
import { replicaField } from '../workload.js';

/** The members a binding's resource goes to: its own and those of the bindings that need it. */
export function targetClusters(spec: ResourceBindingSpec): TargetCluster[] {
  const out = [...(spec.clusters ?? [])];
  const names = new Set(out.map((c) => c.name));
  for (const snapshot of spec.requiredBy ?? []) {
    for (const c of snapshot.clusters ?? []) {
      if (!names.has(c.name)) {
        names.add(c.name);
        out.push(c);
      }
    }
  }
  return out;
}

/** Members that keep a Work: targets, and members still being gracefully evicted from. */
export function clustersKeepingWorks(spec: ResourceBindingSpec): Set<string> {
  const names = new Set(targetClusters(spec).map((c) => c.name));
  for (const t of spec.gracefulEvictionTasks ?? []) if (t.purgeMode !== 'Directly') names.add(t.fromCluster);
  return names;
}

/** A divided Job's completions per member, in proportion to its parallelism there. */
function jobCompletions(
  template: KubeObject,
  spec: ResourceBindingSpec,
  targets: TargetCluster[],
): Map<string, number> {
  const completions = (template.spec as { completions?: unknown } | undefined)?.completions;
  if (
    template.kind !== 'Job' ||
    typeof completions !== 'number' ||
    (spec.replicas ?? 0) <= 0 ||
    replicaSchedulingType(spec.placement) !== 'Divided'
  ) {
    return new Map();
  }
  const weights = targets.map((t) => ({ name: t.name, weight: t.replicas ?? 0 }));
  return new Map(
    divideByWeight(completions, weights, template.metadata.uid).map((c) => [c.name, c.replicas ?? 0]),
  );
}

export interface RenderInput {
  binding: AnyBinding;
  template: KubeObject;
  cluster: Cluster;
  target: TargetCluster;
  clusterOverrides: readonly OverridePolicyLike[];
  overrides: readonly OverridePolicyLike[];
  /** From jobCompletionsFor. */
  completions?: number;
}

export function jobCompletionsFor(binding: AnyBinding, template: KubeObject): Map<string, number> {
  return jobCompletions(template, binding.spec, targetClusters(binding.spec));
}

function suspended(spec: ResourceBindingSpec, cluster: string): boolean {
  const s = spec.suspension;
  if (!s) return false;
  return s.dispatching === true || (s.dispatchingOnClusters?.clusterNames ?? []).includes(cluster);
}

/** The Work for one member (throws when an override cannot apply). */
export function renderWork(input: RenderInput): Work {
  const { binding, template, cluster, target } = input;
  const spec = binding.spec;
  const namespaced = !!binding.metadata.namespace;
  let manifest = cloneJson(template);
  const field = replicaField(manifest);
  const manifestSpec = manifest.spec as Record<string, unknown> | undefined;
  // The member runs the replicas the scheduler gave it, not the template's count.
  if (isWorkload(spec) && field && manifestSpec) manifestSpec[field] = target.replicas ?? 0;
  if (input.completions !== undefined && manifestSpec) manifestSpec.completions = input.completions;

  const result = applyOverridePolicies(manifest, cluster, input.clusterOverrides, input.overrides);
  manifest = result.object;

  const idLabel = namespaced
    ? RESOURCE_BINDING_PERMANENT_ID_LABEL
    : CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL;
  const bindingId = binding.metadata.labels?.[idLabel] ?? '';
  const workAnnotations: Record<string, string> = namespaced
    ? {
        [RESOURCE_BINDING_NAMESPACE_ANNOTATION]: binding.metadata.namespace!,
        [RESOURCE_BINDING_NAME_ANNOTATION]: binding.metadata.name!,
      }
    : { [CLUSTER_RESOURCE_BINDING_ANNOTATION]: binding.metadata.name! };
  // The template's own choice wins over the policy's.
  const fromTemplate = template.metadata.annotations?.[CONFLICT_RESOLUTION_ANNOTATION];
  workAnnotations[CONFLICT_RESOLUTION_ANNOTATION] =
    fromTemplate === 'overwrite' || fromTemplate === 'abort'
      ? fromTemplate
      : spec.conflictResolution === 'Overwrite'
        ? 'overwrite'
        : 'abort';
  const clusterApplied = appliedOverridesAnnotation(result.cluster);
  if (clusterApplied) workAnnotations[APPLIED_CLUSTER_OVERRIDES_ANNOTATION] = clusterApplied;
  const applied = appliedOverridesAnnotation(result.namespaced);
  if (applied) workAnnotations[APPLIED_OVERRIDES_ANNOTATION] = applied;

  const name = workName(template.kind, template.metadata.name ?? '', template.metadata.namespace);
  const namespace = executionSpaceName(cluster.metadata.name ?? '');
  const generation = template.metadata.generation;
  manifest.metadata = {
    ...manifest.metadata,
    labels: { ...(manifest.metadata.labels ?? {}), [idLabel]: bindingId, [MANAGED_BY_KARMADA_LABEL]: 'true' },
    annotations: {
      ...(manifest.metadata.annotations ?? {}),
      ...(generation && generation > 0
        ? { [RESOURCE_TEMPLATE_GENERATION_ANNOTATION]: String(generation) }
        : {}),
      ...Object.fromEntries(
        Object.entries(workAnnotations).filter(
          ([k]) =>
            k === RESOURCE_BINDING_NAMESPACE_ANNOTATION ||
            k === RESOURCE_BINDING_NAME_ANNOTATION ||
            k === CLUSTER_RESOURCE_BINDING_ANNOTATION ||
            k === CONFLICT_RESOLUTION_ANNOTATION,
        ),
      ),
      [RESOURCE_TEMPLATE_UID_ANNOTATION]: template.metadata.uid ?? '',
      [WORK_NAME_ANNOTATION]: name,
      [WORK_NAMESPACE_ANNOTATION]: namespace,
    },
  };
  return {
    apiVersion: WORK_API_VERSION,
    kind: 'Work',
    metadata: {
      name,
      namespace,
      labels: { [idLabel]: bindingId },
      annotations: workAnnotations,
      finalizers: [EXECUTION_CONTROLLER_FINALIZER],
    },
    spec: {
      workload: { manifests: [manifest] },
      ...(suspended(spec, target.name) ? { suspendDispatching: true } : {}),
      ...(spec.preserveResourcesOnDeletion ? { preserveResourcesOnDeletion: true } : {}),
    },
  };
}
