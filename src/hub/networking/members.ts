// What the networking controllers see of the members: for every Cluster, a client of its own
// and informers on its ServiceExports, Services, EndpointSlices and Namespaces. Each member is
// watched on its own (its own connection, its own watches and back-off), so a slow or dead member
// delays nothing but itself. A member counts as Ready when the registry's Ready condition says so
// (hub/clusters probes it); endpoints of a member that is not Ready are withdrawn by the readers.

import type { Logger } from 'pino';
import type { Client, ResourceRef } from '../../client/client.js';
import { type ClientLease, HttpsClientCache } from '../../client/client-cache.js';
import { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { ControllerContext } from '../../controller/context.js';
import { isConditionTrue } from '../../machinery/conditions.js';
import type { KubeObject } from '../../machinery/object.js';
import {
  CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
  CLUSTER_CONDITION_READY,
  type Cluster,
  clusterConnection,
  clustersUsingSecret,
  karmadaResources,
} from '../apis/karmada/index.js';
import {
  LABEL_SERVICE_NAME,
  mcsResources,
  type ServiceExport,
  type ServiceImport,
} from '../apis/mcs/index.js';

export const LABEL_KUBERNETES_SERVICE_NAME = 'kubernetes.io/service-name';
const SLICES_BY_SERVICE = 'networking.serviceKey';
const SLICES_BY_IMPORT = 'networking.importKey';

export interface MemberService extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    ports?: { name?: string; port: number; protocol?: string; appProtocol?: string; targetPort?: unknown }[];
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    internalTrafficPolicy?: string;
    trafficDistribution?: string;
  };
}

export interface MemberSlice extends KubeObject {
  addressType?: string;
  endpoints?:
    | {
        addresses: string[];
        conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
        hostname?: string;
        nodeName?: string;
        zone?: string;
      }[]
    | null;
  ports?:
    | { name?: string | null; port?: number | null; protocol?: string | null; appProtocol?: string }[]
    | null;
}

/** "namespace/name" of a Service an object speaks of (a slice: its Service's). */
export type ServiceKey = string;

export interface MemberEvents {
  /** A member's export, Service or slices of `key` changed. */
  service(cluster: string, key: ServiceKey): void;
  /** A member appeared, went, turned Ready or not Ready, or its namespaces changed. */
  member(cluster: string): void;
  /**
   * A member is leaving the fleet (its Cluster is being deleted or is gone): the listener deletes
   * what it wrote there, through the view's client, which stays open until every listener is done.
   */
  leaving?(view: MemberView): Promise<void>;
}

function sliceServiceKey(slice: KubeObject): string[] {
  const name = slice.metadata.labels?.[LABEL_KUBERNETES_SERVICE_NAME];
  return name ? [`${slice.metadata.namespace}/${name}`] : [];
}

function sliceImportKey(slice: KubeObject): string[] {
  const name = slice.metadata.labels?.[LABEL_SERVICE_NAME];
  return name ? [`${slice.metadata.namespace}/${name}`] : [];
}

const keyOf = (o: KubeObject): ServiceKey => `${o.metadata.namespace}/${o.metadata.name}`;

/**
 * Whether the member may serve `resource`, by the APIs the registry read from it: listed, or not
 * all read. A Push member whose APIs were not read yet waits for them (the registry reads them
 * once it is Ready); the registry does not read a Pull member's. Watching a kind a member does
 * not serve fails and retries for ever: a thousand members without the MCS API cost the hub a
 * steady stream of failing lists.
 */
export function mayServe(cluster: Cluster, resource: ResourceRef): boolean {
  const status = cluster.status;
  const complete = status?.conditions?.find((c) => c.type === CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS);
  if (!complete) return cluster.spec?.syncMode === 'Pull';
  if (complete.status !== 'True') return true;
  const groupVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
  return (status?.apiEnablements ?? []).some(
    (e) => e.groupVersion === groupVersion && (e.resources ?? []).some((r) => r.name === resource.resource),
  );
}

/** One member as the networking controllers watch it. */
export class MemberView {
  readonly exports: Informer<ServiceExport>;
  readonly imports: Informer<ServiceImport>;
  readonly services: Informer<MemberService>;
  readonly slices: Informer<MemberSlice>;
  readonly namespaces: Informer<KubeObject>;
  ready = false;
  region: string | undefined;

