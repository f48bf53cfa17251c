// The pull-mode agent (Karmada's karmada-agent): runs beside a member whose Cluster has syncMode
// Pull, with a hub credential of its own that RBAC limits to its execution space and its Cluster.
// It watches the Works of karmada-es-<cluster> on the hub and applies them to its member with the
// same executor the hub's push execution uses (MemberWorks), reports the Works' status, writes
// the Cluster's status (Ready from the member's /readyz, version, node and resource summary), and
// renews the Lease karmada-cluster/<cluster> the hub judges a Pull member's health by.

import type { Logger } from 'pino';
import type { HttpsClient } from '../client/https.js';
import { Informer } from '../client/informer.js';
import { isNetworkError } from '../client/network-error.js';
import { resources } from '../client/resources.js';
import { RESTMapper } from '../client/rest-mapper.js';
import {
  nodeSummary,
  resourceSummary,
  type SummaryNode,
  type SummaryPod,
  slimNode,
  slimPod,
} from '../hub/apis/karmada/cluster/summary.js';
import { MemberWorks } from '../hub/apis/karmada/execution/member-works.js';
import {
  CLUSTER_API_VERSION,
  CLUSTER_CONDITION_READY,
  CLUSTER_REASON_NOT_REACHABLE,
  CLUSTER_REASON_NOT_READY,
  CLUSTER_REASON_READY,
  type Cluster,
  executionSpaceName,
  karmadaResources,
  NAMESPACE_KARMADA_CLUSTER,
  type Work,
} from '../hub/apis/karmada/index.js';
import { setCondition } from '../machinery/conditions.js';
import type { Condition, KubeObject } from '../machinery/object.js';
import { ApiError, errorMessage, isConflict, isNotFound } from '../machinery/status.js';
import { microTime } from '../machinery/time.js';

export interface AgentOptions {
  cluster: string;
  hub: HttpsClient;
  member: HttpsClient;
  logger: Logger;
  /** How long the Lease holds without renewal (Karmada's --cluster-lease-duration, default 40 s). */
  leaseDurationSeconds?: number;
  /** Renewals per lease duration, as a fraction (default 0.25: every 10 s). */
  leaseRenewIntervalFraction?: number;
  /** How often the Cluster's status is written (Karmada's --cluster-status-update-frequency, default 10 s). */
  statusUpdateFrequencyMs?: number;
  /** Works applied at once (default 4). */
  workers?: number;
  now?: () => Date;
}

export const AGENT_READY_MESSAGE = 'cluster is healthy and ready to accept workloads';

export interface RunningAgent {
  /** Resolves once the Works informer has synced and the first status and Lease are written. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startAgent(opts: AgentOptions): RunningAgent {
  const { cluster, hub, member, logger } = opts;
  const now = opts.now ?? (() => new Date());
  const leaseSeconds = opts.leaseDurationSeconds ?? 40;
  const renewMs = leaseSeconds * 1000 * (opts.leaseRenewIntervalFraction ?? 0.25);
  const statusMs = opts.statusUpdateFrequencyMs ?? 10_000;
  const namespace = executionSpaceName(cluster);
  let memberReady = false;
  let stopped = false;

  const works = new Informer<Work>(hub, karmadaResources.works, { namespace, logger });
  const nodes = new Informer<SummaryNode>(member, resources.nodes, { logger, transform: slimNode });
  const pods = new Informer<SummaryPod>(member, resources.pods, { logger, transform: slimPod });
  const memberWorks = new MemberWorks({
    cluster,
    hub,
    works,
    member,
    mapper: new RESTMapper(member),
    logger: logger.child({ cluster }),
    now,
    ...(opts.workers ? { workers: opts.workers } : {}),
    dispatchable: () => memberReady,
    leaving: () => false,
  });
  works.addEventHandler({
    onAdd: (w) => memberWorks.enqueue(w),
    onUpdate: (old, cur) => memberWorks.onWorkUpdate(old, cur),
  });

  /** The member's health, as the hub's registry probes a Push member. */
  async function probe(): Promise<Condition> {
    try {
      await member.getDocument('/readyz', { accept: 'text/plain, */*', timeoutMs: 5000 });
      return {
        type: CLUSTER_CONDITION_READY,
        status: 'True',
        reason: CLUSTER_REASON_READY,
        message: AGENT_READY_MESSAGE,
      };
    } catch (err) {
      const reachable = err instanceof ApiError && err.code !== 401 && err.code !== 403;
      return {
        type: CLUSTER_CONDITION_READY,
        status: 'False',
        reason: reachable ? CLUSTER_REASON_NOT_READY : CLUSTER_REASON_NOT_REACHABLE,
        message: reachable
          ? `the member's API server is not healthy: ${errorMessage(err)}`
          : `cannot reach the member's API server at ${member.server}: ${isNetworkError(err) ? err.reason : errorMessage(err)}`,
      };
    }
  }

