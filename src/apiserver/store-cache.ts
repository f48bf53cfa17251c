// A live copy of one store prefix for the API server's own needs (namespaces for admission,
// RBAC objects for authorization, CRDs for serving custom resources): list, then watch from
// the list's revision; relist when the watch falls behind compaction or fails.

import type { KubeObject } from '../machinery/object.js';
import type { Store, WatchEvent, Watcher } from '../storage/store.js';

export type CacheEvent =
  | { type: 'upsert'; key: string; object: KubeObject }
  | { type: 'delete'; key: string; object: KubeObject };

export class StoreCache {
  private readonly items = new Map<string, KubeObject>();
  private watcher: Watcher | undefined;
  private closed = false;
  private readonly listeners = new Set<(e: CacheEvent) => void>();
  private revision = 0;
  private readonly synced: Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly retryMs = 1000,
  ) {
    this.synced = this.relist();
  }

  /** Resolves when the first listing is in (and its listeners have been told). */
  ready(): Promise<void> {
    return this.synced;
  }

  /** The revision the cache has seen everything up to. */
  get seenRevision(): number {
    return this.revision;
  }

  get(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.items.values();
  }

  onEvent(listener: (e: CacheEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
  }

  private emit(e: CacheEvent): void {
    for (const l of this.listeners) l(e);
  }

  private async relist(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      try {
        const seen = new Set<string>();
        let token: string | undefined;
        let revision: number | undefined;
        do {
          const page = await this.store.list(this.prefix, { continue: token, revision, limit: 500 });
          revision = page.revision;
          for (const kv of page.items) {
            seen.add(kv.key);
            const obj = withRevision(kv.value, kv.modRevision);
            this.items.set(kv.key, obj);
            this.emit({ type: 'upsert', key: kv.key, object: obj });
          }
          token = page.continue;
        } while (token);
        for (const [key, obj] of this.items) {
          if (!seen.has(key)) {
            this.items.delete(key);
            this.emit({ type: 'delete', key, object: obj });
          }
        }
        this.revision = revision ?? 0;
        this.startWatch();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, this.retryMs).unref());
      }
    }
  }

  private startWatch(): void {
    if (this.closed) return;
    this.watcher = this.store.watch(this.prefix, this.revision, {
      onEvent: (e: WatchEvent) => {
        this.revision = e.revision;
        const obj = withRevision(e.value, e.revision);
        if (e.type === 'delete') {
          this.items.delete(e.key);
          this.emit({ type: 'delete', key: e.key, object: obj });
        } else {
          this.items.set(e.key, obj);
          this.emit({ type: 'upsert', key: e.key, object: obj });
        }
      },
      onError: () => {
        this.watcher = undefined;
        void this.relist();
      },
    });
  }
}

function withRevision(value: unknown, revision: number): KubeObject {
  const obj = value as KubeObject;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}
