// Which resources a cluster serves that can be listed, watched and deleted (from discovery, so
// custom resources count), and one informer per such resource feeding whoever needs to see every
// object of the cluster: the garbage collector's graph and the namespace controller's wake-ups.
// Resources the cluster's controllers watch anyway use the shared informers (watched once for
// every controller); the others, custom resources included, get metadata-only informers of their
// own, started when their resource appears and stopped when it goes. Discovery is read again when a CRD changes, never on a timer.

import type { Logger } from 'pino';
import type { ResourceRef } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { DiscoveryClient } from '../../client/rest-mapper.js';
import type { ControllerContext } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { MetadataClient } from './metadata-client.js';

/** A resource as discovery describes it, with its verbs. */
export interface DiscoveredResource extends ResourceRef {
  verbs: string[];
}

interface AggregatedDocument {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version?: string;
      resources?: { resource?: string; responseKind?: { kind?: string }; scope?: string; verbs?: string[] }[];
    }[];
  }[];
}

function isDiscoveryClient(client: unknown): client is DiscoveryClient {
  return typeof (client as { discover?: unknown }).discover === 'function';
}

/** "resource.group" (or "resource" for the core group): the key a resource goes by across versions. */
export function groupResourceKey(ref: { group: string; resource: string }): string {
  return ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
}

/**
 * Every resource the server serves, in its group's preferred version (the first listed), as
 * client-go's ServerPreferredResources. Throws when discovery cannot be read at all.
 */
export async function discoverResources(client: unknown): Promise<DiscoveredResource[]> {
  if (!isDiscoveryClient(client)) {
    // A client without discovery still has the built-in kinds.
    return (Object.values(resources) as ResourceRef[]).map((r) => ({
      ...r,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    }));
  }
  const out: DiscoveredResource[] = [];
  for (const root of ['/api', '/apis']) {
    const doc = (await client.discover(root)) as AggregatedDocument;
    for (const item of doc.items ?? []) {
      const group = root === '/api' ? '' : (item.metadata?.name ?? '');
      const preferred = item.versions?.[0];
      if (!preferred?.version) continue;
      for (const r of preferred.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!r.resource || !kind || r.resource.includes('/')) continue;
        out.push({
          group,
          version: preferred.version,
          resource: r.resource,
          kind,
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
        });
      }
    }
  }
  return out;
}

/** Resources that support every one of the verbs. */
export function supporting(list: DiscoveredResource[], verbs: string[]): DiscoveredResource[] {
  return list.filter((r) => verbs.every((v) => r.verbs.includes(v)));
}

/**
 * Resources the built-in controllers of a cluster watch in full anyway (scheduler, kubelet,
 * workloads, endpoints ...): their shared informers serve here too.
 */
const SHARED = new Set([
  'pods',
  'nodes',
  'namespaces',
  'services',
  'endpoints',
  'serviceaccounts',
  'persistentvolumeclaims',
  'endpointslices.discovery.k8s.io',
  'replicasets.apps',
  'deployments.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'controllerrevisions.apps',
  'jobs.batch',
  'cronjobs.batch',
  'poddisruptionbudgets.policy',
  'customresourcedefinitions.apiextensions.k8s.io',
]);

function builtinVersion(ref: ResourceRef): string | undefined {
  return (Object.values(resources) as ResourceRef[]).find(
    (r) => r.group === ref.group && r.resource === ref.resource,
  )?.version;
}

/** Events are ignored by the garbage collector (as Kubernetes' default ignoredResources). */
const IGNORED = new Set(['events', 'events.events.k8s.io']);

export interface MonitorHandler {
  onAdd?(ref: ResourceRef, obj: KubeObject, initial: boolean): void;
  onUpdate?(ref: ResourceRef, oldObj: KubeObject, obj: KubeObject): void;
  onDelete?(ref: ResourceRef, obj: KubeObject): void;
}

interface Monitor {
  ref: ResourceRef;
  informer: Informer;
  /** Ours to stop (custom resources); shared informers are only let go of. */
  owned: boolean;
  unregister: () => void;
}

function refKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.version}/${ref.resource}`;
}

export class ResourceMonitors {
  private readonly monitors = new Map<string, Monitor>();
  private readonly handlers = new Set<MonitorHandler>();
  private readonly logger: Logger;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private unregisterCrds: (() => void) | undefined;
  private started = false;
  private stopped = false;
  private firstSync: Promise<boolean> | undefined;
  private failures = 0;

  private readonly metadataClient: MetadataClient;

  constructor(private readonly ctx: ControllerContext) {
    this.logger = ctx.logger.child({ component: 'resource-monitors' });
    this.metadataClient = new MetadataClient(ctx.client);
  }

  /** Starts discovery and the informers; resolves once the first set of informers has synced. */
  start(): Promise<boolean> {
    if (this.firstSync) return this.firstSync;
    this.started = true;
    const crds = this.ctx.informers.informerFor(resources.customresourcedefinitions);
    const poke = () => this.scheduleRefresh(0);
    this.unregisterCrds = (() => {
      const off = crds.addEventHandler({
        onAdd: (_o, initial) => {
          if (!initial) poke();
        },
        onUpdate: poke,
        onDelete: poke,
      });
      return off;
    })();
    this.firstSync = (async () => {
      await this.refresh();
      return this.waitForSync();
    })();
    return this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    this.unregisterCrds?.();
    for (const m of this.monitors.values()) this.drop(m);
    this.monitors.clear();
  }

  /** Adds a handler; objects already cached are replayed to it as adds. */
  addHandler(handler: MonitorHandler): () => void {
    this.handlers.add(handler);
    if (handler.onAdd) {
      for (const m of this.monitors.values()) {
        const initial = !m.informer.hasSynced();
        for (const key of m.informer.keys()) {
          const obj = m.informer.getByKey(key);
          if (obj) handler.onAdd(m.ref, obj, initial);
        }
      }
    }
    return () => this.handlers.delete(handler);
  }

  /** The resources watched now. */
  refs(): ResourceRef[] {
    return [...this.monitors.values()].map((m) => m.ref);
  }

  /** The informer of a resource (any version of its group/resource), if it is watched. */
  informerOf(group: string, resource: string): Informer | undefined {
    for (const m of this.monitors.values()) {
      if (m.ref.group === group && m.ref.resource === resource) return m.informer;
    }
    return undefined;
  }

  /** True when every watched resource has listed once. */
  hasSynced(): boolean {
    return [...this.monitors.values()].every((m) => m.informer.hasSynced());
  }

  async waitForSync(): Promise<boolean> {
    const all = await Promise.all([...this.monitors.values()].map((m) => m.informer.waitForSync()));
    return all.every(Boolean) && !this.stopped;
  }

  /** Reads discovery again soon (a CRD changed); several requests make one refresh. */
  scheduleRefresh(delayMs: number): void {
    if (this.stopped || !this.started) return;
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, delayMs);
    this.refreshTimer.unref();
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.sync();
      } while (this.refreshAgain && !this.stopped);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async sync(): Promise<void> {
    let discovered: DiscoveredResource[];
    try {
      discovered = supporting(await discoverResources(this.ctx.client), ['list', 'watch', 'delete']);
      this.failures = 0;
    } catch (err) {
      // Keep what is watched; look again with backoff.
      this.failures++;
      this.logger.warn({ err }, 'discovery failed, keeping the resources watched so far');
      this.scheduleRefresh(Math.min(30_000, 500 * 2 ** this.failures));
      return;
    }
    if (this.stopped) return;
    const wanted = new Map<string, ResourceRef>();
    for (const r of discovered) {
      if (IGNORED.has(groupResourceKey(r))) continue;
      const ref: ResourceRef = {
        group: r.group,
        version: r.version,
        resource: r.resource,
        kind: r.kind,
        namespaced: r.namespaced,
      };
      wanted.set(refKey(ref), ref);
    }
    for (const [key, m] of this.monitors) {
      if (!wanted.has(key)) {
        this.logger.debug({ resource: key }, 'resource no longer served, stop watching it');
        this.drop(m);
        this.monitors.delete(key);
      }
    }
    for (const [key, ref] of wanted) {
      if (this.monitors.has(key)) continue;
      this.monitors.set(key, this.watch(ref));
    }
  }

  private watch(ref: ResourceRef): Monitor {
    // Resources the cluster's controllers watch anyway are shared; the rest are watched as
    // metadata only, so that their content (ConfigMap data, RBAC rules ...) is not kept twice.
    const shared = SHARED.has(groupResourceKey(ref)) && ref.version === builtinVersion(ref);
    const informer = shared
      ? this.ctx.informers.informerFor(ref)
      : new Informer(this.metadataClient, ref, { logger: this.ctx.logger });
    const unregister = informer.addEventHandler({
      onAdd: (obj, initial) => {
        for (const h of this.handlers) h.onAdd?.(ref, obj, initial);
      },
      onUpdate: (old, obj) => {
        for (const h of this.handlers) h.onUpdate?.(ref, old, obj);
      },
      onDelete: (obj) => {
        for (const h of this.handlers) h.onDelete?.(ref, obj);
      },
    });
    // Shared informers start with the factory; our own start now.
    if (!shared) informer.start();
    return { ref, informer, owned: !shared, unregister };
  }

  private drop(m: Monitor): void {
    m.unregister();
    if (m.owned) m.informer.stop();
  }
}
