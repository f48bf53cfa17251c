// The authorization.k8s.io reviews: SelfSubjectAccessReview (`kubectl auth can-i`),
// SubjectAccessReview, LocalSubjectAccessReview and SelfSubjectRulesReview
// (`kubectl auth can-i --list`), answered from the RBAC authorizer. Also the Forbidden error a
// denied request gets, for resource and non-resource requests alike.

import type { KubeObject } from '../../machinery/object.js';
import { ApiError, errors, type FieldError } from '../../machinery/status.js';
import type { UserInfo } from '../authn.js';
import {
  AUTHORIZATION_GROUP,
  type AuthorizationAttributes,
  type NonResourceAttributes,
  type ResourceAttributes,
  type ReviewingAuthorizer,
  type SubjectAccessReviewSpec,
  type SubjectAccessReviewStatus,
  type SubjectRulesReviewStatus,
} from './types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The attributes a review's resourceAttributes or nonResourceAttributes describe, for `user`. */
export function attributesFromSpec(spec: SubjectAccessReviewSpec, user: UserInfo): AuthorizationAttributes {
  if (isObject(spec.resourceAttributes)) {
    const r = spec.resourceAttributes as ResourceAttributes;
    return {
      user,
      verb: str(r.verb),
      isResourceRequest: true,
      namespace: str(r.namespace),
      apiGroup: str(r.group),
      // An empty version means any version.
      apiVersion: str(r.version) || '*',
      resource: str(r.resource),
      subresource: str(r.subresource),
      name: str(r.name),
    };
  }
  const n = (isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : {}) as NonResourceAttributes;
  return { user, verb: str(n.verb), isResourceRequest: false, path: str(n.path) };
}

/** The user a SubjectAccessReview asks about (spec.user, spec.groups, spec.uid, spec.extra). */
export function userFromSpec(spec: SubjectAccessReviewSpec): UserInfo {
  const user: UserInfo = {
    username: str(spec.user),
    groups: Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [],
  };
  if (typeof spec.uid === 'string' && spec.uid !== '') user.uid = spec.uid;
  if (isObject(spec.extra)) user.extra = spec.extra as Record<string, string[]>;
  return user;
}

/**
 * The status of an access review of `spec` for `user`: allowed, and why. RBAC never denies
 * explicitly, so `denied` is never set.
 */
export function reviewAccess(
  authorizer: ReviewingAuthorizer,
  spec: SubjectAccessReviewSpec,
  user: UserInfo,
): SubjectAccessReviewStatus {
  const decision = authorizer.authorize(attributesFromSpec(spec, user));
  const status: SubjectAccessReviewStatus = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return status;
}

function attributeErrors(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = spec.resourceAttributes !== undefined && spec.resourceAttributes !== null;
  const hasNonResource = spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null;
  if (hasResource && hasNonResource) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.nonResourceAttributes',
      badValue: spec.nonResourceAttributes,
      detail: 'cannot be specified in combination with resourceAttributes',
    });
  }
  if (!hasResource && !hasNonResource) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.resourceAttributes',
      badValue: null,
      detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
  }
  for (const key of ['resourceAttributes', 'nonResourceAttributes'] as const) {
    const v = spec[key];
    if (v !== undefined && v !== null && !isObject(v)) {
      errs.push({
        type: 'FieldValueTypeInvalid',
        field: `spec.${key}`,
        badValue: v,
        detail: 'must be an object',
      });
    }
  }
  return errs;
}

function metadataIsEmpty(meta: unknown, allowNamespace: boolean): boolean {
  if (meta === undefined || meta === null) return true;
  if (!isObject(meta)) return false;
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined || v === null || v === '') continue;
    if (k === 'managedFields') continue;
    // Clients send creationTimestamp: null, which is empty.
    if (allowNamespace && k === 'namespace') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    return false;
  }
  return true;
}

export type AccessReviewKind = 'SelfSubjectAccessReview' | 'SubjectAccessReview' | 'LocalSubjectAccessReview';

/**
 * Answers an access review object POSTed to authorization.k8s.io/v1: validates it as
 * Kubernetes does (422 naming the field), evaluates it and returns it with its status.
 * `requester` is the authenticated user of the request: a SelfSubjectAccessReview asks about
 * them; the other kinds name their subject in the spec. `namespace` is the request path's
 * namespace (LocalSubjectAccessReview only).
 */
