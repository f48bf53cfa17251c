// Access reviews sent as Kubernetes protobuf. Since client-go 1.32 the typed clients send
// built-in kinds as `application/vnd.kubernetes.protobuf` without falling back to JSON, and
// `kubectl auth can-i` is one of them: a server that wants kubectl 1.33 to get an answer must read
// these bodies. Answers may still be JSON (the clients accept both). The reading itself is the
// general decoder's (machinery/protobuf); this keeps the review endpoints to their own kinds.

import type { KubeObject } from '../../machinery/object.js';
import {
  decodeKubernetesProtobuf,
  PROTOBUF_CONTENT_TYPE,
  readEnvelope,
} from '../../machinery/protobuf/index.js';
import { errors } from '../../machinery/status.js';

export { PROTOBUF_CONTENT_TYPE };

/** The runtime.Unknown envelope of a protobuf body: the object's type and its raw message. */
export function decodeEnvelope(body: Uint8Array): { apiVersion: string; kind: string; raw: Uint8Array } {
  const { apiVersion, kind, raw } = readEnvelope(body);
  return { apiVersion, kind, raw };
}

const REVIEW_KINDS = new Set([
  'SelfSubjectAccessReview',
  'SubjectAccessReview',
  'LocalSubjectAccessReview',
  'SelfSubjectRulesReview',
]);

/**
 * An authorization.k8s.io/v1 review sent as protobuf, as the JSON object it stands for. Other
 * kinds are a 415 (the review endpoints read nothing else); broken bodies a 400.
 */
export function decodeReviewProtobuf(body: Uint8Array): KubeObject {
  const { apiVersion, kind } = readEnvelope(body);
  if (apiVersion !== 'authorization.k8s.io/v1' || !REVIEW_KINDS.has(kind)) {
    throw errors.unsupportedMediaType(PROTOBUF_CONTENT_TYPE);
  }
  return decodeKubernetesProtobuf(body);
}
