// The hub's multi-cluster services controller. For each exported service (namespace/name) it
// reads every member's ServiceExport, Service and EndpointSlices (members.ts), applies the
// spec's rules (merge.ts), and writes:
//   - the ServiceExports' status in their members: Valid, Ready (Exported) and Conflict;
//   - a ServiceImport on the hub (where its clusterset IP is kept) and in every Ready member that
//     has the namespace, with the exporting clusters in status.clusters;
//   - one EndpointSlice per exporting cluster that is Ready into those members (slices.ts); a
//     member that is not Ready has its slices withdrawn everywhere;
//   - the hub's clusterset data plane and DNS records (clusterset/dataplane.ts);
// and for every member the ClusterProperty cluster.clusterset.k8s.io naming it.
// Writes to members go out in parallel, each bounded by the member client's timeout, so a slow
// member holds up nothing but its own writes.

import type { Logger } from 'pino';
import type { Client } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { setCondition } from '../../../machinery/conditions.js';
import type { Condition } from '../../../machinery/object.js';
import type { ImportedEndpoint } from '../../../sim/dataplane/dns/clusterset-records.js';
import {
  ABOUT_API_VERSION,
  CLUSTER_ID_PROPERTY,
  CLUSTERSET_PROPERTY,
  type ClusterProperty,
  EXPORT_CONDITION_READY,
  EXPORT_REASON_EXPORTED,
  EXPORT_REASON_FAILED,
  IMPORT_CONDITION_READY,
  IMPORT_REASON_READY,
  LABEL_MANAGED_BY,
  MCS_API_VERSION,
  mcsApis,
  mcsResources,
  type ServiceExport,
  type ServiceImport,
} from '../../apis/mcs/index.js';
import { allocateClustersetIP, isClustersetIP } from '../clusterset/addresses.js';
import type { ClustersetDataPlane } from '../clusterset/dataplane.js';
import type { MemberSlice, MemberView, MemberViews } from '../members.js';
import { isAlreadyExists, isNotFound, remove, sameJson, upsert } from '../writes.js';
import { type Export, type ExportCondition, mergeExports } from './merge.js';
import { importSlice, MCS_CONTROLLER_NAME, readyBackends } from './slices.js';

export const MCS_CONTROLLER = 'mcs-controller';
const MEMBER_KEY = 'member:';
/** Queue key standing for every service key (those hold a '/'). */
const ALL_KEYS = '*';

export interface McsControllerOptions {
  members: MemberViews;
  dataPlane: ClustersetDataPlane;
  /** The clusterset's name (ClusterProperty clusterset.k8s.io; default "concord"). */
  clusterset?: string;
  /** Every exported service is looked at again this often (default 30 s). */
  resyncMs?: number;
}

function sameConditions(current: Condition[] | undefined, wanted: Condition[]): boolean {
  const strip = (list: Condition[] | undefined) =>
    (list ?? []).map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  return sameJson(strip(current), strip(wanted));
}

