// Watches of one prefix share etcd watches (channels): every watcher must still see exactly the
// changes after its own start revision, once each and in order, whatever the others do.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdMember } from '../../test/support/etcd.js';
import { startEtcd } from '../../test/support/etcd.js';
import { collect, configMap } from './conformance.testing.js';
import { EtcdStore } from './etcd.js';
import type { WatchEvent } from './store.js';
import { CompactedError } from './store.js';

// A member of its own: the compaction test compacts it, which other files' tests must not see.
let etcd: EtcdMember;
let n = 0;
const open = () => EtcdStore.open({ endpoints: [etcd.clientUrl], prefix: `/shared-${process.pid}-${++n}` });

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

type Collector = ReturnType<typeof collect>;

async function writes(store: EtcdStore, from: number, to: number): Promise<number[]> {
  const revisions: number[] = [];
  for (let i = from; i < to; i++)
    revisions.push((await store.create(`/t/${i}`, configMap(`c${i}`))).modRevision);
  return revisions;
}

const revisionsOf = (c: Collector) => c.events.map((e) => e.revision);

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('EtcdStore shared watches', () => {
  it('serves 200 watchers from one revision with one etcd watch, every write once and in order', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const watchers = Array.from({ length: 200 }, () => collect(store, '/t/', r0));
    expect(store.watchChannels()).toBe(1);
    const revisions = await writes(store, 0, 20);
    await Promise.all(watchers.map((w) => w.until(20)));
    // Nothing more arrives: no duplicates trailing behind.
    await new Promise((r) => setTimeout(r, 100));
    for (const w of watchers) expect(revisionsOf(w)).toEqual(revisions);
    expect(store.watchChannels()).toBe(1);
    for (const w of watchers) w.watcher.close();
    expect(store.watchChannels()).toBe(0);
    await store.close();
  });

  it('keeps watches of different prefixes on channels of their own', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const a = collect(store, '/t/', r0);
    const b = collect(store, '/u/', r0);
    const c = collect(store, '/t/', r0);
    expect(store.watchChannels()).toBe(2);
    await store.create('/u/1', configMap('u'));
    const revisions = await writes(store, 0, 3);
    await Promise.all([a.until(3), b.until(1), c.until(3)]);
    expect(revisionsOf(a)).toEqual(revisions);
    expect(revisionsOf(c)).toEqual(revisions);
    expect(b.events.map((e) => e.key)).toEqual(['/u/1']);
    for (const w of [a, b, c]) w.watcher.close();
    await store.close();
  });

  it('gives a watcher from an older revision the history, then merges it into the live channel', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const live = Array.from({ length: 20 }, () => collect(store, '/t/', r0));
    const first = await writes(store, 0, 5);
    await Promise.all(live.map((w) => w.until(5)));
    // The live channel has delivered past r0: a watcher from r0 needs its own, replaying history.
    const late = collect(store, '/t/', r0);
    expect(store.watchChannels()).toBe(2);
    // One from the newest delivered revision joins the live channel.
    const current = collect(store, '/t/', first[4]!);
    expect(store.watchChannels()).toBe(2);
    await late.until(5);
    // Both have delivered the same revision: they are one channel now.
    expect(store.watchChannels()).toBe(1);
    const second = await writes(store, 5, 10);
    await Promise.all([...live, late].map((w) => w.until(10)));
    await current.until(5);
    for (const w of [...live, late]) expect(revisionsOf(w)).toEqual([...first, ...second]);
    expect(revisionsOf(current)).toEqual(second);
    expect(store.watchChannels()).toBe(1);
    const third = await writes(store, 10, 12);
    await Promise.all([...live, late].map((w) => w.until(12)));
    await new Promise((r) => setTimeout(r, 100));
    expect(revisionsOf(late)).toEqual([...first, ...second, ...third]);
    expect(revisionsOf(current)).toEqual([...second, ...third]);
    for (const w of [...live, late, current]) w.watcher.close();
    await store.close();
  });

  it('lets a sink start a watch that joins mid-response and gets exactly the rest', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const revisions = await writes(store, 0, 6);
    // From r0 the whole history comes in one response; the third event starts another watch.
    let joined: Collector | undefined;
    const events: WatchEvent[] = [];
    const w = store.watch('/t/', r0, {
      onEvent(e) {
        events.push(e);
        if (events.length === 3) joined = collect(store, '/t/', e.revision);
      },
      onError(err) {
        throw err;
      },
    });
    await eventually(() => events.length === 6 && joined !== undefined, 'the history');
    await joined!.until(3);
    expect(events.map((e) => e.revision)).toEqual(revisions);
    expect(revisionsOf(joined!)).toEqual(revisions.slice(3));
    expect(store.watchChannels()).toBe(1);
    const more = await writes(store, 6, 8);
    await joined!.until(5);
    expect(revisionsOf(joined!)).toEqual([...revisions.slice(3), ...more]);
    w.close();
    joined!.watcher.close();
    await store.close();
  });

  it('stops a closed watcher while the others on its channel go on', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const watchers = Array.from({ length: 10 }, () => collect(store, '/t/', r0));
    const first = await writes(store, 0, 3);
    await Promise.all(watchers.map((w) => w.until(3)));
    const [closed, ...rest] = watchers;
    closed!.watcher.close();
    const second = await writes(store, 3, 6);
    await Promise.all(rest.map((w) => w.until(6)));
    await new Promise((r) => setTimeout(r, 100));
    expect(revisionsOf(closed!)).toEqual(first);
    for (const w of rest) expect(revisionsOf(w)).toEqual([...first, ...second]);
    expect(store.watchChannels()).toBe(1);
    for (const w of rest) w.watcher.close();
    expect(store.watchChannels()).toBe(0);
    await store.close();
  });

  it('fails only the watcher whose sink throws', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const before = collect(store, '/t/', r0);
    let received = 0;
    let failure: Error | undefined;
    store.watch('/t/', r0, {
      onEvent() {
        if (++received === 2) throw new Error('sink broke');
      },
      onError(err) {
        failure = err;
      },
    });
    const after = collect(store, '/t/', r0);
    expect(store.watchChannels()).toBe(1);
    const revisions = await writes(store, 0, 5);
    await Promise.all([before.until(5), after.until(5)]);
    expect(received).toBe(2);
    expect(failure?.message).toBe('sink broke');
    expect(revisionsOf(before)).toEqual(revisions);
    expect(revisionsOf(after)).toEqual(revisions);
    before.watcher.close();
    after.watcher.close();
    await store.close();
  });

  it('fails the watchers a compaction leaves behind and moves on those it does not', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const revisions = await writes(store, 0, 6);
    await store.compact(revisions[3]!);
    // Both on one channel from r0, which etcd answers with the compaction point.
    const old = collect(store, '/t/', r0);
    const recent = collect(store, '/t/', revisions[3]!);
    expect(store.watchChannels()).toBe(1);
    const err = await old.failure();
    expect(err).toBeInstanceOf(CompactedError);
    expect((err as CompactedError).compactRevision).toBe(revisions[3]);
    await recent.until(2);
    const more = await writes(store, 6, 8);
    await recent.until(4);
    expect(revisionsOf(recent)).toEqual([...revisions.slice(4), ...more]);
    expect(store.watchChannels()).toBe(1);
    recent.watcher.close();
    await store.close();
  });

  it('resumes shared watchers without gap or duplicate when the etcd member restarts', async () => {
    const store = await open();
    const r0 = await store.currentRevision();
    const shared = Array.from({ length: 50 }, () => collect(store, '/t/', r0));
    const first = await writes(store, 0, 5);
    await Promise.all(shared.map((w) => w.until(5)));
    // One more from an older revision (a channel of its own until it has caught up), and one
    // on a wider range: the restart recreates each channel from what its watchers still need.
    const late = collect(store, '/t/', first[1]!);
    const all = collect(store, '/', first[2]!);
    expect(store.watchChannels()).toBe(3);
    await etcd.kill();
    await etcd.restart();
    const second = await writes(store, 5, 10);
    await Promise.all(shared.map((w) => w.until(10)));
    await late.until(8);
    await all.until(7);
    await new Promise((r) => setTimeout(r, 100));
    for (const w of shared) expect(revisionsOf(w)).toEqual([...first, ...second]);
    expect(revisionsOf(late)).toEqual([...first.slice(2), ...second]);
    expect(revisionsOf(all)).toEqual([...first.slice(3), ...second]);
    for (const w of [...shared, late, all]) w.watcher.close();
    expect(store.watchChannels()).toBe(0);
    await store.close();
  });
});
