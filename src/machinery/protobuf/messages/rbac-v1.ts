// k8s.io/api rbac/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const rbacV1: PackageTable = {
  package: 'rbac.v1',
  protoPackage: 'k8s.io.api.rbac.v1',
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
  messages: {
    AggregationRule: { 1: 'clusterRoleSelectors []meta.v1.LabelSelector' },
    ClusterRole: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'rules []PolicyRule',
      3: 'aggregationRule AggregationRule',
    },
    ClusterRoleBinding: { 1: 'metadata meta.v1.ObjectMeta', 2: 'subjects []Subject', 3: 'roleRef RoleRef' },
    PolicyRule: {
      1: 'verbs []string',
      2: 'apiGroups []string',
      3: 'resources []string',
      4: 'resourceNames []string',
      5: 'nonResourceURLs []string',
    },
    Role: { 1: 'metadata meta.v1.ObjectMeta', 2: 'rules []PolicyRule' },
    RoleBinding: { 1: 'metadata meta.v1.ObjectMeta', 2: 'subjects []Subject', 3: 'roleRef RoleRef' },
    RoleRef: { 1: 'apiGroup string!', 2: 'kind string!', 3: 'name string!' },
    Subject: { 1: 'kind string!', 2: 'apiGroup string', 3: 'name string!', 4: 'namespace string' },
  },
};
