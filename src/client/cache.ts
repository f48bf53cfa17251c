// The object cache behind an informer: objects by "namespace/name" key, with indexes (by
// namespace, and any index function the caller adds: owner uid, node name ...). Objects are kept
// as they arrive and are shared with every reader: read-only.

import type { KubeObject } from '../machinery/object.js';

/** The values an object is indexed under (none: not in this index). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

/** "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: { metadata: { name?: string; namespace?: string } }): string {
  const { namespace, name = '' } = obj.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of a namespaced (or cluster-scoped, with no namespace) object. */
export function keyOf(name: string, namespace?: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Inverse of objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const namespaceIndex: IndexFunc = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);

/** Index: owner uids (ownerReferences), for "the objects this one owns". */
export const ownerUidIndex: IndexFunc = (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid);

/** Index: a pod's spec.nodeName, for "the pods on this node". */
export const nodeNameIndex: IndexFunc = (obj) => {
  const node = (obj as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  return typeof node === 'string' && node !== '' ? [node] : [];
};

interface Index<T extends KubeObject> {
  fn: IndexFunc<T>;
  /** index value -> keys */
  entries: Map<string, Set<string>>;
}

function valuesOf<T extends KubeObject>(index: Index<T>, obj: T): readonly string[] {
  try {
    return index.fn(obj);
  } catch {
    // An index function that fails on an odd object leaves it out of that index, nothing more.
    return [];
  }
}

export class ObjectCache<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers(indexers);
  }

  /** Adds indexes; objects already cached are indexed at once. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.indexes.get(name);
      // Shared informers: several controllers may add the same index; a different one under
      // the same name is a mistake.
      if (existing?.fn === fn) continue;
      if (existing) throw new Error(`indexer "${name}" already exists with another function`);
      const index: Index<T> = { fn, entries: new Map() };
      this.indexes.set(name, index);
      for (const [key, obj] of this.items) this.indexAdd(index, key, obj);
    }
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.items.entries();
  }

  /** Stores obj under key; returns what was there. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const index of this.indexes.values()) {
      if (old) this.indexRemove(index, key, old);
      this.indexAdd(index, key, obj);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const index of this.indexes.values()) this.indexRemove(index, key, old);
    return old;
  }

  /** Objects whose index function gave `value`. */
  byIndex(indexName: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexKeys(indexName, value)) {
      const obj = this.items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Keys of the objects whose index function gave `value`. */
  indexKeys(indexName: string, value: string): string[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    const keys = index.entries.get(value);
    return keys ? [...keys] : [];
  }

  /** The values an index currently holds. */
  indexValues(indexName: string): string[] {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    return [...index.entries.keys()];
  }

  private indexAdd(index: Index<T>, key: string, obj: T): void {
    for (const value of valuesOf(index, obj)) {
      let keys = index.entries.get(value);
      if (!keys) {
        keys = new Set();
        index.entries.set(value, keys);
      }
      keys.add(key);
    }
  }

  private indexRemove(index: Index<T>, key: string, obj: T): void {
    for (const value of valuesOf(index, obj)) {
      const keys = index.entries.get(value);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) index.entries.delete(value);
    }
  }
}
