// openStore: a Store from the `--store` flag's syntax.
//   memory                      in-process (tests, simulated clusters)
//   sqlite:PATH[?sync=full]     one SQLite file (the embedded default); sync= sets PRAGMA synchronous
//   etcd:URL[,URL...]           an etcd cluster, by its client URLs

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EtcdStoreOptions } from './etcd.js';
import { MemoryStore } from './memory.js';
import type { SqliteSynchronous } from './sqlite.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { StoreError } from './store.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

export type StoreSpec =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; synchronous?: SqliteSynchronous }
  | { kind: 'etcd'; endpoints: string[] };

export interface OpenStoreOptions {
  /** etcd: prefix of every key, so several hubs can share one etcd. */
  prefix?: string;
  /**
   * sqlite: PRAGMA synchronous (default NORMAL: survives kill -9, not power loss; FULL also
   * survives power loss, at one fsync per commit). A `?sync=` in the spec takes precedence.
   */
  synchronous?: SqliteSynchronous;
  /** etcd: further client settings. */
  etcd?: Omit<EtcdStoreOptions, 'endpoints' | 'prefix'>;
  /**
   * etcd: serve lists and watches from a watch cache in front of it (see WatchCache), as
   * kube-apiserver does by default. Off unless asked for.
   */
  watchCache?: boolean | WatchCacheOptions;
}

export class InvalidStoreSpecError extends StoreError {
  constructor(
    readonly spec: string,
    reason: string,
  ) {
    super(
      `invalid store ${JSON.stringify(spec)}: ${reason}; expected memory, sqlite:PATH[?sync=full] or etcd:URL[,URL...]`,
    );
  }
}

export function parseStoreSpec(spec: string): StoreSpec {
  if (typeof spec !== 'string' || spec.trim() === '') throw new InvalidStoreSpecError(String(spec), 'empty');
  if (spec === 'memory') return { kind: 'memory' };
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (scheme === 'sqlite') {
    const query = rest.lastIndexOf('?');
    const path = query < 0 ? rest : rest.slice(0, query);
    if (path === '') throw new InvalidStoreSpecError(spec, 'sqlite needs a file path');
    const parsed: StoreSpec = { kind: 'sqlite', path: resolve(path) };
    if (query >= 0) parsed.synchronous = parseSqliteQuery(spec, rest.slice(query + 1));
    return parsed;
  }
  if (scheme === 'etcd') {
    const endpoints = rest.split(',').map((u) => u.trim());
    for (const u of endpoints) {
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        throw new InvalidStoreSpecError(spec, `${JSON.stringify(u)} is not a URL (write http://HOST:PORT)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new InvalidStoreSpecError(spec, `${JSON.stringify(u)} must be an http:// or https:// URL`);
      }
      if (!url.port || (url.pathname !== '/' && url.pathname !== '')) {
        throw new InvalidStoreSpecError(
          spec,
          `${JSON.stringify(u)} must be a client URL with a port and no path, like http://127.0.0.1:2379`,
        );
      }
    }
    return { kind: 'etcd', endpoints };
  }
  throw new InvalidStoreSpecError(spec, `unknown kind ${JSON.stringify(scheme)}`);
}

const SYNC_LEVELS: readonly SqliteSynchronous[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** The one setting a sqlite spec takes after `?`: sync=off|normal|full|extra. */
function parseSqliteQuery(spec: string, query: string): SqliteSynchronous {
  const params = new URLSearchParams(query);
  for (const name of params.keys()) {
    if (name !== 'sync')
      throw new InvalidStoreSpecError(
        spec,
        `unknown sqlite setting ${JSON.stringify(name)} (sync= is the only one)`,
      );
  }
  const value = (params.get('sync') ?? '').toUpperCase() as SqliteSynchronous;
  if (!SYNC_LEVELS.includes(value)) {
    throw new InvalidStoreSpecError(
      spec,
      `sync must be one of off, normal, full, extra, not ${JSON.stringify(params.get('sync') ?? '')}`,
    );
  }
  return value;
}

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  switch (parsed.kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      mkdirSync(dirname(parsed.path), { recursive: true });
      return await SqliteStore.open({
        path: parsed.path,
        synchronous: parsed.synchronous ?? options.synchronous,
      });
    case 'etcd': {
      // Loaded only here: the etcd client and its gRPC stack are most of a process's start for
      // the servers that never use them (SQLite and memory stores, every simulated cluster).
      const { EtcdStore } = await import('./etcd.js');
      const etcd = await EtcdStore.open({
        ...options.etcd,
        endpoints: parsed.endpoints,
        prefix: options.prefix,
      });
      if (!options.watchCache) return etcd;
      return new WatchCache(etcd, {
        ...(options.watchCache === true ? {} : options.watchCache),
        feed: (after, sink) => etcd.watchAll(after, sink),
      });
    }
  }
}
