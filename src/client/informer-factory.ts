// Shared informers: one Informer per (resource, namespace, label selector, field selector) for
// every controller that asks, so that a process watches each thing once (client-go's
// SharedInformerFactory).

import type { Logger } from 'pino';
import type { KubeObject } from '../machinery/object.js';
import type { Client, ResourceRef } from './client.js';
import { Informer, type InformerOptions } from './informer.js';

export interface InformerFactoryOptions {
  /** Default resync period for the informers it makes (0/absent: none). */
  resyncPeriodMs?: number;
  /** Default namespace for informers that name none (absent: all namespaces). */
  namespace?: string;
  logger?: Logger;
  /** Passed to every informer (tests use short watches and backoff). */
  informerDefaults?: Pick<InformerOptions, 'pageSize' | 'watchTimeoutSeconds' | 'backoff'>;
}

export interface InformerSelection {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;
  private stopped = false;

  constructor(
    readonly client: Client,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /**
   * The shared informer for this selection, created on first use. It starts with the factory
   * (at once if the factory has started already).
   */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef, sel: InformerSelection = {}): Informer<T> {
    const namespace = ref.namespaced ? (sel.namespace ?? this.opts.namespace) : undefined;
    const key = [
      ref.group,
      ref.version,
      ref.resource,
      namespace ?? '',
      sel.labelSelector ?? '',
      sel.fieldSelector ?? '',
    ].join('\u0000');
    let informer = this.informers.get(key);
    if (!informer) {
      const options: InformerOptions = { ...this.opts.informerDefaults };
      if (namespace !== undefined) options.namespace = namespace;
      if (sel.labelSelector) options.labelSelector = sel.labelSelector;
      if (sel.fieldSelector) options.fieldSelector = sel.fieldSelector;
      if (this.opts.resyncPeriodMs) options.resyncPeriodMs = this.opts.resyncPeriodMs;
      if (this.opts.logger) options.logger = this.opts.logger;
      informer = new Informer(this.client, ref, options);
      this.informers.set(key, informer);
      if (this.started && !this.stopped) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer made so far, and those made later. */
  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves true when every informer has synced, false if any was stopped first. */
  async waitForSync(): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    return results.every(Boolean);
  }

  stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
  }

  get size(): number {
    return this.informers.size;
  }
}
