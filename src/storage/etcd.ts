// EtcdStore: the Store over a real etcd (3.4+) with the etcd3 client. The store's revision is
// etcd's revision; create, update and delete are transactions that compare the key's
// revisions, so a stale write is refused by etcd itself. An optional key prefix lets several
// hubs share one etcd (compaction stays global to the etcd cluster, as in Kubernetes).

import type { IKeyValue, IOptions, IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';
import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';
import type { JsonObject } from '../machinery/object.js';
import { errorMessage } from '../machinery/status.js';
import { checkKey, decodeContinue, encodeContinue, encodeValue, prefixEnd } from './encoding.js';
import { EtcdWatchMux } from './etcd-watch.js';
import type { KeyValue, ListOptions, ListResult, Store, Watcher, WatchSink } from './store.js';
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidContinueError,
  KeyExistsError,
  KeyNotFoundError,
  StoreError,
  StoreUnavailableError,
  ValueTooLargeError,
} from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** Prepended to every key, e.g. "/concord/hub-a"; keys never leave it. */
  prefix?: string;
  /** Deadline of each request; a write past it may or may not have been applied. */
  requestTimeoutMs?: number;
  /** How long a watch keeps reconnecting before it ends with StoreUnavailableError. */
  watchRetryMs?: number;
  /** For https endpoints. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { username: string; password: string };
}

type FaultPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// The etcd3 client retries failed calls and trips a circuit breaker per host by default. A write
// retried after a lost answer could apply twice; the store decides itself what is safe to retry.
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal; attempt: number }) => unknown) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
} as unknown as FaultPolicy;

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';
const TOO_LARGE = 'request is too large';

/** A failure that shows the request never reached etcd, so sending it again is safe. */
function neverSent(err: unknown): boolean {
  return /No connection established|ECONNREFUSED|Connection refused/i.test(errorMessage(err));
}

export class EtcdStore implements Store {
  readonly description: string;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly watches: EtcdWatchMux;
  /** A lower bound of etcd's compaction point, to shorten the search for it. */
  private knownCompacted = 0;
  private closed = false;

