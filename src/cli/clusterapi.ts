// `concord get kubeconfig NAME` (the Cluster API kubeconfig Secret's value) and `concord describe
// cluster NAME` (the Cluster and its objects as a tree in the shape of `clusterctl describe
// cluster`: NAME, READY, SEVERITY, REASON, SINCE, MESSAGE from each object's Ready condition).

import { join } from 'node:path';
import type { Command } from 'commander';
import type { Client } from '../client/client.js';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { resources } from '../client/resources.js';
import {
  type Cluster,
  type Condition,
  clusterApiResources,
  Labels,
  type Machine,
  type MachineDeployment,
  type ObjectReference,
} from '../hub/apis/cluster-api/index.js';
import { resourceOfRef } from '../hub/provisioning/external.js';
import type { KubeObject } from '../machinery/object.js';
import { isNotFound } from '../machinery/status.js';
import { reportFailures } from './process.js';

interface HubOptions {
  kubeconfig?: string;
  dataDir: string;
  namespace: string;
}

function hubClient(opts: HubOptions): Promise<HttpsClient> {
  return loadKubeconfig(opts.kubeconfig ?? join(opts.dataDir, 'hub.kubeconfig')).then(
    (c) => new HttpsClient(c, { timeoutMs: 10_000 }),
  );
}

