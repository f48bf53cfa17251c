// External objects of Cluster API's contracts: a Cluster's infrastructure cluster and control
// plane, a Machine's infrastructure machine and bootstrap config. They are read from shared
// informers of every kind the hub serves from Cluster API's and its providers' CRDs; a change to
// one enqueues the object that owns it (its ownerReference of the owner's kind), as Cluster API's
// controllers watch the objects they reference.

import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { ControllerContext } from '../../controller/context.js';
import { parseApiVersion } from '../../machinery/gvk.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isNotFound } from '../../machinery/status.js';
import {
  CLUSTER_API_CRDS,
  CLUSTER_API_GROUP,
  crdResourceIndex,
  type ObjectReference,
} from '../apis/cluster-api/index.js';
import { INFRASTRUCTURE_CRDS } from '../apis/infrastructure/index.js';

const INDEX = crdResourceIndex([...CLUSTER_API_CRDS, ...INFRASTRUCTURE_CRDS]);

/** The resource of a referenced kind, if the hub serves it. */
export function resourceOfRef(ref: ObjectReference | undefined): ResourceRef | undefined {
  if (!ref?.apiVersion || !ref.kind) return undefined;
  return INDEX.get(`${parseApiVersion(ref.apiVersion).group}/${ref.kind}`);
}

/** What a reference resolved to. */
export type Resolved<T extends KubeObject> =
  | { state: 'found'; obj: T; resource: ResourceRef }
  | { state: 'missing'; message: string }
  | { state: 'invalid'; message: string };

function describeRef(ref: ObjectReference, namespace: string): string {
  return `${ref.kind} ${ref.namespace ?? namespace}/${ref.name}`;
}

export class ExternalObjects {
  private readonly watched = new Set<Informer<KubeObject>>();
  /** Objects waiting for a referenced object that does not exist yet, by "kind/namespace/name". */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: ControllerContext,
    /** Called with the owner's key for each change of an external object owned by `ownerKind`. */
    private readonly ownerKind: string,
    private readonly enqueue: (key: string) => void,
  ) {}

  /** The informer of a referenced kind, watched for owner changes from the first use. */
  informer(resource: ResourceRef): Informer<KubeObject> {
    const informer = this.ctx.informers.informerFor<KubeObject>(resource);
    if (!this.watched.has(informer)) {
      this.watched.add(informer);
      const handle = (o: KubeObject) => {
        const waitKey = `${resource.kind}/${o.metadata.namespace}/${o.metadata.name}`;
        const waiters = this.waiting.get(waitKey);
        if (waiters) {
          this.waiting.delete(waitKey);
          for (const key of waiters) this.enqueue(key);
        }
        for (const r of o.metadata.ownerReferences ?? []) {
          if (r.kind === this.ownerKind && parseApiVersion(r.apiVersion).group === CLUSTER_API_GROUP) {
            this.enqueue(`${o.metadata.namespace}/${r.name}`);
          }
        }
      };
      informer.addEventHandler({ onAdd: handle, onUpdate: (_o, n) => handle(n), onDelete: handle });
    }
    return informer;
  }

  /** Starts watching these kinds now (so that their caches are warm when first read). */
  watch(resources: readonly ResourceRef[]): void {
    for (const r of resources) this.informer(r);
  }

  /** Whether the informer of this reference's kind has synced (reads before that are not answers). */
  synced(ref: ObjectReference | undefined): boolean {
    const resource = resourceOfRef(ref);
    return !resource || this.informer(resource).hasSynced();
  }

  /**
   * Reads a referenced object from its informer (after a read from the API if the cache has not
   * seen it). When it does not exist, `waiter` (the referring object's key) is enqueued once it does.
   */
  async get<T extends KubeObject>(
    ref: ObjectReference,
    namespace: string,
    waiter?: string,
  ): Promise<Resolved<T>> {
    const resource = resourceOfRef(ref);
    if (!resource || !ref.name) {
      return {
        state: 'invalid',
        message: `${ref.kind ?? '(no kind)'} of ${ref.apiVersion ?? '(no apiVersion)'} is not a kind the hub serves`,
      };
    }
    const ns = ref.namespace || namespace;
    const cached = this.informer(resource).get(ref.name, ns) as T | undefined;
    if (cached) return { state: 'found', obj: cached, resource };
    try {
      const obj = await this.ctx.client.get<T>(resource, ref.name, { namespace: ns });
      return { state: 'found', obj, resource };
    } catch (err) {
      if (isNotFound(err)) {
        if (waiter) {
          const waitKey = `${resource.kind}/${ns}/${ref.name}`;
          let set = this.waiting.get(waitKey);
          if (!set) {
            set = new Set();
            this.waiting.set(waitKey, set);
          }
          set.add(waiter);
        }
        return { state: 'missing', message: `${describeRef(ref, namespace)} was not found` };
      }
      throw err;
    }
  }

  /** Makes `owner` an owner of obj (the controller when `controller`), as Cluster API does. */
  async ensureOwner(
    resource: ResourceRef,
    obj: KubeObject,
    owner: KubeObject,
    controller: boolean,
    extraLabels?: Record<string, string>,
  ): Promise<KubeObject> {
    const refs = obj.metadata.ownerReferences ?? [];
    const has = refs.some((r) => r.uid === owner.metadata.uid);
    const labelsMissing =
      extraLabels && Object.entries(extraLabels).some(([k, v]) => obj.metadata.labels?.[k] !== v);
    if (has && !labelsMissing) return obj;
    const mine: OwnerReference = {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.metadata.name ?? '',
      uid: owner.metadata.uid ?? '',
      ...(controller && !refs.some((r) => r.controller)
        ? { controller: true, blockOwnerDeletion: true }
        : {}),
    };
    // Another owner of the same kind (an older Cluster of the same name) is replaced.
    const kept = refs.filter((r) => !(r.kind === owner.kind && r.apiVersion === owner.apiVersion));
    return this.ctx.client.patch(
      resource,
      obj.metadata.name ?? '',
      {
        metadata: {
          resourceVersion: obj.metadata.resourceVersion,
          ownerReferences: has ? refs : [...kept, mine],
          ...(labelsMissing ? { labels: { ...(obj.metadata.labels ?? {}), ...extraLabels } } : {}),
        },
      },
      'merge',
      { namespace: obj.metadata.namespace },
    );
  }
}

/** Reads `status.<field>` of an external object loosely (contract fields are untyped JSON). */
export function statusField<T>(obj: KubeObject, field: string): T | undefined {
  const status = obj.status as Record<string, unknown> | undefined;
  return status?.[field] as T | undefined;
}

export function specField<T>(obj: KubeObject, field: string): T | undefined {
  const spec = obj.spec as Record<string, unknown> | undefined;
  return spec?.[field] as T | undefined;
}
