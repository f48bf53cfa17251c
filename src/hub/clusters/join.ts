// Joining a member to the hub and letting it go, as `karmadactl join/unjoin` do, with the member's
// own kubeconfig as its credential. Join checks first that the member can be reached and takes
// the credential, then writes the Secret (Karmada's layout: token and caBundle; tls.crt and
// tls.key for a client certificate) in karmada-cluster and the Cluster, and takes back what it
// wrote if anything fails, so that a failed join leaves nothing behind. Unjoin deletes the
// Cluster, waits for the cluster controller's finalizer to let it go, and deletes the Secret
// join made for it.

import type { Client } from '../../client/client.js';
import { HttpsClient } from '../../client/https.js';
import { loadKubeconfig } from '../../client/kubeconfig-file.js';
import { isNetworkError } from '../../client/network-error.js';
import { resources } from '../../client/resources.js';
import { KubeconfigError, type ResolvedKubeconfig } from '../../machinery/kubeconfig.js';
import { isQualifiedName, isValidLabelValue } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import { validateClusterName } from '../apis/karmada/cluster/strategy.js';
import {
  CLUSTER_API_VERSION,
  CLUSTER_CONTROLLER_FINALIZER,
  type Cluster,
  type ClusterSpec,
  type ClusterSyncMode,
  karmadaResources,
  NAMESPACE_KARMADA_CLUSTER,
  SECRET_CA_BUNDLE_KEY,
  SECRET_CERT_KEY,
  SECRET_KEY_KEY,
  SECRET_TOKEN_KEY,
} from '../apis/karmada/index.js';
import { KARMADA_SYSTEM_LABEL } from './cluster-controller.js';
import { networkCause } from './probe.js';

export interface JoinOptions {
  /** The member's name on the hub (a DNS label of at most 48 characters). */
  name: string;
  /** The member's kubeconfig file, and the context to use (default: its current context). */
  kubeconfig: string;
  context?: string;
  region?: string;
  zones?: string[];
  provider?: string;
  labels?: Record<string, string>;
  /** Default Push. A Pull member is reached by its agent, so the hub keeps no credential for it. */
  syncMode?: ClusterSyncMode;
  /** Limit for each check of the member (default 10 s). */
  timeoutMs?: number;
}