/** The kubeconfig of a Cluster: its `<name>-kubeconfig` Secret's `value`. */
export async function clusterKubeconfig(client: Client, name: string, namespace: string): Promise<string> {
  let secret: KubeObject;
  try {
    secret = await client.get(resources.secrets, `${name}-kubeconfig`, { namespace });
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(
        `secret ${namespace}/${name}-kubeconfig was not found: is cluster ${name} provisioned (kubectl get clusters.cluster.x-k8s.io -n ${namespace})?`,
      );
    }
    throw err;
  }
  const value = (secret.data as Record<string, string> | undefined)?.value;
  if (!value) throw new Error(`secret ${namespace}/${name}-kubeconfig has no key "value"`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** One line of the tree. */
export interface TreeNode {
  /** "Cluster/name", "ClusterInfrastructure - LocalCluster/name" ... */
  label: string;
  ready?: Condition;
  children: TreeNode[];
}

/** A duration as clusterctl shows it: 45s, 3m, 2h, 5d. */
export function since(from: string | undefined, now: Date): string {
  if (!from) return '';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(from)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The tree as text, with clusterctl's columns. */
export function formatTree(root: TreeNode, now: Date): string {
  const rows: string[][] = [];
  const walk = (node: TreeNode, prefix: string, childPrefix: string) => {
    const r = node.ready;
    rows.push([
      `${prefix}${node.label}`,
      r?.status ?? '',
      r?.status === 'False' ? (r.severity ?? '') : '',
      r?.status === 'True' ? '' : (r?.reason ?? ''),
      since(r?.lastTransitionTime, now),
      r?.status === 'True' ? '' : (r?.message ?? ''),
    ]);
    node.children.forEach((c, i) => {
      const last = i === node.children.length - 1;
      walk(c, `${childPrefix}${last ? '└─' : '├─'}`, `${childPrefix}${last ? '  ' : '│ '}`);
    });
  };
  walk(root, '', '');
  const header = ['NAME', 'READY', 'SEVERITY', 'REASON', 'SINCE', 'MESSAGE'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? '')].length)));
  return `${all
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length + 2),
        )
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const readyOf = (o: KubeObject | undefined): Condition | undefined =>
  ((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');

async function getRef(
  client: Client,
  ref: ObjectReference | undefined,
  namespace: string,
): Promise<KubeObject | undefined> {
  const resource = resourceOfRef(ref);
  if (!ref || !resource) return undefined;
  try {
    return await client.get(resource, ref.name ?? '', { namespace: ref.namespace || namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads a Cluster and its objects into the tree `concord describe cluster` prints. */
export async function describeCluster(client: Client, name: string, namespace: string): Promise<TreeNode> {
  let cluster: Cluster;
  try {
    cluster = await client.get<Cluster>(clusterApiResources.clusters, name, { namespace });
  } catch (err) {
    if (isNotFound(err)) throw new Error(`cluster ${namespace}/${name} was not found`);
    throw err;
  }
  const selector = `${Labels.clusterName}=${name}`;
  const [machines, mds] = await Promise.all([
    client.list<Machine>(clusterApiResources.machines, { namespace, labelSelector: selector }),
    client.list<MachineDeployment>(clusterApiResources.machinedeployments, {
      namespace,
      labelSelector: selector,
    }),
  ]);
  const machineNode = (m: Machine): TreeNode => ({
    label: `Machine/${m.metadata.name}`,
    ready: readyOf(m),
    children: [],
  });
  const root: TreeNode = { label: `Cluster/${name}`, ready: readyOf(cluster), children: [] };
  const infraRef = cluster.spec.infrastructureRef;
  if (infraRef) {
    const infra = await getRef(client, infraRef, namespace);
    root.children.push({
      label: `ClusterInfrastructure - ${infraRef.kind}/${infraRef.name}`,
      ready: readyOf(infra),
      children: [],
    });
  }
  const cpMachines = machines.items.filter((m) => m.metadata.labels?.[Labels.controlPlane] !== undefined);
  const cpRef = cluster.spec.controlPlaneRef;
  if (cpRef || cpMachines.length > 0) {
    const cp = cpRef ? await getRef(client, cpRef, namespace) : undefined;
    root.children.push({
      label: cpRef ? `ControlPlane - ${cpRef.kind}/${cpRef.name}` : 'ControlPlane',
      ready: cp ? readyOf(cp) : undefined,
      children: cpMachines.map(machineNode),
    });
  }
  const workers = machines.items.filter((m) => m.metadata.labels?.[Labels.controlPlane] === undefined);
  if (mds.items.length > 0 || workers.length > 0) {
    const inMd = new Set<string>();
    const mdNodes = mds.items.map((md) => {
      const own = workers.filter((m) => m.metadata.labels?.[Labels.deploymentName] === md.metadata.name);
      for (const m of own) inMd.add(m.metadata.name ?? '');
      return {
        label: `MachineDeployment/${md.metadata.name}`,
        ready: readyOf(md),
        children: own.map(machineNode),
      };
    });
    const loose = workers.filter((m) => !inMd.has(m.metadata.name ?? '')).map(machineNode);
    root.children.push({ label: 'Workers', children: [...mdNodes, ...loose] });
  }
  return root;
}

export function registerClusterApi(program: Command): void {
  const options = (cmd: Command) =>
    cmd
      .option('-n, --namespace <ns>', 'the namespace of the Cluster', 'default')
      .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
      .option('--data-dir <dir>', 'the data dir of the hub', '.concord');
  const get = program.command('get').description('read what the hub keeps for a cluster');
  options(
    get
      .command('kubeconfig <name>')
      .description("print a Cluster API cluster's kubeconfig (its <name>-kubeconfig Secret)"),
  ).action((name: string, opts: HubOptions, cmd: Command) =>
    reportFailures(cmd, async () => {
      const client = await hubClient(opts);
      try {
        process.stdout.write(await clusterKubeconfig(client, name, opts.namespace));
      } finally {
        client.close();
      }
    }),
  );
  const describe = program.command('describe').description('show an object and what it is made of');
  options(
    describe
      .command('cluster <name>')
      .description(
        'a Cluster API cluster and its objects as a tree, as clusterctl describe cluster shows it',
      ),
  ).action((name: string, opts: HubOptions, cmd: Command) =>
    reportFailures(cmd, async () => {
      const client = await hubClient(opts);
      try {
        process.stdout.write(formatTree(await describeCluster(client, name, opts.namespace), new Date()));
      } finally {
        client.close();
      }
    }),
  );
}
