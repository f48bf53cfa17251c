// k8s.io/apimachinery pkg/apis/meta/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends):
// field number -> JSON name and type, in the notation of ../schema.ts. Only the messages other
// tables reach, and the options kinds that travel as request bodies.

import type { PackageTable } from '../schema.js';

export const metaV1: PackageTable = {
  package: 'meta.v1',
  protoPackage: 'k8s.io.apimachinery.pkg.apis.meta.v1',
  kinds: ['CreateOptions', 'DeleteOptions', 'PatchOptions', 'UpdateOptions'],
  messages: {
    Condition: {
      1: 'type string!',
      2: 'status string!',
      3: 'observedGeneration int64',
      4: 'lastTransitionTime Time',
      5: 'reason string!',
      6: 'message string!',
    },
    CreateOptions: { 1: 'dryRun []string', 3: 'fieldManager string', 4: 'fieldValidation string' },
    DeleteOptions: {
      1: 'gracePeriodSeconds int64?',
      2: 'preconditions Preconditions',
      3: 'orphanDependents bool?',
      4: 'propagationPolicy string?',
      5: 'dryRun []string',
      6: 'ignoreStoreReadErrorWithClusterBreakingPotential bool?',
    },
    FieldSelectorRequirement: { 1: 'key string!', 2: 'operator string!', 3: 'values []string' },
    LabelSelector: { 1: 'matchLabels map[string]string', 2: 'matchExpressions []LabelSelectorRequirement' },
    LabelSelectorRequirement: { 1: 'key string!', 2: 'operator string!', 3: 'values []string' },
    ManagedFieldsEntry: {
      1: 'manager string',
      2: 'operation string',
      3: 'apiVersion string',
      4: 'time Time',
      6: 'fieldsType string',
      7: 'fieldsV1 FieldsV1',
      8: 'subresource string',
    },
    ObjectMeta: {
      1: 'name string',
      2: 'generateName string',
      3: 'namespace string',
      4: 'selfLink string',
      5: 'uid string',
      6: 'resourceVersion string',
      7: 'generation int64',
      8: 'creationTimestamp Time',
      9: 'deletionTimestamp Time',
      10: 'deletionGracePeriodSeconds int64?',
      11: 'labels map[string]string',
      12: 'annotations map[string]string',
      13: 'ownerReferences []OwnerReference',
      14: 'finalizers []string',
      17: 'managedFields []ManagedFieldsEntry',
    },
    OwnerReference: {
      1: 'kind string!',
      3: 'name string!',
      4: 'uid string!',
      5: 'apiVersion string!',
      6: 'controller bool?',
      7: 'blockOwnerDeletion bool?',
    },
    PatchOptions: {
      1: 'dryRun []string',
      2: 'force bool?',
      3: 'fieldManager string',
      4: 'fieldValidation string',
    },
    Preconditions: { 1: 'uid string?', 2: 'resourceVersion string?' },
    UpdateOptions: { 1: 'dryRun []string', 2: 'fieldManager string', 3: 'fieldValidation string' },
  },
};
