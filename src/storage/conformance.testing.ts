// The Store conformance suite: one set of behaviours every backend must show, run unchanged by
// memory.test.ts, sqlite.test.ts and etcd.test.ts. Tests only read revisions relative to what
// they observe, so a backend may share its engine between tests (etcd with a key prefix each).

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../machinery/object.js';
import type { OpenStoreOptions } from './open.js';
import { openStore } from './open.js';
import type { KeyValue, ListResult, Store, WatchEvent, Watcher } from './store.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidContinueError,
  KeyExistsError,
  KeyNotFoundError,
  MAX_VALUE_BYTES,
  ValueTooLargeError,
} from './store.js';

export interface DurabilityTarget {
  /** A fresh store the writer child opens by spec (as `--store` would) and the check reopens. */
  target(): Promise<{ spec: string; options?: OpenStoreOptions }>;
  /** Runs right after the writer was killed: crash whatever else must crash (etcd: kill -9, restart). */
  afterKill?(): Promise<void>;
  /**
   * Acknowledged writes before the kill (default 400) and the size of each created value's
   * payload (default 200 bytes): enough volume puts the kill among the backend's background work
   * (sqlite: WAL checkpoints).
   */
  acks?: number;
  payloadBytes?: number;
}

export interface ConformanceExtras {
  /** For backends that persist: the kill -9 test. */
  durability?: DurabilityTarget;
}

/** A Kubernetes-looking object for test values. */
export function configMap(name: string, data: Record<string, string> = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
}

/** Collects a watch's events; `until(n)` resolves once n events arrived (rejects on a watch error). */
export function collect(store: Store, prefix: string, afterRevision: number) {
  const events: WatchEvent[] = [];
  let error: Error | undefined;
  let waiter: { n: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  const check = () => {
    if (!waiter) return;
    if (error) waiter.reject(error);
    else if (events.length >= waiter.n) waiter.resolve();
    else return;
    waiter = undefined;
  };
  const watcher: Watcher = store.watch(prefix, afterRevision, {
    onEvent(event) {
      events.push(event);
      check();
    },
    onError(err) {
      error = err;
      check();
    },
  });
  return {
    events,
    watcher,
    get error() {
      return error;
    },
    until(n: number): Promise<void> {
      return new Promise((resolve, reject) => {
        waiter = { n, resolve, reject };
        check();
      });
    },
    /** Resolves with the error that ends the watch. */
    failure(): Promise<Error> {
      return new Promise((resolve, reject) => {
        waiter = {
          n: Number.POSITIVE_INFINITY,
          resolve: () => reject(new Error('no error')),
          reject: resolve,
        };
        check();
      });
    },
  };
}

async function expectError<T extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as T;
  }
  throw new Error(`expected ${type.name}, but the call succeeded`);
}

async function listAll(
  store: Store,
  prefix: string,
  limit: number,
): Promise<{ pages: ListResult[]; items: KeyValue[] }> {
  const pages: ListResult[] = [];
  let page = await store.list(prefix, { limit });
  pages.push(page);
  while (page.continue) {
    // Pages come in separate requests: other work (writes) gets its turn in between.
    await new Promise((resolve) => setImmediate(resolve));
    page = await store.list(prefix, { limit, continue: page.continue });
    pages.push(page);
  }
  return { pages, items: pages.flatMap((p) => p.items) };
}

