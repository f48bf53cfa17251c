// A reconcile loop, as controller-runtime runs one: informer events put keys ("namespace/name")
// on a rate-limited work queue; `workers` loops take keys and call reconcile(key), never two at
// once for one key. A reconcile that returns {requeueAfter} comes back after that delay; one that
// throws (or returns {requeue: true}) comes back after its exponential backoff; one that
// succeeds has its backoff forgotten.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { objectKey } from '../client/cache.js';
import type { ResourceRef } from '../client/client.js';
import type { EventHandler } from '../client/informer.js';
import { parseApiVersion } from '../machinery/gvk.js';
import type { KubeObject } from '../machinery/object.js';
import { isConflict } from '../machinery/status.js';
import type { BackgroundLane } from './lane.js';
import { controllerLogger, type LogOptions } from './logging.js';
import { ControllerMetrics, type ReconcileMetricsSink, type ReconcileResultLabel } from './metrics.js';
import { WorkQueue } from './queue.js';
import type { RateLimiter } from './rate-limiter.js';

export interface ReconcileResult {
  /** Reconcile this key again after this many ms (e.g. to poll something outside the API). */
  requeueAfter?: number;
  /** Reconcile again after the key's backoff, without counting it as an error. */
  requeue?: boolean;
}

export interface ReconcileContext {
  /** The controller's logger with the key's field. */
  logger: Logger;
}

export type Reconciler = (
  key: string,
  ctx: ReconcileContext,
) => Promise<ReconcileResult | undefined> | ReconcileResult | undefined;

export interface ControllerOptions extends LogOptions {
  /** Names the controller in logs and metrics. */
  name: string;
  reconcile: Reconciler;
  /** How many keys are reconciled at once (default 1). */
  workers?: number;
  /** Registry for the controller's and its queue's metrics (none: no metrics). */
  metrics?: Registry;
  /** The `cluster` label of its metrics and a field of its logs. */
  cluster?: string;
  /** Default: 5 ms..1000 s per key, 10 qps (burst 100) overall, as client-go. */
  rateLimiter?: RateLimiter<string>;
  /** Each key waits for a turn of this lane before its reconcile (simulated clusters: lane.ts). */
  lane?: BackgroundLane;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly logger: Logger;
  private readonly reconcile: Reconciler;
  private readonly workers: number;
  private readonly lane: BackgroundLane | undefined;
  private readonly metrics: ReconcileMetricsSink | undefined;
  private running: Promise<void>[] = [];
  private started = false;
  private stopping = false;
  private drain = false;
  private active = 0;

