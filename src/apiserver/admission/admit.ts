// Admission of a write, after the object is fully formed and before it is stored: unknown fields
// (refused, warned about or dropped per fieldValidation), defaulting, then validation. Every
// problem found is reported at once, as one 422 naming each field.

import type { KubeObject } from '../../machinery/object.js';
import { pruneUnknownFields } from '../../machinery/prune.js';
import { errors, type FieldError } from '../../machinery/status.js';
import type { ResourceInfo } from '../registry/resource-info.js';
import { validateMeta } from './meta-validation.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface AdmissionScope {
  fieldValidation: FieldValidation;
  /** Warnings for the client (sent as `Warning: 299 - "..."` headers). */
  warnings: string[];
}

/** Drops fields the schema does not know; Strict refuses them, Warn reports them. */
export function admitUnknownFields(info: ResourceInfo, obj: KubeObject, scope: AdmissionScope): void {
  const schema = info.schema();
  if (!schema) return;
  const removed = pruneUnknownFields(obj, schema, { structural: info.structuralSchema === true });
  if (removed.length === 0 || scope.fieldValidation === 'Ignore') return;
  if (scope.fieldValidation === 'Strict') {
    throw errors.invalid(
      info.group,
      info.kind,
      obj.metadata?.name ?? '',
      removed.map((field) => ({ type: 'FieldValueUnknown', field })),
    );
  }
  for (const field of removed) scope.warnings.push(`unknown field "${field}"`);
}

export function applyDefaults(info: ResourceInfo, obj: KubeObject): void {
  info.applySchemaDefaults?.(obj);
  info.strategy.applyDefaults?.(obj);
}

/**
 * Validates a complete object (and its transition from `old` on update); throws 422. A status
 * write (`statusOnly`) changed nothing but status and metadata: the rest, stored and valid
 * already, is not validated again, as Kubernetes' status strategies do.
 */
export function validateObject(
  info: ResourceInfo,
  obj: KubeObject,
  old?: KubeObject,
  statusOnly = false,
): void {
  const errs: FieldError[] = [];
  errs.push(...validateMeta(info, obj.metadata, old?.metadata));
  const kindErrors = statusOnly ? [] : [...(info.strategy.validate?.(obj) ?? [])];
  if (old) kindErrors.push(...(info.strategy.validateUpdate?.(obj, old) ?? []));
  // The schema and the kind's own rules may both catch a problem: report it once, in the kind's words.
  const byKind = new Set(kindErrors.map((e) => `${e.type}|${e.field}`));
  const schemaErrors =
    (statusOnly ? info.validateStatusSchema?.(obj) : undefined) ?? info.validateSchema?.(obj) ?? [];
  for (const e of schemaErrors) {
    if (!byKind.has(`${e.type}|${e.field}`)) errs.push(e);
  }
  errs.push(...kindErrors);
  if (errs.length > 0) throw errors.invalid(info.group, info.kind, obj.metadata.name ?? '', errs);
}
