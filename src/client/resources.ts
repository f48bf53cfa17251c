// ResourceRefs of every built-in kind the API server serves, by plural resource name, so that
// callers write `client.get(resources.deployments, name, {namespace})`. Custom resources are
// resolved from discovery by RESTMapper (rest-mapper.ts).

import { parseApiVersion } from '../machinery/gvk.js';
import type { ResourceRef } from './client.js';

/** A frozen ResourceRef (for the kinds of other modules, too). */
export function resourceRef(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
): ResourceRef {
  return Object.freeze({ group, version, resource, kind, namespaced });
}

const ref = resourceRef;

export const resources = Object.freeze({
  // core/v1
  namespaces: ref('', 'v1', 'namespaces', 'Namespace', false),
  pods: ref('', 'v1', 'pods', 'Pod', true),
  bindings: ref('', 'v1', 'bindings', 'Binding', true),
  services: ref('', 'v1', 'services', 'Service', true),
  endpoints: ref('', 'v1', 'endpoints', 'Endpoints', true),
  configmaps: ref('', 'v1', 'configmaps', 'ConfigMap', true),
  secrets: ref('', 'v1', 'secrets', 'Secret', true),
  serviceaccounts: ref('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  nodes: ref('', 'v1', 'nodes', 'Node', false),
  events: ref('', 'v1', 'events', 'Event', true),
  persistentvolumeclaims: ref('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
  resourcequotas: ref('', 'v1', 'resourcequotas', 'ResourceQuota', true),
  // apps/v1
  deployments: ref('apps', 'v1', 'deployments', 'Deployment', true),
  replicasets: ref('apps', 'v1', 'replicasets', 'ReplicaSet', true),
  statefulsets: ref('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  daemonsets: ref('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  controllerrevisions: ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  // batch/v1
  jobs: ref('batch', 'v1', 'jobs', 'Job', true),
  cronjobs: ref('batch', 'v1', 'cronjobs', 'CronJob', true),
  // coordination, discovery, networking, policy
  leases: ref('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  endpointslices: ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  networkpolicies: ref('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true),
  ingresses: ref('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true),
  ingressclasses: ref('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  poddisruptionbudgets: ref('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  // rbac.authorization.k8s.io/v1
  roles: ref('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rolebindings: ref('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  clusterroles: ref('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  clusterrolebindings: ref(
    'rbac.authorization.k8s.io',
    'v1',
    'clusterrolebindings',
    'ClusterRoleBinding',
    false,
  ),
  // apiextensions.k8s.io/v1
  customresourcedefinitions: ref(
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    false,
  ),
  // authorization.k8s.io/v1 and authentication.k8s.io/v1 (create-only reviews)
  selfsubjectaccessreviews: ref(
    'authorization.k8s.io',
    'v1',
    'selfsubjectaccessreviews',
    'SelfSubjectAccessReview',
    false,
  ),
  selfsubjectrulesreviews: ref(
    'authorization.k8s.io',
    'v1',
    'selfsubjectrulesreviews',
    'SelfSubjectRulesReview',
    false,
  ),
  subjectaccessreviews: ref(
    'authorization.k8s.io',
    'v1',
    'subjectaccessreviews',
    'SubjectAccessReview',
    false,
  ),
  localsubjectaccessreviews: ref(
    'authorization.k8s.io',
    'v1',
    'localsubjectaccessreviews',
    'LocalSubjectAccessReview',
    true,
  ),
  selfsubjectreviews: ref('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false),
  tokenreviews: ref('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false),
} satisfies Record<string, ResourceRef>);

export type BuiltinResourceName = keyof typeof resources;

const byKind = new Map<string, ResourceRef>();
for (const r of Object.values(resources) as ResourceRef[]) byKind.set(`${r.group}/${r.version}/${r.kind}`, r);

/** The built-in ResourceRef for an apiVersion ("apps/v1") and kind, if it is one. */
export function builtinRef(apiVersion: string, kind: string): ResourceRef | undefined {
  const gv = parseApiVersion(apiVersion);
  return byKind.get(`${gv.group}/${gv.version}/${kind}`);
}
