// A read-only view of a Client that lists and watches objects as their metadata only (the
// PartialObjectMetadata Kubernetes' garbage collector watches): informers built on it keep a few
// hundred bytes per object whatever the object holds (ConfigMap data, RBAC rules ...).

import type {
  Client,
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  ResourceRef,
  WatchCallbacks,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '../../client/client.js';
import type { KubeList, KubeObject, ObjectMeta } from '../../machinery/object.js';
import type { Status } from '../../machinery/status.js';

/** The object reduced to its identity, ownership and deletion state. */
export function metadataOnly<T extends KubeObject>(obj: T): T {
  const m = obj.metadata ?? {};
  const meta: ObjectMeta = {};
  if (m.name !== undefined) meta.name = m.name;
  if (m.namespace !== undefined) meta.namespace = m.namespace;
  if (m.uid !== undefined) meta.uid = m.uid;
  if (m.resourceVersion !== undefined) meta.resourceVersion = m.resourceVersion;
  if (m.creationTimestamp !== undefined) meta.creationTimestamp = m.creationTimestamp;
  if (m.deletionTimestamp !== undefined) meta.deletionTimestamp = m.deletionTimestamp;
  if (m.deletionGracePeriodSeconds !== undefined)
    meta.deletionGracePeriodSeconds = m.deletionGracePeriodSeconds;
  if (m.ownerReferences !== undefined) meta.ownerReferences = m.ownerReferences;
  if (m.finalizers !== undefined) meta.finalizers = m.finalizers;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: meta } as T;
}

export class MetadataClient implements Client {
  constructor(private readonly inner: Client) {}

  get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    opts?: { namespace?: string; subresource?: string },
  ): Promise<T> {
    return this.inner.get<T>(ref, name, opts).then(metadataOnly);
  }

  async list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts?: ListOptions): Promise<KubeList<T>> {
    const list = await this.inner.list<T>(ref, opts);
    return { ...list, items: list.items.map(metadataOnly) };
  }

  watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    callbacks: WatchCallbacks<T>,
  ): Promise<WatchHandle> {
    return this.inner.watch<T>(ref, opts, {
      onEvent: (e) => {
        const o = e.object as T | Status;
        const keep = e.type === 'ERROR' || e.type === 'BOOKMARK' || (o as Status).kind === 'Status';
        callbacks.onEvent(keep ? e : { type: e.type, object: metadataOnly(o as T) });
      },
      onClose: (err) => callbacks.onClose(err),
    });
  }

  create<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T> {
    return this.inner.create(ref, obj, opts);
  }

  update<T extends KubeObject = KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T> {
    return this.inner.update(ref, obj, opts);
  }

  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts?: PatchOptions,
  ): Promise<T> {
    return this.inner.patch<T>(ref, name, patch, type, opts);
  }

  apply<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean },
  ): Promise<T> {
    return this.inner.apply<T>(ref, obj, opts);
  }

  delete(ref: ResourceRef, name: string, opts?: DeleteOptions): Promise<KubeObject | Status> {
    return this.inner.delete(ref, name, opts);
  }

  deleteCollection(ref: ResourceRef, opts?: ListOptions & DeleteOptions): Promise<Status | KubeList> {
    return this.inner.deleteCollection(ref, opts);
  }
}
