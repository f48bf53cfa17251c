// The review kinds: answered from the authorizer and authenticator, never stored.
// `kubectl auth can-i` posts SelfSubjectAccessReviews (and SelfSubjectRulesReviews for --list),
// `kubectl auth whoami` a SelfSubjectReview.

import type { KubeObject } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { type Authenticator, selfSubjectReviewStatus } from '../authn.js';
import type { HandlerResult, SubresourceHandler } from '../handler.js';
import type { RbacAuthorizer } from '../rbac/authorizer.js';
import { accessReview, rulesReview } from '../rbac/review.js';
import type { ResourceInfo } from '../registry/resource-info.js';
import type { WriteScope } from '../registry/rest.js';
import type { ResourceRequest } from '../request.js';

export class ReviewHandler implements SubresourceHandler {
  constructor(
    private readonly authorizer: RbacAuthorizer,
    private readonly authenticator: Authenticator,
  ) {}

  async serve(req: ResourceRequest, info: ResourceInfo, scope: WriteScope): Promise<HandlerResult> {
    if (req.verb !== 'create') throw errors.methodNotSupported(info.group, info.resource, req.verb);
    if (!isJsonObject(req.body)) throw errors.badRequest('the body of the request must be an object');
    const review = req.body as unknown as KubeObject;
    const expected = `${info.group}/${info.version}`;
    if (review.apiVersion !== expected || review.kind !== info.kind) {
      throw errors.badRequest(
        `the body must be a ${info.kind} (${expected}), not ${String(review.kind)} (${String(review.apiVersion)})`,
      );
    }
    review.metadata ??= {};
    let body: KubeObject;
    switch (info.kind) {
      case 'SelfSubjectAccessReview':
      case 'SubjectAccessReview':
      case 'LocalSubjectAccessReview':
        body = accessReview(this.authorizer, review, req.user, req.namespace ?? '');
        break;
      case 'SelfSubjectRulesReview':
        body = rulesReview(this.authorizer, review, req.user);
        break;
      case 'SelfSubjectReview':
        body = { ...review, status: selfSubjectReviewStatus(req.user) };
        break;
      case 'TokenReview': {
        const spec = isJsonObject(review.spec) ? review.spec : {};
        const token = typeof spec.token === 'string' ? spec.token : '';
        const user = token ? this.authenticator.authenticateToken(token) : null;
        body = {
          ...review,
          status: user
            ? {
                authenticated: true,
                user: { username: user.username, uid: user.uid ?? '', groups: user.groups },
              }
            : { authenticated: false, error: 'invalid bearer token' },
        };
        break;
      }
      default:
        throw errors.methodNotSupported(info.group, info.resource, req.verb);
    }
    return { code: 201, body, warnings: scope.warnings };
  }
}