  /** Connects and checks that etcd answers (StoreUnavailableError otherwise). */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(options);
    try {
      await store.currentRevision();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  constructor(private readonly options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new StoreError('etcd store needs at least one endpoint');
    this.prefix = options.prefix ?? '';
    this.description = `etcd:${options.endpoints.join(',')}${this.prefix ? ` (prefix ${this.prefix})` : ''}`;
    const timeout = options.requestTimeoutMs ?? 10_000;
    const clientOptions: IOptions = {
      hosts: options.endpoints,
      faultHandling: { global: passThrough, host: () => passThrough },
      // Requests get a deadline, watch streams none.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
      // Lists of many objects and watch batches exceed gRPC's default 4 MiB message limit.
      grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
    };
    if (options.tls) {
      clientOptions.credentials = {
        rootCertificate: options.tls.ca ?? Buffer.alloc(0),
        privateKey: options.tls.key,
        certChain: options.tls.cert,
      };
    }
    if (options.auth) clientOptions.auth = options.auth;
    this.client = new Etcd3(clientOptions);
    this.watches = new EtcdWatchMux(this.client, this.prefix, {
      retryMs: options.watchRetryMs ?? 10_000,
      describe: options.endpoints.join(','),
    });
  }

  async create(key: string, value: JsonObject): Promise<KeyValue> {
    const json = encodeValue(key, value);
    const k = this.key(key);
    const bytes = Buffer.from(json);
    const res = await this.txn(
      {
        compare: [{ key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: 0 }],
        success: [{ request_put: { key: k, value: bytes } }],
      },
      key,
      bytes.length,
    );
    if (!res.succeeded) throw new KeyExistsError(key);
    const revision = Number(res.header.revision);
    return {
      key,
      value: JSON.parse(json) as JsonObject,
      createRevision: revision,
      modRevision: revision,
      version: 1,
    };
  }

  async update(key: string, value: JsonObject, expectedRevision?: number): Promise<KeyValue> {
    const json = encodeValue(key, value);
    const k = this.key(key);
    const bytes = Buffer.from(json);
    const res = await this.txn(
      {
        compare: this.guard(k, expectedRevision),
        // The second read returns the key's counters after the put, without its value.
        success: [{ request_put: { key: k, value: bytes } }, { request_range: { key: k, keys_only: true } }],
        failure: [{ request_range: { key: k } }],
      },
      key,
      bytes.length,
    );
    if (!res.succeeded) throw this.guardFailure(key, expectedRevision, res);
    const after = res.responses[1]!.response_range.kvs[0]!;
    return {
      key,
      value: JSON.parse(json) as JsonObject,
      createRevision: Number(after.create_revision),
      modRevision: Number(res.header.revision),
      version: Number(after.version),
    };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    checkKey(key);
    const k = this.key(key);
    const res = await this.txn(
      {
        compare: this.guard(k, expectedRevision),
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      },
      key,
    );
    if (!res.succeeded) throw this.guardFailure(key, expectedRevision, res);
    const prev = res.responses[0]!.response_delete_range.prev_kvs[0]!;
    return { ...this.entry(prev), modRevision: Number(res.header.revision) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    const res = await this.range({ key: this.key(key) });
    return res.kvs.length > 0 ? this.entry(res.kvs[0]!) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    let revision = 0;
    let start = prefix;
    if (options.continue !== undefined) {
      const position = decodeContinue(options.continue);
      revision = position.revision;
      start = prefix + position.start;
    } else if (options.revision !== undefined) {
      revision = options.revision;
    }
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new StoreError(`list revision must be a non-negative integer, got ${revision}`);
    }
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    let res: IRangeResponse;
    try {
      res = await this.range({
        key: this.rangeStart(start),
        range_end: this.rangeEnd(prefix),
        revision,
        limit,
      });
    } catch (err) {
      if (err instanceof FutureRevisionError && options.continue !== undefined) {
        throw new InvalidContinueError(options.continue);
      }
      throw err;
    }
    const listRevision = revision > 0 ? revision : Number(res.header.revision);
    if (revision === 0 && options.minRevision !== undefined && options.minRevision > listRevision) {
      throw new FutureRevisionError(options.minRevision, listRevision);
    }
    const result: ListResult = { items: res.kvs.map((kv) => this.entry(kv)), revision: listRevision };
    if (res.more && result.items.length > 0) {
      result.continue = encodeContinue(prefix, result.items[result.items.length - 1]!.key, listRevision);
      result.remaining = Number(res.count) - result.items.length;
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    const res = await this.range({
      key: this.rangeStart(prefix),
      range_end: this.rangeEnd(prefix),
      count_only: true,
    });
    return Number(res.count);
  }

  watch(prefix: string, afterRevision: number, sink: WatchSink): Watcher {
    if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
      throw new StoreError(`watch revision must be a non-negative integer, got ${afterRevision}`);
    }
    return this.watches.watch(this.rangeStart(prefix), this.rangeEnd(prefix), afterRevision, sink);
  }

  /**
   * Every change of this store after afterRevision, like watch(''), and also every revision taken
   * by a write outside the store's key prefix (another hub sharing the etcd), as
   * sink.onProgress: the watcher always knows that it has seen everything up to etcd's revision.
   * (A watch of the whole etcd; without a prefix, the same as watch('').)
   */
  watchAll(afterRevision: number, sink: WatchSink): Watcher {
    if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
      throw new StoreError(`watch revision must be a non-negative integer, got ${afterRevision}`);
    }
    const everything = Buffer.from([0]);
    return this.watches.watch(everything, everything, afterRevision, sink);
  }

  /** The etcd watches this store holds open; watches of one prefix share them when they can. */
  watchChannels(): number {
    return this.watches.channelCount;
  }

  async currentRevision(): Promise<number> {
    // Any read answers with the current revision in its header; this one reads nothing.
    const res = await this.range({ key: this.key('\0'), count_only: true });
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    if (!Number.isSafeInteger(revision))
      throw new StoreError(`compact revision must be an integer, got ${revision}`);
    if (revision <= this.knownCompacted) return;
    try {
      await this.call(() => this.client.kv.compact({ revision, physical: false }), {
        idempotent: true,
        revision,
        probe: true,
      });
    } catch (err) {
      // Compacting to a point already passed is a no-op, as in Kubernetes' compactor.
      if (!(err instanceof CompactedError)) throw err;
    }
    this.knownCompacted = Math.max(this.knownCompacted, revision);
  }

