// k8s.io/api policy/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const policyV1: PackageTable = {
  package: 'policy.v1',
  protoPackage: 'k8s.io.api.policy.v1',
  apiVersion: 'policy/v1',
  kinds: ['Eviction', 'PodDisruptionBudget'],
  messages: {
    Eviction: { 1: 'metadata meta.v1.ObjectMeta', 2: 'deleteOptions meta.v1.DeleteOptions' },
    PodDisruptionBudget: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'spec PodDisruptionBudgetSpec',
      3: 'status PodDisruptionBudgetStatus',
    },
    PodDisruptionBudgetSpec: {
      1: 'minAvailable IntOrString',
      2: 'selector meta.v1.LabelSelector',
      3: 'maxUnavailable IntOrString',
      4: 'unhealthyPodEvictionPolicy string?',
    },
    PodDisruptionBudgetStatus: {
      1: 'observedGeneration int64',
      2: 'disruptedPods map[string]Time',
      3: 'disruptionsAllowed int32!',
      4: 'currentHealthy int32!',
      5: 'desiredHealthy int32!',
      6: 'expectedPods int32!',
      7: 'conditions []meta.v1.Condition',
    },
  },
};
