// Resource templates of any kind: an informer per apiVersion and kind, found through discovery
// (so CRDs and their custom resources count as much as Deployments), shared through the hub's
// informer factory by every propagation controller that reads templates.

import type { Client, ResourceRef } from '../../client/client.js';
import type { EventHandler, Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { type DiscoveryClient, RESTMapper } from '../../client/rest-mapper.js';
import type { KubeObject } from '../../machinery/object.js';

export interface TemplateRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

function isDiscoveryClient(c: Client): c is Client & DiscoveryClient {
  return typeof (c as Partial<DiscoveryClient>).discover === 'function';
}

/** A RESTMapper over the client's discovery (both transports can discover). */
export function restMapperFor(client: Client): RESTMapper {
  if (!isDiscoveryClient(client))
    throw new TypeError('the propagation controllers need a client that can discover');
  return new RESTMapper(client);
}

/** Whether an update changed more than status and bookkeeping (Karmada's SpecificationChanged). */
export function specificationChanged(old: KubeObject, cur: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { status: _s, metadata, ...rest } = o;
    const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata;
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return strip(old) !== strip(cur);
}

export class TemplateInformers {
  private readonly informers = new Map<string, Informer>();
  private readonly handlers: { handler: EventHandler; offs: (() => void)[] }[] = [];

  constructor(
    private readonly factory: InformerFactory,
    readonly mapper: RESTMapper,
  ) {}

  /** The resource serving a kind (NoKindMatchError when no API serves it yet). */
  refFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    return this.mapper.refFor(apiVersion, kind);
  }

  /** The synced informer of a kind, made (and given the registered handlers) on first use. */
  async informerFor(apiVersion: string, kind: string): Promise<Informer> {
    const key = `${apiVersion}/${kind}`;
    let informer = this.informers.get(key);
    if (!informer) {
      const ref = await this.refFor(apiVersion, kind);
      informer = this.informers.get(key);
      if (!informer) {
        informer = this.factory.informerFor(ref);
        this.informers.set(key, informer);
        for (const h of this.handlers) h.offs.push(informer.addEventHandler(h.handler));
      }
    }
    await informer.waitForSync();
    return informer;
  }

  /** The template from the cache (its kind's informer made when needed); undefined when absent. */
  async get(ref: TemplateRef): Promise<KubeObject | undefined> {
    const informer = await this.informerFor(ref.apiVersion, ref.kind);
    return informer.get(ref.name, ref.namespace || undefined);
  }

  /** Templates of a kind known so far (empty when its informer is not made yet). */
  cached(apiVersion: string, kind: string): KubeObject[] {
    return this.informers.get(`${apiVersion}/${kind}`)?.list() ?? [];
  }

  /** Handlers for every template informer, made or to be made. Returns the unregister function. */
  addEventHandler(handler: EventHandler): () => void {
    const entry = { handler, offs: [...this.informers.values()].map((i) => i.addEventHandler(handler)) };
    this.handlers.push(entry);
    return () => {
      for (const off of entry.offs) off();
      this.handlers.splice(this.handlers.indexOf(entry), 1);
    };
  }
}
