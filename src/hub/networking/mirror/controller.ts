// The hub's mirror controller: Linkerd-style mirror Services. For every Service exported from a
// member C (a ServiceExport, as the MCS controller reads them, or Linkerd's
// `mirror.linkerd.io/exported: "true"` label on the Service), every other Ready member that has
// the namespace gets a Service `<svc>-<C>` (names.ts) and an EndpointSlice of C's endpoints for
// it, so that the member's own proxy and DNS send `<svc>-<C>.<ns>.svc.cluster.local` to C alone.
// While C is not Ready its mirrors keep their ClusterIP with no endpoints; when the export goes
// they go. A Service of that name that is not the hub's is left alone: a Warning Event on it says
// why no mirror was written. It reads the members through the networking MemberViews (one
// connection and set of watches per member, shared with the MCS controller) and adds only two
// indexes and handlers to their Service and EndpointSlice watches.

import type { Logger } from 'pino';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { EventRecorder } from '../../../controller/events.js';
import type { KubeObject } from '../../../machinery/object.js';
import { LABEL_CLUSTER_NAME } from '../../apis/linkerd/index.js';
import type { MemberService, MemberSlice, MemberView, MemberViews } from '../members.js';
import { remove, sameJson, upsert } from '../writes.js';
import {
  isHeadless,
  isHubMirror,
  isLinkerdExported,
  LABEL_SOURCE_SERVICE,
  MIRROR_CONTROLLER_NAME,
  mirrorService,
  mirrorSlice,
  mirrorSourceKey,
} from './names.js';

export const MIRROR_CONTROLLER = 'mirror-controller';
const EXPORTED_BY_LABEL = 'mirror.linkerdExported';
const MIRRORS_BY_SOURCE = 'mirror.sourceKey';
export const REASON_NAME_TAKEN = 'MirrorNameTaken';
/** Queue key standing for every service key (those hold a '/'). */
const ALL_KEYS = '*';

export interface MirrorControllerOptions {
  members: MemberViews;
}

