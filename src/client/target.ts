// Which object a call addresses: the namespace and name both transports derive from a
// ResourceRef, the options and the object, with the same checks, so a bad call fails the same
// way in process and over HTTPS.

import { groupResource } from '../machinery/gvk.js';
import type { KubeObject } from '../machinery/object.js';
import { ApiError } from '../machinery/status.js';
import type { ResourceRef } from './client.js';

export interface Target {
  /** Only for namespaced resources; absent means every namespace (lists and watches). */
  namespace?: string;
  name?: string;
  subresource?: string;
}

function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

function checkSegment(value: string, what: string): void {
  // A name travels as one URL path segment; these could never name an object.
  if (value === '.' || value === '..' || value.includes('/') || value.includes('%')) {
    throw badRequest(`${what} may not be '.' or '..' and may not contain '/' or '%': "${value}"`);
  }
}

function namespaceOf(ref: ResourceRef, given: string | undefined): string | undefined {
  // A namespace given for a cluster-scoped resource is ignored, as kubectl does.
  if (!ref.namespaced) return undefined;
  if (given === undefined || given === '') return undefined;
  checkSegment(given, 'namespace');
  return given;
}

/** A collection: list, watch, deletecollection (no namespace means all namespaces). */
export function collectionTarget(ref: ResourceRef, namespace: string | undefined): Target {
  const ns = namespaceOf(ref, namespace);
  return ns === undefined ? {} : { namespace: ns };
}

/** One named object: get, patch, delete, and writes to a subresource. */
export function objectTarget(
  ref: ResourceRef,
  name: string | undefined,
  namespace: string | undefined,
  subresource?: string,
): Target {
  if (typeof name !== 'string' || name === '') {
    throw badRequest(`resource name may not be empty (${groupResource(ref.group, ref.resource)})`);
  }
  checkSegment(name, 'resource name');
  const ns = namespaceOf(ref, namespace);
  if (ref.namespaced && ns === undefined) {
    throw badRequest(
      `an empty namespace may not be set when a resource name is provided (${groupResource(ref.group, ref.resource)} "${name}")`,
    );
  }
  const t: Target = { name };
  if (ns !== undefined) t.namespace = ns;
  if (subresource !== undefined && subresource !== '') {
    checkSegment(subresource, 'subresource');
    t.subresource = subresource;
  }
  return t;
}

function metadataOf(obj: KubeObject): { name?: string; namespace?: string } {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw badRequest('the object must be a JSON object with apiVersion, kind and metadata');
  }
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw badRequest('metadata: must be an object');
  return meta;
}

/**
 * Create: into the namespace of the options or else of the object. With a subresource (a pod's
 * binding or eviction) the object's name names the parent.
 */
export function createTarget(
  ref: ResourceRef,
  obj: KubeObject,
  namespace?: string,
  subresource?: string,
): Target {
  const meta = metadataOf(obj);
  const ns = namespace ?? meta.namespace;
  if (subresource) return objectTarget(ref, meta.name, ns, subresource);
  const target = collectionTarget(ref, ns);
  if (ref.namespaced && target.namespace === undefined) {
    throw badRequest(
      `an empty namespace may not be set during creation (${groupResource(ref.group, ref.resource)}${meta.name ? ` "${meta.name}"` : ''})`,
    );
  }
  return target;
}

/** Update and apply: the object names itself; the options' namespace wins over its own. */
export function writeTarget(
  ref: ResourceRef,
  obj: KubeObject,
  namespace?: string,
  subresource?: string,
): Target {
  const meta = metadataOf(obj);
  return objectTarget(ref, meta.name, namespace ?? meta.namespace, subresource);
}
