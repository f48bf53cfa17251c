// The definitions Kubernetes publishes for a custom resource version: the CRD's
// openAPIV3Schema with apiVersion and kind described, metadata referring to ObjectMeta,
// embedded resources completed the same way, and a list kind beside it.

import { isJsonObject } from '../../machinery/object.js';
import { customResourceDefinitionName, type ServedResource } from './operations.js';
import { type JsonSchema, SCHEMA_REF_PREFIX } from './supplement.js';

const OBJECT_META = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
const LIST_META = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta`;

/** Texts shared with the built-in kinds (taken from their definitions). */
export interface StandardTexts {
  apiVersion: string;
  kind: string;
  objectMetadata: string;
  listMetadata: string;
}

export const FALLBACK_TEXTS: StandardTexts = {
  apiVersion: 'APIVersion defines the versioned schema of this representation of an object.',
  kind: 'Kind is a string value representing the REST resource this object represents.',
  objectMetadata: "Standard object's metadata.",
  listMetadata: 'Standard list metadata.',
};

/** Reads the standard texts off a built-in kind and its list, e.g. ConfigMap. */
export function standardTextsFrom(kind: JsonSchema | undefined, list: JsonSchema | undefined): StandardTexts {
  const desc = (s: JsonSchema | undefined, field: string): string | undefined => {
    const p = isJsonObject(s?.properties) ? (s.properties as Record<string, JsonSchema>)[field] : undefined;
    return typeof p?.description === 'string' ? p.description : undefined;
  };
  return {
    apiVersion: desc(kind, 'apiVersion') ?? FALLBACK_TEXTS.apiVersion,
    kind: desc(kind, 'kind') ?? FALLBACK_TEXTS.kind,
    objectMetadata: desc(kind, 'metadata') ?? FALLBACK_TEXTS.objectMetadata,
    listMetadata: desc(list, 'metadata') ?? FALLBACK_TEXTS.listMetadata,
  };
}

const metaRef = (ref: string, description: string): JsonSchema => ({ allOf: [{ $ref: ref }], description });

/** Deep copy of JSON, so that published schemas never alias the CRD object they came from. */
function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function completeEmbedded(schema: JsonSchema, texts: StandardTexts): void {
  const props = isJsonObject(schema.properties)
    ? (schema.properties as Record<string, JsonSchema>)
    : undefined;
  if (props) for (const p of Object.values(props)) if (isJsonObject(p)) completeEmbedded(p, texts);
  if (isJsonObject(schema.items)) completeEmbedded(schema.items as JsonSchema, texts);
  if (isJsonObject(schema.additionalProperties))
    completeEmbedded(schema.additionalProperties as JsonSchema, texts);
  if (schema['x-kubernetes-embedded-resource'] !== true) return;
  schema.properties = {
    ...(props ?? {}),
    apiVersion: {
      description:
        'apiVersion defines the versioned schema of this representation of an object. More info: ' +
        'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      type: 'string',
    },
    kind: {
      description:
        'kind is a string value representing the type of this object. In CamelCase. More info: ' +
        'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      type: 'string',
    },
    metadata: metaRef(OBJECT_META, texts.objectMetadata),
  };
  const required = Array.isArray(schema.required) ? [...(schema.required as string[])] : [];
  for (const field of ['kind', 'apiVersion']) if (!required.includes(field)) required.push(field);
  schema.required = required;
}

/** Definition name -> schema (OpenAPI v3 form) for a custom resource and its list. */
export function customResourceDefinitions(
  r: ServedResource,
  texts: StandardTexts,
): Record<string, JsonSchema> {
  const listKind = r.listKind ?? `${r.kind}List`;
  const kindName = customResourceDefinitionName(r.group, r.version, r.kind);
  const listName = customResourceDefinitionName(r.group, r.version, listKind);
  const source = r.customResource?.schema;

  let kind: JsonSchema;
  if (!isJsonObject(source)) {
    // Without a schema only the type is known; listing fields would make clients refuse the rest.
    kind = { type: 'object' };
  } else {
    kind = copyJson(source) as JsonSchema;
    const props = isJsonObject(kind.properties) ? (kind.properties as Record<string, JsonSchema>) : {};
    kind.properties = {
      ...props,
      apiVersion: { description: texts.apiVersion, type: 'string' },
      kind: { description: texts.kind, type: 'string' },
      metadata: metaRef(OBJECT_META, texts.objectMetadata),
    };
    for (const p of Object.values(props)) if (isJsonObject(p)) completeEmbedded(p, texts);
  }
  kind['x-kubernetes-group-version-kind'] = [{ group: r.group, kind: r.kind, version: r.version }];

  const list = listDefinition(r, kindName, texts);
  return { [kindName]: kind, [listName]: list };
}

/** The list kind of a resource whose items are the definition `itemDefinition`. */
export function listDefinition(r: ServedResource, itemDefinition: string, texts: StandardTexts): JsonSchema {
  const listKind = r.listKind ?? `${r.kind}List`;
  return {
    description: `${listKind} is a list of ${r.kind}`,
    type: 'object',
    properties: {
      apiVersion: { description: texts.apiVersion, type: 'string' },
      items: {
        description: `List of ${r.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        type: 'array',
        items: { $ref: SCHEMA_REF_PREFIX + itemDefinition },
      },
      kind: { description: texts.kind, type: 'string' },
      metadata: metaRef(LIST_META, texts.listMetadata),
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: listKind, version: r.version }],
  };
}

/**
 * What OpenAPI v2 can say of a custom resource schema, following the rules Kubernetes applies
 * before publishing CRDs in /openapi/v2: no allOf/oneOf/anyOf/not, nullable values untyped, no
 * fields under x-kubernetes-preserve-unknown-fields, no array without items. A kind whose root
 * preserves unknown fields is published as a bare object.
 */
export function customSchemaForV2(schema: JsonSchema, root = true): JsonSchema {
  if (root && schema['x-kubernetes-preserve-unknown-fields'] === true) {
    const out: JsonSchema = { type: 'object' };
    if (schema['x-kubernetes-group-version-kind'])
      out['x-kubernetes-group-version-kind'] = schema['x-kubernetes-group-version-kind'];
    return out;
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'allOf' || k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'nullable') continue;
    out[k] = v;
  }
  // A published reference (metadata) stays a reference.
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1 && isJsonObject(schema.allOf[0])) {
    const ref = (schema.allOf[0] as JsonSchema).$ref;
    if (typeof ref === 'string') out.$ref = ref;
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (schema.nullable === true || preserve) {
    delete out.items;
    delete out.properties;
  }
  if (schema.nullable === true) delete out.type;
  if (isJsonObject(out.properties)) {
    const props: Record<string, JsonSchema> = {};
    let required = Array.isArray(out.required) ? (out.required as string[]) : undefined;
    for (const [name, p] of Object.entries(out.properties as Record<string, JsonSchema>)) {
      props[name] = isJsonObject(p) ? customSchemaForV2(p, false) : p;
      if (isJsonObject(p) && p.nullable === true && required) required = required.filter((r) => r !== name);
    }
    out.properties = props;
    if (required) {
      if (required.length > 0) out.required = required;
      else delete out.required;
    }
  }
  if (isJsonObject(out.items)) out.items = customSchemaForV2(out.items as JsonSchema, false);
  if (isJsonObject(out.additionalProperties)) {
    const ap = out.additionalProperties as JsonSchema;
    out.additionalProperties = customSchemaForV2(ap, false);
    if (ap.nullable === true) delete out.required;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  if (preserve && out.type === 'object') delete out.type;
  return out;
}
