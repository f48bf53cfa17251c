// Living alongside client-side `kubectl apply`, which records what it applied in the
// last-applied-configuration annotation. When `kubectl apply --server-side` (manager "kubectl")
// meets fields that client-side apply set and nobody changed since, it takes them over without a
// conflict; and it keeps the annotation up to date so that going back to client-side apply works.

import type { JsonObject, KubeObject } from '../object.js';
import { compare } from './compare.js';
import { fieldSetOf } from './field-set-of.js';
import type { FieldSet } from './fieldpath.js';
import type { TypeNode } from './types.js';
import { validateTyped } from './validate.js';
import { goJson, isMap } from './value.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Total size of an object's annotations (keys and values), as the API server limits it. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** The manager name `kubectl apply --server-side` uses by default. */
export const KUBECTL_MANAGER = 'kubectl';

function annotationsOf(obj: unknown): Record<string, unknown> | undefined {
  if (!isMap(obj) || !isMap(obj.metadata)) return undefined;
  const a = (obj.metadata as JsonObject).annotations;
  return isMap(a) ? (a as Record<string, unknown>) : undefined;
}

export function hasLastApplied(obj: unknown): boolean {
  const v = annotationsOf(obj)?.[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' && v.length > 0;
}

/**
 * The fields of the last client-side applied configuration that still hold the values it set:
 * conflicts on those are not real disagreements. Undefined when there is no usable annotation.
 */
export function lastAppliedTakeover(
  live: KubeObject,
  apiVersion: string,
  type: TypeNode,
  implicitStructs: boolean,
): FieldSet | undefined {
  const text = annotationsOf(live)?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isMap(last) || last.apiVersion !== apiVersion) return undefined;
  if (validateTyped(last, type).length > 0) return undefined;
  const set = fieldSetOf(last, type);
  const diff = compare(last, live, type, { implicitStructs });
  return set.difference(diff.modified).difference(diff.added).difference(diff.removed);
}

/** The annotation's value for an applied configuration: its JSON without the annotation itself. */
export function lastAppliedValue(applied: JsonObject): string {
  const copy = structuredClone(applied);
  const annotations = annotationsOf(copy);
  if (annotations) delete annotations[LAST_APPLIED_ANNOTATION];
  return `${goJson(copy)}\n`;
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Sets the annotation, unless that would take the annotations over the size limit. */
export function setLastApplied(obj: KubeObject, value: string): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: value };
  let total = 0;
  for (const [k, v] of Object.entries(obj.metadata.annotations)) total += utf8Length(k) + utf8Length(v);
  if (total > ANNOTATIONS_MAX_BYTES) delete obj.metadata.annotations[LAST_APPLIED_ANNOTATION];
}