  constructor(
    readonly name: string,
    readonly fingerprint: string,
    private readonly lease: ClientLease,
    events: MemberEvents,
    logger: Logger,
    informerOptions: { watchTimeoutSeconds?: number },
  ) {
    const common = { logger: logger.child({ cluster: name }), ...informerOptions };
    this.exports = new Informer<ServiceExport>(lease.client, mcsResources.serviceexports, common);
    this.imports = new Informer<ServiceImport>(lease.client, mcsResources.serviceimports, common);
    this.services = new Informer<MemberService>(lease.client, resources.services, common);
    this.slices = new Informer<MemberSlice>(lease.client, resources.endpointslices, common);
    this.slices.addIndexers({ [SLICES_BY_SERVICE]: sliceServiceKey, [SLICES_BY_IMPORT]: sliceImportKey });
    this.namespaces = new Informer<KubeObject>(lease.client, resources.namespaces, common);
    const byKey = (o: KubeObject) => events.service(name, keyOf(o));
    const bySlice = (slices: KubeObject[]) => {
      const keys = slices.flatMap((s) => [...sliceServiceKey(s), ...sliceImportKey(s)]);
      for (const k of new Set(keys)) events.service(name, k);
    };
    this.exports.addEventHandler({ onAdd: byKey, onUpdate: (_o, n) => byKey(n), onDelete: byKey });
    this.imports.addEventHandler({ onAdd: byKey, onUpdate: (_o, n) => byKey(n), onDelete: byKey });
    this.services.addEventHandler({ onAdd: byKey, onUpdate: (_o, n) => byKey(n), onDelete: byKey });
    this.slices.addEventHandler({
      onAdd: (s) => bySlice([s]),
      onUpdate: (o, s) => bySlice([o, s]),
      onDelete: (s) => bySlice([s]),
    });
    const nsChanged = () => events.member(name);
    this.namespaces.addEventHandler({ onAdd: nsChanged, onDelete: nsChanged });
    this.services.start();
    this.slices.start();
    this.namespaces.start();
  }

  /**
   * Watches the member's ServiceExports and ServiceImports once it may serve them (see
   * mayServe); until then the member counts as not synced, as one whose watches fail.
   */
  watchMcs(): void {
    this.exports.start();
    this.imports.start();
  }

  private get informers(): Informer<KubeObject>[] {
    return [
      this.exports,
      this.imports,
      this.services,
      this.slices,
      this.namespaces,
    ] as Informer<KubeObject>[];
  }

  get client(): Client {
    return this.lease.client;
  }

  /** Whether every watch of the member has listed once. */
  synced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  hasNamespace(ns: string): boolean {
    return this.namespaces.get(ns) !== undefined;
  }

  /** The member's own EndpointSlices of a Service (the endpointslice controller's). */
  slicesOf(key: ServiceKey): MemberSlice[] {
    return this.slices.byIndex(SLICES_BY_SERVICE, key);
  }

  /** The MCS EndpointSlices of an import in the member (the hub's, from every exporting cluster). */
  importSlicesOf(key: ServiceKey): MemberSlice[] {
    return this.slices.byIndex(SLICES_BY_IMPORT, key);
  }

  /** The watches broke while the member was away: resume them now. */
  resume(): void {
    for (const i of this.informers) i.retryNow();
  }

  stop(): void {
    for (const i of this.informers) i.stop();
    this.lease.release();
  }
}

export interface MemberViewsOptions {
  /** Limit of every request to a member (default 5 s). */
  requestTimeoutMs?: number;
  /** Watch timeout of the member informers (tests use short watches). */
  watchTimeoutSeconds?: number;
}

