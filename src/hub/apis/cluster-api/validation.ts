// Checks and defaults that Cluster API's admission webhooks share, written over plain JSON
// (strategies run beside schema validation, so a field of the wrong type is skipped here and
// reported by the schema).

import { forbidden, immutable, invalid, required } from '../../../apiserver/kinds/field-errors.js';
import {
  asArray,
  asObject,
  asString,
  asStringMap,
  child,
  type Json,
  path,
  semanticEqual as semanticEqualJson,
} from '../../../apiserver/kinds/values.js';
import { parseGoDuration } from '../../../machinery/duration.js';
import { fnv32a } from '../../../machinery/hash.js';
import { fromLabelSelector, type Selector, validateLabelSelector } from '../../../machinery/labels.js';
import {
  isDNS1123Subdomain,
  isValidLabelValue,
  validateAnnotations,
  validateLabels,
} from '../../../machinery/names.js';
import type { KubeObject, LabelSelector } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';

export type { Json };
export {
  asArray,
  asObject,
  asString,
  asStringMap,
  forbidden,
  immutable,
  invalid,
  path,
  required,
  semanticEqualJson,
};

/** Kubernetes versions as Cluster API accepts them: "v" then semver (v1.31.0, v1.31.0-rc.1+build). */
export const KUBE_SEMVER = /^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-0-9a-zA-Z_.+]*)?$/;

/** The object's spec, or an empty object to read from when it is missing or malformed. */
export function specOf(obj: KubeObject): Json {
  return asObject(obj.spec) ?? {};
}

/** Sets obj.spec to an object if it has none, so defaulting has somewhere to write. */
export function ensureSpec(obj: KubeObject): Json {
  const spec = asObject(obj.spec);
  if (spec) return spec;
  const created: Json = {};
  if (obj.spec === undefined || obj.spec === null) obj.spec = created;
  return created;
}

/** The object at parent[key], created when unset; undefined when it holds something else. */
export function childObject(parent: Json | undefined, key: string): Json | undefined {
  return parent ? child(parent, key) : undefined;
}

/** Adds "v" in front of a version written without it ("1.31.0" becomes "v1.31.0"). */
export function normalizeVersion(holder: Json | undefined, key = 'version'): void {
  const v = holder?.[key];
  if (holder && typeof v === 'string' && v !== '' && !v.startsWith('v')) holder[key] = `v${v}`;
}

/** A reference without a namespace gets the object's own. */
export function defaultRefNamespace(ref: unknown, namespace: string | undefined): void {
  const r = asObject(ref);
  if (r && namespace && (r.namespace === undefined || r.namespace === null || r.namespace === '')) {
    r.namespace = namespace;
  }
}

/** A reference must point into the object's own namespace. */
export function refInNamespace(field: string, ref: unknown, namespace: string | undefined): FieldError[] {
  const r = asObject(ref);
  if (!r) return [];
  const ns = asString(r.namespace);
  return ns !== (namespace ?? '') ? [invalid(`${field}.namespace`, ns, 'must match metadata.namespace')] : [];
}

export function validateVersion(
  field: string,
  value: unknown,
  detail = 'must be a valid semantic version',
): FieldError[] {
  if (typeof value !== 'string') return [];
  return KUBE_SEMVER.test(value) ? [] : [invalid(field, value, detail)];
}

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

/** The major, minor and patch of a version ("v" optional); undefined when it is not one. */
export function parseSemver(value: unknown): Semver | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)/.exec(value);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * An upgrade may move at most one minor version ahead and never back, as Cluster API allows
 * for a Cluster's topology and a KubeadmControlPlane.
 */
export function versionStep(from: Semver, to: Semver): 'same' | 'down' | 'skip' | 'ok' {
  const c = compareSemver(to, from);
  if (c === 0) return 'same';
  if (c < 0) return 'down';
  const ceiling = { major: from.major, minor: from.minor + 2, patch: 0 };
  return compareSemver(to, ceiling) >= 0 ? 'skip' : 'ok';
}

/**
 * intstr.GetScaledValueFromIntOrPercent's checks: an integer, or a string of digits and "%".
 * `nonNegative` for counts that cannot be below zero.
 */
