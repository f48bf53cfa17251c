// The execution controller (push): for every member whose Cluster has syncMode Push, the Works of
// its execution space are applied to it over its kubeconfig (the Cluster's endpoint and Secret),
// each member with a queue and workers of its own (MemberWorks), so that a slow or dead member
// delays nobody else. Dispatching to a member waits while its Ready condition is not True and
// resumes when it is. Works of a member that is gone lose their finalizer without waiting for it.
// Pull members are their agent's to execute.

import type { Logger } from 'pino';
import { type ClientLease, HttpsClientCache } from '../../../client/client-cache.js';
import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import { RESTMapper } from '../../../client/rest-mapper.js';
import type { ControllerContext, RunningController } from '../../../controller/context.js';
import { eventRecorder, reconcileLoop } from '../../../controller/context.js';
import { isConditionTrue } from '../../../machinery/conditions.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isConflict, isNotFound } from '../../../machinery/status.js';
import { MemberWorks, type MemberWorksOptions } from '../../apis/karmada/execution/member-works.js';
import {
  CLUSTER_CONDITION_READY,
  type Cluster,
  ClusterConnectionError,
  clusterConnection,
  clusterOfExecutionSpace,
  clustersUsingSecret,
  EXECUTION_CONTROLLER_FINALIZER,
  karmadaResources,
  type Work,
} from '../../apis/karmada/index.js';

export const EXECUTION_CONTROLLER = 'execution-controller';

export interface ExecutionControllerOptions {
  /** Works reconciled at once per member (default 4). */
  workersPerMember?: number;
  /** Limit of one request to a member (default 10 s). */
  requestTimeoutMs?: number;
  /** Informer settings for the members' objects (tests use short watches). */
  memberInformers?: MemberWorksOptions['informerOptions'];
}

interface Running {
  works: MemberWorks;
  lease: ClientLease;
}

