// The stores end-to-end tests run the API server on: SQLite (the default, what `concord hub` and
// `concord up` use) in a file of the test's folder, or a real etcd member started for the test.
// Memory is there for tests whose subject is not the store.

import { join } from 'node:path';
import { openStore } from '../../src/storage/open.js';
import type { Store } from '../../src/storage/store.js';
import { startEtcd } from './etcd.js';

export type TestStoreKind = 'sqlite' | 'etcd' | 'memory';

/** Both durable stores, for suites that run on each ("[sqlite]", "[etcd]" in their names). */
export const DURABLE_STORES: readonly TestStoreKind[] = ['sqlite', 'etcd'];

export interface TestStore {
  kind: TestStoreKind;
  store: Store;
  /** Closes the store and stops what was started for it (etcd). */
  close(): Promise<void>;
}

/** Opens a store of `kind`; SQLite keeps its file in `dir`. */
export async function openTestStore(kind: TestStoreKind, dir: string): Promise<TestStore> {
  switch (kind) {
    case 'memory':
    case 'sqlite': {
      const store = await openStore(kind === 'memory' ? 'memory' : `sqlite:${join(dir, 'store.db')}`);
      return { kind, store, close: () => store.close() };
    }
    case 'etcd': {
      const etcd = await startEtcd();
      try {
        const store = await openStore(`etcd:${etcd.clientUrl}`);
        return {
          kind,
          store,
          async close() {
            await store.close();
            await etcd.stop();
          },
        };
      } catch (err) {
        await etcd.stop();
        throw err;
      }
    }
  }
}