export function startMcsController(
  ctx: ControllerContext,
  opts: McsControllerOptions,
): RunningController & { enqueue(key: string): void } {
  const logger: Logger = ctx.logger.child({ controller: MCS_CONTROLLER });
  const { members, dataPlane } = opts;
  const hubImports = ctx.informers.informerFor<ServiceImport>(mcsResources.serviceimports);
  const hubNamespaces = ctx.informers.informerFor(resources.namespaces);
  const loop = reconcileLoop(ctx, { name: MCS_CONTROLLER, workers: 4, reconcile: (key) => reconcile(key) });
  let stopped = false;

  /** Every service key any member or the hub knows of. */
  const allKeys = (): Set<string> => {
    const keys = new Set<string>(hubImports.keys());
    for (const v of members.list()) for (const k of v.exports.keys()) keys.add(k);
    for (const v of members.list()) for (const i of v.imports.keys()) keys.add(i);
    return keys;
  };

  members.subscribe({
    service: (_cluster, key) => loop.enqueue(key),
    member: (cluster) => {
      loop.enqueue(`${MEMBER_KEY}${cluster}`);
      // Every key, through one queue key: members' events come in bursts, and the walk of every
      // member then runs once per burst.
      loop.enqueue(ALL_KEYS);
    },
    leaving: (v) => removeAll(v),
  });
  hubImports.addEventHandler(loop.objectHandler());
  const resync = setInterval(() => {
    for (const k of allKeys()) loop.enqueue(k);
  }, opts.resyncMs ?? 30_000);
  resync.unref();

  async function reconcile(key: string): Promise<undefined | { requeueAfter: number }> {
    if (stopped) return undefined;
    if (!hubImports.hasSynced() || !hubNamespaces.hasSynced()) return { requeueAfter: 100 };
    if (key.startsWith(MEMBER_KEY)) return reconcileMember(key.slice(MEMBER_KEY.length));
    if (key === ALL_KEYS) {
      for (const k of allKeys()) loop.enqueue(k);
      return undefined;
    }
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);

    const views = members.list().filter((v) => v.exports.hasSynced());
    const exports: Export[] = [];
    for (const v of views) {
      const e = v.exports.get(name, namespace);
      if (e) exports.push({ cluster: v.name, export: e, service: v.services.get(name, namespace) });
    }
    const merged = mergeExports(exports);
    const ready = new Set(members.ready().map((v) => v.name));
    const exporting = merged.clusters.filter((c) => ready.has(c));

    // The hub's import: where the clusterset IP lives.
    let hubImport = hubImports.get(name, namespace);
    if (merged.spec) {
      let ips: string[] = [];
      if (merged.spec.type === 'ClusterSetIP') {
        const kept = (hubImport?.spec.ips ?? []).filter(
          (ip) => isClustersetIP(ip) && !dataPlane.taken.has(ip),
        );
        if (kept.length > 0) ips = kept.slice(0, 1);
        else {
          const used = new Set<string>(dataPlane.taken);
          for (const i of hubImports.list()) for (const ip of i.spec?.ips ?? []) used.add(ip);
          ips = [allocateClustersetIP(used)];
        }
      }
      const wanted: ServiceImport = {
        apiVersion: MCS_API_VERSION,
        kind: 'ServiceImport',
        metadata: { name, namespace, labels: merged.labels, annotations: merged.annotations },
        spec: { ...merged.spec, ips },
      };
      await ensureHubNamespace(namespace);
      hubImport = await upsert(ctx.client, mcsResources.serviceimports, hubImport, wanted, (c) =>
        differsImport(c, wanted),
      );
      if (hubImport) await writeImportStatus(ctx.client, hubImport, merged.clusters);
    } else if (hubImport) {
      await remove(ctx.client, mcsResources.serviceimports, name, namespace);
      hubImport = undefined;
    }

    // Endpoints of Ready exporting clusters only.
    const sources = new Map<string, MemberSlice[]>();
    for (const c of exporting) sources.set(c, members.get(c)?.slicesOf(key) ?? []);

    // The hub's data plane and DNS.
    if (merged.spec && hubImport) {
      const endpoints: ImportedEndpoint[] = [];
      for (const [cluster, slices] of sources) {
        for (const s of slices) {
          for (const e of s.endpoints ?? []) {
            const address = e.addresses?.[0];
            if (address && e.conditions?.ready !== false) {
              endpoints.push({ cluster, address, ...(e.hostname ? { hostname: e.hostname } : {}) });
            }
          }
        }
      }
      const all = [...sources.values()].flat();
      dataPlane.set(key, {
        service: {
          namespace,
          name,
          type: merged.spec.type,
          ips: hubImport.spec.ips ?? [],
          ports: merged.spec.ports,
          endpoints,
        },
        backends: new Map(merged.spec.ports.map((p) => [p.port, readyBackends(p, all)])),
      });
    } else {
      dataPlane.set(key, undefined);
    }

    // Every Ready member: its exports' status, the import and the slices.
    const failures: unknown[] = [];
    await Promise.all(
      views
        .filter((v) => v.ready && v.synced())
        .map((v) =>
          syncMember(v, namespace, name, merged, hubImport, sources).catch((err) => {
            failures.push(err);
            logger.debug({ err, cluster: v.name, service: key }, 'writing to the member failed');
          }),
        ),
    );
    if (failures.length > 0) throw failures[0];
    return undefined;
  }

  function differsImport(current: ServiceImport, wanted: ServiceImport): boolean {
    return (
      !sameJson(current.spec, wanted.spec) ||
      !sameJson(current.metadata.labels ?? {}, wanted.metadata.labels ?? {}) ||
      !sameJson(current.metadata.annotations ?? {}, wanted.metadata.annotations ?? {})
    );
  }

  async function writeImportStatus(
    client: Client,
    current: ServiceImport,
    clusters: string[],
  ): Promise<void> {
    const wantedClusters = clusters.map((cluster) => ({ cluster }));
    const conditions = setCondition(
      current.status?.conditions,
      {
        type: IMPORT_CONDITION_READY,
        status: 'True',
        reason: IMPORT_REASON_READY,
        message: 'the import is ready',
      } as Condition,
      ctx.now().toISOString(),
    );
    if (
      sameJson(current.status?.clusters ?? [], wantedClusters) &&
      sameConditions(current.status?.conditions, conditions)
    ) {
      return;
    }
    await client.update<ServiceImport>(
      mcsResources.serviceimports,
      { ...current, status: { clusters: wantedClusters, conditions } },
      { namespace: current.metadata.namespace!, subresource: 'status' },
    );
  }

  async function ensureHubNamespace(namespace: string): Promise<void> {
    if (hubNamespaces.get(namespace)) return;
    await ctx.client
      .create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
      .catch((err) => {
        if (!isAlreadyExists(err)) throw err;
      });
  }

  async function syncMember(
    v: MemberView,
    namespace: string,
    name: string,
    merged: ReturnType<typeof mergeExports>,
    hubImport: ServiceImport | undefined,
    sources: Map<string, MemberSlice[]>,
  ): Promise<void> {
    const key = `${namespace}/${name}`;
    // The export's status.
    const exp = v.exports.get(name, namespace);
    const wantedConditions = merged.conditions.get(v.name);
    if (exp && wantedConditions) {
      const valid = wantedConditions[0]!.status === 'True';
      const readyCondition: ExportCondition = valid
        ? hubImport
          ? {
              type: EXPORT_CONDITION_READY,
              status: 'True',
              reason: EXPORT_REASON_EXPORTED,
              message: 'the service is exported to the clusterset',
            }
          : {
              type: EXPORT_CONDITION_READY,
              status: 'Unknown',
              reason: 'Pending',
              message: 'the service is being exported',
            }
        : {
            type: EXPORT_CONDITION_READY,
            status: 'False',
            reason: EXPORT_REASON_FAILED,
            message: wantedConditions[0]!.message,
          };
      let conditions = exp.status?.conditions ?? [];
      const now = ctx.now().toISOString();
      for (const c of [wantedConditions[0]!, readyCondition, ...wantedConditions.slice(1)]) {
        conditions = setCondition(
          conditions,
          { ...c, lastTransitionTime: now, observedGeneration: exp.metadata.generation },
          now,
        );
      }
      if (!sameConditions(exp.status?.conditions, conditions)) {
        await v.client.update<ServiceExport>(
          mcsResources.serviceexports,
          { ...exp, status: { conditions } },
          { namespace, subresource: 'status' },
        );
      }
    }

    // The import.
    const current = v.imports.get(name, namespace);
    if (merged.spec && hubImport && v.hasNamespace(namespace)) {
      const wanted: ServiceImport = {
        apiVersion: MCS_API_VERSION,
        kind: 'ServiceImport',
        metadata: { name, namespace, labels: merged.labels, annotations: merged.annotations },
        spec: { ...merged.spec, ips: hubImport.spec.ips ?? [] },
      };
      const written = await upsert(v.client, mcsResources.serviceimports, current, wanted, (c) =>
        differsImport(c, wanted),
      );
      if (written) await writeImportStatus(v.client, written, merged.clusters);
    } else if (current) {
      await remove(v.client, mcsResources.serviceimports, name, namespace);
    }

    // The slices: one per Ready exporting cluster; others of ours go.
    const existing = v
      .importSlicesOf(key)
      .filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === MCS_CONTROLLER_NAME);
    const wantedSlices =
      merged.spec && v.hasNamespace(namespace)
        ? [...sources].map(([cluster, slices]) => importSlice(namespace, name, cluster, slices))
        : [];
    for (const s of wantedSlices) {
      const cur = existing.find((e) => e.metadata.name === s.metadata.name);
      await upsert(
        v.client,
        resources.endpointslices,
        cur,
        s,
        (c) =>
          !sameJson(c.endpoints ?? [], s.endpoints) ||
          !sameJson(c.ports ?? [], s.ports) ||
          !sameJson(c.metadata.labels, s.metadata.labels),
      );
    }
    for (const s of existing) {
      if (!wantedSlices.some((w) => w.metadata.name === s.metadata.name)) {
        await remove(v.client, resources.endpointslices, s.metadata.name!, namespace);
      }
    }
  }

  async function reconcileMember(cluster: string): Promise<undefined | { requeueAfter: number }> {
    const v = members.get(cluster);
    if (!v?.ready) return undefined;
    // A member that does not serve the MCS API yet (a cluster joined from elsewhere) gets it, as
    // MCS implementations install their CRDs into the clusters they manage.
    let installed = false;
    for (const crd of mcsApis.crds ?? []) {
      installed =
        (await v.client.create(resources.customresourcedefinitions, crd).then(
          () => true,
          (err) => {
            if (!isAlreadyExists(err)) throw err;
            return false;
          },
        )) || installed;
    }
    if (installed) v.resume();
    const props: [string, string][] = [
      [CLUSTER_ID_PROPERTY, cluster],
      [CLUSTERSET_PROPERTY, opts.clusterset ?? 'concord'],
    ];
    for (const [name, value] of props) {
      const current = await v.client
        .get<ClusterProperty>(mcsResources.clusterproperties, name)
        .catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
      const wanted: ClusterProperty = {
        apiVersion: ABOUT_API_VERSION,
        kind: 'ClusterProperty',
        metadata: { name },
        spec: { value },
      };
      await upsert(v.client, mcsResources.clusterproperties, current, wanted, (c) => c.spec?.value !== value);
    }
    return undefined;
  }

  /**
   * A member left the clusterset: the imports and import slices the hub wrote into it go, and its
   * clusterset.k8s.io property with them (KEP-2149: only a member carries it); its cluster id
   * property stays, as the id names the cluster for as long as it exists.
   */
  async function removeAll(v: MemberView): Promise<void> {
    const slices = v.slices
      .list()
      .filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === MCS_CONTROLLER_NAME);
    await Promise.all([
      ...slices.map((s) =>
        remove(v.client, resources.endpointslices, s.metadata.name!, s.metadata.namespace),
      ),
      ...v.imports
        .list()
        .map((i) => remove(v.client, mcsResources.serviceimports, i.metadata.name!, i.metadata.namespace)),
      remove(v.client, mcsResources.clusterproperties, CLUSTERSET_PROPERTY),
    ]);
  }

  loop.start();
  return {
    name: MCS_CONTROLLER,
    enqueue: (key) => loop.enqueue(key),
    async stop() {
      stopped = true;
      clearInterval(resync);
      await loop.stop();
    },
  };
}