/** Runs `count` tasks with at most `width` in flight. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

type Write = { type: 'create' | 'update' | 'delete'; key: string; revision: number; value: JsonObject };

export function describeStoreConformance(
  name: string,
  openFresh: () => Promise<Store>,
  extras: ConformanceExtras = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const store = await openFresh();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('CRUD', () => {
      it('creates, reads, updates and deletes a key, each write taking the next revision', async () => {
        const store = await fresh();
        const r0 = await store.currentRevision();
        const key = '/registry/core/configmaps/default/a';
        const created = await store.create(key, configMap('a', { v: '1' }));
        expect(created.createRevision).toBeGreaterThan(r0);
        expect(created).toEqual({
          key,
          value: configMap('a', { v: '1' }),
          createRevision: created.createRevision,
          modRevision: created.createRevision,
          version: 1,
        });
        expect(await store.get(key)).toEqual(created);
        expect(await store.currentRevision()).toBe(created.modRevision);

        const updated = await store.update(key, configMap('a', { v: '2' }));
        expect(updated.modRevision).toBeGreaterThan(created.modRevision);
        expect(updated).toMatchObject({ createRevision: created.createRevision, version: 2 });
        expect(await store.get(key)).toEqual(updated);

        const deleted = await store.delete(key, updated.modRevision);
        expect(deleted.modRevision).toBeGreaterThan(updated.modRevision);
        expect(deleted).toMatchObject({
          key,
          value: configMap('a', { v: '2' }),
          createRevision: created.createRevision,
          version: 2,
        });
        expect(await store.get(key)).toBeUndefined();
        expect(await store.currentRevision()).toBe(deleted.modRevision);

        // A key created again starts a new life: new createRevision, version 1.
        const again = await store.create(key, configMap('a', { v: '3' }));
        expect(again.createRevision).toBeGreaterThan(deleted.modRevision);
        expect(again.version).toBe(1);
      });

      it('refuses to create a key that exists, and changes nothing', async () => {
        const store = await fresh();
        const first = await store.create('/t/x', configMap('x', { v: '1' }));
        const err = await expectError(store.create('/t/x', configMap('x', { v: '2' })), KeyExistsError);
        expect(err.key).toBe('/t/x');
        expect(await store.get('/t/x')).toEqual(first);
        expect(await store.currentRevision()).toBe(first.modRevision);
      });

      it('refuses to update or delete a missing key', async () => {
        const store = await fresh();
        await expectError(store.update('/t/none', configMap('none')), KeyNotFoundError);
        await expectError(store.update('/t/none', configMap('none'), 1), KeyNotFoundError);
        await expectError(store.delete('/t/none'), KeyNotFoundError);
        const kv = await store.create('/t/gone', configMap('gone'));
        await store.delete('/t/gone');
        await expectError(store.update('/t/gone', configMap('gone'), kv.modRevision), KeyNotFoundError);
        await expectError(store.delete('/t/gone', kv.modRevision), KeyNotFoundError);
        expect(await store.get('/t/gone')).toBeUndefined();
      });

      it('rejects a stale expected revision with a conflict that carries the current entry', async () => {
        const store = await fresh();
        const v1 = await store.create('/t/c', configMap('c', { v: '1' }));
        const v2 = await store.update('/t/c', configMap('c', { v: '2' }), v1.modRevision);
        const conflict = await expectError(
          store.update('/t/c', configMap('c', { v: 'lost' }), v1.modRevision),
          ConflictError,
        );
        expect(conflict.expectedRevision).toBe(v1.modRevision);
        expect(conflict.current).toEqual(v2);
        await expectError(store.delete('/t/c', v1.modRevision), ConflictError);
        expect(await store.get('/t/c')).toEqual(v2);
        await store.delete('/t/c', v2.modRevision);
        expect(await store.get('/t/c')).toBeUndefined();
      });

      it('keeps stored values apart from the objects callers hold', async () => {
        const store = await fresh();
        const input = configMap('iso', { v: '1' });
        const created = await store.create('/t/iso', input);
        (input.data as Record<string, string>).v = 'changed by caller';
        (created.value.data as Record<string, string>).v = 'changed by reader';
        expect((await store.get('/t/iso'))!.value).toEqual(configMap('iso', { v: '1' }));
      });

      it('refuses a value over the size limit and writes nothing', async () => {
        const store = await fresh();
        const r0 = await store.currentRevision();
        const big = { ...configMap('big'), blob: 'x'.repeat(MAX_VALUE_BYTES) };
        const err = await expectError(store.create('/t/big', big), ValueTooLargeError);
        expect(err.size).toBeGreaterThan(MAX_VALUE_BYTES);
        expect(err.limit).toBe(MAX_VALUE_BYTES);
        // The limit counts bytes: two-byte characters reach it with half as many characters.
        await expectError(
          store.create('/t/big', { ...configMap('big'), blob: 'é'.repeat(MAX_VALUE_BYTES / 2) }),
          ValueTooLargeError,
        );
        expect(await store.get('/t/big')).toBeUndefined();
        expect(await store.currentRevision()).toBe(r0);

        // A value just under the limit is fine, and an oversized update leaves it as it was.
        const near = { ...configMap('big'), blob: 'y'.repeat(MAX_VALUE_BYTES - 1024) };
        const kv = await store.create('/t/big', near);
        await expectError(store.update('/t/big', big, kv.modRevision), ValueTooLargeError);
        expect((await store.get('/t/big'))!.modRevision).toBe(kv.modRevision);
        expect((await store.get('/t/big'))!.value.blob).toBe(near.blob);
      });
    });

    describe('compare-and-swap', () => {
      it('loses no increment when concurrent writers retry on conflict', async () => {
        const store = await fresh();
        const key = '/t/counter';
        await store.create(key, { ...configMap('counter'), count: 0 });
        const writers = 8;
        const increments = 25;
        let conflicts = 0;
        const revisions: number[] = [];
        const writer = async () => {
          let current = (await store.get(key))!;
          for (let i = 0; i < increments; i++) {
            for (;;) {
              try {
                const next = { ...current.value, count: (current.value.count as number) + 1 };
                current = await store.update(key, next, current.modRevision);
                revisions.push(current.modRevision);
                break;
              } catch (err) {
                if (!(err instanceof ConflictError)) throw err;
                conflicts++;
                current = err.current;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, writer));
        const final = (await store.get(key))!;
        expect(final.value.count).toBe(writers * increments);
        expect(final.version).toBe(writers * increments + 1);
        expect(new Set(revisions).size).toBe(writers * increments);
        // Not a requirement on the backend, but shows the test exercised conflicts at all.
        expect(conflicts).toBeGreaterThan(0);
      });
    });

    describe('list', () => {
      it('lists a prefix in key order without the keys of a sibling prefix', async () => {
        const store = await fresh();
        const names = ['b', 'a', 'c'];
        for (const n of names) await store.create(`/registry/core/pods/a/${n}`, configMap(n));
        await store.create('/registry/core/pods/ab/x', configMap('x'));
        await store.create('/registry/core/pods/a', configMap('not-under-the-prefix'));
        const result = await store.list('/registry/core/pods/a/');
        expect(result.items.map((i) => i.key)).toEqual(
          ['a', 'b', 'c'].map((n) => `/registry/core/pods/a/${n}`),
        );
        expect(result.revision).toBe(await store.currentRevision());
        expect(result.continue).toBeUndefined();
        expect(await store.count('/registry/core/pods/a/')).toBe(3);
        expect(await store.count('/registry/core/pods/')).toBe(5);
        // The empty prefix is every key.
        expect(await store.count('')).toBe(5);
        expect((await store.list('', { limit: 2 })).items.map((i) => i.key)).toEqual([
          '/registry/core/pods/a',
          '/registry/core/pods/a/a',
        ]);
        expect((await store.list('/registry/core/services/')).items).toEqual([]);
      });

      it('pages with limit and continue, every page at the first page revision', async () => {
        const store = await fresh();
        for (let i = 0; i < 25; i++)
          await store.create(`/t/p/${String(i).padStart(2, '0')}`, configMap(`p${i}`));
        const first = await store.list('/t/p/', { limit: 10 });
        expect(first.items).toHaveLength(10);
        expect(first.continue).toBeDefined();
        if (first.remaining !== undefined) expect(first.remaining).toBe(15);
        // Writes after the first page must not show in later pages.
        await store.delete('/t/p/15');
        await store.create('/t/p/99', configMap('late'));
        const second = await store.list('/t/p/', { limit: 10, continue: first.continue! });
        const third = await store.list('/t/p/', { limit: 10, continue: second.continue! });
        expect([second.revision, third.revision]).toEqual([first.revision, first.revision]);
        if (second.remaining !== undefined) expect(second.remaining).toBe(5);
        expect(third.continue).toBeUndefined();
        const keys = [...first.items, ...second.items, ...third.items].map((i) => i.key);
        expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `/t/p/${String(i).padStart(2, '0')}`));
        // A page that ends exactly at the last key has no continue token.
        const exact = await store.list('/t/p/', { limit: 25, revision: first.revision });
        expect(exact.items).toHaveLength(25);
        expect(exact.continue).toBeUndefined();
      });

      it('keeps paging consistent while 1,000 writes happen', async () => {
        const store = await fresh();
        const prefix = '/registry/core/configmaps/load/';
        const key = (i: number) => `${prefix}cm-${String(i).padStart(4, '0')}`;
        const writes: Write[] = [];
        const initial = 300;
        await inParallel(initial, 16, async (i) => {
          const value = configMap(`cm-${i}`, { gen: '0' });
          const kv = await store.create(key(i), value);
          writes.push({ type: 'create', key: key(i), revision: kv.modRevision, value });
        });
        // 100 deletes, 600 updates, 300 creates, in a shuffled order, 8 at a time.
        const ops: { type: Write['type']; i: number }[] = [];
        for (let i = 0; i < 100; i++) ops.push({ type: 'delete', i });
        for (let i = 0; i < 600; i++) ops.push({ type: 'update', i: 100 + (i % 200) });
        for (let i = 0; i < 300; i++) ops.push({ type: 'create', i: initial + i });
        let seed = 7;
        const random = () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed / 2147483648;
        };
        for (let i = ops.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [ops[i], ops[j]] = [ops[j]!, ops[i]!];
        }
        let done = 0;
        const load = inParallel(ops.length, 8, async (n) => {
          const op = ops[n]!;
          const value = configMap(`cm-${op.i}`, { gen: String(n + 1) });
          const kv =
            op.type === 'create'
              ? await store.create(key(op.i), value)
              : op.type === 'update'
                ? await store.update(key(op.i), value)
                : await store.delete(key(op.i));
          writes.push({ type: op.type, key: key(op.i), revision: kv.modRevision, value: kv.value });
          done++;
        });
        const doneBefore = done;
        const { pages, items } = await listAll(store, prefix, 7);
        const doneAfter = done;
        await load;
        expect(pages.length).toBeGreaterThan(10);
        const revision = pages[0]!.revision;
        for (const page of pages) expect(page.revision).toBe(revision);
        // What the store held at that revision, replayed from the acknowledged writes.
        const model = new Map<string, { revision: number; value: JsonObject }>();
        for (const w of [...writes].sort((a, b) => a.revision - b.revision)) {
          if (w.revision > revision) break;
          if (w.type === 'delete') model.delete(w.key);
          else model.set(w.key, { revision: w.revision, value: w.value });
        }
        const expected = [...model.keys()].sort().map((k) => ({ key: k, ...model.get(k)! }));
        const got = items.map((i) => ({ key: i.key, revision: i.modRevision, value: i.value }));
        expect(got).toEqual(expected);
        expect(new Set(got.map((g) => g.key)).size).toBe(got.length);
        // The writes really did go on while the pages were read.
        expect(doneAfter).toBeGreaterThan(doneBefore);
        expect(doneBefore).toBeLessThan(ops.length);
        // And an unpaged list at that revision says the same.
        const whole = await store.list(prefix, { revision });
        expect(whole.items.map((i) => ({ key: i.key, revision: i.modRevision, value: i.value }))).toEqual(
          expected,
        );
      }, 120_000);

      it('reads a past revision', async () => {
        const store = await fresh();
        const a = await store.create('/t/h/a', configMap('a', { v: '1' }));
        await store.create('/t/h/b', configMap('b'));
        const at = await store.currentRevision();
        await store.update('/t/h/a', configMap('a', { v: '2' }));
        await store.delete('/t/h/b');
        await store.create('/t/h/c', configMap('c'));
        const past = await store.list('/t/h/', { revision: at });
        expect(past.revision).toBe(at);
        expect(past.items.map((i) => [i.key, i.modRevision, i.value])).toEqual([
          ['/t/h/a', a.modRevision, configMap('a', { v: '1' })],
          ['/t/h/b', at, configMap('b')],
        ]);
        expect((await store.list('/t/h/')).items.map((i) => i.key)).toEqual(['/t/h/a', '/t/h/c']);
      });

      it('rejects continue tokens it did not issue, and future revisions', async () => {
        const store = await fresh();
        await store.create('/t/k/a', configMap('a'));
        await store.create('/t/k/b', configMap('b'));
        const garbage = [
          'not a token!',
          Buffer.from('not json').toString('base64url'),
          Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: 'x' })).toString('base64url'),
          Buffer.from(JSON.stringify({ v: 'other', rv: 1, start: 'x' })).toString('base64url'),
          Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: -3, start: 'x' })).toString('base64url'),
        ];
        for (const token of garbage) {
          await expectError(store.list('/t/k/', { limit: 1, continue: token }), InvalidContinueError);
        }
        const current = await store.currentRevision();
        const err = await expectError(store.list('/t/k/', { revision: current + 1000 }), FutureRevisionError);
        expect(err.requestedRevision).toBe(current + 1000);
      });

      it('answers a "not older than" read with data at least that new, and refuses one it has not reached', async () => {
        const store = await fresh();
        await store.create('/t/n/a', configMap('a'));
        const b = await store.create('/t/n/b', configMap('b'));
        // Every acknowledged write is in a read not older than it.
        const fresh1 = await store.list('/t/n/', { minRevision: b.modRevision });
        expect(fresh1.revision).toBeGreaterThanOrEqual(b.modRevision);
        expect(fresh1.items.map((i) => i.key)).toEqual(['/t/n/a', '/t/n/b']);
        const any = await store.list('/t/n/', { minRevision: 0, limit: 1 });
        expect(any.items.map((i) => i.key)).toEqual(['/t/n/a']);
        const current = await store.currentRevision();
        const err = await expectError(
          store.list('/t/n/', { minRevision: current + 1000 }),
          FutureRevisionError,
        );
        expect(err.requestedRevision).toBe(current + 1000);
      });
    });

    describe('watch', () => {
      it('replays history, then delivers live changes, in order with previous values', async () => {
        const store = await fresh();
        const r0 = await store.currentRevision();
        const writes: Write[] = [];
        const a1 = await store.create('/t/w/a', configMap('a', { v: '1' }));
        writes.push({ type: 'create', key: '/t/w/a', revision: a1.modRevision, value: a1.value });
        const b1 = await store.create('/t/w/b', configMap('b', { v: '1' }));
        writes.push({ type: 'create', key: '/t/w/b', revision: b1.modRevision, value: b1.value });
        await store.create('/t/other/z', configMap('z'));
        const w = collect(store, '/t/w/', r0);
        const a2 = await store.update('/t/w/a', configMap('a', { v: '2' }));
        const bd = await store.delete('/t/w/b');
        const b2 = await store.create('/t/w/b', configMap('b', { v: 'again' }));
        await w.until(5);
        expect(w.events).toEqual([
          {
            type: 'create',
            key: '/t/w/a',
            revision: a1.modRevision,
            value: a1.value,
            createRevision: a1.modRevision,
          },
          {
            type: 'create',
            key: '/t/w/b',
            revision: b1.modRevision,
            value: b1.value,
            createRevision: b1.modRevision,
          },
          {
            type: 'update',
            key: '/t/w/a',
            revision: a2.modRevision,
            value: a2.value,
            prevValue: a1.value,
            prevRevision: a1.modRevision,
            createRevision: a1.modRevision,
          },
          {
            type: 'delete',
            key: '/t/w/b',
            revision: bd.modRevision,
            value: b1.value,
            prevValue: b1.value,
            prevRevision: b1.modRevision,
            createRevision: b1.modRevision,
          },
          {
            type: 'create',
            key: '/t/w/b',
            revision: b2.modRevision,
            value: b2.value,
            createRevision: b2.modRevision,
          },
        ]);
        w.watcher.close();
      });

      it('has no gap and no duplicate when a watch is stopped and resumed from its last revision', async () => {
        const store = await fresh();
        const prefix = '/registry/apps/deployments/web/';
        const r0 = await store.currentRevision();
        const steady = collect(store, prefix, r0);
        const acked: number[] = [];
        const resumed: WatchEvent[] = [];
        const total = 300;
        const load = inParallel(total, 4, async (n) => {
          const name = `d${n % 40}`;
          const key = `${prefix}${name}`;
          const value = { ...configMap(name), spec: { replicas: n } };
          let kv: KeyValue;
          try {
            kv = await store.create(key, value);
          } catch (err) {
            if (!(err instanceof KeyExistsError)) throw err;
            kv = n % 7 === 0 ? await store.delete(key) : await store.update(key, value);
          }
          acked.push(kv.modRevision);
        });
        // Stop after 40 events (closing from inside onEvent), resume from the last one seen; three times.
        let from = r0;
        for (let round = 0; round < 3; round++) {
          const part: WatchEvent[] = [];
          await new Promise<void>((resolve, reject) => {
            const watcher = store.watch(prefix, from, {
              onEvent(event) {
                part.push(event);
                if (part.length === 40) {
                  watcher.close();
                  resolve();
                }
              },
              onError: reject,
            });
          });
          await new Promise((r) => setTimeout(r, 5));
          expect(part).toHaveLength(40); // nothing after close()
          resumed.push(...part);
          from = part[39]!.revision;
        }
        await load;
        const rest = collect(store, prefix, from);
        const expected = [...acked].sort((a, b) => a - b);
        await rest.until(expected.length - resumed.length);
        await steady.until(expected.length);
        const revisions = (events: WatchEvent[]) => events.map((e) => e.revision);
        expect(revisions(steady.events)).toEqual(expected);
        expect(revisions([...resumed, ...rest.events])).toEqual(expected);
        expect([...resumed, ...rest.events]).toEqual(steady.events);
        steady.watcher.close();
        rest.watcher.close();
      });

      it('delivers nothing after close(), even when closed from inside onEvent', async () => {
        const store = await fresh();
        const r0 = await store.currentRevision();
        const got: number[] = [];
        let closed!: () => void;
        const closedAfterTwo = new Promise<void>((resolve) => {
          closed = resolve;
        });
        const watcher = store.watch('/t/s/', r0, {
          onEvent(event) {
            got.push(event.revision);
            if (got.length === 2) {
              watcher.close();
              closed();
            }
          },
          onError(err) {
            throw err;
          },
        });
        for (let i = 0; i < 6; i++) await store.create(`/t/s/${i}`, configMap(`s${i}`));
        await closedAfterTwo;
        const later = collect(store, '/t/s/', r0);
        await later.until(6);
        await new Promise((r) => setTimeout(r, 20));
        expect(got).toEqual(later.events.slice(0, 2).map((e) => e.revision));
        later.watcher.close();
      });

      it('gives 1,000 concurrent watchers on one prefix every event', async () => {
        const store = await fresh();
        const prefix = '/registry/core/pods/busy/';
        const r0 = await store.currentRevision();
        const watchers = Array.from({ length: 1000 }, () => collect(store, prefix, r0));
        const expected: number[] = [];
        for (let i = 0; i < 10; i++) {
          expected.push((await store.create(`${prefix}p${i}`, configMap(`p${i}`))).modRevision);
        }
        for (let i = 0; i < 10; i += 2) {
          expected.push(
            (await store.update(`${prefix}p${i}`, { ...configMap(`p${i}`), status: { phase: 'Running' } }))
              .modRevision,
          );
        }
        await Promise.all(watchers.map((w) => w.until(expected.length)));
        for (const w of watchers) {
          expect(w.events.map((e) => e.revision)).toEqual(expected);
          w.watcher.close();
        }
        expect(watchers[999]!.events[12]!.prevValue).toEqual(configMap('p4'));
      }, 120_000);
    });

    describe('compaction', () => {
      it('answers "too old" for watches, lists and continue tokens before the compaction point', async () => {
        const store = await fresh();
        for (let i = 0; i < 6; i++) await store.create(`/t/o/${i}`, configMap(`o${i}`));
        const page = await store.list('/t/o/', { limit: 2 });
        const old = page.revision;
        await store.update('/t/o/0', configMap('o0', { v: '2' }));
        await store.delete('/t/o/1');
        const target = await store.currentRevision();
        const kept = await store.update('/t/o/2', configMap('o2', { v: '2' }));
        const after = await store.update('/t/o/3', configMap('o3', { v: '2' }));
        await store.compact(kept.modRevision);
        expect(await store.compactedRevision()).toBe(kept.modRevision);

        const tooOld = await collect(store, '/t/o/', target - 1).failure();
        expect(tooOld).toBeInstanceOf(CompactedError);
        expect((tooOld as CompactedError).compactRevision).toBe(kept.modRevision);
        await expectError(store.list('/t/o/', { revision: target }), CompactedError);
        await expectError(store.list('/t/o/', { limit: 2, continue: page.continue! }), CompactedError);
        expect(old).toBeLessThan(kept.modRevision);

        // The compaction point itself stays readable, and a watch may start right at it.
        const atPoint = await store.list('/t/o/', { revision: kept.modRevision });
        expect(atPoint.items.map((i) => [i.key, i.value])).toEqual([
          ['/t/o/0', configMap('o0', { v: '2' })],
          ['/t/o/2', configMap('o2', { v: '2' })],
          ['/t/o/3', configMap('o3')],
          ['/t/o/4', configMap('o4')],
          ['/t/o/5', configMap('o5')],
        ]);
        const fromPoint = collect(store, '/t/o/', target);
        await fromPoint.until(2);
        expect(fromPoint.events.map((e) => e.revision)).toEqual([kept.modRevision, after.modRevision]);
        fromPoint.watcher.close();

        // Compacting to an older revision is a no-op; to a future one, an error.
        await store.compact(target);
        expect(await store.compactedRevision()).toBe(kept.modRevision);
        await expectError(store.compact(after.modRevision + 1000), FutureRevisionError);
        // Reads and writes carry on.
        await store.update('/t/o/4', configMap('o4', { v: '2' }));
        expect((await store.list('/t/o/')).items).toHaveLength(5);
      });
    });

    if (extras.durability) {
      const durability = extras.durability;
      describe('durability', () => {
        it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
          const { spec, options } = await durability.target();
          const acks = durability.acks ?? 400;
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              fileURLToPath(new URL('./durability-writer.testing.ts', import.meta.url)),
              JSON.stringify({ spec, options, payloadBytes: durability.payloadBytes ?? 200 }),
            ],
            { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
          );
          const acked: { key: string; revision: number; count?: number }[] = [];
          let stderr = '';
          let buffered = '';
          child.stderr!.on('data', (d: Buffer) => {
            stderr += d.toString();
          });
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          await new Promise<void>((resolve, reject) => {
            child.stdout!.on('data', (d: Buffer) => {
              buffered += d.toString();
              const lines = buffered.split('\n');
              buffered = lines.pop()!;
              for (const line of lines) acked.push(JSON.parse(line));
              if (acked.length >= acks) resolve();
            });
            child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
          });
          child.kill('SIGKILL');
          await exited;
          await durability.afterKill?.();

          const store = await openStore(spec, options);
          opened.push(store);
          let counters = 0;
          const highest = new Map<string, { revision: number; count: number }>();
          for (const a of acked) {
            const kv = await store.get(a.key);
            expect(kv, `acknowledged ${a.key} at ${a.revision} is missing`).toBeDefined();
            if (a.count === undefined) {
              expect(kv!.modRevision).toBe(a.revision);
            } else {
              counters++;
              const h = highest.get(a.key);
              if (!h || h.revision < a.revision) highest.set(a.key, { revision: a.revision, count: a.count });
            }
          }
          for (const [key, h] of highest) {
            const kv = (await store.get(key))!;
            expect(kv.modRevision).toBeGreaterThanOrEqual(h.revision);
            expect(kv.value.count as number).toBeGreaterThanOrEqual(h.count);
          }
          expect(counters).toBeGreaterThan(0);
        }, 120_000);
      });
    }
  });
}