/** A join or unjoin that could not be done; the message says why, for the user. */
export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function statusCode(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

/** Parses "k=v,k2=v2" as --labels takes it, checking keys and values as label rules do. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new JoinError(`--labels: "${item}" is not key=value`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const keyProblems = isQualifiedName(key);
    if (keyProblems.length > 0) throw new JoinError(`--labels: key "${key}": ${keyProblems.join('; ')}`);
    const valueProblems = isValidLabelValue(value);
    if (valueProblems.length > 0)
      throw new JoinError(`--labels: value "${value}" of ${key}: ${valueProblems.join('; ')}`);
    out[key] = value;
  }
  return out;
}

/** What the hub learnt of a member on checking it: its id (the uid of kube-system). */
interface Checked {
  id: string | undefined;
}

/**
 * Reaches the member with its kubeconfig: the server must answer (else "cannot reach"), take the
 * credential (else "refused the credential of user X") and let it read kube-system.
 */
async function checkMember(config: ResolvedKubeconfig, timeoutMs: number): Promise<Checked> {
  const client = new HttpsClient(config, { timeoutMs, userAgent: 'concord-join' });
  const server = config.server;
  try {
    const ns = await client.get(resources.namespaces, 'kube-system');
    return { id: ns.metadata.uid };
  } catch (err) {
    if (isNetworkError(err)) {
      throw new JoinError(`cannot reach ${server}: ${networkCause(err, timeoutMs)}`);
    }
    const code = statusCode(err);
    if (code === 401) {
      throw new JoinError(
        `the cluster at ${server} refused the credential of user ${config.userName} (401 Unauthorized)`,
      );
    }
    if (code === 403) {
      throw new JoinError(
        `the cluster at ${server} accepted user ${config.userName} but does not let it read namespace kube-system (403 Forbidden); the hub needs a cluster administrator's credential`,
      );
    }
    if (code === 404) return { id: undefined };
    throw new JoinError(`the cluster at ${server} failed the check: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}

function secretFor(name: string, config: ResolvedKubeconfig): KubeObject {
  const data: Record<string, string> = {};
  if (config.token) data[SECRET_TOKEN_KEY] = b64(config.token);
  if (config.certPem && config.keyPem) {
    data[SECRET_CERT_KEY] = b64(config.certPem);
    data[SECRET_KEY_KEY] = b64(config.keyPem);
  }
  if (config.caPem) data[SECRET_CA_BUNDLE_KEY] = b64(config.caPem);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NAMESPACE_KARMADA_CLUSTER, labels: { [KARMADA_SYSTEM_LABEL]: 'true' } },
    type: 'Opaque',
    data,
  };
}

async function ensureNamespace(hub: Client): Promise<void> {
  try {
    await hub.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE_KARMADA_CLUSTER, labels: { [KARMADA_SYSTEM_LABEL]: 'true' } },
    });
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
}

/** Registers the member on the hub; returns the Cluster as created. */
export async function joinCluster(hub: Client, opts: JoinOptions): Promise<Cluster> {
  const nameProblems = validateClusterName(opts.name ?? '', false);
  if (nameProblems.length > 0) throw new JoinError(`cluster name "${opts.name}": ${nameProblems.join('; ')}`);
  const syncMode = opts.syncMode ?? 'Push';
  if (syncMode !== 'Push' && syncMode !== 'Pull') {
    throw new JoinError(`--sync-mode must be Push or Pull, not ${String(syncMode)}`);
  }
  let config: ResolvedKubeconfig;
  try {
    config = await loadKubeconfig(opts.kubeconfig, opts.context);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new JoinError(err.message);
    throw err;
  }
  if (!config.token && !config.certPem) {
    throw new JoinError(
      `kubeconfig ${opts.kubeconfig}: user ${config.userName} has neither a token nor a client certificate, which the hub needs to reach the cluster`,
    );
  }
  const checked = await checkMember(config, opts.timeoutMs ?? 10_000);

  // Taken names and ids, as karmadactl checks them.
  const existing = await hub.list<Cluster>(karmadaResources.clusters);
  for (const c of existing.items) {
    if (c.metadata.name === opts.name) throw new JoinError(`a cluster named ${opts.name} is already joined`);
    if (checked.id && c.spec?.id === checked.id) {
      throw new JoinError(
        `the cluster at ${config.server} is already joined as ${c.metadata.name} (same kube-system uid ${checked.id})`,
      );
    }
  }

  return registerCluster(hub, {
    ...opts,
    syncMode,
    connection: config,
    ...(checked.id ? { id: checked.id } : {}),
  });
}

export interface RegisterOptions extends Omit<JoinOptions, 'kubeconfig' | 'context' | 'timeoutMs'> {
  /** How to reach the member: its server and credentials, inline. */
  connection: ResolvedKubeconfig;
  /** spec.id: the uid of the member's kube-system namespace. */
  id?: string;
  /** Annotations the Cluster is created with (provisioning's: which Cluster API Cluster it is). */
  annotations?: Record<string, string>;
}

/**
 * Writes a member checked already (or made by the caller, as provisioning does): the Secret with
 * its credentials (Push only) and the Cluster, taking both back if either write fails.
 */
export async function registerCluster(hub: Client, opts: RegisterOptions): Promise<Cluster> {
  const config = opts.connection;
  const syncMode = opts.syncMode ?? 'Push';
  const spec: ClusterSpec = { syncMode, apiEndpoint: config.server };
  if (opts.id) spec.id = opts.id;
  if (opts.provider) spec.provider = opts.provider;
  if (opts.region) spec.region = opts.region;
  if (opts.zones && opts.zones.length > 0) spec.zones = opts.zones;
  if (config.insecure) spec.insecureSkipTLSVerification = true;
  // As karmadactl join: a member reached through a proxy keeps being reached through it.
  if (config.proxyUrl) spec.proxyURL = config.proxyUrl;
  if (config.proxyHeaders) spec.proxyHeader = config.proxyHeaders;
  const cluster: Cluster = {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'Cluster',
    metadata: {
      name: opts.name,
      ...(opts.labels && Object.keys(opts.labels).length > 0 ? { labels: opts.labels } : {}),
      ...(opts.annotations && Object.keys(opts.annotations).length > 0
        ? { annotations: opts.annotations }
        : {}),
    },
    spec,
  };

  let secret: KubeObject | undefined;
  let created: Cluster | undefined;
  let step = 'namespace';
  try {
    if (syncMode === 'Push') {
      await ensureNamespace(hub);
      step = 'secret';
      secret = await hub.create(resources.secrets, secretFor(opts.name, config));
      spec.secretRef = { namespace: NAMESPACE_KARMADA_CLUSTER, name: opts.name };
    }
    step = 'cluster';
    created = await hub.create<Cluster>(karmadaResources.clusters, cluster);
    if (secret) {
      // The Secret belongs to the Cluster, as karmadactl leaves it.
      step = 'owner';
      await hub.patch(
        resources.secrets,
        opts.name,
        {
          metadata: {
            ownerReferences: [
              {
                apiVersion: CLUSTER_API_VERSION,
                kind: 'Cluster',
                name: opts.name,
                uid: created.metadata.uid ?? '',
                controller: true,
              },
            ],
          },
        },
        'merge',
        { namespace: NAMESPACE_KARMADA_CLUSTER },
      );
    }
    return created;
  } catch (err) {
    await rollBack(hub, opts.name, secret, created);
    if (statusCode(err) === 409 && step === 'secret') {
      throw new JoinError(
        `secret ${NAMESPACE_KARMADA_CLUSTER}/${opts.name} already exists; remove it or join under another name`,
      );
    }
    if (statusCode(err) === 409 && step === 'cluster') {
      throw new JoinError(`a cluster named ${opts.name} is already joined`);
    }
    if (err instanceof ApiError) throw new JoinError(`the hub refused the ${step}: ${err.message}`);
    throw err;
  }
}

async function rollBack(
  hub: Client,
  name: string,
  secret: KubeObject | undefined,
  created: Cluster | undefined,
): Promise<void> {
  const ignoreMissing = (err: unknown) => {
    if (statusCode(err) !== 404) throw err;
  };
  if (created) {
    await hub
      .delete(karmadaResources.clusters, name, { preconditions: { uid: created.metadata.uid } })
      .catch(ignoreMissing);
  }
  if (secret) {
    await hub
      .delete(resources.secrets, name, {
        namespace: NAMESPACE_KARMADA_CLUSTER,
        preconditions: { uid: secret.metadata.uid },
      })
      .catch(ignoreMissing);
  }
}

export interface UnjoinOptions {
  /** How long to wait for the cluster controller to let the Cluster go (default 60 s). */
  timeoutMs?: number;
}

/** Deletes the member's Cluster, waits until it is gone, then deletes the Secret join made for it. */
export async function unjoinCluster(hub: Client, name: string, opts: UnjoinOptions = {}): Promise<void> {
  let cluster: Cluster;
  try {
    cluster = await hub.get<Cluster>(karmadaResources.clusters, name);
  } catch (err) {
    if (statusCode(err) === 404) throw new JoinError(`no cluster named ${name} is joined`);
    throw err;
  }
  await hub.delete(karmadaResources.clusters, name).catch((err) => {
    if (statusCode(err) !== 404) throw err;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    let lingering: Cluster | undefined;
    try {
      lingering = await hub.get<Cluster>(karmadaResources.clusters, name);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    if (!lingering || lingering.metadata.uid !== cluster.metadata.uid) break;
    if (Date.now() > deadline) {
      const finalizers = lingering.metadata.finalizers ?? [];
      throw new JoinError(
        `cluster ${name} is still being deleted, waiting for finalizers [${finalizers.join(', ')}]` +
          (finalizers.includes(CLUSTER_CONTROLLER_FINALIZER)
            ? "; is the hub's controller manager running?"
            : ''),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const ref = cluster.spec?.secretRef;
  if (!ref?.name) return;
  let secret: KubeObject;
  try {
    secret = await hub.get(resources.secrets, ref.name, { namespace: ref.namespace });
  } catch (err) {
    if (statusCode(err) === 404) return;
    throw err;
  }
  // Only a Secret that belonged to this Cluster: one shared with others stays.
  const owned = secret.metadata.ownerReferences?.some((r) => r.uid === cluster.metadata.uid);
  if (!owned) return;
  await hub
    .delete(resources.secrets, ref.name, {
      namespace: ref.namespace,
      preconditions: { uid: secret.metadata.uid },
    })
    .catch((err) => {
      if (statusCode(err) !== 404) throw err;
    });
}
