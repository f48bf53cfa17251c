// The Endpoints controller, as Kubernetes' (pkg/controller/endpoint): for every Service with a
// selector, a core/v1 Endpoints object of the same name whose subsets list the selected pods' IPs
// — ready ones under addresses, the others under notReadyAddresses (all under addresses with
// publishNotReadyAddresses) — grouped by the ports they serve (RepackSubsets), at most 1000
// addresses (then annotated over-capacity: truncated). Removed with its Service.

import { objectKey, splitKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../../controller/context.js';
import { runController } from '../../controller/runner.js';
import type { KubeObject } from '../../machinery/object.js';
import { isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import type { Pod } from '../workloads/types.js';
import {
  findPort,
  isHeadless,
  isPodReady,
  LABEL_HEADLESS,
  podIPs,
  type Service,
  selectorOf,
  selects,
  servicesForPodChange,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './service-pods.js';

export const MAX_ENDPOINT_ADDRESSES = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

export interface CorePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: CorePort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

export interface EndpointsControllerOptions {
  /** Pod changes are gathered this long before a Service is reconciled (default 100 ms). */
  batchPeriodMs?: number;
  workers?: number;
}

function portKey(p: CorePort | undefined): string {
  return p ? `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol ?? 'TCP'}\u0000${p.appProtocol ?? ''}` : '';
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * RepackSubsets: each (address, port) pair once; addresses offering the same ports with the same
 * readiness share a subset; everything sorted so equal content compares equal.
 */
export function repackSubsets(
  entries: { address: EndpointAddress; ready: boolean; port: CorePort | undefined }[],
): EndpointSubset[] {
  // port -> address -> ready (ready wins when an address appears both ways)
  const byPort = new Map<
    string,
    { port: CorePort | undefined; addrs: Map<string, { a: EndpointAddress; ready: boolean }> }
  >();
  for (const e of entries) {
    const pk = portKey(e.port);
    let slot = byPort.get(pk);
    if (!slot) {
      slot = { port: e.port, addrs: new Map() };
      byPort.set(pk, slot);
    }
    const ak = addressKey(e.address);
    const prev = slot.addrs.get(ak);
    slot.addrs.set(ak, { a: e.address, ready: e.ready || (prev?.ready ?? false) });
  }
  // address set (with readiness) -> ports
  const bySet = new Map<string, { addrs: { a: EndpointAddress; ready: boolean }[]; ports: CorePort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const list = [...addrs.values()].sort((x, y) => compareAddresses(x.a, y.a));
    const setKey = list.map((x) => `${addressKey(x.a)}\u0000${x.ready}`).join('\u0001');
    let group = bySet.get(setKey);
    if (!group) {
      group = { addrs: list, ports: [] };
      bySet.set(setKey, group);
    }
    if (port) group.ports.push(port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { addrs, ports } of bySet.values()) {
    const subset: EndpointSubset = {};
    const ready = addrs.filter((x) => x.ready).map((x) => x.a);
    const notReady = addrs.filter((x) => !x.ready).map((x) => x.a);
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    if (ports.length > 0) subset.ports = ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    subsets.push(subset);
  }
  return subsets.sort((a, b) => {
    const ka = `${portKey(a.ports?.[0])}\u0000${(a.addresses ?? a.notReadyAddresses ?? [])[0]?.ip ?? ''}`;
    const kb = `${portKey(b.ports?.[0])}\u0000${(b.addresses ?? b.notReadyAddresses ?? [])[0]?.ip ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Keeps at most `max` addresses, ready ones first. */
function truncate(subsets: EndpointSubset[], max: number): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce(
    (n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0),
    0,
  );
  if (total <= max) return { subsets, truncated: false };
  let room = max;
  const out = subsets.map((s) => ({ ...s }));
  for (const s of out) {
    const keep = Math.min(room, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, keep);
    room -= keep;
  }
  for (const s of out) {
    const keep = Math.min(room, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, keep);
    room -= keep;
  }
  for (const s of out) {
    if (s.addresses?.length === 0) delete s.addresses;
    if (s.notReadyAddresses?.length === 0) delete s.notReadyAddresses;
  }
  return { subsets: out.filter((s) => s.addresses || s.notReadyAddresses), truncated: true };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(),
        )
      : v,
  );
}

/** The Endpoints' labels: the Service's, with the headless label telling the truth. */
function endpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  return labels;
}

export function startEndpointsController(
  ctx: ControllerContext,
  opts: EndpointsControllerOptions = {},
): RunningController {
  const batchMs = opts.batchPeriodMs ?? 100;
  const services: Informer<Service> = ctx.informers.informerFor<Service>(resources.services);
  const pods: Informer<Pod> = ctx.informers.informerFor<Pod>(resources.pods);
  const endpoints: Informer<Endpoints> = ctx.informers.informerFor<Endpoints>(resources.endpoints);
  /** Our last write per key, until the cache catches up with it. */
  const written = new Map<string, Endpoints | null>();

  const current = (key: string): Endpoints | undefined => {
    const { namespace, name } = splitKey(key);
    const cached = endpoints.get(name, namespace);
    const w = written.get(key);
    if (w === undefined) return cached;
    if (w === null) {
      if (!cached) written.delete(key);
      return undefined;
    }
    if (cached && Number(cached.metadata.resourceVersion) >= Number(w.metadata.resourceVersion)) {
      written.delete(key);
      return cached;
    }
    return w;
  };

  const sync = async (key: string): Promise<undefined> => {
    const { namespace, name } = splitKey(key);
    const svc = services.get(name, namespace);
    if (!svc) {
      // The Service is gone: so are its endpoints (only if there are any).
      if (!current(key)) return undefined;
      try {
        await ctx.client.delete(resources.endpoints, name, { namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      written.set(key, null);
      return undefined;
    }
    const sel = selectorOf(svc);
    if (!sel) return undefined;
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    const entries: { address: EndpointAddress; ready: boolean; port: CorePort | undefined }[] = [];
    for (const pod of pods.list({ namespace })) {
      if (!selects(sel, pod.metadata.labels)) continue;
      if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
      const ip = podIPs(pod)[0]!;
      const address: EndpointAddress = {
        ip,
        targetRef: {
          kind: 'Pod',
          namespace: pod.metadata.namespace,
          name: pod.metadata.name!,
          uid: pod.metadata.uid,
        },
      };
      if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
      if (shouldSetHostname(pod, svc)) address.hostname = pod.spec!.hostname;
      const ready = publishNotReady || isPodReady(pod);
      const ports = svc.spec?.ports ?? [];
      if (ports.length === 0) {
        // Headless Services may have no ports: the addresses are still published.
        if (isHeadless(svc)) entries.push({ address, ready, port: undefined });
        continue;
      }
      for (const sp of ports) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        const p: CorePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
        if (sp.appProtocol) p.appProtocol = sp.appProtocol;
        entries.push({ address, ready, port: p });
      }
    }
    const { subsets, truncated } = truncate(repackSubsets(entries), MAX_ENDPOINT_ADDRESSES);
    const labels = endpointsLabels(svc);
    const existing = current(key);
    const annotations: Record<string, string> = { ...(existing?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (
      existing &&
      canonical(existing.subsets ?? []) === canonical(subsets) &&
      canonical(existing.metadata.labels ?? {}) === canonical(labels) &&
      canonical(existing.metadata.annotations ?? {}) === canonical(annotations)
    ) {
      return undefined;
    }
    const body: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace,
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      subsets,
    };
    try {
      const out = existing
        ? await ctx.client.update<Endpoints>(resources.endpoints, body, { namespace })
        : await ctx.client.create<Endpoints>(resources.endpoints, body, { namespace });
      written.set(key, out);
    } catch (err) {
      if (isNamespaceTerminating(err)) return undefined;
      throw err;
    }
    return undefined;
  };

  const controller = reconcileLoop(ctx, {
    name: 'endpoint',
    workers: opts.workers ?? 2,
    reconcile: sync,
  });
  const enqueueService = (svc: Service) => controller.enqueue(objectKey(svc));
  const offs = [
    services.addEventHandler({
      onAdd: enqueueService,
      onUpdate: (_o, svc) => enqueueService(svc),
      onDelete: enqueueService,
    }),
    pods.addEventHandler({
      onAdd: (pod) => {
        for (const k of servicesForPodChange(services, undefined, pod)) controller.enqueueAfter(k, batchMs);
      },
      onUpdate: (old, pod) => {
        for (const k of servicesForPodChange(services, old, pod)) controller.enqueueAfter(k, batchMs);
      },
      onDelete: (pod) => {
        for (const k of servicesForPodChange(services, undefined, pod)) controller.enqueueAfter(k, batchMs);
      },
    }),
    endpoints.addEventHandler({
      // Endpoints changed or removed by someone else are put back; left-overs of gone Services go.
      onUpdate: (_o, ep) => {
        const key = objectKey(ep);
        const w = written.get(key);
        if (w && Number(ep.metadata.resourceVersion) <= Number(w.metadata.resourceVersion)) return;
        if (services.get(ep.metadata.name!, ep.metadata.namespace)) controller.enqueue(key);
      },
      onDelete: (ep) => {
        const key = objectKey(ep);
        if (written.get(key) === null) written.delete(key);
        if (services.get(ep.metadata.name!, ep.metadata.namespace)) controller.enqueue(key);
      },
    }),
  ];
  return runController({
    name: 'endpoint',
    controllers: [controller],
    informers: [services, pods, endpoints],
    unregister: offs,
    // Endpoints whose Service no longer exists (checkLeftoverEndpoints).
    onSynced: () => {
      for (const ep of endpoints.list()) {
        // Endpoints used as leader-election locks have no Service and are not ours.
        if (ep.metadata.annotations?.[LEADER_ANNOTATION] !== undefined) continue;
        if (!services.get(ep.metadata.name!, ep.metadata.namespace)) controller.enqueue(objectKey(ep));
      }
    },
  });
}
