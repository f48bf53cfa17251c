// Structural schemas: the OpenAPI v3 schema of a kind with its Kubernetes extensions.
// Strategic merge patch, server-side apply, pruning, defaulting and `kubectl explain` all
// read the same schema. `$ref`s are resolved into object references, so a schema is a
// graph (recursive types such as JSONSchemaProps point back to themselves).

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface Schema {
  type?: SchemaType;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  /** A map's value schema (`{type: object, additionalProperties: {type: string}}` for labels). */
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;

  /** Lists: atomic (replaced whole), set (scalars merged by value), map (merged by keys). */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  /** Maps and structs: atomic (replaced whole) or granular (merged by key; the default). */
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** Strategic merge patch: "merge", "replace", "retainKeys", or "merge,retainKeys". */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];

  /** Anything else OpenAPI allows (pattern, minimum, maxLength, oneOf, ...). */
  [extra: string]: unknown;
}

/** The schema of a field, or undefined when the schema says nothing about it. */
export function propertySchema(schema: Schema | undefined, field: string): Schema | undefined {
  if (!schema) return undefined;
  const prop = schema.properties?.[field];
  if (prop) return prop;
  const ap = schema.additionalProperties;
  return typeof ap === 'object' ? ap : undefined;
}
