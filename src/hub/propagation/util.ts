// Small helpers the propagation controllers share: comparing conditions and keyed references to
// the two binding kinds.

import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import {
  CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL,
  type ClusterResourceBinding,
  karmadaResources,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
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

/** Index of Works by the permanent id of the binding they came from (either kind). */
export const WORKS_BY_BINDING_INDEX = 'binding-permanent-id';

const worksByBinding = (w: KubeObject): string[] => {
  const labels = w.metadata.labels ?? {};
  const ids = [
    labels[RESOURCE_BINDING_PERMANENT_ID_LABEL],
    labels[CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL],
  ];
  return ids.filter((id): id is string => !!id);
};

/** The binding's Works from the informer's cache, through an index (not a scan of every Work). */
export function worksOfBinding<W extends KubeObject>(works: Informer<W>, b: KubeObject): W[] {
  const id =
    b.metadata.labels?.[
      b.metadata.namespace ? RESOURCE_BINDING_PERMANENT_ID_LABEL : CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL
    ];
  if (!id) return [];
  works.addIndexers({ [WORKS_BY_BINDING_INDEX]: worksByBinding as (w: W) => string[] });
  return works.byIndex(WORKS_BY_BINDING_INDEX, id);
}
