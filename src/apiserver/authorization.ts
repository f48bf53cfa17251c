// The authorization seam the request paths call: RBAC implements it (src/apiserver/rbac/).

import type { AuthorizationAttributes, AuthorizationDecision } from './rbac/types.js';

export type { AuthorizationAttributes, AuthorizationDecision };

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): AuthorizationDecision | Promise<AuthorizationDecision>;
}
