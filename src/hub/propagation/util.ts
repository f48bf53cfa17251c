// Small helpers the propagation controllers share: comparing conditions and keyed references to
// the two binding kinds.

import type { ResourceRef } from '../../client/client.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import {
  type ClusterResourceBinding,
  karmadaResources,
  type ResourceBinding,
} from '../apis/karmada/index.js';

/** Whether two condition lists say the same, ignoring transition times. */
export function sameConditions(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const strip = (l: readonly Condition[] | undefined) =>
    JSON.stringify((l ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest));
  return strip(a) === strip(b);
}

export type AnyBinding = ResourceBinding | ClusterResourceBinding;

/** A binding's queue key: "ResourceBinding/<ns>/<name>" or "ClusterResourceBinding/<name>". */
export function bindingKey(b: KubeObject): string {
  return b.metadata.namespace
    ? `ResourceBinding/${b.metadata.namespace}/${b.metadata.name}`
    : `ClusterResourceBinding/${b.metadata.name}`;
}

export interface ParsedBindingKey {
  ref: ResourceRef;
  namespace?: string;
  name: string;
}

export function parseBindingKey(key: string): ParsedBindingKey {
  const [kind, a, b] = key.split('/');
  if (kind === 'ResourceBinding') return { ref: karmadaResources.resourcebindings, namespace: a!, name: b! };
  return { ref: karmadaResources.clusterresourcebindings, name: a! };
}

export function bindingRef(b: KubeObject): ResourceRef {
  return b.metadata.namespace ? karmadaResources.resourcebindings : karmadaResources.clusterresourcebindings;
}
