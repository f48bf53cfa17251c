// The rules a CustomResourceDefinition's openAPIV3Schema must follow to be structural, at the
// level users hit in practice: an object at the root, a type on every specified field, items for
// arrays, no properties beside additionalProperties, metadata limited to name and generateName,
// and none of the JSON-schema features Kubernetes refuses ($ref, uniqueItems, false flags).

import { childPath, keyPath } from '../../machinery/field-path.js';
import type { FieldError } from '../../machinery/status.js';
import { forbidden, invalid, notSupported, required } from './field-errors.js';
import { asObject, asString, type Json } from './values.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

type Position = 'root' | 'property' | 'items' | 'additionalProperties' | 'junctor';

/** Whether a node may go without a type: int-or-string and preserved unknown fields carry their own. */
function untypedAllowed(s: Json): boolean {
  return s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
}

function validateNode(s: Json, field: string, position: Position, errs: FieldError[]): void {
  const type = asString(s.type);
  if (s.type !== undefined && !TYPES.includes(type))
    errs.push(notSupported(childPath(field, 'type'), s.type, TYPES));
  if (position !== 'junctor' && type === '' && !untypedAllowed(s)) {
    if (position === 'property')
      errs.push(required(childPath(field, 'type'), 'must not be empty for specified object fields'));
    else if (position === 'items')
      errs.push(required(childPath(field, 'type'), 'must not be empty for specified array items'));
    else if (position === 'additionalProperties') {
      errs.push(required(childPath(field, 'type'), 'must not be empty for specified object fields'));
    }
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errs.push(
      invalid(childPath(field, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'),
    );
  }
  if (s.$ref !== undefined) errs.push(forbidden(childPath(field, '$ref'), '$ref is not supported'));
  if (s.uniqueItems === true) {
    errs.push(
      forbidden(
        childPath(field, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  if (s.additionalProperties === false) {
    errs.push(
      forbidden(childPath(field, 'additionalProperties'), 'additionalProperties cannot be set to false'),
    );
  }
  const properties = asObject(s.properties);
  const additional = asObject(s.additionalProperties);
  if (
    properties &&
    Object.keys(properties).length > 0 &&
    s.additionalProperties !== undefined &&
    s.additionalProperties !== false
  ) {
    errs.push(
      forbidden(
        childPath(field, 'additionalProperties'),
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (type === 'array' && s.items === undefined)
    errs.push(required(childPath(field, 'items'), 'must be specified'));
  if (properties) {
    for (const [name, child] of Object.entries(properties)) {
      const c = asObject(child);
      if (c) validateNode(c, keyPath(childPath(field, 'properties'), name), 'property', errs);
    }
  }
  if (additional)
    validateNode(additional, childPath(field, 'additionalProperties'), 'additionalProperties', errs);
  const items = asObject(s.items);
  if (items) validateNode(items, childPath(field, 'items'), 'items', errs);
  else if (Array.isArray(s.items))
    errs.push(forbidden(childPath(field, 'items'), 'items must be a schema object and not an array'));
  for (const junctor of ['allOf', 'anyOf', 'oneOf']) {
    if (!Array.isArray(s[junctor])) continue;
    (s[junctor] as unknown[]).forEach((j, i) => {
      const o = asObject(j);
      if (o) validateNode(o, `${childPath(field, junctor)}[${i}]`, 'junctor', errs);
    });
  }
  const not = asObject(s.not);
  if (not) validateNode(not, childPath(field, 'not'), 'junctor', errs);
}

/** metadata at the root may only restrict name and generateName, as strings. */
function validateRootMetadata(metadata: Json, field: string): FieldError[] {
  const props = asObject(metadata.properties) ?? {};
  const allowedKeys = new Set(['type', 'properties', 'description']);
  const extraKeys = Object.keys(metadata).some((k) => !allowedKeys.has(k));
  const badType = metadata.type !== undefined && metadata.type !== 'object';
  const extraProps = Object.entries(props).some(([k, v]) => {
    if (k !== 'name' && k !== 'generateName') return true;
    const p = asObject(v) ?? {};
    return (
      Object.keys(p).some(
        (pk) => !['type', 'description', 'maxLength', 'pattern', 'minLength'].includes(pk),
      ) || p.type !== 'string'
    );
  });
  if (!extraKeys && !badType && !extraProps) return [];
  return [
    forbidden(
      field,
      'must not specify anything other than name and generateName, but metadata is implicitly specified',
    ),
  ];
}

/** Structural-schema checks of a version's openAPIV3Schema, reported under `field`. */
export function validateStructuralSchema(schemaValue: unknown, field: string): FieldError[] {
  const schema = asObject(schemaValue);
  if (!schema) return [required(field, 'schemas are required')];
  const errs: FieldError[] = [];
  const type = asString(schema.type);
  if (type === '') errs.push(required(childPath(field, 'type'), 'must not be empty at the root'));
  else if (type !== 'object')
    errs.push(invalid(childPath(field, 'type'), type, 'must be object at the root'));
  const metadata = asObject(asObject(schema.properties)?.metadata);
  if (metadata)
    errs.push(...validateRootMetadata(metadata, keyPath(childPath(field, 'properties'), 'metadata')));
  const copy: Json = { ...schema };
  const props = asObject(copy.properties);
  if (props && metadata) {
    const { metadata: _m, ...rest } = props;
    copy.properties = rest;
  }
  validateNode(copy, field, 'root', errs);
  return errs;
}
