// The EndpointSlice controller, as Kubernetes' (pkg/controller/endpointslice with the
// k8s.io/endpointslice reconciler): for every Service with a selector, discovery.k8s.io/v1
// EndpointSlices listing the selected pods that have an IP, per address family, with their
// ready / serving / terminating conditions, node, zone and target reference; one slice per set of
// resolved ports (a named target port may resolve differently per pod), at most 100 endpoints a
// slice; endpoints stay in the slice they are in, new ones fill the fullest slice with room; a
// Service with nothing to publish keeps one empty placeholder slice. Slices are owned by their
// Service, so the garbage collector removes them with it.
//
// Writes are remembered until the informer shows them, so a reconcile right after a write never
// acts on the stale cache (the role of Kubernetes' EndpointSliceTracker).

import { objectKey, splitKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import { runController } from '../../controller/runner.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isNamespaceTerminating, isNotFound } from '../../machinery/status.js';
import type { Pod } from '../workloads/types.js';
import {
  addressesOf,
  addressFamilies,
  findPort,
  isHeadless,
  isPodReady,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_TOPOLOGY_ZONE,
  type Service,
  selectorOf,
  selects,
  servicesForPodChange,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './service-pods.js';

export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  nodeName?: string;
  zone?: string;
  hostname?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

export interface EndpointSliceControllerOptions {
  maxEndpointsPerSlice?: number;
  /** Pod changes are gathered this long before a Service is reconciled (default 100 ms). */
  batchPeriodMs?: number;
  workers?: number;
  recorder?: EventRecorder;
}

interface Node extends KubeObject {}

type Family = 'IPv4' | 'IPv6';

function portsKey(ports: EndpointPort[] | null | undefined): string {
  return (ports ?? [])
    .map((p) => `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol ?? 'TCP'}\u0000${p.appProtocol ?? ''}`)
    .sort()
    .join('\u0001');
}

/** An endpoint's identity (which pod, which addresses): what "the same endpoint" means. */
function endpointKey(e: Endpoint): string {
  const t = e.targetRef;
  return `${t?.namespace ?? ''}/${t?.name ?? ''}/${[...e.addresses].sort().join(',')}`;
}

function endpointEqual(a: Endpoint, b: Endpoint): boolean {
  return (
    endpointKey(a) === endpointKey(b) &&
    !!a.conditions?.ready === !!b.conditions?.ready &&
    !!a.conditions?.serving === !!b.conditions?.serving &&
    !!a.conditions?.terminating === !!b.conditions?.terminating &&
    (a.targetRef?.uid ?? '') === (b.targetRef?.uid ?? '') &&
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    (a.hostname ?? '') === (b.hostname ?? '')
  );
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a![k] === b?.[k]);
}

function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1',
  );
}

function serviceOwnerRef(svc: Service): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    name: svc.metadata.name!,
    uid: svc.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The Service's labels minus the reserved ones, plus the slice labels the controller owns. */
function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER_NAME;
  return labels;
}

function newSlice(svc: Service, family: Family, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType: family,
    endpoints,
    ports,
  };
}

function isPlaceholder(slice: EndpointSlice, svc: Service, family: Family): boolean {
  return (
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0 &&
    slice.addressType === family &&
    labelsEqual(slice.metadata.labels, sliceLabels(svc)) &&
    ownedBy(slice, svc)
  );
}

function rvNumber(obj: KubeObject | undefined): number {
  const n = Number(obj?.metadata.resourceVersion);
  return Number.isFinite(n) ? n : 0;
}

interface Plan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  remove: EndpointSlice[];
}

