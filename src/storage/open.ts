// openStore: a Store from the `--store` flag's syntax.
//   memory                      in-process (tests, simulated clusters)
//   sqlite:PATH                 one SQLite file (the embedded default)
//   etcd:URL[,URL...]           an etcd cluster, by its client URLs

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EtcdStoreOptions } from './etcd.js';
import { EtcdStore } from './etcd.js';
import { MemoryStore } from './memory.js';
import type { SqliteSynchronous } from './sqlite.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { StoreError } from './store.js';

export type StoreSpec =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'etcd'; endpoints: string[] };

export interface OpenStoreOptions {
  /** etcd: prefix of every key, so several hubs can share one etcd. */
  prefix?: string;
  /** sqlite: PRAGMA synchronous (default NORMAL: survives kill -9, not power loss). */
  synchronous?: SqliteSynchronous;
  /** etcd: further client settings. */
  etcd?: Omit<EtcdStoreOptions, 'endpoints' | 'prefix'>;
}

export class InvalidStoreSpecError extends StoreError {
  constructor(
    readonly spec: string,
    reason: string,
  ) {
    super(
      `invalid store ${JSON.stringify(spec)}: ${reason}; expected memory, sqlite:PATH or etcd:URL[,URL...]`,
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
    if (rest === '') throw new InvalidStoreSpecError(spec, 'sqlite needs a file path');
    return { kind: 'sqlite', path: resolve(rest) };
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

export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  switch (parsed.kind) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      mkdirSync(dirname(parsed.path), { recursive: true });
      return await SqliteStore.open({ path: parsed.path, synchronous: options.synchronous });
    case 'etcd':
      return await EtcdStore.open({ ...options.etcd, endpoints: parsed.endpoints, prefix: options.prefix });
  }
}