export function validateIntOrPercent(field: string, value: unknown, nonNegative = false): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') {
    return nonNegative && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
  }
  if (typeof value !== 'string') return [];
  const prefix = 'must be either an int or a percentage: ';
  if (!value.endsWith('%'))
    return [invalid(field, value, `${prefix}a string must be a percentage, like "40%"`)];
  if (!/^[0-9]+%$/.test(value))
    return [invalid(field, value, `${prefix}"${value}" is not a whole number of percent`)];
  return [];
}

/** A metav1.Duration field: Go's duration syntax. */
export function validateDuration(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string') return [];
  try {
    parseGoDuration(value);
    return [];
  } catch (err) {
    return [invalid(field, value, (err as Error).message)];
  }
}

/** Seconds of a valid Go duration; undefined when it does not parse. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseGoDuration(value) / 1000;
  } catch {
    return undefined;
  }
}

/** Every duration-typed field of an object, by key. */
export function validateDurations(
  base: string,
  holder: Json | undefined,
  keys: readonly string[],
): FieldError[] {
  if (!holder) return [];
  return keys.flatMap((k) => validateDuration(`${base}.${k}`, holder[k]));
}

export const NODE_TIMEOUT_FIELDS = [
  'nodeDrainTimeout',
  'nodeVolumeDetachTimeout',
  'nodeDeletionTimeout',
] as const;

/** Cluster API's ObjectMeta.Validate: valid label keys and values, valid annotation keys. */
export function validateCapiMetadata(field: string, meta: unknown): FieldError[] {
  const m = asObject(meta);
  if (!m) return [];
  const errs: FieldError[] = [];
  if (asObject(m.labels)) errs.push(...validateLabels(m.labels as Record<string, string>, `${field}.labels`));
  if (asObject(m.annotations)) {
    errs.push(...validateAnnotations(m.annotations as Record<string, string>, `${field}.annotations`));
  }
  return errs;
}

/** A name that must also be a label value (Clusters, MachineDeployments: they label their objects). */
export function validateNameIsLabelValue(
  obj: KubeObject,
  detailPrefix = 'must be a valid label value',
): FieldError[] {
  const name = obj.metadata?.name ?? '';
  return isValidLabelValue(name).map((msg) => invalid('metadata.name', name, `${detailPrefix}: ${msg}`));
}

/** A valid metav1.LabelSelector. */
export function validateSelector(field: string, selector: unknown): FieldError[] {
  return validateLabelSelector(selector, field);
}

/** Whether a (valid) selector selects everything. */
export function isEmptySelector(selector: unknown): boolean {
  return parseSelector(selector)?.empty() ?? false;
}

/** metav1.LabelSelectorAsSelector; undefined when malformed. */
export function parseSelector(selector: unknown): Selector | undefined {
  try {
    return fromLabelSelector((asObject(selector) ?? null) as LabelSelector | null);
  } catch {
    return undefined;
  }
}

/** format.MustFormatValue: a valid label value as is, anything else as a short stable hash. */
export function labelValueFor(name: string): string {
  if (isValidLabelValue(name).length === 0) return name;
  const sum = fnv32a(new TextEncoder().encode(name));
  const bytes = Buffer.from([sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff]);
  return `hash_${bytes.toString('base64url')}_z`;
}

/** Sets a label, creating the map. */
export function setLabel(meta: { labels?: Record<string, string> } | Json, key: string, value: string): void {
  const m = meta as Json;
  const labels = asObject(m.labels) ?? {};
  labels[key] = value;
  m.labels = labels;
}

/**
 * A naming template must contain {{ .random }} (when `needsRandom`) and give valid object names.
 * Templates of plain {{ .field }} substitutions are rendered with sample values and checked;
 * templates using functions are left to the controller that renders them.
 */
export function validateNamingTemplate(
  field: string,
  template: unknown,
  sample: Record<string, string>,
  needsRandom = true,
): FieldError[] {
  if (typeof template !== 'string' || template === '') return [];
  const errs: FieldError[] = [];
  if (needsRandom && !template.includes('{{ .random }}')) {
    errs.push(invalid(field, template, 'invalid template, {{ .random }} is missing'));
  }
  // Go templates print "<no value>" for a field the data does not have.
  const rendered = template.replace(
    /\{\{-?\s*\.([a-zA-Z.]+)\s*-?\}\}/g,
    (_m, key: string) => sample[key] ?? '<no value>',
  );
  if (rendered.includes('{{')) return errs;
  for (const msg of isDNS1123Subdomain(rendered)) {
    errs.push(
      invalid(
        field,
        template,
        `invalid template, generated names would not be valid Kubernetes object names: ${msg}`,
      ),
    );
  }
  return errs;
}