class EndpointSliceController {
  readonly controller: Controller;
  readonly services: Informer<Service>;
  readonly pods: Informer<Pod>;
  readonly slices: Informer<EndpointSlice>;
  readonly nodes: Informer<Node>;
  private readonly max: number;
  readonly batchMs: number;
  readonly recorder: EventRecorder;
  readonly ownRecorder: boolean;
  /** Per Service: slices written (or deleted: null) that the informer may not show yet. */
  private readonly written = new Map<string, Map<string, EndpointSlice | null>>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: EndpointSliceControllerOptions,
  ) {
    this.max = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    this.batchMs = opts.batchPeriodMs ?? 100;
    this.services = ctx.informers.informerFor<Service>(resources.services);
    this.pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.slices = ctx.informers.informerFor<EndpointSlice>(resources.endpointslices);
    this.nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.ownRecorder = !opts.recorder;
    this.recorder = eventRecorder(ctx, 'endpoint-slice-controller', opts.recorder);
    this.controller = reconcileLoop(ctx, {
      name: 'endpointslice',
      workers: opts.workers ?? 2,
      reconcile: (key) => this.sync(key),
    });
  }

  /** A slice changed: its Service is looked at again (someone may have edited or removed it). */
  sliceChanged(slice: EndpointSlice, deleted: boolean): void {
    const labels = slice.metadata.labels ?? {};
    if (labels[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER_NAME) return;
    const svc = labels[LABEL_SERVICE_NAME];
    if (!svc || !slice.metadata.namespace) return;
    const key = `${slice.metadata.namespace}/${svc}`;
    const written = this.written.get(key);
    const name = slice.metadata.name!;
    const mine = written?.get(name);
    if (deleted) {
      // Gone, by our hand or another's: the cache tells the truth about it from now on.
      written?.delete(name);
      if (mine === null) return;
    } else if (mine && rvNumber(slice) >= rvNumber(mine)) {
      written!.delete(name);
      // Our own write coming back needs no reconcile.
      if (rvNumber(slice) === rvNumber(mine)) return;
    }
    this.controller.enqueueAfter(key, this.batchMs);
  }

  private async sync(key: string): Promise<undefined> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(name, namespace);
    if (!svc) {
      // The garbage collector removes the slices it owned.
      this.written.delete(key);
      return undefined;
    }
    if (!selectorOf(svc)) return undefined;
    const existing = this.currentSlices(key, svc);
    const families = addressFamilies(svc);
    const pods = this.selectedPods(svc);
    const errors: string[] = [];
    const all: Plan = { create: [], update: [], remove: [] };
    for (const s of existing) if (!families.includes(s.addressType as Family)) all.remove.push(s);
    for (const family of families) {
      const plan = this.reconcileFamily(
        svc,
        pods,
        existing.filter((s) => s.addressType === family),
        family,
        errors,
      );
      all.create.push(...plan.create);
      all.update.push(...plan.update);
      all.remove.push(...plan.remove);
    }
    try {
      await this.finalize(key, svc, all);
    } catch (err) {
      this.recorder.event(
        svc,
        'Warning',
        'FailedToUpdateEndpointSlices',
        `Error updating Endpoint Slices for Service ${key}: ${(err as Error).message}`,
      );
      throw err;
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
    return undefined;
  }

  private selectedPods(svc: Service): Pod[] {
    const sel = selectorOf(svc)!;
    return this.pods
      .list({ namespace: svc.metadata.namespace })
      .filter((p) => selects(sel, p.metadata.labels));
  }

  /** The Service's managed slices as they are now: the cache, corrected by our recent writes. */
  private currentSlices(key: string, svc: Service): EndpointSlice[] {
    const byName = new Map<string, EndpointSlice>();
    for (const s of this.slices.list({ namespace: svc.metadata.namespace })) {
      const labels = s.metadata.labels ?? {};
      if (labels[LABEL_SERVICE_NAME] !== svc.metadata.name) continue;
      if (labels[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER_NAME) continue;
      byName.set(s.metadata.name!, s);
    }
    const written = this.written.get(key);
    if (written) {
      for (const [name, w] of written) {
        const cached = byName.get(name);
        if (w === null) {
          if (cached) byName.delete(name);
          else written.delete(name);
        } else if (!cached || rvNumber(cached) < rvNumber(w)) {
          byName.set(name, w);
        } else {
          written.delete(name);
        }
      }
      if (written.size === 0) this.written.delete(key);
    }
    return [...byName.values()];
  }

  private reconcileFamily(
    svc: Service,
    pods: Pod[],
    existing: EndpointSlice[],
    family: Family,
    errors: string[],
  ): Plan {
    const plan: Plan = { create: [], update: [], remove: [] };
    const existingByPorts = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      if (!ownedBy(s, svc)) {
        plan.remove.push(s);
        continue;
      }
      const k = portsKey(s.ports);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
    }

    const desiredByPorts = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
    const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = this.endpointPorts(svc, pod);
      const pk = portsKey(ports);
      let group = desiredByPorts.get(pk);
      if (!group) {
        group = { ports, endpoints: new Map() };
        desiredByPorts.set(pk, group);
      }
      const nodeName = pod.spec?.nodeName;
      const node = nodeName ? this.nodes.get(nodeName) : undefined;
      if (nodeName && !node && !publishNotReady) {
        // Published without it; looked at again once the node shows up.
        errors.push(
          `skipping Pod ${pod.metadata.name} for Service ${svc.metadata.namespace}/${svc.metadata.name}: Node ${nodeName} Not Found`,
        );
        continue;
      }
      const ep = this.podToEndpoint(pod, node, svc, family);
      if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
    }

    for (const [pk, group] of desiredByPorts) {
      const p = this.reconcilePorts(svc, family, existingByPorts.get(pk) ?? [], group.ports, group.endpoints);
      plan.create.push(...p.create);
      plan.update.push(...p.update);
      plan.remove.push(...p.remove);
    }
    for (const [pk, slices] of existingByPorts) if (!desiredByPorts.has(pk)) plan.remove.push(...slices);

    // Nothing to publish: one empty placeholder slice stands for the Service.
    if (existing.length === plan.remove.length && plan.create.length === 0) {
      const placeholder = newSlice(svc, family, [], []);
      if (plan.remove.length === 1 && isPlaceholder(plan.remove[0]!, svc, family)) plan.remove = [];
      else plan.create.push(placeholder);
    }
    return plan;
  }

  private endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
    const ports = svc.spec?.ports ?? [];
    const out: EndpointPort[] = [];
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      out.push(ep);
    }
    return out;
  }

  private podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, family: Family): Endpoint {
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    // Never ready while terminating, unless not-ready addresses are published anyway.
    const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
    const ep: Endpoint = {
      addresses: addressesOf(pod, family),
      conditions: { ready, serving, terminating },
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name!,
        uid: pod.metadata.uid,
      },
    };
    if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
    const zone = node?.metadata.labels?.[LABEL_TOPOLOGY_ZONE];
    if (zone) ep.zone = zone;
    if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
    return ep;
  }

  /** Kubernetes' reconcileByPortMapping: keep endpoints where they are, fill before creating. */
  private reconcilePorts(
    svc: Service,
    family: Family,
    existing: EndpointSlice[],
    ports: EndpointPort[],
    desired: Map<string, Endpoint>,
  ): Plan {
    const plan: Plan = { create: [], update: [], remove: [] };
    const labels = sliceLabels(svc);
    const unchanged: EndpointSlice[] = [];
    const toUpdate: EndpointSlice[] = [];
    for (const slice of existing) {
      const kept: Endpoint[] = [];
      let changed = false;
      for (const ep of slice.endpoints ?? []) {
        const k = endpointKey(ep);
        const want = desired.get(k);
        if (!want) {
          changed = true;
          continue;
        }
        if (!endpointEqual(want, ep)) changed = true;
        kept.push(want);
        desired.delete(k);
      }
      if (!labelsEqual(slice.metadata.labels, labels)) changed = true;
      if (kept.length === 0) plan.remove.push(slice);
      else if (changed) toUpdate.push({ ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
      else unchanged.push(slice);
    }
    // Fill the slices being written anyway, fullest first.
    if (desired.size > 0 && toUpdate.length > 0) {
      toUpdate.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
      for (const slice of toUpdate) {
        const eps = slice.endpoints!;
        for (const [k, ep] of desired) {
          if (eps.length >= this.max) break;
          eps.push(ep);
          desired.delete(k);
        }
      }
    }
    // Then the rest: into an untouched slice that fits all of it, else into new slices.
    while (desired.size > 0) {
      let target: EndpointSlice | undefined;
      if (desired.size < this.max && unchanged.length > 0) {
        let closest = this.max;
        for (const s of unchanged) {
          const diff = this.max - (desired.size + (s.endpoints?.length ?? 0));
          if (diff >= 0 && diff < closest) {
            closest = diff;
            target = s;
          }
        }
      }
      if (target) {
        unchanged.splice(unchanged.indexOf(target), 1);
        target = { ...target, endpoints: [...(target.endpoints ?? [])] };
        toUpdate.push(target);
      } else {
        target = newSlice(svc, family, ports, []);
        plan.create.push(target);
      }
      const eps = target.endpoints!;
      for (const [k, ep] of desired) {
        if (eps.length >= this.max) break;
        eps.push(ep);
        desired.delete(k);
      }
    }
    plan.update.push(...toUpdate);
    return plan;
  }

  private async finalize(key: string, svc: Service, plan: Plan): Promise<void> {
    const client = this.ctx.client;
    const ns = svc.metadata.namespace!;
    // Rather than delete one slice and create another, rewrite the one being deleted.
    for (let i = 0; i < plan.remove.length && plan.create.length > 0; ) {
      const old = plan.remove[i]!;
      const idx = plan.create.findIndex((c) => c.addressType === old.addressType);
      if (idx >= 0 && ownedBy(old, svc)) {
        const fresh = plan.create.splice(idx, 1)[0]!;
        plan.update.push({
          ...fresh,
          metadata: {
            ...fresh.metadata,
            name: old.metadata.name,
            generateName: undefined,
            resourceVersion: old.metadata.resourceVersion,
          },
        });
        plan.remove.splice(i, 1);
      } else i++;
    }
    let written = this.written.get(key);
    const remember = (name: string, obj: EndpointSlice | null) => {
      if (!written) {
        written = new Map();
        this.written.set(key, written);
      }
      written.set(name, obj);
    };
    // No new slices for a Service on its way out: the garbage collector is removing them.
    if (!svc.metadata.deletionTimestamp) {
      for (const slice of plan.create) {
        try {
          const created = await client.create<EndpointSlice>(resources.endpointslices, slice, {
            namespace: ns,
          });
          remember(created.metadata.name!, created);
        } catch (err) {
          if (isNamespaceTerminating(err)) return;
          throw new Error(`failed to create EndpointSlice for Service ${key}: ${(err as Error).message}`);
        }
      }
    }
    for (const slice of plan.update) {
      const body: EndpointSlice = { ...slice, metadata: { ...slice.metadata } };
      delete body.metadata.generateName;
      try {
        const updated = await client.update<EndpointSlice>(resources.endpointslices, body, { namespace: ns });
        remember(updated.metadata.name!, updated);
      } catch (err) {
        throw new Error(
          `failed to update ${slice.metadata.name} EndpointSlice for Service ${key}: ${(err as Error).message}`,
        );
      }
    }
    for (const slice of plan.remove) {
      try {
        await client.delete(resources.endpointslices, slice.metadata.name!, { namespace: ns });
      } catch (err) {
        if (!isNotFound(err)) {
          throw new Error(
            `failed to delete ${slice.metadata.name} EndpointSlice for Service ${key}: ${(err as Error).message}`,
          );
        }
      }
      remember(slice.metadata.name!, null);
    }
  }
}

/** Starts the EndpointSlice controller of a cluster. */
export function startEndpointSliceController(
  ctx: ControllerContext,
  opts: EndpointSliceControllerOptions = {},
): RunningController {
  const c = new EndpointSliceController(ctx, opts);
  const enqueueService = (svc: Service) => c.controller.enqueue(objectKey(svc));
  const offs = [
    c.services.addEventHandler({
      onAdd: enqueueService,
      onUpdate: (_old, svc) => enqueueService(svc),
      onDelete: enqueueService,
    }),
    c.pods.addEventHandler({
      onAdd: (pod) => {
        for (const k of servicesForPodChange(c.services, undefined, pod))
          c.controller.enqueueAfter(k, c.batchMs);
      },
      onUpdate: (old, pod) => {
        for (const k of servicesForPodChange(c.services, old, pod)) c.controller.enqueueAfter(k, c.batchMs);
      },
      onDelete: (pod) => {
        for (const k of servicesForPodChange(c.services, undefined, pod))
          c.controller.enqueueAfter(k, c.batchMs);
      },
    }),
    c.slices.addEventHandler({
      onAdd: (s) => c.sliceChanged(s, false),
      onUpdate: (_old, s) => c.sliceChanged(s, false),
      onDelete: (s) => c.sliceChanged(s, true),
    }),
  ];
  return runController({
    name: 'endpointslice',
    controllers: [c.controller],
    informers: [c.services, c.pods, c.slices, c.nodes],
    unregister: offs,
    ...(c.ownRecorder ? { recorder: c.recorder } : {}),
  });
}