  /**
   * etcd does not report its compaction point directly: this finds the oldest revision a read
   * still succeeds at (a binary search of cheap count-only reads). 0 when nothing was compacted.
   */
  async compactedRevision(): Promise<number> {
    const current = await this.currentRevision();
    const readable = async (revision: number) => {
      try {
        await this.call(() => this.client.kv.range({ key: this.key('\0'), count_only: true, revision }), {
          idempotent: true,
          probe: true,
        });
        return true;
      } catch (err) {
        if (err instanceof CompactedError) return false;
        throw err;
      }
    };
    let lo = Math.max(1, this.knownCompacted);
    if (await readable(lo)) return lo <= 1 ? 0 : lo;
    let hi = current; // always readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    this.knownCompacted = hi;
    return hi;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watches.close();
    this.client.close();
  }

  private key(key: string): Buffer {
    return Buffer.from(this.prefix + key, 'utf8');
  }

  /** etcd refuses an empty key; "\0" is the first key there is. */
  private rangeStart(start: string): Buffer {
    return this.prefix + start === '' ? Buffer.from([0]) : this.key(start);
  }

  private rangeEnd(prefix: string): Buffer {
    const end = prefixEnd(this.prefix + prefix);
    // etcd's "\0" range end means "every key from here on".
    return end === undefined ? Buffer.from([0]) : Buffer.from(end, 'utf8');
  }

  private entry(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString('utf8').slice(this.prefix.length),
      value: JSON.parse(kv.value.toString('utf8')) as JsonObject,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
  }

  /** Compares that make a write apply only to an existing key at the expected revision. */
  private guard(k: Buffer, expectedRevision: number | undefined) {
    const exists = { key: k, target: CompareTarget.Version, result: CompareResult.Greater, version: 0 };
    if (expectedRevision === undefined) return [exists];
    return [
      exists,
      { key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expectedRevision },
    ];
  }

  private guardFailure(key: string, expectedRevision: number | undefined, res: ITxnResponse): Error {
    const current = res.responses[0]?.response_range.kvs[0];
    if (!current) return new KeyNotFoundError(key);
    return new ConflictError(key, expectedRevision ?? 0, this.entry(current));
  }

  private range(req: IRangeRequest): Promise<IRangeResponse> {
    return this.call(() => this.client.kv.range(req), {
      idempotent: true,
      revision: req.revision ? Number(req.revision) : undefined,
    });
  }

  private txn(req: ITxnRequest, key: string, valueBytes = 0): Promise<ITxnResponse> {
    return this.call(() => this.client.kv.txn(req), { idempotent: false, write: { key, valueBytes } });
  }

  /** Runs one etcd call, mapping etcd's errors to the store's. Reads are retried on failure. */
  private async call<T>(
    fn: () => Promise<T>,
    how: {
      /** Safe to send again after a failure that may have reached etcd. */
      idempotent: boolean;
      /** The revision read at, for CompactedError and FutureRevisionError. */
      revision?: number;
      write?: { key: string; valueBytes: number };
      /** Part of the search for the compaction point: report "compacted" without looking it up. */
      probe?: boolean;
    },
  ): Promise<T> {
    const { idempotent, revision, write } = how;
    if (this.closed) throw new StoreUnavailableError('store is closed');
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const message = errorMessage(err);
        if (message.includes(COMPACTED)) {
          throw new CompactedError(
            revision ?? 0,
            revision === undefined ? 0 : await this.compactedRevision(),
          );
        }
        if (message.includes(FUTURE)) {
          throw new FutureRevisionError(revision ?? 0, await this.currentRevision());
        }
        if (message.includes(TOO_LARGE) && write) {
          // Under the value limit, but key and framing pushed the request over etcd's own.
          throw new ValueTooLargeError(write.key, write.valueBytes);
        }
        lastError = err;
        if (this.closed || !(idempotent || neverSent(err))) break;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
    throw new StoreUnavailableError(
      `etcd ${this.options.endpoints.join(',')} unavailable: ${errorMessage(lastError)}`,
    );
  }
}
