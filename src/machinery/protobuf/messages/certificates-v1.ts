// k8s.io/api certificates/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const certificatesV1: PackageTable = {
  package: 'certificates.v1',
  protoPackage: 'k8s.io.api.certificates.v1',
  apiVersion: 'certificates.k8s.io/v1',
  kinds: ['CertificateSigningRequest'],
  messages: {
    CertificateSigningRequest: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'spec CertificateSigningRequestSpec',
      3: 'status CertificateSigningRequestStatus',
    },
    CertificateSigningRequestCondition: {
      1: 'type string!',
      2: 'reason string',
      3: 'message string',
      4: 'lastUpdateTime Time',
      5: 'lastTransitionTime Time',
      6: 'status string!',
    },
    CertificateSigningRequestSpec: {
      1: 'request bytes!',
      2: 'username string',
      3: 'uid string',
      4: 'groups []string',
      5: 'usages []string',
      6: 'extra map[string]ExtraValue',
      7: 'signerName string!',
      8: 'expirationSeconds int32?',
    },
    CertificateSigningRequestStatus: {
      1: 'conditions []CertificateSigningRequestCondition',
      2: 'certificate bytes',
    },
    ExtraValue: '[]string',
  },
};
