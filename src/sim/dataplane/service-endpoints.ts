// Services and their EndpointSlices, followed live through a cluster's shared informers: what the
// service proxy and the cluster DNS both read. Every change to a Service or to one of its slices
// calls the subscribers with the Service's key ("namespace/name"); they read the current view.

import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { resources } from '../../client/resources.js';
import type { KubeObject } from '../../machinery/object.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
const SLICES_BY_SERVICE = 'dataplane.serviceKey';

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: ServicePort[];
    publishNotReadyAddresses?: boolean;
  };
}

export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

/** A ready endpoint of a Service port: address and target port. */
export interface ReadyEndpoint {
  address: string;
  port: number;
  hostname?: string;
}

function sliceServiceKey(slice: KubeObject): string[] {
  const name = slice.metadata.labels?.[LABEL_SERVICE_NAME];
  return name ? [`${slice.metadata.namespace}/${name}`] : [];
}

/** Whether an endpoint takes traffic: `ready` unset means ready (the API's rule). */
export function isReady(e: SliceEndpoint): boolean {
  return e.conditions?.ready !== false;
}

export class ServiceEndpoints {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly subscribers = new Set<(key: string) => void>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(informers: InformerFactory) {
    this.services = informers.informerFor<Service>(resources.services);
    this.slices = informers.informerFor<EndpointSlice>(resources.endpointslices);
    this.slices.addIndexers({ [SLICES_BY_SERVICE]: sliceServiceKey });
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    this.unsubscribe.push(
      this.services.addEventHandler({
        onAdd: (s) => this.emit(key(s)),
        onUpdate: (_o, s) => this.emit(key(s)),
        onDelete: (s) => this.emit(key(s)),
      }),
      this.slices.addEventHandler({
        onAdd: (s) => this.emitFor(s),
        onUpdate: (o, s) => this.emitFor(o, s),
        onDelete: (s) => this.emitFor(s),
      }),
    );
  }

  /** Calls fn with a Service's key whenever it or its slices change (and for every one cached now). */
  subscribe(fn: (key: string) => void): () => void {
    this.subscribers.add(fn);
    for (const k of this.services.keys()) fn(k);
    return () => this.subscribers.delete(fn);
  }

  service(key: string): Service | undefined {
    return this.services.getByKey(key);
  }

  slicesOf(key: string): EndpointSlice[] {
    return this.slices.byIndex(SLICES_BY_SERVICE, key);
  }

  /** The ready IPv4 endpoints of one port of a Service (by the port's name, as slices name them). */
  readyEndpoints(key: string, port: ServicePort): ReadyEndpoint[] {
    const out: ReadyEndpoint[] = [];
    const seen = new Set<string>();
    const protocol = port.protocol ?? 'TCP';
    for (const slice of this.slicesOf(key)) {
      if (slice.addressType && slice.addressType !== 'IPv4') continue;
      const sp = (slice.ports ?? []).find(
        (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol,
      );
      if (!sp || typeof sp.port !== 'number') continue;
      for (const e of slice.endpoints ?? []) {
        const address = e.addresses?.[0];
        if (!address || !isReady(e) || seen.has(address)) continue;
        seen.add(address);
        out.push({ address, port: sp.port, ...(e.hostname ? { hostname: e.hostname } : {}) });
      }
    }
    return out;
  }

  /** Ready addresses of a Service, whatever the port (for headless DNS). */
  readyAddresses(key: string): { address: string; hostname?: string }[] {
    const out: { address: string; hostname?: string }[] = [];
    const seen = new Set<string>();
    for (const slice of this.slicesOf(key)) {
      if (slice.addressType && slice.addressType !== 'IPv4') continue;
      for (const e of slice.endpoints ?? []) {
        const address = e.addresses?.[0];
        if (!address || !isReady(e) || seen.has(address)) continue;
        seen.add(address);
        out.push({ address, ...(e.hostname ? { hostname: e.hostname } : {}) });
      }
    }
    return out;
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    this.subscribers.clear();
  }

  /** The Services of slices (a slice may move to another Service by a label change). */
  private emitFor(...slices: KubeObject[]): void {
    for (const key of new Set(slices.flatMap(sliceServiceKey))) this.emit(key);
  }

  private emit(key: string): void {
    for (const fn of this.subscribers) fn(key);
  }
}
