// Object metadata validation for any kind, with the kind's own name rule.

import { type NameRule, validateObjectMeta, validateObjectMetaUpdate } from '../../machinery/names.js';
import type { ObjectMeta } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { ResourceInfo } from '../registry/resource-info.js';

export function validateMeta(
  info: ResourceInfo,
  meta: ObjectMeta,
  old: ObjectMeta | undefined,
): FieldError[] {
  const nameRule: NameRule = info.strategy.nameRule ?? 'dns1123Subdomain';
  const errs = validateObjectMeta(meta, { namespaced: info.namespaced, nameRule });
  if (old) {
    const seen = new Set(errs.map((e) => `${e.type}|${e.field}`));
    for (const e of validateObjectMetaUpdate(meta, old)) if (!seen.has(`${e.type}|${e.field}`)) errs.push(e);
  }
  return errs;
}