/** Condition types a health check may not watch: Cluster API sets them itself. */
const RESERVED_MACHINE_CONDITIONS = [
  'Ready',
  'Available',
  'HealthCheckSucceeded',
  'OwnerRemediated',
  'ExternallyRemediated',
];

/** MachineHealthCheckClass fields: maxUnhealthy, nodeStartupTimeout, timeouts, remediation template. */
export function validateHealthCheckClass(
  base: string,
  mhc: Json | undefined,
  namespace: string | undefined,
): FieldError[] {
  if (!mhc) return [];
  const errs: FieldError[] = [];
  const startup = mhc.nodeStartupTimeout;
  errs.push(...validateDuration(`${base}.nodeStartupTimeout`, startup));
  const seconds = durationSeconds(startup);
  if (seconds !== undefined && seconds !== 0 && seconds < 30) {
    errs.push(invalid(`${base}.nodeStartupTimeout`, startup, 'must be at least 30s'));
  }
  errs.push(...validateIntOrPercent(`${base}.maxUnhealthy`, mhc.maxUnhealthy, true));
  for (const [i, c] of asArray(mhc.unhealthyConditions).entries()) {
    errs.push(...validateDuration(`${base}.unhealthyConditions[${i}].timeout`, asObject(c)?.timeout));
  }
  for (const [i, c] of asArray(mhc.unhealthyMachineConditions).entries()) {
    const cond = asObject(c);
    errs.push(...validateDuration(`${base}.unhealthyMachineConditions[${i}].timeout`, cond?.timeout));
    if (typeof cond?.type === 'string' && RESERVED_MACHINE_CONDITIONS.includes(cond.type)) {
      errs.push(
        invalid(
          `${base}.unhealthyMachineConditions[${i}].type`,
          cond.type,
          `type must not be one of: ${RESERVED_MACHINE_CONDITIONS.join(', ')}`,
        ),
      );
    }
  }
  if (mhc.remediationTemplate !== undefined) {
    errs.push(...refInNamespace(`${base}.remediationTemplate`, mhc.remediationTemplate, namespace));
  }
  return errs;
}

/**
 * The replica count a MachineDeployment, MachineSet or MachinePool gets when spec.replicas is
 * unset: the autoscaler's minimum when both size annotations are there (kept within min..max
 * on update), else 1. Returns an error message for unparseable annotations.
 */
export function defaultReplicas(
  kind: string,
  annotations: Record<string, string> | undefined,
  oldReplicas: number | undefined,
  isUpdate: boolean,
): number | string {
  const min = annotations?.['cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size'];
  const max = annotations?.['cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'];
  if (min === undefined || max === undefined) return 1;
  const minSize = /^-?[0-9]+$/.test(min) ? Number(min) : Number.NaN;
  const maxSize = /^-?[0-9]+$/.test(max) ? Number(max) : Number.NaN;
  if (Number.isNaN(minSize)) return `could not parse the ${kind} min size annotation "${min}"`;
  if (Number.isNaN(maxSize)) return `could not parse the ${kind} max size annotation "${max}"`;
  if (!isUpdate || oldReplicas === undefined) return minSize;
  if (oldReplicas < minSize) return minSize;
  if (oldReplicas > maxSize) return maxSize;
  return oldReplicas;
}

/** A field that may be set once and then not changed (e.g. a ref the provider filled). */
export function immutableOnceSet(field: string, next: unknown, old: unknown): FieldError[] {
  if (old === undefined || old === null || old === '') return [];
  return immutable(field, next, old);
}

/** "<field>: field is immutable" as Cluster API's webhooks say it for clusterName. */
export function clusterNameImmutable(field: string, next: unknown, old: unknown): FieldError[] {
  return (old ?? '') !== (next ?? '') ? [forbidden(field, 'field is immutable')] : [];
}

/** The spec of a <Kind>Template cannot change: a new template is made instead. */
export function templateSpecImmutable(kind: string, obj: KubeObject, old: KubeObject): FieldError[] {
  return immutable(
    'spec.template.spec',
    path(obj, 'spec', 'template', 'spec'),
    path(old, 'spec', 'template', 'spec'),
  ).map((e) => ({
    ...e,
    detail: `${kind} spec.template.spec field is immutable. Please create a new resource instead.`,
  }));
}
