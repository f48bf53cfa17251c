// Watches over one etcd gRPC watch stream. The etcd3 client's own Watcher resumes from the
// revision in the last response header, which can skip events a catching-up watcher has not
// received yet; here each watch resumes from the revision after the last event it delivered,
// so a reconnect neither loses nor repeats a change. Watch IDs are chosen by the client
// (etcd >= 3.4), so many watches can be created at once.
//
// Logical watches on the same key range share one etcd watch (a channel) when it provably
// serves them: etcd then sends, and this process decodes, each change once per channel rather
// than once per watcher. A channel's `deliveredUpTo` is a revision such that every event on
// the range after it is still to come on the channel, and every subscriber's cursor is at
// least it (once an event is dispatched). So a watch from A can join a channel whose
// deliveredUpTo <= A, skipping events up to its own cursor; and the channel can be recreated
// from its oldest cursor (reconnect, compaction) without any subscriber losing or repeating one.

import type { Etcd3, IEvent, IWatchResponse } from 'etcd3';
import type { JsonObject } from '../machinery/object.js';
import type { WatchEvent, Watcher, WatchSink } from './store.js';
import { CompactedError, StoreError, StoreUnavailableError } from './store.js';

const DECODED_CACHE = 256;

type WatchStream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

export interface WatchStreamOptions {
  /** How long watches try to reconnect before they end with StoreUnavailableError. */
  retryMs: number;
  describe: string;
}

class EtcdWatch implements Watcher {
  closed = false;
  channel: Channel | undefined;

  constructor(
    readonly mux: EtcdWatchMux,
    readonly key: Buffer,
    readonly rangeEnd: Buffer,
    readonly afterRevision: number,
    /** Revision of the last delivered event: a reconnect resumes after it. */
    public cursor: number,
    readonly sink: WatchSink,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mux.remove(this);
  }
}

/** One etcd watch over a key range, shared by the logical watches it can serve. */
class Channel {
  readonly subs = new Set<EtcdWatch>();

  constructor(
    /** The etcd watch id; a new one when etcd ended the old watch and it is created again. */
    public id: number,
    readonly range: string,
    readonly key: Buffer,
    readonly rangeEnd: Buffer,
    /** Every event on the range after this revision is still to come on this channel. */
    public deliveredUpTo: number,
  ) {}

  join(w: EtcdWatch): void {
    this.subs.add(w);
    w.channel = this;
  }
}

function parse(buf: Buffer): JsonObject {
  return JSON.parse(buf.toString('utf8')) as JsonObject;
}

export class EtcdWatchMux {
  /** Live channels by etcd watch id. */
  private readonly channels = new Map<number, Channel>();
  /** Live channels by key range. */
  private readonly ranges = new Map<string, Set<Channel>>();
  private nextId = 1;
  private stream: WatchStream | undefined;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private brokenSince: number | undefined;
  private backoffMs = 50;
  private closed = false;
  /**
   * Recently decoded events by revision and key. Channels on different ranges (a prefix and
   * a narrower one in it) receive the same change: decoding it once and sharing the event
   * (read-only, as the Store contract allows) saves a JSON parse per channel.
   */
  private readonly decoded = new Map<string, WatchEvent>();

  /** The store's key prefix: keys outside it belong to others sharing the etcd. */
  private readonly prefix: Buffer;

  constructor(
    private readonly client: Etcd3,
    prefix: string,
    private readonly options: WatchStreamOptions,
  ) {
    this.prefix = Buffer.from(prefix, 'utf8');
  }

  /** The etcd watches open (for tests and metrics). */
  get channelCount(): number {
    return this.channels.size;
  }

  watch(key: Buffer, rangeEnd: Buffer, afterRevision: number, sink: WatchSink): Watcher {
    const w = new EtcdWatch(this, key, rangeEnd, afterRevision, afterRevision, sink);
    if (this.closed) {
      queueMicrotask(() => this.fail(w, new StoreUnavailableError('store is closed')));
      return w;
    }
    this.attach(w);
    return w;
  }

