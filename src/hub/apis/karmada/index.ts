// Karmada's APIs on the hub: the CustomResourceDefinitions of cluster.karmada.io,
// policy.karmada.io and work.karmada.io, the server-side behaviour Karmada's webhooks and
// registry give them (keyed 'group/Kind'), and the names controllers share (condition types and
// reasons, taints, labels, annotations, finalizers).

import type { ApiExtension, Strategy } from '../../../apiserver/extensions.js';
import type { KubeObject } from '../../../machinery/object.js';
import { clusterCrd } from './cluster/crd.js';
import { type ClusterStrategyOptions, clusterStrategy } from './cluster/strategy.js';
import { CLUSTER_GROUP } from './cluster/types.js';
import {
  clusterOverridePolicyCrd,
  clusterPropagationPolicyCrd,
  overridePolicyCrd,
  propagationPolicyCrd,
} from './policy/crd.js';
import {
  clusterOverridePolicyStrategy,
  clusterPropagationPolicyStrategy,
  overridePolicyStrategy,
  propagationPolicyStrategy,
} from './policy/strategy.js';
import { POLICY_GROUP } from './policy/types.js';
import { clusterResourceBindingCrd, resourceBindingCrd, workCrd } from './work/crd.js';
import { clusterResourceBindingStrategy, resourceBindingStrategy, workStrategy } from './work/strategy.js';
import { WORK_GROUP } from './work/types.js';

export * from './cluster/connection.js';
export * from './cluster/secret-index.js';
export * from './cluster/types.js';
export * from './policy/cluster-affinity.js';
export * from './policy/types.js';
export * from './resources.js';
export * from './work/types.js';

/** An API server extension whose parts are all given. */
export interface KarmadaApis extends ApiExtension {
  crds: KubeObject[];
  strategies: Record<string, Strategy>;
}

/** Karmada's kinds with their behaviour; `now` stamps the time NoExecute taints were added. */
export function karmadaApiExtension(opts: ClusterStrategyOptions = {}): KarmadaApis {
  return {
    crds: [
      clusterCrd,
      propagationPolicyCrd,
      clusterPropagationPolicyCrd,
      overridePolicyCrd,
      clusterOverridePolicyCrd,
      workCrd,
      resourceBindingCrd,
      clusterResourceBindingCrd,
    ],
    strategies: {
      [`${CLUSTER_GROUP}/Cluster`]: clusterStrategy(opts),
      [`${POLICY_GROUP}/PropagationPolicy`]: propagationPolicyStrategy,
      [`${POLICY_GROUP}/ClusterPropagationPolicy`]: clusterPropagationPolicyStrategy,
      [`${POLICY_GROUP}/OverridePolicy`]: overridePolicyStrategy,
      [`${POLICY_GROUP}/ClusterOverridePolicy`]: clusterOverridePolicyStrategy,
      [`${WORK_GROUP}/Work`]: workStrategy,
      [`${WORK_GROUP}/ResourceBinding`]: resourceBindingStrategy,
      [`${WORK_GROUP}/ClusterResourceBinding`]: clusterResourceBindingStrategy,
    },
  };
}

export const karmadaApis: KarmadaApis = karmadaApiExtension();
