// Objects of an informer grouped by the uid of their controlling owner, and the orphans (no
// controller) by namespace: a ReplicaSet of 10,000 pods walks its pods straight from a Map,
// without copying them into an array at every sync. One index per informer, shared by the
// workload controllers of a cluster and dropped when the last of them stops.

import type { Informer } from '../client/informer.js';
import type { KubeObject } from '../machinery/object.js';
import { controllerRefOf } from './controller-ref.js';

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

export class OwnerIndex<T extends KubeObject> {
  private readonly byOwner = new Map<string, Map<string, T>>();
  private readonly orphans = new Map<string, Map<string, T>>();
  /** Where each object is filed, by "namespace/name". */
  private readonly filed = new Map<string, { owner?: string; namespace: string }>();

  /** Objects controlled by the owner with this uid. */
  owned(uid: string): ReadonlyMap<string, T> {
    return this.byOwner.get(uid) ?? EMPTY;
  }

  /** Objects of a namespace without a controller. */
  orphansIn(namespace: string): ReadonlyMap<string, T> {
    return this.orphans.get(namespace) ?? EMPTY;
  }

  set(obj: T): void {
    const key = keyOf(obj);
    this.remove(key);
    const namespace = obj.metadata.namespace ?? '';
    const owner = controllerRefOf(obj)?.uid;
    const group = owner !== undefined ? this.byOwner : this.orphans;
    const groupKey = owner ?? namespace;
    let m = group.get(groupKey);
    if (!m) {
      m = new Map();
      group.set(groupKey, m);
    }
    m.set(key, obj);
    this.filed.set(key, owner !== undefined ? { owner, namespace } : { namespace });
  }

  delete(obj: T): void {
    this.remove(keyOf(obj));
  }

  private remove(key: string): void {
    const where = this.filed.get(key);
    if (!where) return;
    this.filed.delete(key);
    const group = where.owner !== undefined ? this.byOwner : this.orphans;
    const groupKey = where.owner ?? where.namespace;
    const m = group.get(groupKey);
    if (!m) return;
    m.delete(key);
    if (m.size === 0) group.delete(groupKey);
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

interface Shared {
  index: OwnerIndex<KubeObject>;
  users: number;
  unregister: () => void;
}

const shared = new WeakMap<Informer<KubeObject>, Shared>();

/** The owner index of an informer, made on first use; call release() when done with it. */
export function acquireOwnerIndex<T extends KubeObject>(
  informer: Informer<T>,
): { index: OwnerIndex<T>; release(): void } {
  const key = informer as unknown as Informer<KubeObject>;
  let s = shared.get(key);
  if (!s) {
    const index = new OwnerIndex<KubeObject>();
    const unregister = key.addEventHandler({
      onAdd: (o) => index.set(o),
      onUpdate: (_old, o) => index.set(o),
      onDelete: (o) => index.delete(o),
    });
    s = { index, users: 0, unregister };
    shared.set(key, s);
  }
  s.users++;
  const entry = s;
  let released = false;
  return {
    index: entry.index as unknown as OwnerIndex<T>,
    release: () => {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users === 0) {
        entry.unregister();
        shared.delete(key);
      }
    },
  };
}
