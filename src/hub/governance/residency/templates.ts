// The labels of a binding's resource template, read from the hub by apiVersion and kind (bindings
// carry no labels). A template already gone has none: it is judged by kind and namespace alone.

import type { Client } from '../../../client/client.js';
import { type DiscoveryClient, NoKindMatchError, RESTMapper } from '../../../client/rest-mapper.js';
import { isNotFound } from '../../../machinery/status.js';
import type { ObjectReference } from '../../apis/karmada/index.js';
import type { Labels } from './match.js';

export class TemplateLabels {
  private readonly mapper: RESTMapper;

  constructor(private readonly client: Client) {
    const discovery = client as Client & Partial<DiscoveryClient>;
    if (typeof discovery.discover !== 'function') {
      throw new TypeError('residency needs a client that can discover');
    }
    this.mapper = new RESTMapper(discovery as DiscoveryClient);
  }

  async of(r: Pick<ObjectReference, 'apiVersion' | 'kind' | 'namespace' | 'name'>): Promise<Labels> {
    try {
      const ref = await this.mapper.refFor(r.apiVersion, r.kind);
      const obj = await this.client.get(ref, r.name, r.namespace ? { namespace: r.namespace } : {});
      return obj.metadata.labels ?? {};
    } catch (err) {
      if (isNotFound(err) || err instanceof NoKindMatchError) return {};
      throw err;
    }
  }
}
