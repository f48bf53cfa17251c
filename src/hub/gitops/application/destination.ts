// Where an Application's resources go: its destination (server URL or cluster name) resolved
// against the member registry (cluster.karmada.io Clusters and the Secrets that say how to reach
// them), Argo CD's own cluster Secrets (argocd.argoproj.io/secret-type: cluster), or the hub itself
// (https://kubernetes.default.svc, `in-cluster`). Member clients come from one shared cache with a
// short request limit, so a member that hangs costs only its own Applications time.

import type { Client } from '../../../client/client.js';
import type { ClientLease, HttpsClientCache } from '../../../client/client-cache.js';
import type { DiscoveryClient } from '../../../client/rest-mapper.js';
import { RESTMapper } from '../../../client/rest-mapper.js';
import type { ResolvedKubeconfig } from '../../../machinery/kubeconfig.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type ApplicationDestination,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  SECRET_TYPE_CLUSTER,
  SECRET_TYPE_LABEL,
} from '../../apis/argocd/index.js';
import {
  apiEndpointURL,
  type Cluster,
  ClusterConnectionError,
  clusterConnection,
  secretValue,
} from '../../apis/karmada/index.js';

/** The destination names no cluster, or the cluster cannot be reached as configured. */
export class DestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationError';
  }
}

/** A destination cluster the hub knows how to reach. */
export interface ResolvedDestination {
  /** The cluster's name (`in-cluster` for the hub). */
  name: string;
  /** Its server URL as Argo CD shows it. */
  server: string;
  client: Client & DiscoveryClient;
  mapper: RESTMapper;
  /** Why it should not be contacted now (a member the registry reports not Ready). */
  unavailable?: string;
}

export interface DestinationSources {
  clusters(): readonly Cluster[];
  /** A Secret by namespace and name (member credentials). */
  secret(namespace: string, name: string): KubeObject | undefined;
  /** Argo CD cluster Secrets. */
  clusterSecrets(): readonly KubeObject[];
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** An Argo CD cluster Secret's connection: data name, server, config (bearerToken, tlsClientConfig). */
function argoSecretConnection(secret: KubeObject): {
  name: string;
  server: string;
  config: ResolvedKubeconfig;
} {
  const name = secretValue(secret, 'name') ?? '';
  const server = secretValue(secret, 'server') ?? '';
  const where = `cluster secret ${secret.metadata.namespace}/${secret.metadata.name}`;
  let config: {
    bearerToken?: string;
    username?: string;
    password?: string;
    tlsClientConfig?: {
      insecure?: boolean;
      caData?: string;
      certData?: string;
      keyData?: string;
      serverName?: string;
    };
  } = {};
  const text = secretValue(secret, 'config');
  if (text) {
    try {
      config = JSON.parse(text);
    } catch {
      throw new DestinationError(`${where}: config is not JSON`);
    }
  }
  const tls = config.tlsClientConfig ?? {};
  const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined);
  const out: ResolvedKubeconfig = {
    contextName: name,
    clusterName: name,
    userName: `argocd ${name}`,
    server,
  };
  if (config.bearerToken) out.token = config.bearerToken;
  const ca = decode(tls.caData);
  const cert = decode(tls.certData);
  const key = decode(tls.keyData);
  if (ca) out.caPem = ca;
  if (cert && key) {
    out.certPem = cert;
    out.keyPem = key;
  }
  if (tls.insecure) out.insecure = true;
  if (tls.serverName) out.tlsServerName = tls.serverName;
  if (!out.token && !out.certPem)
    throw new DestinationError(`${where}: config has no bearerToken or client certificate`);
  return { name, server, config: out };
}

/** Argo CD's cluster Secrets as name and server (for generators and matching). */
export function argoClusterSecrets(secrets: readonly KubeObject[]): KubeObject[] {
  return secrets.filter((s) => s.metadata.labels?.[SECRET_TYPE_LABEL] === SECRET_TYPE_CLUSTER);
}

function readyOf(c: Cluster): boolean {
  return (c.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
}

export class Destinations {
  private readonly leases = new Map<string, { lease: ClientLease; mapper: RESTMapper }>();
  private readonly hubMapper: RESTMapper;

  constructor(
    private readonly hub: Client & DiscoveryClient,
    private readonly clients: HttpsClientCache,
    private readonly sources: DestinationSources,
  ) {
    this.hubMapper = new RESTMapper(hub);
  }

  /** The cluster `dest` names; DestinationError when none or unreachable as configured. */
  resolve(dest: ApplicationDestination): ResolvedDestination {
    const server = dest.server ? trimSlash(dest.server) : undefined;
    if (server === IN_CLUSTER_SERVER || (!server && dest.name === IN_CLUSTER_NAME)) {
      return { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, client: this.hub, mapper: this.hubMapper };
    }
    if (!server && !dest.name)
      throw new DestinationError('application destination has neither server nor name');
    const cluster = this.sources
      .clusters()
      .find((c) =>
        server
          ? c.spec?.apiEndpoint && trimSlash(apiEndpointURL(c.spec.apiEndpoint)) === server
          : c.metadata.name === dest.name,
      );
    if (cluster) {
      const ref = cluster.spec?.secretRef;
      const secret = ref ? this.sources.secret(ref.namespace, ref.name) : undefined;
      let config: ResolvedKubeconfig;
      try {
        config = clusterConnection(cluster, secret);
      } catch (err) {
        throw new DestinationError(err instanceof ClusterConnectionError ? err.message : String(err));
      }
      const d = this.connect(cluster.metadata.name ?? '', config);
      if (!readyOf(cluster)) {
        const ready = (cluster.status?.conditions ?? []).find((x) => x.type === 'Ready');
        d.unavailable = `cluster ${cluster.metadata.name} is not ready: ${ready?.message ?? 'no Ready condition yet'}`;
      }
      return d;
    }
    for (const s of argoClusterSecrets(this.sources.clusterSecrets())) {
      const name = secretValue(s, 'name');
      const url = secretValue(s, 'server');
      if (server ? url && trimSlash(url) === server : name === dest.name) {
        if (url && trimSlash(url) === IN_CLUSTER_SERVER) {
          return {
            name: name ?? IN_CLUSTER_NAME,
            server: IN_CLUSTER_SERVER,
            client: this.hub,
            mapper: this.hubMapper,
          };
        }
        const c = argoSecretConnection(s);
        return this.connect(c.name, c.config);
      }
    }
    throw new DestinationError(
      server
        ? `unable to find destination server: there are no clusters with this URL: ${server}`
        : `unable to find destination server: there are no clusters with this name: ${dest.name}`,
    );
  }

  private connect(name: string, config: ResolvedKubeconfig): ResolvedDestination {
    let lease: ClientLease;
    try {
      lease = this.clients.acquire(config);
    } catch (err) {
      throw new DestinationError(`cannot make a client for cluster ${name}: ${(err as Error).message}`);
    }
    let held = this.leases.get(lease.fingerprint);
    if (held) lease.release();
    else {
      held = { lease, mapper: new RESTMapper(lease.client) };
      this.leases.set(lease.fingerprint, held);
    }
    return { name, server: config.server, client: held.lease.client, mapper: held.mapper };
  }

  close(): void {
    for (const { lease } of this.leases.values()) lease.release();
    this.leases.clear();
  }
}
