// Dropping fields a schema does not know: what decoding into typed structs does for built-in
// kinds, and structural pruning does for custom resources. The removed paths are returned so
// that the API server can warn about them or, under fieldValidation=Strict, refuse them.

import { isJsonObject } from './object.js';
import type { Schema } from './schema.js';

export interface PruneOptions {
  /**
   * Custom-resource rules: an object schema without properties keeps nothing unless it says
   * x-kubernetes-preserve-unknown-fields. Built-in schemas leave such objects alone (they stand
   * for raw JSON in the Go types).
   */
  structural?: boolean;
}

// Metadata fields of every object (metav1.ObjectMeta), kept at the root and in embedded resources.
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function pruneObjectMeta(meta: unknown, path: string, removed: string[]): void {
  if (!isJsonObject(meta)) return;
  for (const key of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(key)) {
      delete meta[key];
      removed.push(child(path, key));
    }
  }
}

function pruneValue(
  value: unknown,
  schema: Schema,
  path: string,
  opts: PruneOptions,
  removed: string[],
): void {
  if (schema['x-kubernetes-int-or-string']) return;
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items) {
      for (const [i, item] of value.entries()) pruneValue(item, items, `${path}[${i}]`, opts, removed);
    }
    return;
  }
  if (!isJsonObject(value)) return;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = schema.properties;
  const additional = schema.additionalProperties;
  const hasStructure = props !== undefined || additional !== undefined;
  if (!hasStructure && !(opts.structural && schema.type === 'object')) {
    if (embedded) pruneObjectMeta(value.metadata, child(path, 'metadata'), removed);
    return;
  }
  for (const key of Object.keys(value)) {
    const propSchema = props?.[key];
    if (propSchema) {
      if (embedded && key === 'metadata') pruneObjectMeta(value[key], child(path, key), removed);
      else pruneValue(value[key], propSchema, child(path, key), opts, removed);
      continue;
    }
    if (embedded && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
      if (key === 'metadata') pruneObjectMeta(value[key], child(path, key), removed);
      continue;
    }
    if (typeof additional === 'object') {
      pruneValue(value[key], additional, child(path, key), opts, removed);
      continue;
    }
    if (additional === true || preserve) continue;
    delete value[key];
    removed.push(child(path, key));
  }
}

/**
 * Removes, in place, every field of `obj` (a whole object: apiVersion, kind and metadata are
 * always known) that `schema` does not describe. Returns the removed paths, e.g.
 * "spec.template.spec.containers[0].imagePullPolice".
 */
export function pruneUnknownFields(
  obj: Record<string, unknown>,
  schema: Schema,
  opts: PruneOptions = {},
): string[] {
  const removed: string[] = [];
  pruneValue(obj, { ...schema, 'x-kubernetes-embedded-resource': true }, '', opts, removed);
  return removed;
}
