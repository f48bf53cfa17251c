// Watches over one etcd gRPC watch stream. The etcd3 client's own Watcher resumes from the
// revision in the last response header, which can skip events a catching-up watcher has not
// received yet; here each watch resumes from the revision after the last event it delivered,
// so a reconnect neither loses nor repeats a change. Watch IDs are chosen by the client
// (etcd >= 3.4), so many watches can be created at once.

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

  constructor(
    readonly id: number,
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

function parse(buf: Buffer): JsonObject {
  return JSON.parse(buf.toString('utf8')) as JsonObject;
}

export class EtcdWatchMux {
  private readonly watches = new Map<number, EtcdWatch>();
  private nextId = 1;
  private stream: WatchStream | undefined;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private brokenSince: number | undefined;
  private backoffMs = 50;
  private closed = false;
  /**
   * Recently decoded events by revision and key. etcd sends a change once per watch, but every
   * copy is the same change: decoding it once and sharing the event (read-only, as the Store
   * contract allows) saves a JSON parse per watcher when many watch one prefix.
   */
  private readonly decoded = new Map<string, WatchEvent>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefixLength: number,
    private readonly options: WatchStreamOptions,
  ) {}

  watch(key: Buffer, rangeEnd: Buffer, afterRevision: number, sink: WatchSink): Watcher {
    const w = new EtcdWatch(this.nextId++, this, key, rangeEnd, afterRevision, afterRevision, sink);
    if (this.closed) {
      queueMicrotask(() => this.fail(w, new StoreUnavailableError('store is closed')));
      return w;
    }
    this.watches.set(w.id, w);
    if (this.stream) this.sendCreate(w);
    else this.connect();
    return w;
  }

  remove(w: EtcdWatch): void {
    if (!this.watches.delete(w.id)) return;
    if (!this.stream) return;
    if (this.watches.size === 0) {
      // The last watch gone: drop the stream rather than keep an idle one open.
      const stream = this.stream;
      this.stream = undefined;
      stream.cancel();
    } else {
      this.stream.write({ cancel_request: { watch_id: w.id } });
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const w of [...this.watches.values()]) this.fail(w, new StoreUnavailableError('store is closed'));
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  private sendCreate(w: EtcdWatch): void {
    this.stream!.write({
      create_request: {
        key: w.key,
        range_end: w.rangeEnd,
        start_revision: w.cursor + 1,
        prev_kv: true,
        watch_id: w.id,
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
        if (this.closed || this.watches.size === 0) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        stream.on('data', (res: IWatchResponse) => this.onResponse(res));
        stream.on('error', (err: Error) => this.onBroken(stream, err));
        stream.on('end', () => this.onBroken(stream, new Error('watch stream ended')));
        for (const w of this.watches.values()) this.sendCreate(w);
      })
      .catch((err: Error) => {
        this.connecting = false;
        this.onBroken(undefined, err);
      });
  }

  private onBroken(stream: WatchStream | undefined, err: Error): void {
    if (stream && stream !== this.stream) return; // an old stream we dropped on purpose
    this.stream = undefined;
    if (this.closed || this.watches.size === 0) return;
    const now = Date.now();
    this.brokenSince ??= now;
    if (now - this.brokenSince >= this.options.retryMs) {
      const failure = new StoreUnavailableError(
        `etcd watch to ${this.options.describe} failed: ${err.message}`,
      );
      this.brokenSince = undefined;
      for (const w of [...this.watches.values()]) this.fail(w, failure);
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
    const w = this.watches.get(Number(res.watch_id));
    if (!w || w.closed) return;
    const compactRevision = Number(res.compact_revision);
    if (compactRevision > 0) {
      this.fail(w, new CompactedError(w.afterRevision, compactRevision));
      return;
    }
    if (res.canceled) {
      this.fail(w, new StoreError(`etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    for (const ev of res.events) {
      if (w.closed) return;
      const revision = Number(ev.kv.mod_revision);
      if (revision <= w.cursor) continue;
      const event = this.decode(ev, revision);
      if (!event) {
        // The deleted value was compacted away (a watch started right at the compaction point).
        this.fail(w, new CompactedError(w.afterRevision, revision));
        return;
      }
      w.cursor = revision;
      try {
        w.sink.onEvent(event);
      } catch (err) {
        // A sink that throws cannot keep up its end: stop it and tell it why.
        this.fail(w, err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  }

  private decode(ev: IEvent, revision: number): WatchEvent | undefined {
    const id = `${revision}\0${ev.kv.key.toString('latin1')}`;
    const known = this.decoded.get(id);
    if (known) return known;
    const key = ev.kv.key.toString('utf8').slice(this.prefixLength);
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