  async function writeClusterStatus(): Promise<void> {
    const ready = await probe();
    const wasReady = memberReady;
    memberReady = ready.status === 'True';
    let version: string | undefined;
    if (memberReady) {
      const doc = await member.getDocument('/version', { timeoutMs: 5000 }).catch(() => undefined);
      if (doc && doc.notModified === false) version = (doc.body as { gitVersion?: string })?.gitVersion;
    }
    const current = await hub.get<Cluster>(karmadaResources.clusters, cluster);
    const status = { ...(current.status ?? {}) };
    status.conditions = setCondition(status.conditions, ready, now().toISOString());
    if (version) status.kubernetesVersion = version;
    if (memberReady && nodes.hasSynced() && pods.hasSynced()) {
      status.nodeSummary = nodeSummary(nodes.list());
      status.resourceSummary = resourceSummary(nodes.list(), pods.list(), current.spec?.resourceModels);
    }
    await hub.update<Cluster>(karmadaResources.clusters, { ...current, status }, { subresource: 'status' });
    // Back: what waited for the member goes now.
    if (memberReady && !wasReady) memberWorks.resume();
  }

  async function renewLease(): Promise<void> {
    const spec = {
      holderIdentity: cluster,
      leaseDurationSeconds: leaseSeconds,
      renewTime: microTime(now()),
    };
    try {
      const lease = await hub.get(resources.leases, cluster, { namespace: NAMESPACE_KARMADA_CLUSTER });
      await hub.update(
        resources.leases,
        { ...lease, spec: { ...(lease.spec as object), ...spec } },
        { namespace: NAMESPACE_KARMADA_CLUSTER },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const c = await hub.get<Cluster>(karmadaResources.clusters, cluster);
      const lease: KubeObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: cluster,
          namespace: NAMESPACE_KARMADA_CLUSTER,
          // The Lease goes with its Cluster, as Karmada's agent makes it.
          ownerReferences: [
            { apiVersion: CLUSTER_API_VERSION, kind: 'Cluster', name: cluster, uid: c.metadata.uid ?? '' },
          ],
        },
        spec,
      };
      await hub.create(resources.leases, lease, { namespace: NAMESPACE_KARMADA_CLUSTER });
    }
  }

  const timers = new Map<string, NodeJS.Timeout>();
  /** Runs `fn` now and every `ms`, one run at a time, logging failures. */
  function every(what: string, ms: number, fn: () => Promise<void>): Promise<void> {
    const run = async () => {
      if (stopped) return;
      try {
        await fn();
      } catch (err) {
        logger[isConflict(err) ? 'debug' : 'warn']({ err, cluster }, `${what} failed`);
      }
      if (!stopped) timers.set(what, setTimeout(run, ms));
    };
    return run();
  }

  works.start();
  nodes.start();
  pods.start();
  memberWorks.start();
  const ready = (async () => {
    await works.waitForSync();
    await Promise.all([
      every('writing the cluster status', statusMs, writeClusterStatus),
      every('renewing the cluster lease', renewMs, renewLease),
    ]);
  })();

  return {
    ready,
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      works.stop();
      nodes.stop();
      pods.stop();
      await memberWorks.stop();
    },
  };
}
