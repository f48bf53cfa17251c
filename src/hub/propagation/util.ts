// Small helpers the propagation controllers share: error predicates, conditions and keyed
// references to the two binding kinds.

import type { ResourceRef } from '../../client/client.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import {
  type ClusterResourceBinding,
  karmadaResources,
  type ResourceBinding,
} from '../apis/karmada/index.js';

export const isNotFound = (err: unknown) => err instanceof ApiError && err.code === 404;
export const isConflict = (err: unknown) =>
  err instanceof ApiError && err.code === 409 && err.reason === 'Conflict';
export const isAlreadyExists = (err: unknown) => err instanceof ApiError && err.reason === 'AlreadyExists';

/**
 * The conditions with `next` in place of the one of its type; the transition time moves only
 * when the status changes. A new array.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Condition,
  now: string,
): Condition[] {
  const list = conditions ?? [];
  const old = list.find((c) => c.type === next.type);
  const lastTransitionTime =
    old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  const entry = { ...next, lastTransitionTime };
  return old ? list.map((c) => (c === old ? entry : c)) : [...list, entry];
}

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
