// Clients of workload clusters, as Cluster API's cluster cache gives them: the cluster's
// kubeconfig Secret `<cluster>-kubeconfig` (key `value`) in the Cluster's namespace, one shared
// HTTPS client per distinct connection, replaced when the Secret changes. Calls have a short
// timeout so that one dead cluster never holds up the controllers working on the others.

import type { Client } from '../../client/client.js';
import { type ClientLease, HttpsClientCache } from '../../client/client-cache.js';
import type { HttpsClient } from '../../client/https.js';
import { resources } from '../../client/resources.js';
import { parseKubeconfig, resolveContext } from '../../machinery/kubeconfig.js';
import type { KubeObject } from '../../machinery/object.js';
import { isNotFound } from '../../machinery/status.js';

/** The Secret holding a Cluster's kubeconfig, as Cluster API names it. */
export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/** Why there is no client for a workload cluster (no Secret yet, a bad kubeconfig). */
export class RemoteClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteClusterError';
  }
}

export interface WorkloadClustersOptions {
  /** Limit for each call to a workload cluster (default 5 s). */
  timeoutMs?: number;
  userAgent?: string;
}

export class WorkloadClusters {
  private readonly cache: HttpsClientCache;
  private readonly leases = new Map<string, ClientLease>();

  constructor(
    private readonly hub: Client,
    opts: WorkloadClustersOptions = {},
  ) {
    this.cache = new HttpsClientCache({
      clientOptions: {
        timeoutMs: opts.timeoutMs ?? 5_000,
        userAgent: opts.userAgent ?? 'concord-hub/cluster-api',
      },
    });
  }

  /** A client of the workload cluster `namespace/cluster`; throws RemoteClusterError when there is none. */
  async client(namespace: string, cluster: string): Promise<HttpsClient> {
    const name = kubeconfigSecretName(cluster);
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await this.hub.get(resources.secrets, name, { namespace });
    } catch (err) {
      if (isNotFound(err))
        throw new RemoteClusterError(`the kubeconfig Secret ${namespace}/${name} does not exist yet`);
      throw err;
    }
    const value = secret.data?.value;
    if (!value) throw new RemoteClusterError(`the kubeconfig Secret ${namespace}/${name} has no key "value"`);
    let lease: ClientLease;
    try {
      lease = this.cache.acquire(
        resolveContext(parseKubeconfig(Buffer.from(value, 'base64').toString('utf8'))),
      );
    } catch (err) {
      throw new RemoteClusterError(
        `the kubeconfig in Secret ${namespace}/${name}: ${(err as Error).message}`,
      );
    }
    const key = `${namespace}/${cluster}`;
    const old = this.leases.get(key);
    if (old && old.fingerprint === lease.fingerprint) {
      lease.release();
      return old.client;
    }
    old?.release();
    this.leases.set(key, lease);
    return lease.client;
  }

  /** Lets go of the client of a cluster that is gone. */
  forget(namespace: string, cluster: string): void {
    const key = `${namespace}/${cluster}`;
    this.leases.get(key)?.release();
    this.leases.delete(key);
  }

  close(): void {
    for (const lease of this.leases.values()) lease.release();
    this.leases.clear();
    this.cache.close();
  }
}
