// A small vocabulary for writing the hub's CustomResourceDefinitions: structural OpenAPI v3
// schemas with Kubernetes' extensions, and the CRD objects that serve them. The anchors'
// kinds (Karmada, Cluster API, Argo CD, MCS) are written with it field by field from their
// published API types, so field names, types, defaults and list semantics match theirs.

import type { KubeObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema.js';

/** What every schema node may carry besides its type. */
export interface Common {
  description?: string;
  default?: unknown;
  nullable?: boolean;
  /** Further OpenAPI keywords as written (pattern, minimum, maxLength, minItems ...). */
  [keyword: string]: unknown;
}

function node(base: Schema, extra: Common | undefined): Schema {
  return extra ? { ...base, ...extra } : base;
}

export function string(extra?: Common & { enum?: string[]; format?: string; pattern?: string }): Schema {
  return node({ type: 'string' }, extra);
}

/** A string restricted to the listed values (Go enums). */
export function oneOf(values: readonly string[], extra?: Common): Schema {
  return node({ type: 'string', enum: [...values] }, extra);
}

export function int32(extra?: Common & { minimum?: number; maximum?: number }): Schema {
  return node({ type: 'integer', format: 'int32' }, extra);
}

export function int64(extra?: Common & { minimum?: number; maximum?: number }): Schema {
  return node({ type: 'integer', format: 'int64' }, extra);
}

/** Go's plain int and uint: an integer with no declared width. */
export function integer(extra?: Common & { minimum?: number; maximum?: number }): Schema {
  return node({ type: 'integer' }, extra);
}

export function number(extra?: Common): Schema {
  return node({ type: 'number' }, extra);
}

export function bool(extra?: Common): Schema {
  return node({ type: 'boolean' }, extra);
}

/** metav1.Time and friends: an RFC 3339 timestamp. */
export function time(extra?: Common): Schema {
  return node({ type: 'string', format: 'date-time' }, extra);
}

/** metav1.Duration: a Go duration string ("10m", "1h30s"). */
export function duration(extra?: Common): Schema {
  return node({ type: 'string' }, extra);
}

/** intstr.IntOrString: an integer or a string (the anyOf is what generated CRDs publish). */
export function intOrString(extra?: Common): Schema {
  return node(
    { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
    extra,
  );
}

/** resource.Quantity ("500m", "2Gi", or a number). */
export function quantity(extra?: Common): Schema {
  return node(
    {
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern:
        '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    },
    extra,
  );
}

export interface ObjectOptions extends Common {
  required?: string[];
  /** 'atomic' when the struct is replaced whole by apply. */
  mapType?: 'atomic' | 'granular';
}

export function object(properties: Record<string, Schema>, opts: ObjectOptions = {}): Schema {
  const { required, mapType, ...extra } = opts;
  const out: Schema = { type: 'object', properties };
  if (required && required.length > 0) out.required = required;
  if (mapType) out['x-kubernetes-map-type'] = mapType;
  return node(out, extra);
}

/** map[string]T. */
export function map(values: Schema, extra?: Common): Schema {
  return node({ type: 'object', additionalProperties: values }, extra);
}

/** Any JSON object, kept as written (runtime.RawExtension, apiextensionsv1.JSON of an object). */
export function preserveUnknown(extra?: Common): Schema {
  return node({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, extra);
}

/** Any JSON value at all (apiextensionsv1.JSON). */
export function anyValue(extra?: Common): Schema {
  return node({ 'x-kubernetes-preserve-unknown-fields': true }, extra);
}

export interface ArrayOptions extends Common {
  /** atomic (default for lists without keys), set, or map with its keys. */
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
  minItems?: number;
  maxItems?: number;
}

export function array(items: Schema, opts: ArrayOptions = {}): Schema {
  const { listType, mapKeys, ...extra } = opts;
  const out: Schema = { type: 'array', items };
  if (listType) out['x-kubernetes-list-type'] = listType;
  if (mapKeys) out['x-kubernetes-list-map-keys'] = mapKeys;
  return node(out, extra);
}

// Shapes of the core Kubernetes types that the anchors' kinds embed.

export function labelSelector(extra?: Common): Schema {
  return object(
    {
      matchExpressions: array(
        object(
          {
            key: string(),
            operator: string(),
            values: array(string(), { listType: 'atomic' }),
          },
          { required: ['key', 'operator'] },
        ),
        { listType: 'atomic' },
      ),
      matchLabels: map(string()),
    },
    { mapType: 'atomic', ...extra },
  );
}

export function objectReference(extra?: Common): Schema {
  return object(
    {
      apiVersion: string(),
      fieldPath: string(),
      kind: string(),
      name: string(),
      namespace: string(),
      resourceVersion: string(),
      uid: string(),
    },
    { mapType: 'atomic', ...extra },
  );
}

export function localObjectReference(extra?: Common): Schema {
  return object({ name: string({ default: '' }) }, { mapType: 'atomic', ...extra });
}

/** A condition type: a qualified name (`Ready`, `example.com/Healthy`). */
export const CONDITION_TYPE_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';

/** A condition reason: CamelCase, as metav1.Condition requires. */
export const CONDITION_REASON_PATTERN = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

/** metav1.Condition (type, status, reason, message, lastTransitionTime, observedGeneration). */
export function metaCondition(): Schema {
  return object(
    {
      lastTransitionTime: time(),
      message: string({ maxLength: 32768 }),
      observedGeneration: int64({ minimum: 0 }),
      reason: string({ maxLength: 1024, minLength: 1, pattern: CONDITION_REASON_PATTERN }),
      status: oneOf(['True', 'False', 'Unknown']),
      type: string({ maxLength: 316, pattern: CONDITION_TYPE_PATTERN }),
    },
    { required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'] },
  );
}

/** A list of metav1.Conditions, merged by type. */
export function metaConditions(extra?: Common): Schema {
  return array(metaCondition(), { listType: 'map', mapKeys: ['type'], ...extra });
}

export function taint(): Schema {
  return object(
    {
      effect: string(),
      key: string(),
      timeAdded: time(),
      value: string(),
    },
    { required: ['effect', 'key'] },
  );
}

export function toleration(): Schema {
  return object({
    effect: string(),
    key: string(),
    operator: string(),
    tolerationSeconds: int64(),
    value: string(),
  });
}

/** corev1.NodeSelectorRequirement (also what Karmada's cluster field selectors are made of). */
export function nodeSelectorRequirement(): Schema {
  return object(
    {
      key: string(),
      operator: string(),
      values: array(string(), { listType: 'atomic' }),
    },
    { required: ['key', 'operator'] },
  );
}

/** corev1.NodeSelector: terms ORed, each term's requirements ANDed. */
export function nodeSelector(extra?: Common): Schema {
  const requirements = array(nodeSelectorRequirement(), { listType: 'atomic' });
  return object(
    {
      nodeSelectorTerms: array(
        object({ matchExpressions: requirements, matchFields: requirements }, { mapType: 'atomic' }),
        { listType: 'atomic' },
      ),
    },
    { required: ['nodeSelectorTerms'], mapType: 'atomic', ...extra },
  );
}

export function resourceList(extra?: Common): Schema {
  return map(quantity(), extra);
}

// CustomResourceDefinitions.

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface CrdVersionSpec {
  name: string;
  /** Default: true. */
  served?: boolean;
  storage: boolean;
  /** The openAPIV3Schema: an object with spec and status (apiVersion, kind and metadata are added). */
  schema: Schema;
  /** Serve a status subresource. */
  status?: boolean;
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  printerColumns?: PrinterColumn[];
  deprecated?: boolean;
  deprecationWarning?: string;
}

export interface CrdSpec {
  group: string;
  kind: string;
  plural: string;
  singular?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersionSpec[];
  /** Labels of the CRD object itself (e.g. Cluster API's provider and contract labels). */
  labels?: Record<string, string>;
}

/** A CustomResourceDefinition object (apiextensions.k8s.io/v1) for a kind. */
export function crd(spec: CrdSpec): KubeObject {
  const singular = spec.singular ?? spec.kind.toLowerCase();
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${spec.plural}.${spec.group}`,
      ...(spec.labels ? { labels: { ...spec.labels } } : {}),
    },
    spec: {
      group: spec.group,
      names: {
        kind: spec.kind,
        listKind: spec.listKind ?? `${spec.kind}List`,
        plural: spec.plural,
        singular,
        ...(spec.shortNames ? { shortNames: spec.shortNames } : {}),
        ...(spec.categories ? { categories: spec.categories } : {}),
      },
      scope: spec.scope,
      versions: spec.versions.map((v) => {
        const root: Schema = {
          ...v.schema,
          type: 'object',
          properties: {
            apiVersion: string(),
            kind: string(),
            metadata: { type: 'object' },
            ...(v.schema.properties ?? {}),
          },
        };
        const subresources: Record<string, unknown> = {};
        if (v.status) subresources.status = {};
        if (v.scale) subresources.scale = v.scale;
        return {
          name: v.name,
          served: v.served ?? true,
          storage: v.storage,
          ...(v.deprecated ? { deprecated: true } : {}),
          ...(v.deprecationWarning ? { deprecationWarning: v.deprecationWarning } : {}),
          schema: { openAPIV3Schema: root },
          ...(Object.keys(subresources).length > 0 ? { subresources } : {}),
          ...(v.printerColumns ? { additionalPrinterColumns: v.printerColumns } : {}),
        };
      }),
    },
  } as KubeObject;
}