export function accessReview(
  authorizer: ReviewingAuthorizer,
  review: KubeObject,
  requester: UserInfo,
  namespace = '',
): KubeObject & { status: SubjectAccessReviewStatus } {
  const kind = review.kind as AccessReviewKind;
  if (
    kind !== 'SelfSubjectAccessReview' &&
    kind !== 'SubjectAccessReview' &&
    kind !== 'LocalSubjectAccessReview'
  ) {
    throw errors.badRequest(`not an access review: kind "${String(review.kind)}"`);
  }
  const spec = isObject(review.spec) ? review.spec : {};
  const errs = attributeErrors(spec);
  if (kind !== 'SelfSubjectAccessReview') {
    const user = spec.user;
    const groups = spec.groups;
    if ((typeof user !== 'string' || user === '') && (!Array.isArray(groups) || groups.length === 0)) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.user',
        badValue: typeof user === 'string' ? user : '',
        detail: 'at least one of user or group must be specified',
      });
    }
  }
  if (kind === 'LocalSubjectAccessReview') {
    const metaNs = str(review.metadata?.namespace) || namespace;
    if (!metadataIsEmpty(review.metadata, true)) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata',
        badValue: review.metadata,
        detail: 'must be empty except for namespace',
      });
    }
    const ra = spec.resourceAttributes;
    if (isObject(ra) && str(ra.namespace) !== metaNs) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.resourceAttributes.namespace',
        badValue: str(ra.namespace),
        detail: 'must match metadata.namespace',
      });
    }
    if (spec.nonResourceAttributes !== undefined && spec.nonResourceAttributes !== null) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.nonResourceAttributes',
        badValue: spec.nonResourceAttributes,
        detail: 'disallowed on this kind of request',
      });
    }
  } else if (!metadataIsEmpty(review.metadata, false)) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'metadata',
      badValue: review.metadata,
      detail: 'must be empty',
    });
  }
  if (errs.length > 0) throw errors.invalid(AUTHORIZATION_GROUP, kind, '', errs);

  const typedSpec = spec as SubjectAccessReviewSpec;
  const subject = kind === 'SelfSubjectAccessReview' ? requester : userFromSpec(typedSpec);
  return { ...review, status: reviewAccess(authorizer, typedSpec, subject) };
}

/**
 * Answers a SelfSubjectRulesReview: the requester's rules in spec.namespace. A missing namespace
 * is a 400, as in kube-apiserver.
 */
export function rulesReview(
  authorizer: ReviewingAuthorizer,
  review: KubeObject,
  requester: UserInfo,
): KubeObject & { status: SubjectRulesReviewStatus } {
  const spec = isObject(review.spec) ? review.spec : {};
  const namespace = str(spec.namespace);
  if (namespace === '') throw errors.badRequest('no namespace on request');
  return {
    apiVersion: review.apiVersion,
    kind: 'SelfSubjectRulesReview',
    metadata: {},
    spec: {},
    status: authorizer.rulesFor(requester, namespace),
  };
}

/**
 * The 403 for a request the authorizer did not allow, worded as kube-apiserver words it, with
 * the authorizer's reason appended when there is one.
 */
export function forbiddenError(attrs: AuthorizationAttributes, reason: string): ApiError {
  if (attrs.isResourceRequest) {
    const opts: { namespace?: string; name?: string; subresource?: string; reason?: string } = {};
    if (attrs.namespace) opts.namespace = attrs.namespace;
    if (attrs.name) opts.name = attrs.name;
    if (attrs.subresource) opts.subresource = attrs.subresource;
    if (reason) opts.reason = reason;
    return errors.forbidden(
      attrs.user.username,
      attrs.verb,
      attrs.apiGroup ?? '',
      attrs.resource ?? '',
      opts,
    );
  }
  let message = `forbidden: User "${attrs.user.username}" cannot ${attrs.verb} path "${attrs.path ?? ''}"`;
  if (reason) message += `: ${reason}`;
  return new ApiError(403, 'Forbidden', message, {});
}