interface Source {
  service: MemberService;
  /** The cluster's own slices of the Service; none while it is not Ready. */
  slices: MemberSlice[];
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
const linkerdExportedKey = (svc: MemberService) => (isLinkerdExported(svc) ? [keyOf(svc)] : []);

/** Whether every label (annotation) of `wanted` is on `current` with the same value. */
function hasAll(wanted: Record<string, string> | undefined, current: Record<string, string> | undefined) {
  return Object.entries(wanted ?? {}).every(([k, v]) => current?.[k] === v);
}

/** The ports as the mirror sets them (the API server fills in targetPort). */
const portsOf = (svc: MemberService) =>
  (svc.spec?.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);

export function startMirrorController(
  ctx: ControllerContext,
  opts: MirrorControllerOptions,
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: MIRROR_CONTROLLER });
  const { members } = opts;
  const loop = reconcileLoop(ctx, {
    name: MIRROR_CONTROLLER,
    workers: 2,
    reconcile: (key) => reconcile(key),
  });
  const attached = new WeakSet<MemberView>();
  const detach: (() => void)[] = [];
  const recorders = new Map<string, { view: MemberView; recorder: EventRecorder }>();
  /** Names taken by an object not the hub's, reported once: "cluster/namespace/name" -> the source's key. */
  const reported = new Map<string, string>();
  let stopped = false;

  /** The mirror's own indexes on a member's Service watch, and its handlers on that and the slices (once per view). */
  function attach(v: MemberView): void {
    if (attached.has(v)) return;
    attached.add(v);
    v.services.addIndexers({ [EXPORTED_BY_LABEL]: linkerdExportedKey, [MIRRORS_BY_SOURCE]: mirrorSourceKey });
    // A mirror changed or deleted by hand, or an object in a mirror's way changed or gone: look at
    // the Service it mirrors again.
    const bySource = (o: KubeObject) => {
      for (const k of mirrorSourceKey(o)) enqueueKey(k);
      const blocked = reported.get(`${v.name}/${o.metadata.namespace}/${o.metadata.name}`);
      if (blocked) enqueueKey(blocked);
    };
    const handler = {
      onAdd: bySource,
      onUpdate: (_o: KubeObject, n: KubeObject) => bySource(n),
      onDelete: bySource,
    };
    detach.push(v.services.addEventHandler(handler), v.slices.addEventHandler(handler));
  }

  /** Every service key that is exported somewhere or has a mirror somewhere. */
  const allKeys = (): Set<string> => {
    const keys = new Set<string>();
    for (const v of members.list()) {
      attach(v);
      for (const k of v.exports.keys()) keys.add(k);
      for (const k of v.services.indexValues(EXPORTED_BY_LABEL)) keys.add(k);
      for (const k of v.services.indexValues(MIRRORS_BY_SOURCE)) keys.add(k);
    }
    return keys;
  };

  /**
   * Keys exported somewhere or mirrored somewhere, as last seen. A change of any other Service of
   * a member (every member has its own kubernetes and kube-dns) needs no look at every member.
   */
  const known = new Set<string>();
  let walked = false;
  const exportedFrom = (cluster: string, key: string): boolean => {
    const v = members.get(cluster);
    if (!v) return false;
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (v.exports.get(name, namespace)) return true;
    const svc = v.services.get(name, namespace);
    return svc !== undefined && isLinkerdExported(svc);
  };
  const enqueueKey = (key: string) => {
    known.add(key);
    loop.enqueue(key);
  };

  members.subscribe({
    service: (cluster, key) => {
      if (known.has(key) || exportedFrom(cluster, key)) enqueueKey(key);
    },
    // Every key, through one queue key: members' events come in bursts (a member's namespaces
    // listed, a fleet provisioned). A new member's mirrors are found by attaching to it.
    member: (cluster) => {
      const v = members.get(cluster);
      if (v) attach(v);
      loop.enqueue(ALL_KEYS);
    },
    leaving: (v) => removeAll(v),
  });

  /** A member left the fleet: every mirror the hub wrote into it goes (its slice first). */
  async function removeAll(v: MemberView): Promise<void> {
    const held = recorders.get(v.name);
    if (held?.view === v) {
      recorders.delete(v.name);
      await held.recorder.stop();
    }
    for (const id of [...reported.keys()]) if (id.startsWith(`${v.name}/`)) reported.delete(id);
    await Promise.all(
      v.services
        .list()
        .filter(isHubMirror)
        .map(async (m) => {
          const name = m.metadata.name!;
          const namespace = m.metadata.namespace!;
          if (isHubMirror(v.slices.get(name, namespace) ?? { metadata: {} })) {
            await remove(v.client, resources.endpointslices, name, namespace);
          }
          await remove(v.client, resources.services, name, namespace);
        }),
    );
  }

  function recorderOf(v: MemberView): EventRecorder {
    const held = recorders.get(v.name);
    if (held?.view === v) return held.recorder;
    void held?.recorder.stop();
    const recorder = new EventRecorder({
      client: v.client,
      component: MIRROR_CONTROLLER_NAME,
      now: ctx.now,
      logger,
    });
    recorders.set(v.name, { view: v, recorder });
    return recorder;
  }

  async function reconcile(key: string): Promise<undefined> {
    if (stopped) return undefined;
    if (key === ALL_KEYS) {
      // The first time, every member's keys (members listed before this controller subscribed);
      // from then on the keys its events made known (a walk of every member on each member's
      // event grew with the fleet).
      if (!walked) {
        walked = true;
        for (const k of allKeys()) known.add(k);
      }
      for (const k of known) loop.enqueue(k);
      return undefined;
    }
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const views = members.list();
    // The exporting clusters; a member not listed yet may export it, so its mirrors stay as they are.
    const sources = new Map<string, Source>();
    const unknown = new Set<string>();
    for (const v of views) {
      attach(v);
      if (!v.synced()) {
        unknown.add(v.name);
        continue;
      }
      const svc = v.services.get(name, namespace);
      // An export of no Service or of an ExternalName one is invalid (the MCS controller says so);
      // a mirror is never mirrored again.
      if (!svc || svc.spec?.type === 'ExternalName' || isHubMirror(svc)) continue;
      if (!v.exports.get(name, namespace) && !isLinkerdExported(svc)) continue;
      sources.set(v.name, { service: svc, slices: v.ready ? v.slicesOf(key) : [] });
    }
    // Exported nowhere, no member unlisted and no mirror left: events of it need no walk again.
    if (
      sources.size === 0 &&
      unknown.size === 0 &&
      views.every((v) => v.services.byIndex(MIRRORS_BY_SOURCE, key).length === 0)
    ) {
      known.delete(key);
    }
    const failures: unknown[] = [];
    await Promise.all(
      views
        .filter((v) => v.ready && v.synced())
        .map((v) =>
          syncMember(v, namespace, name, sources, unknown).catch((err) => {
            failures.push(err);
            logger.debug({ err, cluster: v.name, service: key }, 'writing mirrors to the member failed');
          }),
        ),
    );
    if (failures.length > 0) throw failures[0];
    return undefined;
  }

  async function syncMember(
    v: MemberView,
    namespace: string,
    name: string,
    sources: Map<string, Source>,
    unknown: Set<string>,
  ): Promise<void> {
    const key = `${namespace}/${name}`;
    const wanted = v.hasNamespace(namespace)
      ? [...sources].filter(([cluster]) => cluster !== v.name).map(([cluster, s]) => ({ cluster, ...s }))
      : [];
    const written = new Set<string>();
    for (const w of wanted) {
      const mirror = mirrorService(w.service, w.cluster);
      const mirrorName = mirror.metadata.name!;
      let current = v.services.get(mirrorName, namespace);
      if (current && !isMirrorOf(current, name, w.cluster)) {
        nameTaken(v, { ...current, apiVersion: 'v1', kind: 'Service' }, key, w.cluster);
        continue;
      }
      reported.delete(`${v.name}/${namespace}/${mirrorName}`);
      written.add(mirrorName);
      // A ClusterIP cannot be set to None or back: such a change replaces the mirror.
      if (current && isHeadless(current) !== isHeadless(mirror)) {
        await remove(v.client, resources.services, mirrorName, namespace);
        current = undefined;
      }
      const desired: MemberService = current
        ? { ...mirror, spec: { ...current.spec, ...mirror.spec } }
        : mirror;
      await upsert(
        v.client,
        resources.services,
        current,
        desired,
        (c) =>
          !hasAll(mirror.metadata.labels, c.metadata.labels) ||
          !hasAll(mirror.metadata.annotations, c.metadata.annotations) ||
          c.spec?.type !== 'ClusterIP' ||
          !sameJson(portsOf(c), portsOf(mirror)),
      );
      const slice = mirrorSlice(mirror, w.cluster, w.slices);
      const currentSlice = v.slices.get(mirrorName, namespace);
      if (currentSlice && !isHubMirror(currentSlice)) {
        const ref = { ...currentSlice, apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' };
        nameTaken(v, ref, key, w.cluster);
        continue;
      }
      await upsert(
        v.client,
        resources.endpointslices,
        currentSlice,
        slice,
        (c) =>
          !sameJson(c.endpoints ?? [], slice.endpoints) ||
          !sameJson(c.ports ?? [], slice.ports) ||
          !sameJson(c.metadata.labels, slice.metadata.labels),
      );
    }
    // Mirrors of this Service that are no longer wanted; those of a cluster not listed yet stay.
    for (const m of v.services.byIndex(MIRRORS_BY_SOURCE, key)) {
      const mirrorName = m.metadata.name!;
      const cluster = m.metadata.labels?.[LABEL_CLUSTER_NAME] ?? '';
      if (written.has(mirrorName) || unknown.has(cluster)) continue;
      // The slice first: a slice left behind would have no Service to find it by.
      if (isHubMirror(v.slices.get(mirrorName, namespace) ?? { metadata: {} })) {
        await remove(v.client, resources.endpointslices, mirrorName, namespace);
      }
      await remove(v.client, resources.services, mirrorName, namespace);
    }
  }

  function isMirrorOf(svc: MemberService, name: string, cluster: string): boolean {
    return (
      isHubMirror(svc) &&
      svc.metadata.labels?.[LABEL_SOURCE_SERVICE] === name &&
      svc.metadata.labels?.[LABEL_CLUSTER_NAME] === cluster
    );
  }

  /** A name the mirror needs is taken by an object not the hub's (or another mirror's): told once. */
  function nameTaken(v: MemberView, holder: KubeObject, source: string, cluster: string): void {
    const id = `${v.name}/${holder.metadata.namespace}/${holder.metadata.name}`;
    if (reported.has(id)) return;
    reported.set(id, source);
    const what = `${source.slice(source.indexOf('/') + 1)} of ${cluster}`;
    const message = `the mirror of ${what} was not written: ${holder.kind} ${holder.metadata.name} exists and is not the hub's mirror of it`;
    logger.warn(
      { cluster: v.name, namespace: holder.metadata.namespace, name: holder.metadata.name },
      message,
    );
    recorderOf(v).event(holder, 'Warning', REASON_NAME_TAKEN, message);
  }

  loop.start();
  return {
    name: MIRROR_CONTROLLER,
    async stop() {
      stopped = true;
      await loop.stop();
      for (const d of detach) d();
      await Promise.all([...recorders.values()].map((r) => r.recorder.stop()));
    },
  };
}
