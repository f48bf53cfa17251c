// What a Pull member's agent needs on the hub, as `karmadactl register` prepares it: an identity
// of its own (a client certificate from the hub's CA, CN system:karmada:agent:<cluster>, O
// system:karmada:agents) and RBAC that lets it do its job and nothing more. Stricter than
// Karmada's: the agent may read its own Cluster and write that Cluster's status, read and update
// the Works of its execution space (and their status), and hold its own Lease in karmada-cluster;
// anything else is refused with 403.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  type CertificateAuthority,
  issueClientCertificate,
  parseCA,
} from '../../apiserver/pki.js';
import type { Client, ResourceRef } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import { buildKubeconfig } from '../../machinery/kubeconfig.js';
import type { KubeObject } from '../../machinery/object.js';
import { isAlreadyExists } from '../../machinery/status.js';
import { executionSpaceName, NAMESPACE_KARMADA_CLUSTER } from '../apis/karmada/index.js';

export const AGENT_USER_PREFIX = 'system:karmada:agent:';
export const AGENT_GROUP = 'system:karmada:agents';

export const agentUser = (cluster: string) => `${AGENT_USER_PREFIX}${cluster}`;

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The RBAC objects that give a cluster's agent its access (names as Karmada's). */
export function agentRbac(cluster: string): { ref: ResourceRef; obj: KubeObject }[] {
  const subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: agentUser(cluster) }];
  const space = executionSpaceName(cluster);
  const name = (suffix: string) => `system:karmada:${cluster}:${suffix}`;
  const role = (roleName: string, namespace: string, rules: unknown[]) => [
    {
      ref: resources.roles,
      obj: { apiVersion: RBAC, kind: 'Role', metadata: { name: roleName, namespace }, rules },
    },
    {
      ref: resources.rolebindings,
      obj: {
        apiVersion: RBAC,
        kind: 'RoleBinding',
        metadata: { name: roleName, namespace },
        subjects,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      },
    },
  ];
  return [
    {
      ref: resources.clusterroles,
      obj: {
        apiVersion: RBAC,
        kind: 'ClusterRole',
        metadata: { name: name('agent') },
        rules: [
          {
            apiGroups: ['cluster.karmada.io'],
            resources: ['clusters'],
            resourceNames: [cluster],
            verbs: ['get'],
          },
          {
            apiGroups: ['cluster.karmada.io'],
            resources: ['clusters/status'],
            resourceNames: [cluster],
            verbs: ['get', 'update', 'patch'],
          },
        ],
      },
    },
    {
      ref: resources.clusterrolebindings,
      obj: {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: name('agent') },
        subjects,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: name('agent') },
      },
    },
    ...role(name('agent-work'), space, [
      {
        apiGroups: ['work.karmada.io'],
        resources: ['works'],
        verbs: ['get', 'list', 'watch', 'update', 'patch'],
      },
      { apiGroups: ['work.karmada.io'], resources: ['works/status'], verbs: ['get', 'update', 'patch'] },
    ]),
    ...role(name('agent-lease'), NAMESPACE_KARMADA_CLUSTER, [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [cluster],
        verbs: ['get', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]),
  ];
}

async function ensureNamespace(hub: Client, name: string): Promise<void> {
  try {
    await hub.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Writes the agent's RBAC (replacing what is there), with the namespaces it lives in. */
export async function grantAgentAccess(hub: Client, cluster: string): Promise<void> {
  await ensureNamespace(hub, executionSpaceName(cluster));
  await ensureNamespace(hub, NAMESPACE_KARMADA_CLUSTER);
  for (const { ref, obj } of agentRbac(cluster)) {
    const namespace = obj.metadata.namespace;
    try {
      await hub.create(ref, obj, { namespace });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await hub.get(ref, obj.metadata.name!, { namespace });
      await hub.update(ref, { ...obj, metadata: { ...existing.metadata } }, { namespace });
    }
  }
}

/** A kubeconfig for the agent: the hub's address and CA, the agent's own client certificate. */
export async function agentKubeconfig(opts: {
  cluster: string;
  ca: CertificateAuthority;
  server: string;
  /** The CA that signs the hub's serving certificate (the hub's own CA when absent). */
  serverCaPem?: string;
}): Promise<string> {
  const cert = await issueClientCertificate(opts.ca, {
    user: agentUser(opts.cluster),
    groups: [AGENT_GROUP],
  });
  return buildKubeconfig({
    name: 'concord-hub',
    server: opts.server,
    caPem: opts.serverCaPem ?? opts.ca.certPem,
    user: cert,
    userName: agentUser(opts.cluster),
  });
}

/** The hub's CA from its data dir (DATA_DIR/hub/pki), to sign agents' certificates. */
export async function loadHubCA(dataDir: string): Promise<CertificateAuthority> {
  const dir = join(dataDir, 'hub', 'pki');
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([
      readFile(join(dir, CA_CERT_FILE), 'utf8'),
      readFile(join(dir, CA_KEY_FILE), 'utf8'),
    ]);
  } catch (err) {
    throw new Error(
      `the hub's CA is not readable in ${dir} (${(err as Error).message}): a Pull member's agent gets a certificate from it; ` +
        "run the join with --data-dir set to the hub's data dir",
    );
  }
  return parseCA(certPem, keyPem, `CA in ${dir}`);
}
