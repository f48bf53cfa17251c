// k8s.io/api authentication/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const authenticationV1: PackageTable = {
  package: 'authentication.v1',
  protoPackage: 'k8s.io.api.authentication.v1',
  apiVersion: 'authentication.k8s.io/v1',
  kinds: ['SelfSubjectReview', 'TokenRequest', 'TokenReview'],
  messages: {
    BoundObjectReference: { 1: 'kind string', 2: 'apiVersion string', 3: 'name string', 4: 'uid string' },
    ExtraValue: '[]string',
    SelfSubjectReview: { 1: 'metadata meta.v1.ObjectMeta', 2: 'status SelfSubjectReviewStatus' },
    SelfSubjectReviewStatus: { 1: 'userInfo UserInfo' },
    TokenRequest: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'spec TokenRequestSpec',
      3: 'status TokenRequestStatus',
    },
    TokenRequestSpec: {
      1: 'audiences []string',
      3: 'boundObjectRef BoundObjectReference',
      4: 'expirationSeconds int64?',
    },
    TokenRequestStatus: { 1: 'token string!', 2: 'expirationTimestamp Time' },
    TokenReview: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'spec TokenReviewSpec',
      3: 'status TokenReviewStatus',
    },
    TokenReviewSpec: { 1: 'token string', 2: 'audiences []string' },
    TokenReviewStatus: {
      1: 'authenticated bool',
      2: 'user UserInfo',
      3: 'error string',
      4: 'audiences []string',
    },
    UserInfo: {
      1: 'username string',
      2: 'uid string',
      3: 'groups []string',
      4: 'extra map[string]ExtraValue',
    },
  },
};
