// The cluster status controller: keeps one watcher per member (Karmada's
// cluster-status-controller), started when a Cluster appears, restarted when how to reach it
// changes (endpoint, TLS settings, its Secret, the sync mode), stopped when it goes. Push
// members are probed by the hub; Pull members are judged by their agent's Lease. Clusters that
// the provisioning controllers register are members like any other.

import type { Logger } from 'pino';
import { HttpsClientCache } from '../../client/client-cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { EventRecorder } from '../../controller/events.js';
import type { KubeObject } from '../../machinery/object.js';
import {
  type Cluster,
  ClusterConnectionError,
  clusterConnection,
  clustersUsingSecret,
  karmadaResources,
  NAMESPACE_KARMADA_CLUSTER,
} from '../apis/karmada/index.js';
import type { ResolvedHealthOptions } from './options.js';
import { PullMember } from './pull-member.js';
import { type MemberConnection, PushMember } from './push-member.js';
import { ClusterStatusWriter } from './status-writer.js';

export const CLUSTER_STATUS_CONTROLLER = 'cluster-status-controller';

type Member = PushMember | PullMember;

interface Tracked {
  member: Member;
  /** What the member was started for: sync mode and connection fingerprint. */
  key: string;
  /** The Cluster's metadata.generation last seen (it moves with the spec only). */
  generation: number | undefined;
}

export interface ClusterStatusControllerOptions {
  health: ResolvedHealthOptions;
  recorder?: EventRecorder;
  /** Shared member clients (default: the controller's own). */
  clients?: HttpsClientCache;
}

export function startClusterStatusController(
  ctx: ControllerContext,
  opts: ClusterStatusControllerOptions,
): RunningController {
  const { health } = opts;
  const logger: Logger = ctx.logger.child({ controller: CLUSTER_STATUS_CONTROLLER });
  const recorder = eventRecorder(ctx, CLUSTER_STATUS_CONTROLLER, opts.recorder);
  const ownClients = !opts.clients;
  const clients =
    opts.clients ??
    new HttpsClientCache({
      idleCloseMs: health.clientIdleCloseMs,
      clientOptions: {
        timeoutMs: health.requestTimeoutMs,
        userAgent: 'concord-hub/cluster-status-controller',
      },
    });
  const clusters = ctx.informers.informerFor<Cluster>(karmadaResources.clusters);
  const leases = ctx.informers.informerFor(resources.leases, { namespace: NAMESPACE_KARMADA_CLUSTER });
  /** Secret informers by namespace (karmada-cluster at once; others when a Cluster names one). */
  const secrets = new Map<string, Informer<KubeObject>>();
  const members = new Map<string, Tracked>();
  let stopped = false;

  const loop = reconcileLoop(ctx, {
    name: CLUSTER_STATUS_CONTROLLER,
    workers: 4,
    reconcile: (name) => sync(name),
  });

  const secretInformer = (namespace: string): Informer<KubeObject> => {
    let informer = secrets.get(namespace);
    if (!informer) {
      informer = ctx.informers.informerFor(resources.secrets, { namespace });
      secrets.set(namespace, informer);
      informer.addEventHandler({
        onAdd: (s) => enqueueUsersOf(s),
        onUpdate: (_o, s) => enqueueUsersOf(s),
        onDelete: (s) => enqueueUsersOf(s),
      });
    }
    return informer;
  };
  const enqueueUsersOf = (secret: KubeObject) => {
    for (const c of clustersUsingSecret(clusters, secret)) loop.enqueue(c.metadata.name ?? '');
  };
  secretInformer(NAMESPACE_KARMADA_CLUSTER);

  const writerFor = (name: string) =>
    new ClusterStatusWriter({
      name,
      hub: ctx.client,
      cached: () => clusters.get(name),
      recorder,
      logger,
      now: () => ctx.now(),
    });

  /** Push: a client for the member's connection, or the reason there is none. */
  const connect = (cluster: Cluster): MemberConnection | 'wait' => {
    const ref = cluster.spec?.secretRef;
    const informer = ref?.namespace ? secretInformer(ref.namespace) : undefined;
    if (informer && !informer.hasSynced()) return 'wait';
    const secret = ref && informer ? informer.get(ref.name, ref.namespace) : undefined;
    try {
      return { lease: clients.acquire(clusterConnection(cluster, secret)) };
    } catch (err) {
      const message =
        err instanceof ClusterConnectionError
          ? err.message
          : `cannot make a client for cluster ${cluster.metadata.name}: ${(err as Error).message}`;
      return { error: message, fingerprint: `error:${message}` };
    }
  };

  async function sync(name: string): Promise<undefined | { requeueAfter: number }> {
    if (stopped) return undefined;
    if (!clusters.hasSynced() || !leases.hasSynced()) return { requeueAfter: 100 };
    const cluster = clusters.get(name);
    const tracked = members.get(name);
    if (!cluster) {
      if (tracked) {
        members.delete(name);
        tracked.member.stop();
        await tracked.member.settled();
      }
      return undefined;
    }
    const memberOpts = { name, writer: writerFor(name), options: health, logger, now: () => ctx.now() };
    const generation = cluster.metadata.generation;
    const unchanged = (key: string) => {
      if (tracked?.key !== key) return false;
      // Resource models may have changed: the summary counts nodes by them.
      if (tracked.generation !== generation) tracked.member.specChanged();
      tracked.generation = generation;
      return true;
    };
    if (cluster.spec?.syncMode === 'Pull') {
      if (unchanged('pull')) return undefined;
      if (tracked) {
        tracked.member.stop();
        await tracked.member.settled();
      }
      const member = new PullMember({ ...memberOpts, leases });
      members.set(name, { member, key: 'pull', generation });
      member.start();
      return undefined;
    }
    const connection = connect(cluster);
    if (connection === 'wait') return { requeueAfter: 100 };
    const fingerprint = 'lease' in connection ? connection.lease.fingerprint : connection.fingerprint;
    const key = `push:${fingerprint}`;
    if (unchanged(key)) {
      if ('lease' in connection) connection.lease.release();
      return undefined;
    }
    if (tracked) {
      tracked.member.stop();
      await tracked.member.settled();
    }
    const member = new PushMember(memberOpts, connection);
    members.set(name, { member, key, generation });
    member.start();
    return undefined;
  }

  clusters.addEventHandler(loop.objectHandler());
  leases.addEventHandler({
    onAdd: (l) => members.get(l.metadata.name ?? '')?.member.probeSoon(),
    onUpdate: (_o, l) => members.get(l.metadata.name ?? '')?.member.probeSoon(),
    onDelete: (l) => members.get(l.metadata.name ?? '')?.member.probeSoon(),
  });
  loop.start();

  return {
    name: CLUSTER_STATUS_CONTROLLER,
    async stop() {
      stopped = true;
      await loop.stop();
      const all = [...members.values()];
      members.clear();
      for (const t of all) t.member.stop();
      // Closing the clients ends the requests in flight at once.
      if (ownClients) clients.close();
      await Promise.all(all.map((t) => t.member.settled()));
      if (!opts.recorder) await recorder.stop();
    },
  };
}