  constructor(opts: ControllerOptions) {
    if (!opts.name) throw new TypeError('a controller needs a name');
    if (typeof opts.reconcile !== 'function')
      throw new TypeError(`controller ${opts.name}: reconcile must be a function`);
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`controller ${opts.name}: workers must be a positive integer, got ${workers}`);
    }
    this.name = opts.name;
    this.reconcile = opts.reconcile;
    this.workers = workers;
    this.lane = opts.lane;
    const logger = controllerLogger(opts.name, opts);
    this.logger = opts.cluster ? logger.child({ cluster: opts.cluster }) : logger;
    const registry = opts.metrics ? ControllerMetrics.for(opts.metrics) : undefined;
    this.metrics = registry?.reconciler(opts.name, opts.cluster);
    this.queue = new WorkQueue<string>({
      name: opts.name,
      rateLimiter: opts.rateLimiter,
      metrics: registry?.workqueue(opts.name, opts.cluster),
    });
  }

  /** Starts the workers. Keys may be enqueued before (they wait) or after. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.metrics?.workers(0, this.workers);
    this.logger.debug({ workers: this.workers }, 'starting');
    for (let i = 0; i < this.workers; i++) this.running.push(this.work());
  }

  /**
   * Stops taking keys and resolves when the reconciles in progress have finished. With
   * `drain`, the keys already queued are reconciled first.
   */
  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.drain = opts.drain === true;
      this.queue.shutDown();
    }
    await Promise.all(this.running);
    this.metrics?.close();
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  enqueueRateLimited(key: string): void {
    this.queue.addRateLimited(key);
  }

  /** Enqueues the object's own key on every add, update and delete. */
  objectHandler<T extends KubeObject = KubeObject>(): EventHandler<T> {
    const enqueue = (o: T) => this.enqueue(objectKey(o));
    return { onAdd: enqueue, onUpdate: (_old, obj) => enqueue(obj), onDelete: enqueue };
  }

  /**
   * Enqueues the keys of the object's owners of the `owner` resource (its ownerReferences of
   * that group and kind): a ReplicaSet controller watching Pods reconciles the ReplicaSet that
   * owns the pod. By default only the controlling owner (controller: true), as client-go's
   * controllers do. On update, owners the object had before are enqueued too (one may have let go).
   */
  ownerHandler<T extends KubeObject = KubeObject>(
    owner: ResourceRef,
    opts: {
      onlyController?: boolean;
      /**
       * How long to gather an owned object's additions and changes before the owner is reconciled
       * (0: at once), by the owner's key. Deletions always reach the owner at once.
       */
      delayMs?: (ownerKey: string) => number;
    } = {},
  ): EventHandler<T> {
    const onlyController = opts.onlyController ?? true;
    const later = (key: string) => {
      const ms = opts.delayMs?.(key) ?? 0;
      if (ms > 0) this.enqueueAfter(key, ms);
      else this.enqueue(key);
    };
    return {
      onAdd: (o) => {
        for (const key of ownerKeysOf(o, owner, onlyController)) later(key);
      },
      onUpdate: (old, obj) => {
        for (const key of new Set([
          ...ownerKeysOf(old, owner, onlyController),
          ...ownerKeysOf(obj, owner, onlyController),
        ])) {
          later(key);
        }
      },
      onDelete: (o) => {
        for (const key of ownerKeysOf(o, owner, onlyController)) this.enqueue(key);
      },
    };
  }

  private async work(): Promise<void> {
    for (;;) {
      const next = await this.queue.get();
      if (next.shutdown) return;
      if (this.lane) await this.lane.turn();
      if (this.stopping && !this.drain) {
        this.queue.done(next.item);
        return;
      }
      await this.process(next.item);
    }
  }

  private async process(key: string): Promise<void> {
    const logger = this.logger.child({ key });
    const started = performance.now();
    this.active++;
    this.metrics?.workers(this.active, this.workers);
    let result: ReconcileResultLabel = 'success';
    try {
      const res = (await this.reconcile(key, { logger })) ?? undefined;
      if (res?.requeueAfter !== undefined && res.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, res.requeueAfter);
        result = 'requeue_after';
      } else if (res?.requeue) {
        this.queue.addRateLimited(key);
        result = 'requeue';
      } else {
        this.queue.forget(key);
      }
    } catch (err) {
      result = 'error';
      this.queue.addRateLimited(key);
      // Optimistic-concurrency conflicts are routine: the retry reads the newer object.
      const routine = isConflict(err);
      logger[routine ? 'debug' : 'warn']({ err, requeues: this.queue.numRequeues(key) }, 'reconcile failed');
    } finally {
      this.active--;
      this.metrics?.workers(this.active, this.workers);
      this.metrics?.reconciled(result, (performance.now() - started) / 1000);
      this.queue.done(key);
    }
  }
}

/** The keys ("namespace/name", or "name" for a cluster-scoped owner) of the object's owners of a resource. */
export function ownerKeysOf(obj: KubeObject, owner: ResourceRef, onlyController = true): string[] {
  const keys: string[] = [];
  for (const r of obj.metadata.ownerReferences ?? []) {
    if (onlyController && r.controller !== true) continue;
    if (r.kind !== owner.kind || parseApiVersion(r.apiVersion).group !== owner.group) continue;
    // A namespaced owner lives in its dependent's namespace.
    keys.push(owner.namespaced && obj.metadata.namespace ? `${obj.metadata.namespace}/${r.name}` : r.name);
  }
  return keys;
}
