// The behaviour of each built-in kind, looked up by API group and kind. Kinds without behaviour
// of their own get an empty strategy: generic metadata rules, NAME and AGE columns.

import type { Strategy } from '../registry/strategy.js';
import { configMapStrategy, secretStrategy } from './configmap-secret.js';
import { controllerRevisionStrategy } from './controllerrevision.js';
import { customResourceDefinitionStrategy } from './crd.js';
import { cronJobStrategy } from './cronjob.js';
import { daemonSetStrategy } from './daemonset.js';
import { deploymentStrategy } from './deployment.js';
import { endpointsStrategy } from './endpoints.js';
import { endpointSliceStrategy } from './endpointslice.js';
import { eventStrategy } from './event.js';
import { jobStrategy } from './job.js';
import { leaseStrategy } from './lease.js';
import { namespaceStrategy } from './namespace.js';
import { ingressClassStrategy, ingressStrategy, networkPolicyStrategy } from './networking.js';
import { nodeStrategy } from './node.js';
import { podDisruptionBudgetStrategy } from './pdb.js';
import { podStrategy } from './pod.js';
import { persistentVolumeClaimStrategy } from './pvc.js';
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
} from './rbac.js';
import { replicaSetStrategy } from './replicaset.js';
import { resourceQuotaStrategy } from './resourcequota.js';
import { serviceStrategy } from './service.js';
import { serviceAccountStrategy } from './serviceaccount.js';
import { statefulSetStrategy } from './statefulset.js';

const strategies = new Map<string, Strategy>([
  ['/Namespace', namespaceStrategy],
  ['/Pod', podStrategy],
  ['/Service', serviceStrategy],
  ['/Endpoints', endpointsStrategy],
  ['/ConfigMap', configMapStrategy],
  ['/Secret', secretStrategy],
  ['/ServiceAccount', serviceAccountStrategy],
  ['/Node', nodeStrategy],
  ['/Event', eventStrategy],
  ['/PersistentVolumeClaim', persistentVolumeClaimStrategy],
  ['/ResourceQuota', resourceQuotaStrategy],
  ['apps/Deployment', deploymentStrategy],
  ['apps/ReplicaSet', replicaSetStrategy],
  ['apps/StatefulSet', statefulSetStrategy],
  ['apps/DaemonSet', daemonSetStrategy],
  ['apps/ControllerRevision', controllerRevisionStrategy],
  ['batch/Job', jobStrategy],
  ['batch/CronJob', cronJobStrategy],
  ['coordination.k8s.io/Lease', leaseStrategy],
  ['discovery.k8s.io/EndpointSlice', endpointSliceStrategy],
  ['networking.k8s.io/NetworkPolicy', networkPolicyStrategy],
  ['networking.k8s.io/Ingress', ingressStrategy],
  ['networking.k8s.io/IngressClass', ingressClassStrategy],
  ['policy/PodDisruptionBudget', podDisruptionBudgetStrategy],
  ['rbac.authorization.k8s.io/Role', roleStrategy],
  ['rbac.authorization.k8s.io/ClusterRole', clusterRoleStrategy],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingStrategy],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingStrategy],
  ['apiextensions.k8s.io/CustomResourceDefinition', customResourceDefinitionStrategy],
]);

/** The strategy of a built-in kind ("" is the core group); an empty one for any other kind. */
export function strategyFor(group: string, kind: string): Strategy {
  return strategies.get(`${group}/${kind}`) ?? {};
}

/** The group/kind pairs with behaviour of their own. */
export function kindsWithStrategies(): { group: string; kind: string }[] {
  return [...strategies.keys()].map((k) => {
    const slash = k.indexOf('/');
    return { group: k.slice(0, slash), kind: k.slice(slash + 1) };
  });
}