/** Every member's view, kept in step with the hub's Clusters and their Secrets. */
export class MemberViews {
  private readonly views = new Map<string, MemberView>();
  private readonly clients: HttpsClientCache;
  private readonly clusters: Informer<Cluster>;
  private readonly secrets: Informer<KubeObject>;
  private readonly logger: Logger;
  private readonly listeners: MemberEvents[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** Views of members that left, open until their clean-up is done. */
  private readonly leavingViews = new Set<MemberView>();

  constructor(
    ctx: ControllerContext,
    private readonly opts: MemberViewsOptions = {},
  ) {
    this.logger = ctx.logger.child({ component: 'networking-members' });
    this.clients = new HttpsClientCache({
      clientOptions: { timeoutMs: opts.requestTimeoutMs ?? 5000, userAgent: 'concord-hub/networking' },
    });
    this.clusters = ctx.informers.informerFor<Cluster>(karmadaResources.clusters);
    this.secrets = ctx.informers.informerFor(resources.secrets);
    const sync = (c: KubeObject) => this.sync(c.metadata.name ?? '');
    this.unsubscribe.push(
      this.clusters.addEventHandler({ onAdd: sync, onUpdate: (_o, c) => sync(c), onDelete: sync }),
      this.secrets.addEventHandler({
        onAdd: (s) => this.secretChanged(s),
        onUpdate: (_o, s) => this.secretChanged(s),
      }),
    );
  }

  /** Tells `events` of every change of every member. */
  subscribe(events: MemberEvents): void {
    this.listeners.push(events);
  }

  get(name: string): MemberView | undefined {
    return this.views.get(name);
  }

  list(): MemberView[] {
    return [...this.views.values()];
  }

  /** Ready members, in name order. */
  ready(): MemberView[] {
    return this.list()
      .filter((v) => v.ready)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  cluster(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    for (const v of [...this.views.values(), ...this.leavingViews]) v.stop();
    this.views.clear();
    this.leavingViews.clear();
    this.clients.close();
  }

  private secretChanged(secret: KubeObject): void {
    for (const c of clustersUsingSecret(this.clusters, secret)) this.sync(c.metadata.name ?? '');
  }

  private sync(name: string): void {
    const cluster = this.clusters.get(name);
    const view = this.views.get(name);
    if (!cluster || cluster.metadata.deletionTimestamp) {
      if (view) {
        this.views.delete(name);
        this.emitMember(name);
        void this.leave(view);
      }
      return;
    }
    const ref = cluster.spec?.secretRef;
    const secret = ref ? this.secrets.get(ref.name, ref.namespace) : undefined;
    let lease: ClientLease;
    try {
      lease = this.clients.acquire(clusterConnection(cluster, secret));
    } catch (err) {
      // No way to reach it (yet): the Cluster or its Secret will change.
      this.logger.debug({ err, cluster: name }, 'no connection to the member');
      return;
    }
    let current = view;
    if (current && current.fingerprint !== lease.fingerprint) {
      this.views.delete(name);
      current.stop();
      current = undefined;
    }
    if (!current) {
      current = new MemberView(
        name,
        lease.fingerprint,
        lease,
        {
          service: (c, k) => {
            for (const l of this.listeners) l.service(c, k);
          },
          member: (c) => this.emitMember(c),
        },
        this.logger,
        this.opts.watchTimeoutSeconds ? { watchTimeoutSeconds: this.opts.watchTimeoutSeconds } : {},
      );
      this.views.set(name, current);
    } else {
      lease.release();
    }
    if (mayServe(cluster, mcsResources.serviceexports) && mayServe(cluster, mcsResources.serviceimports)) {
      current.watchMcs();
    }
    const ready = isConditionTrue(cluster.status?.conditions, CLUSTER_CONDITION_READY);
    const region = cluster.spec?.region;
    const changed = ready !== current.ready || region !== current.region || current !== view;
    if (ready && !current.ready && view === current) current.resume();
    current.ready = ready;
    current.region = region;
    if (changed) this.emitMember(name);
  }

  /**
   * A member left: what the hub wrote into it goes, as Karmada deletes a leaving member's Works
   * from it. Best effort: a member that cannot be reached keeps those objects. The view's watches
   * stay open meanwhile, as the listeners find what to delete in its caches.
   */
  private async leave(view: MemberView): Promise<void> {
    this.leavingViews.add(view);
    await Promise.all(
      this.listeners.map((l) =>
        l.leaving?.(view).catch((err) => {
          this.logger.warn({ err, cluster: view.name }, 'cleaning up a member that left failed');
        }),
      ),
    );
    if (this.leavingViews.delete(view)) view.stop();
  }

  private emitMember(name: string): void {
    for (const l of this.listeners) l.member(name);
  }
}
