// The Gslb controller: for every Gslb on the hub (k8gb.io or k8gb.absa.oss) it finds its hosts
// (spec.ingress, or the Ingress that spec.resourceRef names or selects) and the Services behind
// them, judges each member's copy of those Services (a member that is Ready and whose Service has
// ready endpoints is healthy for the host), and answers each host from the hub's DNS server with
// the healthy clusters' addresses (the Service's ClusterIP in that cluster, on the loopback) by
// the strategy (zone.ts). Its status is k8gb's: serviceHealth and healthyRecords per host, hosts,
// servers, loadBalancer.exposedIps, and geoTag (on the hub: the regions answered now).
// A member that dies leaves the answers as soon as the registry marks it not Ready.

import type { Logger } from 'pino';
import type { Informer } from '../../../client/informer.js';
import { resourceRef } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { labelSelectorMatches } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { DnsServer } from '../../../sim/dataplane/dns/server.js';
import {
  DEFAULT_DNS_TTL_SECONDS,
  type Gslb,
  type GslbStatus,
  type HealthStatus,
  type IngressSpec,
  k8gbResources,
} from '../../apis/k8gb/index.js';
import type { MemberViews } from '../members.js';
import { blockOf, GlobalNameZone, type RegionTargets } from './zone.js';

export const GSLB_CONTROLLER = 'gslb-controller';
const ingresses = resourceRef('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true);
const LOOPBACK = /^127\.\d+\.\d+\.\d+$/;

interface Ingress extends KubeObject {
  spec?: IngressSpec;
}

/** The Services behind each host of a Gslb, in the Gslb's namespace. */
export function hostsOf(gslb: Gslb, ingressList: Ingress[]): Map<string, string[]> {
  const specs: IngressSpec[] = [];
  if (gslb.spec.ingress?.rules?.length) specs.push(gslb.spec.ingress);
  const ref = gslb.spec.resourceRef;
  if (ref && (ref.name || ref.matchLabels || ref.matchExpressions)) {
    for (const i of ingressList) {
      if (ref.name ? i.metadata.name === ref.name : matchesSelector(i, ref)) if (i.spec) specs.push(i.spec);
    }
  }
  const out = new Map<string, string[]>();
  for (const spec of specs) {
    for (const rule of spec.rules ?? []) {
      if (!rule.host) continue;
      const services = out.get(rule.host) ?? [];
      for (const p of rule.http?.paths ?? []) {
        const name = p.backend.service?.name;
        if (name && !services.includes(name)) services.push(name);
      }
      out.set(rule.host, services);
    }
  }
  return out;
}

function matchesSelector(obj: KubeObject, ref: NonNullable<Gslb['spec']['resourceRef']>): boolean {
  return labelSelectorMatches(
    { matchLabels: ref.matchLabels ?? {}, matchExpressions: ref.matchExpressions ?? [] } as Parameters<
      typeof labelSelectorMatches
    >[0],
    obj.metadata.labels ?? {},
  );
}

export interface GslbControllerOptions {
  members: MemberViews;
  dns: DnsServer;
}

export function startGslbController(ctx: ControllerContext, opts: GslbControllerOptions): RunningController {
  const logger: Logger = ctx.logger.child({ controller: GSLB_CONTROLLER });
  const { members, dns } = opts;
  const sources: { prefix: string; informer: Informer<Gslb>; ref: typeof k8gbResources.gslbs }[] = [
    {
      prefix: 'k8gb.io',
      informer: ctx.informers.informerFor<Gslb>(k8gbResources.gslbs),
      ref: k8gbResources.gslbs,
    },
    {
      prefix: 'k8gb.absa.oss',
      informer: ctx.informers.informerFor<Gslb>(k8gbResources.legacyGslbs),
      ref: k8gbResources.legacyGslbs,
    },
  ];
  const ingressInformer = ctx.informers.informerFor<Ingress>(ingresses);
  /** Host -> the zone answering it and the Gslb ("group|ns/name") that holds it. */
  const zones = new Map<string, { zone: GlobalNameZone; owner: string }>();
  const loop = reconcileLoop(ctx, { name: GSLB_CONTROLLER, workers: 2, reconcile: (key) => reconcile(key) });

  const allKeys = () => sources.flatMap((s) => s.informer.keys().map((k) => `${s.prefix}|${k}`));
  for (const s of sources) {
    const enqueue = (o: KubeObject) => loop.enqueue(`${s.prefix}|${o.metadata.namespace}/${o.metadata.name}`);
    s.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  }
  const enqueueNamespace = (ns: string | undefined) => {
    for (const k of allKeys()) if (k.slice(k.indexOf('|') + 1).startsWith(`${ns}/`)) loop.enqueue(k);
  };
  ingressInformer.addEventHandler({
    onAdd: (i) => enqueueNamespace(i.metadata.namespace),
    onUpdate: (_o, i) => enqueueNamespace(i.metadata.namespace),
    onDelete: (i) => enqueueNamespace(i.metadata.namespace),
  });
  members.subscribe({
    service: (_c, key) => enqueueNamespace(key.slice(0, key.indexOf('/'))),
    member: () => {
      for (const k of allKeys()) loop.enqueue(k);
    },
  });

  function release(owner: string, keep: Set<string>): void {
    for (const [host, z] of zones) {
      if (z.owner === owner && !keep.has(host)) {
        dns.removeZone(z.zone);
        zones.delete(host);
      }
    }
  }

  async function reconcile(key: string): Promise<undefined | { requeueAfter: number }> {
    const bar = key.indexOf('|');
    const source = sources.find((s) => s.prefix === key.slice(0, bar))!;
    if (!source.informer.hasSynced() || !ingressInformer.hasSynced()) return { requeueAfter: 100 };
    const nsName = key.slice(bar + 1);
    const gslb = source.informer.getByKey(nsName);
    if (!gslb || gslb.metadata.deletionTimestamp) {
      release(key, new Set());
      return undefined;
    }
    const namespace = gslb.metadata.namespace!;
    const hosts = hostsOf(gslb, ingressInformer.list({ namespace }));
    const strategy = gslb.spec.strategy;
    const ttl = strategy.dnsTtlSeconds || DEFAULT_DNS_TTL_SECONDS;
    const policyAll = gslb.spec.serviceHealthPolicy === 'All';
    const views = members.list().sort((a, b) => a.name.localeCompare(b.name));

    const serviceHealth: Record<string, HealthStatus> = {};
    const healthyRecords: Record<string, string[]> = {};
    const exposed = new Set<string>();
    const answeredRegions = new Set<string>();
    const kept = new Set<string>();
    for (const [host, services] of hosts) {
      const byRegion = new Map<string, string[]>();
      const blocks = new Map<string, string>();
      let found = false;
      let healthy = false;
      for (const v of views) {
        const region = v.region ?? v.name;
        const states = services.map((name) => {
          const svc = v.services.get(name, namespace);
          if (!svc) return undefined;
          found = true;
          const ready = v
            .slicesOf(`${namespace}/${name}`)
            .some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready !== false));
          return { svc, ready: v.ready && ready };
        });
        const present = states.filter((s) => s !== undefined);
        if (present.length === 0) continue;
        const ok = policyAll
          ? present.length === services.length && present.every((s) => s.ready)
          : present.some((s) => s.ready);
        const ip = present.find((s) => s.ready)?.svc.spec?.clusterIP ?? present[0]!.svc.spec?.clusterIP;
        if (ip && LOOPBACK.test(ip)) {
          blocks.set(blockOf(ip), region);
          exposed.add(ip);
        }
        if (!ok || !ip || !LOOPBACK.test(ip)) continue;
        healthy = true;
        const list = byRegion.get(region) ?? [];
        list.push(ip);
        byRegion.set(region, list);
      }
      serviceHealth[host] = !found ? 'NotFound' : healthy ? 'Healthy' : 'Unhealthy';
      const regions: RegionTargets[] = [...byRegion].map(([region, addresses]) => ({ region, addresses }));
      let entry = zones.get(host);
      if (entry && entry.owner !== key) {
        // Another Gslb answers this host already: the first one keeps it.
        logger.warn({ gslb: key, host, owner: entry.owner }, 'the host is answered for another Gslb');
        continue;
      }
      if (!entry) {
        entry = { zone: new GlobalNameZone(host), owner: key };
        zones.set(host, entry);
        dns.addZone(entry.zone);
      }
      kept.add(host);
      entry.zone.setPlan({
        strategy: strategy.type,
        ttl,
        ...(strategy.primaryGeoTag ? { primaryGeoTag: strategy.primaryGeoTag } : {}),
        ...(strategy.weight ? { weights: strategy.weight } : {}),
        regions,
        blocks,
      });
      const records = entry.zone.healthyRecords();
      if (records.length > 0) healthyRecords[host] = records;
      for (const r of regions)
        if (r.addresses.some((a) => records.includes(a))) answeredRegions.add(r.region);
    }
    release(key, kept);

    const status: GslbStatus = {
      serviceHealth,
      healthyRecords,
      geoTag: [...answeredRegions].sort().join(','),
      hosts: [...hosts.keys()].join(', '),
      loadBalancer: { exposedIps: [...exposed].sort() },
      servers: [...hosts].map(([host, services]) => ({
        host,
        services: services.map((name) => ({ name, namespace })),
      })),
    };
    if (JSON.stringify(gslb.status ?? null) !== JSON.stringify(status)) {
      await ctx.client.update<Gslb>(source.ref, { ...gslb, status }, { namespace, subresource: 'status' });
    }
    return undefined;
  }

  loop.start();
  return {
    name: GSLB_CONTROLLER,
    async stop() {
      await loop.stop();
      for (const z of zones.values()) dns.removeZone(z.zone);
      zones.clear();
    },
  };
}
