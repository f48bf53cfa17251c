// A CustomResourceDefinition version's openAPIV3Schema, turned into what the API server needs:
// an ajv validator reporting Kubernetes field errors, structural defaulting, and the Schema
// graph that pruning, strategic merge and server-side apply read. Compiled validators are
// shared per distinct schema, so many clusters with the same CRDs compile them once.

import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { KubeObject } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema.js';
import type { FieldError } from '../../machinery/status.js';
import { ajvErrorsToFieldErrors } from '../admission/builtin-validation.js';

// ajv-formats is published as CommonJS with a default export.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

const INT32 = { min: -2147483648, max: 2147483647 };

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, coerceTypes: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('quantity', /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/);
  return ajv;
}

let sharedAjv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The JSON schema ajv checks: Kubernetes extensions turned into what they mean. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!isJsonObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      const props: Record<string, unknown> = {};
      for (const [pk, pv] of Object.entries(isJsonObject(v) ? v : {})) props[pk] = toJsonSchema(pv);
      out[k] = props;
    } else if (k === 'default' || k === 'example' || k === 'enum') {
      out[k] = v;
    } else {
      out[k] = toJsonSchema(v);
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true && out.type === undefined) {
    // Either an integer or a string: any other type is refused.
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

/**
 * Validates custom resources against a version's schema (metadata is checked elsewhere). The
 * validator is compiled on first use: a server installing many CRDs at start (the hub's) would
 * otherwise spend seconds compiling validators of kinds nobody has written yet.
 */
export function crdValidator(openAPIV3Schema: unknown): (obj: KubeObject) => FieldError[] {
  let fn: ValidateFunction | undefined;
  return (obj) => {
    try {
      fn ??= compiledValidator(openAPIV3Schema);
    } catch (err) {
      // A schema ajv cannot compile (a bad pattern, say) refuses writes with its reason.
      const detail = `the CustomResourceDefinition's schema cannot be used: ${err instanceof Error ? err.message : String(err)}`;
      return [{ type: 'InternalError', field: '<root>', detail }];
    }
    return fn(obj) ? [] : ajvErrorsToFieldErrors(obj, (fn.errors ?? []) as never);
  };
}

function compiledValidator(openAPIV3Schema: unknown): ValidateFunction {
  const source = isJsonObject(openAPIV3Schema) ? { ...openAPIV3Schema } : {};
  if (isJsonObject(source.properties)) {
    const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = source.properties;
    source.properties = rest;
  }
  const key = createHash('sha256').update(JSON.stringify(source)).digest('hex');
  let validate = compiled.get(key);
  if (!validate) {
    sharedAjv ??= newAjv();
    validate = sharedAjv.compile(toJsonSchema(source) as object);
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Fills `default`s of absent (or null but not nullable) fields, recursing into what is present.
 * A null in a field that is neither nullable nor defaulted is dropped, as kube-apiserver does for
 * custom resources (`selector: {matchLabels: }` in YAML means "not set").
 */
export function applyStructuralDefaults(value: unknown, schema: Schema): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyStructuralDefaults(item, schema.items);
    return;
  }
  if (!isJsonObject(value)) return;
  if (schema.properties) {
    for (const [key, prop] of Object.entries(schema.properties)) {
      const current = value[key];
      if (current === null && !prop.nullable && prop.default === undefined) {
        delete value[key];
        continue;
      }
      if ((current === undefined || (current === null && !prop.nullable)) && prop.default !== undefined) {
        value[key] = structuredClone(prop.default) as never;
      }
      if (value[key] !== undefined) applyStructuralDefaults(value[key], prop);
    }
  }
  const additional = schema.additionalProperties;
  if (typeof additional === 'object') {
    for (const key of Object.keys(value)) {
      if (schema.properties?.[key]) continue;
      applyStructuralDefaults(value[key], additional);
    }
  }
}

/** A CRD schema as a Schema graph, with the standard object metadata schema plugged in. */
export function crdSchema(openAPIV3Schema: unknown, objectMeta: Schema | undefined): Schema {
  const root = (
    isJsonObject(openAPIV3Schema) ? structuredClone(openAPIV3Schema) : { type: 'object' }
  ) as Schema;
  root.type ??= 'object';
  root.properties = { ...(root.properties ?? {}) };
  root.properties.apiVersion = { type: 'string' };
  root.properties.kind = { type: 'string' };
  root.properties.metadata = objectMeta ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return root;
}
