// OverridePolicy and ClusterOverridePolicy (Karmada's override manager): what a resource becomes on
// one member. The policies whose resource selectors match (all of them when they have none) are
// applied ClusterOverridePolicies first, then the OverridePolicies of the resource's namespace;
// within each, least specific first (kind alone, then label selector, then name) and by name, so
// the most specific rule is applied last and wins. Of a policy, every rule whose targetCluster
// matches the member applies, its overriders in a fixed order: image, command, args, labels,
// annotations, fields, plaintext. Each overrider becomes JSON patch operations.

import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { KubeObject } from '../../../machinery/object.js';
import { applyJsonPatch } from '../../../machinery/patch/json-patch.js';
import type {
  Cluster,
  CommandArgsOverrider,
  LabelAnnotationOverrider,
  Overriders,
  OverrideSpec,
  PatchOperation,
} from '../../apis/karmada/index.js';
import { clusterMatches } from '../match/cluster-affinity.js';
import { ImplicitPriority, selectorsPriority } from '../match/resource-selector.js';
import { podSpecPath } from '../workload.js';
import { overrideImage } from './image.js';

type Json = Record<string, unknown>;

export interface OverridePolicyLike {
  metadata: { name?: string; namespace?: string };
  spec: OverrideSpec;
}

/** One policy's overriders applied to a resource, as recorded in the applied-overrides annotation. */
export interface AppliedOverride {
  policyName: string;
  overriders: Overriders;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** The overriders of the policies that apply to the resource on the member, in the order they apply. */
export function matchingOverriders(
  policies: readonly OverridePolicyLike[],
  resource: KubeObject,
  cluster: Cluster,
): AppliedOverride[] {
  const ranked = policies
    .map((p) => {
      const selectors = p.spec.resourceSelectors ?? [];
      const priority =
        selectors.length === 0 ? ImplicitPriority.MatchAll : selectorsPriority(resource, selectors);
      return { p, priority };
    })
    .filter((x) => x.priority > ImplicitPriority.MisMatch)
    .sort((a, b) =>
      a.priority !== b.priority
        ? a.priority - b.priority
        : (a.p.metadata.name ?? '') < (b.p.metadata.name ?? '')
          ? -1
          : (a.p.metadata.name ?? '') > (b.p.metadata.name ?? '')
            ? 1
            : 0,
    );
  const out: AppliedOverride[] = [];
  for (const { p } of ranked) {
    const rules = p.spec.overrideRules?.length
      ? p.spec.overrideRules
      : [{ targetCluster: p.spec.targetCluster, overriders: p.spec.overriders ?? {} }];
    for (const rule of rules) {
      if (!rule.targetCluster || clusterMatches(cluster, rule.targetCluster)) {
        out.push({ policyName: p.metadata.name ?? '', overriders: rule.overriders });
      }
    }
  }
  return out;
}

const escapeKey = (k: string) => k.replaceAll('~', '~0').replaceAll('/', '~1');

function get(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) cur = (cur as Json | undefined)?.[seg];
  return cur;
}

/** JSON pointer lookup ("/spec/template/spec/containers/0/image"). */
function pointerGet(obj: unknown, pointer: string): unknown {
  const segs = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return get(obj, segs);
}

function imagePatches(obj: KubeObject, overriders: Overriders): JsonPatchOp[][] {
  return (overriders.imageOverrider ?? []).map((o) => {
    if (o.predicate) {
      const image = pointerGet(obj, o.predicate.path);
      if (typeof image !== 'string') throw new Error(`no image at ${o.predicate.path}`);
      return [{ op: 'replace', path: o.predicate.path, value: overrideImage(image, o) }];
    }
    // Karmada changes images of the pod-carrying kinds it knows, not CronJobs.
    const path = podSpecPath(obj);
    if (!path || obj.kind === 'CronJob') return [];
    const containers = get(obj, [...path, 'containers']);
    if (!Array.isArray(containers)) return [];
    return containers.map((c, i) => ({
      op: 'replace',
      path: `/${[...path, 'containers', String(i), 'image'].join('/')}`,
      value: overrideImage(String((c as Json).image ?? ''), o),
    }));
  });
}

function commandArgsPatches(
  obj: KubeObject,
  target: 'command' | 'args',
  list: CommandArgsOverrider[] = [],
): JsonPatchOp[][] {
  const path = podSpecPath(obj);
  if (!path || obj.kind === 'CronJob') return [];
  return list.map((o) => {
    const containers = get(obj, [...path, 'containers']);
    if (!Array.isArray(containers)) return [];
    const ops: JsonPatchOp[] = [];
    containers.forEach((c, i) => {
      if ((c as Json).name !== o.containerName) return;
      const p = `/${[...path, 'containers', String(i), target].join('/')}`;
      const current = (c as Json)[target];
      const values = Array.isArray(current) ? current.map(String) : [];
      const next =
        o.operator === 'add'
          ? [...values, ...(o.value ?? [])]
          : values.filter((v) => !(o.value ?? []).includes(v));
      ops.push({ op: Array.isArray(current) ? 'replace' : 'add', path: p, value: next });
    });
    return ops;
  });
}

