// `concord status [-o table|json]`: the fleet at a glance, read from the hub's API objects
// (Clusters, ResourceBindings, ClusterResourceBindings) through the hub kubeconfig: each member's
// region, health, nodes, capacity used and workloads placed, then the bindings not placed and
// every alert. `concord dashboard` prints the dashboard's URL, signing in with the kubeconfig's token.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { Client } from '../client/client.js';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import type { Cluster } from '../hub/apis/karmada/cluster/types.js';
import {
  type Binding,
  bindingPlacements,
  bindingReplicas,
  bindingUnplaced,
  type ClusterHealth,
  clusterAlerts,
  clusterCapacity,
  clusterHealth,
  clusterZones,
  type ResourceUse,
} from '../hub/apis/karmada/fleet.js';
import { fleetResources } from '../hub/observability/resources.js';
import { reportFailures } from './process.js';

export interface MemberStatus {
  name: string;
  region: string;
  zones: string[];
  provider: string;
  ready: ClusterHealth;
  nodes: { ready: number; total: number };
  cpu: ResourceUse;
  memory: ResourceUse;
  /** Bindings with replicas (or the whole resource) placed on this member. */
  workloads: number;
  replicas: number;
  alerts: string[];
}

export interface FleetStatus {
  clusters: MemberStatus[];
  workloads: {
    total: number;
    placed: number;
    notPlaced: { binding: string; resource: string; reason: string; message: string }[];
    replicas: { desired: number; placed: number; ready: number };
  };
  /** Everything that wants a look, each naming what it is about. */
  alerts: string[];
}

function bindingKey(b: Binding): string {
  return b.metadata.namespace ? `${b.metadata.namespace}/${b.metadata.name}` : b.metadata.name!;
}

