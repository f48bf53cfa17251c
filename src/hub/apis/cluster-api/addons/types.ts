// TypeScript shapes of addons.cluster.x-k8s.io/v1beta1 objects.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Condition, LabelSelector, V1Beta2Status } from '../types.js';
import type { ClusterResourceSetStrategy } from './constants.js';

export interface ResourceRef {
  name: string;
  kind: 'Secret' | 'ConfigMap';
}

export interface ClusterResourceSetSpec {
  clusterSelector: LabelSelector;
  resources?: ResourceRef[];
  strategy?: ClusterResourceSetStrategy;
}

export interface ClusterResourceSet extends KubeObject {
  spec: ClusterResourceSetSpec;
  status?: { observedGeneration?: number; conditions?: Condition[]; v1beta2?: V1Beta2Status };
}

export interface ResourceBinding extends ResourceRef {
  hash?: string;
  lastAppliedTime?: string;
  applied: boolean;
}

export interface ResourceSetBinding {
  clusterResourceSetName: string;
  resources?: ResourceBinding[];
}

export interface ClusterResourceSetBinding extends KubeObject {
  spec: { bindings?: ResourceSetBinding[]; clusterName?: string };
}
