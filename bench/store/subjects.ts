// What bench/store and bench/apiserver measure the engines on: a ~1 KiB Pod as the value, and
// the raw engines (better-sqlite3 alone, the etcd3 client alone) doing the store's work with the
// same durability settings.

import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import type { JsonObject } from '../../src/machinery/object.js';

/** A Pod of about 1 KiB, as a controller would write it. */
export function pod(name: string, n: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      labels: { app: 'bench', 'pod-template-hash': '5d8f7c9b6' },
      annotations: { 'concord.dev/note': 'benchmark object' },
    },
    spec: {
      nodeName: `node-${n % 50}`,
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1.2.3',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          env: [{ name: 'MODE', value: 'production' }],
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
    },
    status: {
      phase: 'Running',
      podIP: `10.0.${n % 250}.${n % 200}`,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
    },
  };
}

/** The work every engine is measured on; each backend and raw engine implements it. */
export interface Subject {
  write(key: string, value: JsonObject): Promise<unknown>;
  read(key: string): Promise<unknown>;
  list(prefix: string): Promise<number>;
  /** Starts n watchers on prefix; calls onEvent(watcherIndex) per delivered event. */
  watchers?(prefix: string, n: number, onEvent: (i: number) => void): Promise<() => Promise<void>>;
  update(key: string, value: JsonObject): Promise<unknown>;
  close(): Promise<void>;
}

/** better-sqlite3 alone: a key/value table, the same pragmas as SqliteStore, one statement per write. */
export function rawSqlite(path: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): Subject {
  const db = new Database(path);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
  const update = db.prepare('UPDATE kv SET value = ? WHERE key = ?');
  const get = db.prepare<[string], string>('SELECT value FROM kv WHERE key = ?').pluck();
  const range = db.prepare<[string, string], { key: string; value: string }>(
    'SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key',
  );
  return {
    write: async (k, v) => insert.run(k, JSON.stringify(v)),
    update: async (k, v) => update.run(JSON.stringify(v), k),
    read: async (k) => JSON.parse(get.get(k)!),
    list: async (prefix) => {
      const rows = range.all(prefix, `${prefix.slice(0, -1)}0`);
      for (const r of rows) JSON.parse(r.value);
      return rows.length;
    },
    close: async () => void db.close(),
  };
}

/** The etcd3 client alone: plain puts, gets and a prefix range; plain etcd3 watchers. */
export function rawEtcd(endpoint: string): Subject {
  const client = new Etcd3({ hosts: endpoint, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  return {
    write: (k, v) => client.put(k).value(JSON.stringify(v)).exec(),
    update: (k, v) => client.put(k).value(JSON.stringify(v)).exec(),
    read: async (k) => JSON.parse((await client.get(k).string())!),
    list: async (prefix) => {
      const all = await client.getAll().prefix(prefix).strings();
      const values = Object.values(all);
      for (const v of values) JSON.parse(v);
      return values.length;
    },
    async watchers(prefix, n, onEvent) {
      const ws = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          client
            .watch()
            .prefix(prefix)
            .withPreviousKV() // the Store's watch events carry the previous value too
            .create()
            .then((w) =>
              w.on('put', (kv) => {
                JSON.parse(kv.value.toString());
                onEvent(i);
              }),
            ),
        ),
      );
      return async () => {
        await Promise.all(ws.map((w) => w.cancel()));
      };
    },
    close: async () => client.close(),
  };
}