  remove(w: EtcdWatch): void {
    const ch = w.channel;
    if (!ch) return;
    w.channel = undefined;
    ch.subs.delete(w);
    if (ch.subs.size > 0) return;
    this.retire(ch);
    this.dropIfIdle();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.failAll(new StoreUnavailableError('store is closed'));
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  /**
   * Puts w on a channel of its range that will send every event after w.cursor, the most
   * advanced one if several can (the least history to skip); else opens one from w.cursor.
   */
  private attach(w: EtcdWatch): void {
    const range = `${w.key.length}:${w.key.toString('latin1')}${w.rangeEnd.toString('latin1')}`;
    let best: Channel | undefined;
    for (const ch of this.ranges.get(range) ?? []) {
      if (ch.deliveredUpTo <= w.cursor && (!best || ch.deliveredUpTo > best.deliveredUpTo)) best = ch;
    }
    if (best) {
      best.join(w);
      return;
    }
    const ch = new Channel(this.nextId++, range, w.key, w.rangeEnd, w.cursor);
    ch.join(w);
    this.channels.set(ch.id, ch);
    const peers = this.ranges.get(range);
    if (peers) peers.add(ch);
    else this.ranges.set(range, new Set([ch]));
    if (this.stream) this.create(ch);
    else this.connect();
  }

  /** Forgets a channel and cancels its etcd watch (harmless when etcd already ended it). */
  private retire(ch: Channel): void {
    if (this.channels.get(ch.id) !== ch) return;
    this.channels.delete(ch.id);
    const peers = this.ranges.get(ch.range)!;
    peers.delete(ch);
    if (peers.size === 0) this.ranges.delete(ch.range);
    this.stream?.write({ cancel_request: { watch_id: ch.id } });
  }

  /** With no watch left, drop the stream rather than keep an idle one open. */
  private dropIfIdle(): void {
    if (this.channels.size > 0 || !this.stream) return;
    const stream = this.stream;
    this.stream = undefined;
    stream.cancel();
  }

  /** (Re)creates the channel's etcd watch from the oldest revision a subscriber still needs. */
  private create(ch: Channel): void {
    let from = Number.POSITIVE_INFINITY;
    for (const w of ch.subs) from = Math.min(from, w.cursor);
    ch.deliveredUpTo = from;
    this.stream!.write({
      create_request: {
        key: ch.key,
        range_end: ch.rangeEnd,
        start_revision: from + 1,
        prev_kv: true,
        watch_id: ch.id,
      },
    });
  }

  private connect(): void {
    if (this.connecting || this.stream || this.closed) return;
    this.connecting = true;
    this.client.watchClient
      .watch()
      .then((stream) => {
        this.connecting = false;
        if (this.closed || this.channels.size === 0) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        // Watch ids are reused on the new stream: an old one's late answers must not count.
        stream.on('data', (res: IWatchResponse) => {
          if (stream === this.stream) this.onResponse(res);
        });
        stream.on('error', (err: Error) => this.onBroken(stream, err));
        stream.on('end', () => this.onBroken(stream, new Error('watch stream ended')));
        for (const ch of this.channels.values()) this.create(ch);
      })
      .catch((err: Error) => {
        this.connecting = false;
        this.onBroken(undefined, err);
      });
  }

  private onBroken(stream: WatchStream | undefined, err: Error): void {
    if (stream && stream !== this.stream) return; // an old stream we dropped on purpose
    this.stream = undefined;
    if (this.closed || this.channels.size === 0) return;
    const now = Date.now();
    this.brokenSince ??= now;
    if (now - this.brokenSince >= this.options.retryMs) {
      this.brokenSince = undefined;
      this.failAll(
        new StoreUnavailableError(`etcd watch to ${this.options.describe} failed: ${err.message}`),
      );
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 1000);
  }

  private onResponse(res: IWatchResponse): void {
    // Any answer means the connection works again.
    this.brokenSince = undefined;
    this.backoffMs = 50;
    const ch = this.channels.get(Number(res.watch_id));
    if (!ch) return; // a channel we retired; its late answers are not wanted
    const compactRevision = Number(res.compact_revision);
    if (compactRevision > 0 || res.canceled) {
      // etcd ended this watch (with compact_revision when history it had to send is gone).
      // Subscribers whose next revision is still there go on, on a channel from the oldest
      // of them; the others fail. Retired first, so nobody joins the dead watch meanwhile.
      this.retire(ch);
      const subs = [...ch.subs].sort((a, b) => a.cursor - b.cursor);
      ch.subs.clear();
      for (const w of subs) {
        w.channel = undefined;
        if (compactRevision > 0 && w.cursor + 1 >= compactRevision) this.attach(w);
        else if (compactRevision > 0) this.fail(w, new CompactedError(w.afterRevision, compactRevision));
        else
          this.fail(w, new StoreError(`etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`));
      }
      this.dropIfIdle();
      return;
    }
    for (const ev of res.events) {
      if (ch.subs.size === 0) return; // every subscriber left meanwhile: the channel is retired
      const revision = Number(ev.kv.mod_revision);
      // Before the sinks run: a watch one of them starts from `revision` may join this channel.
      ch.deliveredUpTo = Math.max(ch.deliveredUpTo, revision);
      if (!ev.kv.key.subarray(0, this.prefix.length).equals(this.prefix)) {
        // A change outside the store's keys (a watch of the whole etcd): only its revision counts.
        for (const w of ch.subs) this.progress(w, revision);
        continue;
      }
      const event = this.decode(ev, revision);
      // A Set visits members added while it is iterated: a sink that starts a watch joining
      // this channel gets the rest of this response too.
      for (const w of ch.subs) {
        if (revision <= w.cursor) continue;
        if (!event) {
          // The deleted value was compacted away (a watch started right at the compaction point).
          this.fail(w, new CompactedError(w.afterRevision, revision));
          continue;
        }
        w.cursor = revision;
        try {
          w.sink.onEvent(event);
        } catch (err) {
          // A sink that throws cannot keep up its end: stop it and tell it why.
          this.fail(w, err instanceof Error ? err : new Error(String(err)));
        }
      }
    }
    this.merge(ch);
  }

  /**
   * Two channels on one range that have delivered up to the same revision each send exactly
   * what the subscribers of both still need: fold this one into the other. This keeps watchers
   * that started from different revisions (a list, then a watch, while writes go on) from
   * each keeping an etcd watch of their own once they have caught up.
   */
  private merge(ch: Channel): void {
    if (this.channels.get(ch.id) !== ch) return;
    for (const other of this.ranges.get(ch.range)!) {
      if (other === ch || other.deliveredUpTo !== ch.deliveredUpTo) continue;
      this.retire(ch);
      for (const w of ch.subs) other.join(w);
      ch.subs.clear();
      return;
    }
  }

  private decode(ev: IEvent, revision: number): WatchEvent | undefined {
    const id = `${revision}\0${ev.kv.key.toString('latin1')}`;
    const known = this.decoded.get(id);
    if (known) return known;
    const key = ev.kv.key.subarray(this.prefix.length).toString('utf8');
    let event: WatchEvent;
    if (String(ev.type).toUpperCase() === 'DELETE') {
      if (!ev.prev_kv) return undefined;
      const value = parse(ev.prev_kv.value);
      event = {
        type: 'delete',
        key,
        revision,
        value,
        prevValue: value,
        prevRevision: Number(ev.prev_kv.mod_revision),
        createRevision: Number(ev.prev_kv.create_revision),
      };
    } else {
      const created = ev.kv.version === '1';
      event = {
        type: created ? 'create' : 'update',
        key,
        revision,
        value: parse(ev.kv.value),
        createRevision: Number(ev.kv.create_revision),
      };
      if (!created && ev.prev_kv) {
        event.prevValue = parse(ev.prev_kv.value);
        event.prevRevision = Number(ev.prev_kv.mod_revision);
      }
    }
    this.decoded.set(id, event);
    if (this.decoded.size > DECODED_CACHE) this.decoded.delete(this.decoded.keys().next().value!);
    return event;
  }

  private progress(w: EtcdWatch, revision: number): void {
    if (revision <= w.cursor) return;
    w.cursor = revision;
    try {
      w.sink.onProgress?.(revision);
    } catch (err) {
      this.fail(w, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private failAll(err: Error): void {
    for (const ch of [...this.channels.values()]) for (const w of [...ch.subs]) this.fail(w, err);
  }

  /** Ends a watch with err; a watch its owner closed hears nothing more. */
  private fail(w: EtcdWatch, err: Error): void {
    if (w.closed) return;
    w.closed = true;
    this.remove(w);
    try {
      w.sink.onError(err);
    } catch {
      // The watch is over either way.
    }
  }
}
