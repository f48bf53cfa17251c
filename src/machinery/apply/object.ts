// Small helpers over the objects apply works on: identity for error messages, and copies without
// metadata.managedFields (which is never part of what is compared, merged or owned).

import { parseApiVersion } from '../gvk.js';
import type { JsonObject, KubeObject } from '../object.js';
import { errors, type FieldError } from '../status.js';
import { isMap } from './value.js';

/** The object with its metadata but no managedFields, sharing everything else. */
export function withoutManagedFields<T extends JsonObject | KubeObject>(obj: T): T {
  const meta = obj.metadata;
  if (!isMap(meta) || !('managedFields' in meta)) return obj;
  const { managedFields: _, ...rest } = meta as Record<string, unknown>;
  return { ...obj, metadata: rest } as T;
}

/** Go's GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`. */
export function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const k = typeof kind === 'string' ? kind : '';
  if (av.split('/').length > 2) return `/, Kind=${k}`;
  const gv = parseApiVersion(av);
  return `${gv.group}/${gv.version}, Kind=${k}`;
}

export function metaString(obj: unknown, field: 'name' | 'namespace'): string {
  if (!isMap(obj) || !isMap(obj.metadata)) return '';
  const v = (obj.metadata as JsonObject)[field];
  return typeof v === 'string' ? v : '';
}

/** 422 for problems with an object's own fields, as the API server reports them. */
export function invalidObject(
  obj: { apiVersion?: unknown; kind?: unknown },
  name: string,
  errs: FieldError[],
) {
  const gv = parseApiVersion(typeof obj.apiVersion === 'string' ? obj.apiVersion : '');
  return errors.invalid(gv.group, typeof obj.kind === 'string' ? obj.kind : '', name, errs);
}
