// Applying a Work's manifests to one member cluster, as Karmada's execution controller and object
// watcher do, over the member's API: server-side apply as field manager `concord`, never touching
// an object the member already has that the hub did not make (unless the Work's conflict
// resolution is overwrite), deleting only objects the hub manages, and when resources are to be
// preserved, leaving them with the hub's bookkeeping removed. Shared by the hub's push execution
// and the pull agent.

import type { Client, ResourceRef } from '../../../../client/client.js';
import type { RESTMapper } from '../../../../client/rest-mapper.js';
import type { KubeObject } from '../../../../machinery/object.js';
import { isNotFound } from '../../../../machinery/status.js';
import {
  CONFLICT_RESOLUTION_ANNOTATION,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_BY_KARMADA_LABEL,
  MANAGED_LABELS_ANNOTATION,
  RESOURCE_BINDING_NAME_ANNOTATION,
  RESOURCE_BINDING_NAMESPACE_ANNOTATION,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  RESOURCE_TEMPLATE_GENERATION_ANNOTATION,
  RESOURCE_TEMPLATE_UID_ANNOTATION,
  WORK_NAME_ANNOTATION,
  WORK_NAMESPACE_ANNOTATION,
  WORK_PERMANENT_ID_LABEL,
} from '../work/types.js';

/** The field manager of everything the hub (or its agent) applies to members. */
export const EXECUTION_FIELD_MANAGER = 'concord';

/** Labels and annotations that mark an object on a member as the hub's (Karmada's ManagedResource*). */
export const MANAGED_RESOURCE_LABELS = [
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  WORK_PERMANENT_ID_LABEL,
  MANAGED_BY_KARMADA_LABEL,
];
export const MANAGED_RESOURCE_ANNOTATIONS = [
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_LABELS_ANNOTATION,
  RESOURCE_BINDING_NAMESPACE_ANNOTATION,
  RESOURCE_BINDING_NAME_ANNOTATION,
  RESOURCE_TEMPLATE_UID_ANNOTATION,
  RESOURCE_TEMPLATE_GENERATION_ANNOTATION,
  WORK_NAME_ANNOTATION,
  WORK_NAMESPACE_ANNOTATION,
];

/** The object exists on the member, was not made by the hub, and the Work does not say overwrite. */
export class ResourceConflictError extends Error {
  constructor(manifest: KubeObject, cluster: string) {
    const { namespace, name } = manifest.metadata;
    super(
      `resource(kind=${manifest.kind}, ${namespace ?? ''}/${name}) already exists in the cluster ${cluster} ` +
        `and the ${CONFLICT_RESOLUTION_ANNOTATION} strategy value is empty, Karmada will not manage this resource`,
    );
    this.name = 'ResourceConflictError';
  }
}

export function isManagedResource(obj: KubeObject): boolean {
  return obj.metadata.labels?.[MANAGED_BY_KARMADA_LABEL] === 'true';
}

/** Whether the hub may take over this existing member object for the manifest. */
export function allowUpdate(manifest: KubeObject, existing: KubeObject): boolean {
  return (
    isManagedResource(existing) ||
    manifest.metadata.annotations?.[CONFLICT_RESOLUTION_ANNOTATION] === 'overwrite'
  );
}

export interface WorkExecutorOptions {
  cluster: string;
  member: Client;
  mapper: RESTMapper;
}

/** Member-side operations on single manifests. */
export class WorkExecutor {
  readonly cluster: string;
  private readonly member: Client;
  readonly mapper: RESTMapper;

  constructor(opts: WorkExecutorOptions) {
    this.cluster = opts.cluster;
    this.member = opts.member;
    this.mapper = opts.mapper;
  }

  refFor(manifest: KubeObject): Promise<ResourceRef> {
    return this.mapper.refFor(manifest.apiVersion, manifest.kind);
  }

  private namespaceOf(ref: ResourceRef, manifest: KubeObject): string | undefined {
    return ref.namespaced ? manifest.metadata.namespace || 'default' : undefined;
  }

  /** The member's object, or undefined when it has none. */
  async read(ref: ResourceRef, manifest: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.member.get(ref, manifest.metadata.name ?? '', {
        namespace: this.namespaceOf(ref, manifest),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Applies the manifest. `existing` is the member's object as last seen (null: known absent;
   * undefined: unknown, read first). Throws ResourceConflictError for an object the hub may not take.
   */
  async apply(ref: ResourceRef, manifest: KubeObject, existing?: KubeObject | null): Promise<KubeObject> {
    const current = existing === undefined ? await this.read(ref, manifest) : (existing ?? undefined);
    if (current && !allowUpdate(manifest, current)) throw new ResourceConflictError(manifest, this.cluster);
    const namespace = this.namespaceOf(ref, manifest);
    const body: KubeObject = {
      ...manifest,
      metadata: { ...manifest.metadata, ...(namespace ? { namespace } : {}) },
    };
    return this.member.apply(ref, body, { fieldManager: EXECUTION_FIELD_MANAGER, force: true });
  }

  /** Deletes the member's object if the hub manages it (in the background, so a Job's pods go too). */
  async remove(ref: ResourceRef, manifest: KubeObject): Promise<void> {
    const current = await this.read(ref, manifest);
    if (!current || !isManagedResource(current)) return;
    try {
      await this.member.delete(ref, manifest.metadata.name ?? '', {
        namespace: this.namespaceOf(ref, manifest),
        propagationPolicy: 'Background',
        preconditions: { uid: current.metadata.uid! },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Leaves the member's object in place without the hub's labels and annotations (preserveResourcesOnDeletion). */
  async release(ref: ResourceRef, manifest: KubeObject): Promise<void> {
    const current = await this.read(ref, manifest);
    if (!current || !isManagedResource(current)) return;
    const nulls = (keys: string[], have: Record<string, string> | undefined) =>
      Object.fromEntries(keys.filter((k) => have?.[k] !== undefined).map((k) => [k, null]));
    try {
      await this.member.patch(
        ref,
        manifest.metadata.name ?? '',
        {
          metadata: {
            labels: nulls(MANAGED_RESOURCE_LABELS, current.metadata.labels),
            annotations: nulls(MANAGED_RESOURCE_ANNOTATIONS, current.metadata.annotations),
          },
        },
        'merge',
        { namespace: this.namespaceOf(ref, manifest) },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