export function fleetStatus(clusters: Cluster[], bindings: Binding[]): FleetStatus {
  const placed = new Map<string, { workloads: number; replicas: number }>();
  for (const b of bindings) {
    for (const p of bindingPlacements(b)) {
      const e = placed.get(p.cluster) ?? { workloads: 0, replicas: 0 };
      e.workloads++;
      e.replicas += p.replicas;
      placed.set(p.cluster, e);
    }
  }
  const members = clusters
    .map((c): MemberStatus => {
      const cap = clusterCapacity(c);
      const name = c.metadata.name!;
      return {
        name,
        region: c.spec?.region ?? '',
        zones: clusterZones(c),
        provider: c.spec?.provider ?? '',
        ready: clusterHealth(c),
        nodes: { ready: c.status?.nodeSummary?.readyNum ?? 0, total: c.status?.nodeSummary?.totalNum ?? 0 },
        cpu: cap.cpu,
        memory: cap.memory,
        workloads: placed.get(name)?.workloads ?? 0,
        replicas: placed.get(name)?.replicas ?? 0,
        alerts: clusterAlerts(c),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const notPlaced = bindings
    .flatMap((b) => {
      const why = bindingUnplaced(b);
      if (!why) return [];
      const r = b.spec?.resource;
      const resource = r ? `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}` : '';
      return [{ binding: bindingKey(b), resource, ...why }];
    })
    .sort((a, b) => a.binding.localeCompare(b.binding));
  const replicas = { desired: 0, placed: 0, ready: 0 };
  for (const b of bindings) {
    const r = bindingReplicas(b);
    replicas.desired += r.desired;
    replicas.placed += r.placed;
    replicas.ready += r.ready;
  }
  const alerts = [
    ...members.flatMap((m) => m.alerts.map((a) => `cluster ${m.name}: ${a}`)),
    ...notPlaced.map(
      (n) => `${n.resource || n.binding} not placed: ${n.reason}${n.message ? `: ${n.message}` : ''}`,
    ),
  ];
  return {
    clusters: members,
    workloads: { total: bindings.length, placed: bindings.length - notPlaced.length, notPlaced, replicas },
    alerts,
  };
}

function usage(u: ResourceUse, show: (n: number) => string): string {
  if (u.allocatable === 0) return '-';
  return `${show(u.allocated)}/${show(u.allocatable)} (${Math.round((u.allocated / u.allocatable) * 100)}%)`;
}

const cores = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)}Gi`;

/** kubectl-style columns: every cell padded to its column's widest, three spaces between columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join(''))
    .join('\n');
}

export function formatStatus(s: FleetStatus): string {
  const lines: string[] = [];
  if (s.clusters.length === 0) {
    lines.push('No member clusters: `concord join` adds one, `concord up` a whole fleet.');
  } else {
    lines.push(
      table([
        ['CLUSTER', 'REGION', 'READY', 'NODES', 'CPU', 'MEMORY', 'WORKLOADS', 'ALERTS'],
        ...s.clusters.map((m) => [
          m.name,
          m.region || '-',
          m.ready,
          `${m.nodes.ready}/${m.nodes.total}`,
          usage(m.cpu, cores),
          usage(m.memory, gib),
          `${m.workloads} (${m.replicas} replicas)`,
          String(m.alerts.length),
        ]),
      ]),
    );
  }
  const w = s.workloads;
  lines.push(
    '',
    `workloads: ${w.total} propagated, ${w.placed} placed, ${w.notPlaced.length} not placed; ` +
      `replicas ${w.replicas.ready} ready / ${w.replicas.placed} placed / ${w.replicas.desired} desired`,
  );
  lines.push(s.alerts.length === 0 ? 'alerts: none' : 'alerts:');
  for (const a of s.alerts) lines.push(`  ${a}`);
  return `${lines.join('\n')}\n`;
}

/** Reads what `concord status` shows from a hub. */
export async function readFleetStatus(hub: Client): Promise<FleetStatus> {
  const [clusters, bindings, clusterBindings] = await Promise.all([
    hub.list<Cluster>(fleetResources.clusters),
    hub.list<Binding>(fleetResources.resourcebindings),
    hub.list<Binding>(fleetResources.clusterresourcebindings),
  ]);
  return fleetStatus(clusters.items, [...bindings.items, ...clusterBindings.items]);
}

function parseOutput(value: string): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') {
    throw new InvalidArgumentError(`-o: expected table or json, got ${value}`);
  }
  return value;
}

interface HubOptions {
  kubeconfig?: string;
  dataDir: string;
}

function kubeconfigOf(opts: HubOptions): string {
  return opts.kubeconfig ?? join(opts.dataDir, 'hub.kubeconfig');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'the fleet at a glance: clusters, region, Ready, nodes, capacity used, workloads placed, alerts',
    )
    .option('-o, --output <format>', 'table or json', parseOutput, 'table')
    .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
    .option('--data-dir <dir>', 'the data dir of the hub', '.concord')
    .action((opts: HubOptions & { output: 'table' | 'json' }, cmd: Command) =>
      reportFailures(cmd, async () => {
        const client = new HttpsClient(await loadKubeconfig(kubeconfigOf(opts)), { timeoutMs: 10_000 });
        try {
          const status = await readFleetStatus(client);
          process.stdout.write(
            opts.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status),
          );
        } finally {
          client.close();
        }
      }),
    );
  program
    .command('dashboard')
    .description("print the hub dashboard's URL, which signs in with the kubeconfig's token")
    .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
    .option('--data-dir <dir>', 'the data dir of the hub', '.concord')
    .action((opts: HubOptions, cmd: Command) =>
      reportFailures(cmd, async () => {
        const config = await loadKubeconfig(kubeconfigOf(opts));
        if (!config.token) {
          throw new Error(`${kubeconfigOf(opts)} holds no token: sign in on the dashboard's page with one`);
        }
        process.stdout.write(`${dashboardUrl(config.server, config.token)}\n`);
      }),
    );
}

/**
 * The dashboard's address, handing it the token once in the fragment: browsers never send a
 * fragment to the server, so the token is in no request line or log; the page takes it out of
 * the address bar at once.
 */
export function dashboardUrl(server: string, token?: string): string {
  const base = `${server.replace(/\/+$/, '')}/dashboard/`;
  return token ? `${base}#token=${encodeURIComponent(token)}` : base;
}
