// k8s.io/api scheduling/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const schedulingV1: PackageTable = {
  package: 'scheduling.v1',
  protoPackage: 'k8s.io.api.scheduling.v1',
  apiVersion: 'scheduling.k8s.io/v1',
  kinds: ['PriorityClass'],
  messages: {
    PriorityClass: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'value int32!',
      3: 'globalDefault bool',
      4: 'description string',
      5: 'preemptionPolicy string?',
    },
  },
};