export function startExecutionController(
  ctx: ControllerContext,
  opts: ExecutionControllerOptions = {},
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: EXECUTION_CONTROLLER });
  const clients = new HttpsClientCache({
    clientOptions: {
      timeoutMs: opts.requestTimeoutMs ?? 10_000,
      userAgent: 'concord-hub/execution-controller',
    },
  });
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const works: Informer<Work> = ctx.informers.informerFor(karmadaResources.works);
  const secretInformers = new Map<string, Informer>();
  const members = new Map<string, Running>();
  const recorder = eventRecorder(ctx, EXECUTION_CONTROLLER);
  let stopped = false;

  const secretsIn = (namespace: string): Informer => {
    let informer = secretInformers.get(namespace);
    if (!informer) {
      informer = ctx.informers.informerFor(resources.secrets, { namespace });
      secretInformers.set(namespace, informer);
      const onSecret = (s: KubeObject) => {
        for (const c of clustersUsingSecret(clusters, s)) loop.enqueue(c.metadata.name!);
      };
      informer.addEventHandler({ onAdd: onSecret, onUpdate: (_o, s) => onSecret(s), onDelete: onSecret });
    }
    return informer;
  };

  const isReady = (name: string) => {
    const c = clusters.get(name);
    return (
      !!c && !c.metadata.deletionTimestamp && isConditionTrue(c.status?.conditions, CLUSTER_CONDITION_READY)
    );
  };
  const isLeaving = (name: string) => {
    const c = clusters.get(name);
    return !c || !!c.metadata.deletionTimestamp || c.spec?.syncMode === 'Pull';
  };

  async function stopMember(name: string): Promise<void> {
    const running = members.get(name);
    if (!running) return;
    members.delete(name);
    await running.works.stop();
    running.lease.release();
  }

  /** Keeps the member's executor in step with its Cluster: started, restarted on a new connection, stopped. */
  async function sync(name: string) {
    if (stopped) return undefined;
    const cluster = clusters.get(name);
    if (!cluster || cluster.spec?.syncMode === 'Pull') {
      await stopMember(name);
      // Works left behind by a member that is gone (or now pulls) are not waited for.
      for (const w of works.list({ namespace: `karmada-es-${name}` }))
        if (w.metadata.deletionTimestamp) orphans.enqueue(`${w.metadata.namespace}/${w.metadata.name}`);
      return undefined;
    }
    const ref = cluster.spec?.secretRef;
    const secrets = ref?.namespace ? secretsIn(ref.namespace) : undefined;
    if (secrets && !secrets.hasSynced()) return { requeueAfter: 100 };
    let lease: ClientLease;
    try {
      lease = clients.acquire(
        clusterConnection(cluster, ref && secrets ? secrets.get(ref.name, ref.namespace) : undefined),
      );
    } catch (err) {
      if (!(err instanceof ClusterConnectionError))
        logger.warn({ err, cluster: name }, 'cannot reach the cluster');
      await stopMember(name);
      return undefined;
    }
    const running = members.get(name);
    if (running && running.lease.fingerprint === lease.fingerprint) {
      lease.release();
      if (isReady(name)) running.works.resume();
      return undefined;
    }
    await stopMember(name);
    const memberWorks = new MemberWorks({
      cluster: name,
      hub: ctx.client,
      works,
      member: lease.client,
      mapper: new RESTMapper(lease.client),
      logger,
      ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
      now: ctx.now,
      ...(opts.workersPerMember ? { workers: opts.workersPerMember } : {}),
      dispatchable: () => isReady(name),
      leaving: () => isLeaving(name),
      ...(opts.memberInformers ? { informerOptions: opts.memberInformers } : {}),
      recorder,
    });
    members.set(name, { works: memberWorks, lease });
    memberWorks.start();
    return undefined;
  }

  const loop = reconcileLoop(ctx, {
    name: EXECUTION_CONTROLLER,
    workers: 2,
    reconcile: (name) => sync(name),
  });

  // Deleted Works whose member is gone: let them go.
  const orphans = reconcileLoop(ctx, {
    name: `${EXECUTION_CONTROLLER}-orphans`,
    workers: 1,
    reconcile: async (key) => {
      const [namespace, name] = key.split('/') as [string, string];
      const w = works.get(name, namespace);
      const member = clusterOfExecutionSpace(namespace);
      if (!w?.metadata.deletionTimestamp || member === undefined || members.has(member)) return undefined;
      const finalizers = w.metadata.finalizers ?? [];
      if (!finalizers.includes(EXECUTION_CONTROLLER_FINALIZER)) return undefined;
      try {
        await ctx.client.update(
          karmadaResources.works,
          {
            ...w,
            metadata: {
              ...w.metadata,
              finalizers: finalizers.filter((f) => f !== EXECUTION_CONTROLLER_FINALIZER),
            },
          },
          { namespace },
        );
      } catch (err) {
        if (isConflict(err)) return { requeue: true };
        if (!isNotFound(err)) throw err;
      }
      return undefined;
    },
  });

  const memberOf = (w: KubeObject) => {
    const name = clusterOfExecutionSpace(w.metadata.namespace ?? '');
    return name === undefined ? undefined : members.get(name);
  };
  const offWorks = works.addEventHandler({
    onAdd: (w) => {
      const m = memberOf(w);
      if (m) m.works.enqueue(w);
      else if (w.metadata.deletionTimestamp) orphans.enqueue(`${w.metadata.namespace}/${w.metadata.name}`);
    },
    onUpdate: (old, cur) => {
      const m = memberOf(cur);
      if (m) m.works.onWorkUpdate(old, cur);
      else if (
        cur.metadata.deletionTimestamp &&
        isLeaving(clusterOfExecutionSpace(cur.metadata.namespace ?? '') ?? '')
      ) {
        orphans.enqueue(`${cur.metadata.namespace}/${cur.metadata.name}`);
      }
    },
  });
  const offClusters = clusters.addEventHandler({
    onAdd: (c) => loop.enqueue(c.metadata.name!),
    onUpdate: (old, cur) => {
      const name = cur.metadata.name!;
      const wasReady = isConditionTrue(old.status?.conditions, CLUSTER_CONDITION_READY);
      const ready = isConditionTrue(cur.status?.conditions, CLUSTER_CONDITION_READY);
      // Back to Ready: dispatch what waited. Spec changes (endpoint, secret, sync mode, deletion): reconnect.
      if (ready && !wasReady) members.get(name)?.works.resume();
      if (
        old.metadata.generation !== cur.metadata.generation ||
        !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp
      ) {
        loop.enqueue(name);
      }
      // A member that is leaving: Works deleted meanwhile need not wait for it.
      if (cur.metadata.deletionTimestamp) members.get(name)?.works.resume();
    },
    onDelete: (c) => loop.enqueue(c.metadata.name!),
  });

  void Promise.all([clusters.waitForSync(), works.waitForSync()]).then((synced) => {
    if (stopped || !synced.every(Boolean)) return;
    loop.start();
    orphans.start();
  });

  return {
    name: EXECUTION_CONTROLLER,
    async stop() {
      stopped = true;
      offWorks();
      offClusters();
      await loop.stop();
      await orphans.stop();
      await Promise.all([...members.keys()].map((name) => stopMember(name)));
      await recorder.stop();
      clients.close();
    },
  };
}
