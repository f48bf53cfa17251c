// The object-metadata lifecycle every kind shares: identity on create, what an update may and
// may not change, generation, and the form objects take in the store.

import { randomUUID } from 'node:crypto';
import { cloneJson } from '../../machinery/json.js';
import type { KubeObject, ObjectMeta } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';

/** Sets identity fields on a new object, discarding whatever the client put there. */
export function initializeForCreate(obj: KubeObject, now: Date, tracksGeneration: boolean): void {
  const meta = obj.metadata;
  meta.uid = randomUUID();
  meta.creationTimestamp = metaTime(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (tracksGeneration) meta.generation = 1;
  else delete meta.generation;
}

/** Metadata an update cannot change: it is carried over from the stored object. */
export function preserveImmutableMeta(meta: ObjectMeta, old: ObjectMeta): void {
  meta.uid = old.uid;
  meta.creationTimestamp = old.creationTimestamp;
  meta.name = old.name;
  if (old.namespace !== undefined) meta.namespace = old.namespace;
  else delete meta.namespace;
  if (old.generation !== undefined) meta.generation = old.generation;
  else delete meta.generation;
  if (old.deletionTimestamp !== undefined) {
    meta.deletionTimestamp = old.deletionTimestamp;
    meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  } else {
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  if (old.generateName !== undefined && meta.generateName === undefined) meta.generateName = old.generateName;
  delete meta.selfLink;
}

/** Metadata a status write may change, unless the kind resets it (see Strategy.statusResets). */
export const STATUS_WRITABLE_META = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;
export type StatusWritableMeta = (typeof STATUS_WRITABLE_META)[number];

/**
 * The metadata after a write through the status subresource: the stored metadata, with the
 * request's labels, annotations, finalizers and owner references except those the kind resets
 * (Kubernetes' status strategies differ per kind; custom resources reset them all).
 */
export function metaForStatusWrite(
  requested: ObjectMeta,
  old: ObjectMeta,
  resets: readonly StatusWritableMeta[],
): ObjectMeta {
  const meta = cloneJson(old);
  for (const field of STATUS_WRITABLE_META) {
    if (resets.includes(field)) continue;
    if (requested[field] !== undefined) (meta as Record<string, unknown>)[field] = requested[field];
    else delete meta[field];
  }
  return meta;
}

function withoutMetaAndStatus(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Whether anything but metadata and status changed: the rule for bumping metadata.generation. */
export function specChanged(obj: KubeObject, old: KubeObject): boolean {
  return JSON.stringify(withoutMetaAndStatus(obj)) !== JSON.stringify(withoutMetaAndStatus(old));
}

/** The value kept in the store: resourceVersion is derived from the revision, never stored. */
export function toStored(obj: KubeObject): KubeObject {
  if (obj.metadata.resourceVersion === undefined) return obj;
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/** A stored value as clients see it: a shallow copy with resourceVersion set. */
export function fromStored(value: unknown, revision: number): KubeObject {
  const obj = value as KubeObject;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
