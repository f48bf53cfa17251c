// k8s.io/api coordination/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const coordinationV1: PackageTable = {
  package: 'coordination.v1',
  protoPackage: 'k8s.io.api.coordination.v1',
  apiVersion: 'coordination.k8s.io/v1',
  kinds: ['Lease'],
  messages: {
    Lease: { 1: 'metadata meta.v1.ObjectMeta', 2: 'spec LeaseSpec' },
    LeaseSpec: {
      1: 'holderIdentity string?',
      2: 'leaseDurationSeconds int32?',
      3: 'acquireTime MicroTime',
      4: 'renewTime MicroTime',
      5: 'leaseTransitions int32?',
      6: 'strategy string?',
      7: 'preferredHolder string?',
    },
  },
};
