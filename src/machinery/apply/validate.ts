// Checks an applied configuration against its type before it is merged: values of the right
// kind, no field the schema does not declare, map-list items that carry their keys, no item
// listed twice. Messages follow the API server's (`.spec.foo: field not declared in schema`).

import type { JsonObject } from '../object.js';
import { elementToString, fieldElement, serializeElement } from './fieldpath.js';
import { itemElement } from './list-items.js';
import type { ListType, MapType, ScalarType, TypeNode } from './types.js';
import { kindOf, showValue } from './value.js';

/** Problems found, each as "path: message"; empty when the value conforms. */
export function validateTyped(value: unknown, type: TypeNode): string[] {
  const errors: string[] = [];
  check(value, type, '', errors);
  return errors;
}

/** The errors as the API server joins them into one message. */
export function joinValidationErrors(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
}

function report(errors: string[], path: string, message: string): void {
  errors.push(path === '' ? message : `${path}: ${message}`);
}

function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'map':
      return 'map[string]interface {}';
    case 'list':
      return '[]interface {}';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    default:
      return '<nil>';
  }
}

function scalarError(t: ScalarType, v: unknown): string | undefined {
  const k = kindOf(v);
  if (k === 'null') return undefined;
  switch (t) {
    case 'numeric':
      return k === 'number' ? undefined : `expected numeric (int or float), got ${goTypeName(v)}`;
    case 'string':
      return k === 'string' ? undefined : `expected string, got ${showValue(v)}`;
    case 'boolean':
      return k === 'boolean' ? undefined : `expected boolean, got ${showValue(v)}`;
    case 'untyped':
      return k === 'number' || k === 'string' || k === 'boolean'
        ? undefined
        : `expected any scalar, got ${showValue(v)}`;
  }
}

function check(v: unknown, t: TypeNode, path: string, errors: string[]): void {
  const k = kindOf(v);
  if (k === 'null') return;
  if (k === 'list' && t.list) {
    checkList(v as unknown[], t.list, path, errors);
    return;
  }
  if (k === 'map' && t.map) {
    checkMap(v as JsonObject, t.map, path, errors);
    return;
  }
  if (k !== 'list' && k !== 'map' && t.scalar) {
    const e = scalarError(t.scalar, v);
    if (e) report(errors, path, e);
    return;
  }
  if (t.map) report(errors, path, `expected map, got ${showValue(v)}`);
  else if (t.scalar)
    report(errors, path, scalarError(t.scalar, v) ?? `expected any scalar, got ${showValue(v)}`);
  else if (t.list) report(errors, path, `expected list, got ${showValue(v)}`);
}

function checkList(items: unknown[], list: ListType, path: string, errors: string[]): void {
  if (list.atomic) {
    for (let i = 0; i < items.length; i++) check(items[i], list.element, `${path}[${i}]`, errors);
    return;
  }
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const r = itemElement(list, items[i]);
    if (!r.ok) {
      report(errors, path, `element ${i}: ${r.error}`);
      return;
    }
    const key = serializeElement(r.pe);
    if (seen.has(key)) report(errors, path, `duplicate entries for key ${elementToString(r.pe)}`);
    seen.add(key);
    check(items[i], list.element, path + elementToString(r.pe), errors);
  }
}

function checkMap(m: JsonObject, map: MapType, path: string, errors: string[]): void {
  for (const key in m) {
    if (!Object.hasOwn(m, key) || m[key] === undefined) continue;
    const child = path + elementToString(fieldElement(key));
    const t = map.fields.get(key) ?? map.element;
    if (!t) {
      report(errors, child, 'field not declared in schema');
      // The API server stops at the first unknown field of an object.
      return;
    }
    check(m[key], t, child, errors);
  }
}