function labelAnnotationPatches(
  obj: KubeObject,
  field: 'labels' | 'annotations',
  list: LabelAnnotationOverrider[] = [],
): JsonPatchOp[][] {
  return list.map((o) => {
    const ops: JsonPatchOp[] = [];
    const current = obj.metadata[field];
    if (o.operator === 'add' && !current) ops.push({ op: 'add', path: `/metadata/${field}`, value: {} });
    for (const [k, v] of Object.entries(o.value ?? {})) {
      // remove and replace only touch keys that are there.
      if (o.operator !== 'add' && !(current && k in current)) continue;
      ops.push({
        op: o.operator,
        path: `/metadata/${field}/${escapeKey(k)}`,
        ...(o.operator === 'remove' ? {} : { value: v }),
      });
    }
    return ops;
  });
}

function subPatch(ops: PatchOperation[]): JsonPatchOp[] {
  return ops.map((o) => ({
    op: o.operator,
    path: o.subPath,
    ...(o.operator === 'remove' ? {} : { value: o.value }),
  }));
}

function applyFieldOverriders(obj: KubeObject, overriders: Overriders): KubeObject {
  let out = obj;
  for (const f of overriders.fieldOverrider ?? []) {
    const raw = pointerGet(out, f.fieldPath);
    if (typeof raw !== 'string') throw new Error(`the value at ${f.fieldPath} is not a string`);
    let next: string;
    if (f.yaml?.length) {
      next = stringifyYaml(applyJsonPatch(parseYaml(raw), subPatch(f.yaml)));
    } else if (f.json?.length) {
      next = JSON.stringify(applyJsonPatch(JSON.parse(raw), subPatch(f.json)));
    } else continue;
    out = applyJsonPatch(out, [{ op: 'replace', path: f.fieldPath, value: next }]);
  }
  return out;
}

/** The resource with one set of overriders applied; throws when one cannot apply. */
export function applyOverriders(obj: KubeObject, overriders: Overriders): KubeObject {
  let out = obj;
  const run = (patches: JsonPatchOp[][]) => {
    for (const ops of patches) if (ops.length) out = applyJsonPatch(out, ops);
  };
  run(imagePatches(out, overriders));
  run(commandArgsPatches(out, 'command', overriders.commandOverrider));
  run(commandArgsPatches(out, 'args', overriders.argsOverrider));
  run(labelAnnotationPatches(out, 'labels', overriders.labelsOverrider));
  run(labelAnnotationPatches(out, 'annotations', overriders.annotationsOverrider));
  out = applyFieldOverriders(out, overriders);
  const plaintext = (overriders.plaintext ?? []).map((p) => ({
    op: p.operator,
    path: p.path,
    ...(p.operator === 'remove' ? {} : { value: p.value }),
  }));
  if (plaintext.length) out = applyJsonPatch(out, plaintext);
  return out;
}

export interface OverrideResult {
  object: KubeObject;
  /** ClusterOverridePolicies applied, by policy name (the applied-cluster-overrides annotation). */
  cluster: AppliedOverride[];
  /** OverridePolicies applied (the applied-overrides annotation). */
  namespaced: AppliedOverride[];
}

/** The resource as the member gets it: cluster-wide overrides first, then the namespace's. */
export function applyOverridePolicies(
  obj: KubeObject,
  cluster: Cluster,
  clusterPolicies: readonly OverridePolicyLike[],
  namespacedPolicies: readonly OverridePolicyLike[],
): OverrideResult {
  let object = obj;
  const clusterApplied = matchingOverriders(clusterPolicies, obj, cluster);
  for (const a of clusterApplied) object = applyOverriders(object, a.overriders);
  const namespaced = obj.metadata.namespace
    ? matchingOverriders(
        namespacedPolicies.filter((p) => p.metadata.namespace === obj.metadata.namespace),
        obj,
        cluster,
      )
    : [];
  for (const a of namespaced) object = applyOverriders(object, a.overriders);
  return { object, cluster: clusterApplied, namespaced };
}

/** The applied-overrides annotation value: items sorted by policy name (undefined when none). */
export function appliedOverridesAnnotation(applied: readonly AppliedOverride[]): string | undefined {
  if (applied.length === 0) return undefined;
  const sorted = [...applied].sort((a, b) =>
    a.policyName < b.policyName ? -1 : a.policyName > b.policyName ? 1 : 0,
  );
  return JSON.stringify(sorted);
}
