// Errors as metav1.Status: every failure a client sees is one of these, with the reason,
// code and message text that kubectl and client-go recognise.

import { groupResource } from './gvk.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'ServerTimeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

/** An error that carries the Status a client will receive. */
export class ApiError extends Error {
  readonly status: Status;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    };
    if (details) this.status.details = details;
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason | '' | undefined {
    return this.status.reason;
  }
}

// What a caller asks of an error, as apimachinery's errors.IsNotFound and friends answer it:
// by the Status's reason where Kubernetes defines one, else by its code.

/** 404: the object (or its namespace) does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

/** 409 Conflict: a stale resourceVersion or failed precondition; read again and retry. */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.reason === 'Conflict';
}

/** 409 AlreadyExists: a create found the name taken. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.reason === 'AlreadyExists';
}

/** 422 Invalid: the object failed validation. */
export function isInvalid(err: unknown): boolean {
  return err instanceof ApiError && err.code === 422;
}

/** 403: the user may not do this (or admission refused it). */
export function isForbidden(err: unknown): boolean {
  return err instanceof ApiError && err.code === 403;
}

/** 405: the resource does not support the verb (e.g. a kind that cannot be listed or deleted). */
export function isMethodNotSupported(err: unknown): boolean {
  return err instanceof ApiError && err.code === 405;
}

/** 429: throttled (or an eviction a disruption budget refused); try again later. */
export function isTooManyRequests(err: unknown): boolean {
  return err instanceof ApiError && err.code === 429;
}

/** 410 Gone / Expired: a watch or list continuation from a compacted revision. */
export function isResourceExpired(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

/** The Forbidden a create gets in a namespace being deleted (cause NamespaceTerminating). */
export function isNamespaceTerminating(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status.details?.causes ?? []).some((c) => c.reason === NAMESPACE_TERMINATING_CAUSE)
  );
}

export const NAMESPACE_TERMINATING_CAUSE = 'NamespaceTerminating';

/** The message of anything thrown, for logs, events and status messages. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}

/** Field error kinds, as in k8s.io/apimachinery/pkg/util/validation/field. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueUnknown'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** dotted path as Kubernetes prints it: spec.template.spec.containers[0].image */
  field: string;
  badValue?: unknown;
  detail?: string;
}

const fieldErrorText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueUnknown: 'Unknown field',
  InternalError: 'Internal error',
};

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** The text of one field error: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
export function fieldErrorMessage(e: FieldError, withField = true): string {
  // Strict decoding reports unknown fields in its own words.
  if (e.type === 'FieldValueUnknown') return `unknown field "${e.field}"`;
  const parts: string[] = [fieldErrorText[e.type]];
  const showsValue =
    e.type === 'FieldValueInvalid' ||
    e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueDuplicate' ||
    e.type === 'FieldValueTypeInvalid' ||
    e.type === 'FieldValueNotFound' ||
    e.type === 'FieldValueTooMany';
  if (showsValue && 'badValue' in e) parts.push(showValue(e.badValue));
  if (e.detail) parts.push(e.detail);
  const text = parts.join(': ');
  return withField && e.field ? `${e.field}: ${text}` : text;
}

export const errors = {
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  },
  forbidden(
    user: string,
    verb: string,
    group: string,
    resource: string,
    opts: { namespace?: string; name?: string; subresource?: string; reason?: string } = {},
  ): ApiError {
    const res = opts.subresource ? `${resource}/${opts.subresource}` : resource;
    // The subject names the resource; only the reason names the subresource, as Kubernetes does.
    const what = opts.name
      ? `${groupResource(group, resource)} "${opts.name}"`
      : groupResource(group, resource);
    let msg = `${what} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${group}"`;
    msg += opts.namespace ? ` in the namespace "${opts.namespace}"` : ' at the cluster scope';
    if (opts.reason) msg += `: ${opts.reason}`;
    // Empty fields are left out, as Go's omitempty does.
    const details: StatusDetails = {};
    if (opts.name) details.name = opts.name;
    if (group) details.group = group;
    details.kind = resource;
    return new ApiError(403, 'Forbidden', msg, details);
  },
  /** A write refused for a reason of its own (NewForbidden with an error): `<resource> "name" is forbidden: why`. */
  forbiddenObject(group: string, resource: string, name: string, why: string): ApiError {
    const details: StatusDetails = {};
    if (name) details.name = name;
    if (group) details.group = group;
    details.kind = resource;
    return new ApiError(
      403,
      'Forbidden',
      `${groupResource(group, resource)} "${name}" is forbidden: ${why}`,
      details,
    );
  },
  /** A non-resource path (/metrics, /api ...) the user may not use; kube-apiserver's words. */
  forbiddenPath(user: string, verb: string, path: string): ApiError {
    return new ApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"`, {});
  },
  notFound(group: string, resource: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${groupResource(group, resource)} "${name}" not found`, {
      name,
      group,
      kind: resource,
    });
  },
  /** A path that names no resource the server serves. */
  noSuchResource(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  },
  methodNotSupported(group: string, resource: string, verb: string): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      `${verb} is not supported on resources of kind "${groupResource(group, resource)}"`,
      { group, kind: resource },
    );
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  alreadyExists(group: string, resource: string, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${groupResource(group, resource)} "${name}" already exists`, {
      name,
      group,
      kind: resource,
    });
  },
  conflict(group: string, resource: string, name: string, detail: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupResource(group, resource)} "${name}": ${detail}`,
      { name, group, kind: resource },
    );
  },
  /** The optimistic-concurrency conflict kubectl and controllers retry on. */
  staleResourceVersion(group: string, resource: string, name: string): ApiError {
    return errors.conflict(
      group,
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  /** 410 for a resourceVersion older than the compaction point (watch, list, continue). */
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  },
  requestEntityTooLarge(message: string): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format: ${contentType}`,
    );
  },
  /** 422 with one cause per field error, the message listing them all as Kubernetes does. */
  invalid(group: string, kind: string, name: string, fieldErrors: FieldError[]): ApiError {
    const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
    const list = fieldErrors.map((e) => fieldErrorMessage(e));
    const joined = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    const causes: StatusCause[] = fieldErrors.map((e) => ({
      reason: e.type,
      message: fieldErrorMessage(e, false),
      field: e.field,
    }));
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
      name,
      group,
      kind,
      causes,
    });
  },
  tooManyRequests(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
  timeout(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(504, 'Timeout', message, { retryAfterSeconds });
  },
};
