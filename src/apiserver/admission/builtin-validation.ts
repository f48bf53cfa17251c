// Schema validation of built-in kinds with the validators kubernetes-models compiles from the
// Kubernetes OpenAPI definitions, reported as Kubernetes field errors.

import type { GroupVersionKind } from '../../machinery/gvk.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';

/** An ajv error as the compiled validators produce it. */
interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type ValidateFn = (data: unknown) => boolean;
interface ModelClass {
  new (data: unknown): { validate(): void };
}

const validators = new Map<string, ValidateFn>();
// Validators of the kinds' status alone (PodStatus, DeploymentStatus...), for status writes.
const statusValidators = new Map<string, ValidateFn>();

function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

/**
 * Loads the validators of the given kinds once per process (every simulated cluster shares them).
 * Kinds kubernetes-models does not ship are skipped: they are validated by their strategies only.
 */
export async function loadBuiltinValidators(kinds: GroupVersionKind[]): Promise<void> {
  await Promise.all(
    kinds.map(async (gvk) => {
      const key = gvkKey(gvk);
      if (validators.has(key)) return;
      const modulePath = `kubernetes-models/${gvk.group === '' ? '' : `${gvk.group}/`}${gvk.version}/${gvk.kind}`;
      try {
        const mod = (await import(modulePath)) as Record<string, ModelClass>;
        const Model = mod[gvk.kind];
        if (!Model) return;
        validators.set(key, (data) => {
          new Model(data).validate();
          return true;
        });
      } catch {
        // Not shipped for this kind: nothing to add.
      }
      try {
        const statusName = `${gvk.kind}Status`;
        const mod = (await import(`${modulePath}Status`)) as Record<string, ModelClass>;
        const Model = mod[statusName];
        if (!Model) return;
        statusValidators.set(key, (data) => {
          new Model(data).validate();
          return true;
        });
      } catch {
        // A kind without a status type.
      }
    }),
  );
}

/** JSON pointer "/spec/template/spec/containers/0/image" -> "spec.template.spec.containers[0].image". */
export function pointerToFieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let cur: unknown = obj;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Kubernetes-style field errors from ajv errors (also used for custom resources). */
export function ajvErrorsToFieldErrors(data: unknown, errs: AjvError[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    let fe: FieldError;
    const field = pointerToFieldPath(e.instancePath);
    const badValue = valueAt(data, e.instancePath);
    switch (e.keyword) {
      case 'required': {
        const missing = String(e.params.missingProperty);
        fe = { type: 'FieldValueRequired', field: field === '' ? missing : `${field}.${missing}` };
        break;
      }
      case 'type':
        fe = {
          type: 'FieldValueTypeInvalid',
          field,
          badValue,
          detail: `${field || 'body'} in body must be of type ${String(e.params.type)}: ${JSON.stringify(typeName(badValue))}`,
        };
        break;
      case 'enum':
        fe = {
          type: 'FieldValueNotSupported',
          field,
          badValue,
          detail: `supported values: ${((e.params.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}`,
        };
        break;
      default:
        fe = {
          type: 'FieldValueInvalid',
          field,
          badValue,
          detail: `${field || 'body'} in body ${keywordDetail(e)}`,
        };
    }
    const key = `${fe.type}|${fe.field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fe);
  }
  return out;
}

/** The wording Kubernetes' OpenAPI validation uses for each failed keyword. */
function keywordDetail(e: AjvError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'minimum':
      return `should be greater than or equal to ${String(p.limit)}`;
    case 'maximum':
      return `should be less than or equal to ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `should be greater than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `should be less than ${String(p.limit)}`;
    case 'minLength':
      return `should be at least ${String(p.limit)} chars long`;
    case 'maxLength':
      return `may not be more than ${String(p.limit)} bytes`;
    case 'minItems':
      return `should have at least ${String(p.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`;
    case 'minProperties':
      return `should have at least ${String(p.limit)} properties`;
    case 'maxProperties':
      return `should have at most ${String(p.limit)} properties`;
    case 'pattern':
      return `should match '${String(p.pattern)}'`;
    case 'format':
      return `must be of type ${String(p.format)}`;
    case 'multipleOf':
      return `should be a multiple of ${String(p.multipleOf)}`;
    case 'uniqueItems':
      return "shouldn't contain duplicates";
    default:
      return e.message ?? e.keyword;
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Field errors for a built-in object's status alone (paths start with "status."), or undefined
 * when the kind has no status type: status writes validate what they may change.
 */
export function validateBuiltinStatus(gvk: GroupVersionKind, obj: KubeObject): FieldError[] | undefined {
  const validate = statusValidators.get(gvkKey(gvk));
  if (!validate) return undefined;
  if (obj.status === undefined || obj.status === null) return [];
  try {
    validate(obj.status);
    return [];
  } catch (err) {
    const errs = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errs)) throw err;
    return ajvErrorsToFieldErrors(obj.status, errs).map((e) => ({
      ...e,
      field: e.field === '' ? 'status' : e.field.startsWith('[') ? `status${e.field}` : `status.${e.field}`,
    }));
  }
}

/** Field errors for a built-in object, or [] when valid or when no validator is known. */
export function validateBuiltin(gvk: GroupVersionKind, obj: unknown): FieldError[] {
  const validate = validators.get(gvkKey(gvk));
  if (!validate) return [];
  try {
    validate(obj);
    return [];
  } catch (err) {
    const errs = (err as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errs)) throw err;
    return ajvErrorsToFieldErrors(obj, errs);
  }
}
