// A drill: take the primary of one or more strategies down (a member, its region, or a network
// partition), drive real requests at each application throughout, and measure what users and
// operators care about: the time from the fault to the first answered request and to full
// capacity on the new primary, the requests that failed, whether the recovery time objective was
// met, and whether every object is where it belongs afterwards (none lost, none running twice).
// Then heal and check the members came back. Each strategy's drill is kept as a DrillRun.
// Strategies with the same primary share one fault (`concord drill --all` groups them).

import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import type { Client, ResourceRef } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import { updateStatus } from '../../../controller/status.js';
import { parseGoDuration } from '../../../machinery/duration.js';
import type { KubeObject } from '../../../machinery/object.js';
import { CLUSTER_CONDITION_READY, type Cluster, karmadaResources } from '../../apis/karmada/index.js';
import {
  DEFAULT_RECOVERY_TIME_OBJECTIVE,
  type DisasterRecoveryStrategy,
  DRILL_TAINT_KEY,
  type DrillObjects,
  type DrillRun,
  type DrillRunStatus,
  type DrillScenario,
  RECOVERY_API_VERSION,
  recoveryResources,
} from '../../apis/recovery/index.js';
import { standbyReplicas } from '../strategy/policies.js';
import { type FaultMethod, faultMethod, healFault, injectFault } from './faults.js';
import { MemberClients } from './members.js';
import { type Resolver, type Sample, TrafficDriver, type TrafficTarget } from './traffic.js';

export interface DrillOptions {
  hub: Client;
  /** Strategies drilled together; they must share their current primary. */
  strategies: DisasterRecoveryStrategy[];
  scenario: DrillScenario;
  /** Where simulated members keep their control files (and the hub its dns.port). */
  dataDir: string;
  /** The fault lasts at least this long (default: until every strategy has recovered). */
  durationMs?: number;
  /** Give up waiting for recovery after this long (default 120 s). */
  recoveryTimeoutMs?: number;
  /** Give up waiting for healed members after this long (default 60 s). */
  healTimeoutMs?: number;
  /** The steady client's pace (default one request every 100 ms per application). */
  intervalMs?: number;
  progress?: (line: string) => void;
}

const KIND_REFS: Record<string, ResourceRef> = Object.fromEntries(
  Object.values(resources).map((r) => [r.kind, r]),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms / 100) / 10;

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function healthy(c: Cluster | undefined): boolean {
  const ready = c?.status?.conditions?.find((x) => x.type === CLUSTER_CONDITION_READY);
  return ready?.status === 'True' && !(c?.spec.taints ?? []).some((t) => t.key === DRILL_TAINT_KEY);
}

/** The members a scenario takes down, given the primary. */
export function drillTargets(
  scenario: DrillScenario,
  primary: Cluster,
  clusters: readonly Cluster[],
): string[] {
  if (scenario !== 'region-down' || !primary.spec.region) return [primary.metadata.name ?? ''];
  return clusters
    .filter((c) => c.spec.region === primary.spec.region)
    .map((c) => c.metadata.name ?? '')
    .sort();
}

async function dnsLookup(name: string, port: number): Promise<string[]> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DNS answer for ${name} within 500 ms`)), 500);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        const answers = dnsPacket.decode(msg).answers ?? [];
        resolve(answers.filter((a) => a.type === 'A').map((a) => String((a as { data?: unknown }).data)));
      });
      socket.once('error', reject);
      socket.send(
        dnsPacket.encode({
          type: 'query',
          id: 1,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ type: 'A', name }],
        }),
        port,
        '127.0.0.1',
      );
    });
  } finally {
    socket.close();
  }
}

/** One application under drill: its strategy, record, traffic and outcome. */
class AppDrill {
  run!: DrillRun;
  traffic: TrafficDriver | undefined;
  latest: DisasterRecoveryStrategy;
  recoveredAt: number | undefined;
  private services = new Map<string, TrafficTarget>();

  constructor(
    readonly drs: DisasterRecoveryStrategy,
    private readonly members: MemberClients,
  ) {
    this.latest = drs;
  }

  get key(): string {
    return `${this.drs.metadata.namespace}/${this.drs.metadata.name}`;
  }

  serviceName(): string | undefined {
    return (
      this.drs.spec.traffic?.serviceName ??
      this.drs.status?.resources?.find((r) => r.kind === 'Service' && r.apiVersion === 'v1')?.name
    );
  }

  /** Where requests go now: the global name's addresses, or the Service on the serving members. */
  resolver(dataDir: string): Resolver | undefined {
    const hostname = this.drs.spec.traffic?.hostname;
    const port = this.drs.spec.traffic?.port;
    if (hostname) {
      return async () => {
        const dnsPort = Number((await readFile(join(dataDir, 'dns.port'), 'utf8')).trim());
        const ips = await dnsLookup(hostname, dnsPort);
        return ips.map((address) => ({ address, port: port ?? 80, host: hostname }));
      };
    }
    const service = this.serviceName();
    if (!service) return undefined;
    const ns = this.drs.metadata.namespace ?? 'default';
    return async () => {
      const s = this.latest.status;
      const serving = [
        s?.currentPrimary,
        this.drs.spec.strategy === 'ActiveActive' ? s?.currentStandby : undefined,
      ].filter((c): c is string => !!c);
      const out: TrafficTarget[] = [];
      for (const cluster of serving) {
        let t = this.services.get(cluster);
        if (!t) {
          try {
            const member = await this.members.get(cluster);
            const svc = await member.get<KubeObject>(resources.services, service, { namespace: ns });
            const spec = svc.spec as { clusterIP?: string; ports?: { port: number }[] };
            if (!spec.clusterIP || spec.clusterIP === 'None') continue;
            t = { address: spec.clusterIP, port: port ?? spec.ports?.[0]?.port ?? 80, cluster };
            this.services.set(cluster, t);
          } catch {
            continue; // An unreachable member serves nothing.
          }
        }
        out.push(t);
      }
      return out;
    };
  }

  /** The failover this drill caused, once it has happened. */
  failover(faultTime: number) {
    const fo = this.latest.status?.lastFailover;
    return fo && new Date(fo.promotionTime).getTime() >= faultTime - 1000 ? fo : undefined;
  }
}

function firstSuccessAfter(
  samples: readonly Sample[],
  faultTime: number,
  targets: readonly string[],
): number | undefined {
  const hit = samples.find(
    (s) => s.ok && s.start >= faultTime && !(s.cluster && targets.includes(s.cluster)),
  );
  return hit?.end;
}

async function readObject(
  members: MemberClients,
  cluster: string,
  kind: string,
  namespace: string,
  name: string,
) {
  const ref = KIND_REFS[kind];
  if (!ref) return { unknown: true as const };
  try {
    const member = await members.get(cluster);
    return {
      object: await member.get<KubeObject & { spec?: { replicas?: number } }>(ref, name, { namespace }),
    };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return { object: undefined };
    return { error: (err as Error).message };
  }
}

/**
 * Whether every selected object is where the strategy puts it: all of them on the primary (the
 * workloads at the template's replicas), config on the standby, and workloads on the standby at no
 * more than the standby's share (none for a pilot light).
 */
async function checkObjects(
  hub: Client,
  members: MemberClients,
  drs: DisasterRecoveryStrategy,
): Promise<DrillObjects> {
  const ns = drs.metadata.namespace ?? 'default';
  const primary = drs.status?.currentPrimary;
  const standby = drs.status?.currentStandby;
  const out: DrillObjects = { expected: 0, found: 0, lost: [], duplicated: [] };
  for (const r of drs.status?.resources ?? []) {
    const id = `${r.kind}/${r.name}`;
    out.expected++;
    if (!primary) {
      out.lost.push(id);
      continue;
    }
    const onPrimary = await readObject(members, primary, r.kind, ns, r.name);
    if ('unknown' in onPrimary) {
      out.found++;
      continue;
    }
    if (!onPrimary.object) {
      out.lost.push(`${id} on ${primary}`);
      continue;
    }
    out.found++;
    if (r.role !== 'Workload') continue;
    const template = await hub.get<KubeObject & { spec?: { replicas?: number } }>(
      KIND_REFS[r.kind]!,
      r.name,
      {
        namespace: ns,
      },
    );
    const want = template.spec?.replicas ?? 1;
    if ((onPrimary.object.spec?.replicas ?? 1) < want) out.lost.push(`${id} replicas on ${primary}`);
    if (!standby || drs.spec.strategy === 'ActiveActive') continue;
    const onStandby = await readObject(members, standby, r.kind, ns, r.name);
    if (!('object' in onStandby) || !onStandby.object) continue;
    const running = onStandby.object.spec?.replicas ?? 1;
    const share = standbyReplicas(drs, want);
    if (drs.spec.strategy === 'PilotLight' || running > share) out.duplicated.push(`${id} on ${standby}`);
  }
  return out;
}

export interface DrillResult {
  run: DrillRun;
}

export async function runDrill(opts: DrillOptions): Promise<DrillResult[]> {
  const { hub, scenario } = opts;
  const say = opts.progress ?? (() => {});
  if (opts.strategies.length === 0) return [];
  const primary = opts.strategies[0]!.status?.currentPrimary;
  for (const drs of opts.strategies) {
    const state = drs.status?.state;
    if (!drs.status?.currentPrimary || (state !== 'Protected' && state !== 'FailedOver')) {
      throw new Error(
        `strategy ${drs.metadata.namespace}/${drs.metadata.name} is ${state ?? 'not yet reconciled'}: a drill needs a Protected (or FailedOver) application`,
      );
    }
    if (drs.status.currentPrimary !== primary) {
      throw new Error('strategies drilled together must share their primary');
    }
  }
  const clusters = (await hub.list<Cluster>(karmadaResources.clusters)).items;
  const primaryCluster = clusters.find((c) => c.metadata.name === primary);
  if (!primaryCluster) throw new Error(`the primary ${primary} is not a member`);
  const targets = drillTargets(scenario, primaryCluster, clusters);
  const methods = new Map<string, FaultMethod>();
  for (const t of targets) methods.set(t, await faultMethod(opts.dataDir, t));
  const method: FaultMethod = [...methods.values()].every((m) => m === 'fault') ? 'fault' : 'taint';

  const members = new MemberClients(hub);
  const apps = opts.strategies.map((drs) => new AppDrill(drs, members));
  const startTime = new Date();
  // Members faulted and not yet healed: whatever happens, the drill heals them before it returns.
  const faulted = new Set<string>();
  try {
    // The records, Running.
    for (const app of apps) {
      const ns = app.drs.metadata.namespace ?? 'default';
      const created = await hub.create<DrillRun>(
        recoveryResources.drillruns,
        {
          apiVersion: RECOVERY_API_VERSION,
          kind: 'DrillRun',
          metadata: { name: `${app.drs.metadata.name}-${stamp(startTime)}`.slice(0, 253), namespace: ns },
          spec: {
            strategyName: app.drs.metadata.name ?? '',
            scenario,
            ...(opts.durationMs ? { duration: `${Math.round(opts.durationMs / 1000)}s` } : {}),
          },
        },
        { namespace: ns },
      );
      app.run = await updateStatus(hub, recoveryResources.drillruns, created, {
        phase: 'Running',
        startTime: startTime.toISOString(),
        targetClusters: targets,
        method,
        primaryBefore: primary,
      } satisfies DrillRunStatus);
    }

    // Steady traffic, answered before the fault (so that a failure later means something).
    for (const app of apps) {
      const resolve = app.resolver(opts.dataDir);
      if (!resolve) continue;
      app.traffic = new TrafficDriver(resolve, { intervalMs: opts.intervalMs ?? 100 });
      app.traffic.start();
    }
    const baselineDeadline = Date.now() + 15_000;
    while (
      apps.some((a) => a.traffic && !a.traffic.samples.some((s) => s.ok)) &&
      Date.now() < baselineDeadline
    ) {
      await sleep(100);
    }
    say(
      `${scenario}: ${targets.join(', ')} (${method === 'fault' ? 'fault injection' : 'cordon and NoExecute taint'})`,
    );

    const faultTime = Date.now();
    for (const t of targets) {
      faulted.add(t);
      await injectFault(
        hub,
        opts.dataDir,
        t,
        methods.get(t)!,
        scenario,
        apps[0]!.run.metadata.name ?? 'drill',
      );
    }

    // Wait for every application to recover (and the fault's duration to pass).
    const deadline = faultTime + (opts.recoveryTimeoutMs ?? 120_000);
    const minEnd = faultTime + (opts.durationMs ?? 0);
    for (;;) {
      for (const app of apps) {
        app.latest = await hub.get<DisasterRecoveryStrategy>(
          recoveryResources.strategies,
          app.drs.metadata.name ?? '',
          {
            namespace: app.drs.metadata.namespace,
          },
        );
        const fo = app.failover(faultTime);
        const answered =
          !app.traffic || firstSuccessAfter(app.traffic.samples, faultTime, targets) !== undefined;
        if (!app.recoveredAt && fo?.fullCapacityTime && answered) {
          app.recoveredAt = Date.now();
          say(`${app.key}: ${fo.to} serves at full capacity`);
        }
      }
      const now = Date.now();
      if ((apps.every((a) => a.recoveredAt) && now >= minEnd) || now >= deadline) break;
      await sleep(200);
    }
    for (const app of apps) await app.traffic?.stop();

    // Heal, and wait for the members to be back.
    const healTime = Date.now();
    for (const t of targets) {
      await healFault(hub, opts.dataDir, t, methods.get(t)!);
      faulted.delete(t);
    }
    say(`healed ${targets.join(', ')}`);
    const healDeadline = healTime + (opts.healTimeoutMs ?? 60_000);
    let healed = false;
    while (Date.now() < healDeadline) {
      const now = (await hub.list<Cluster>(karmadaResources.clusters)).items;
      if (targets.every((t) => healthy(now.find((c) => c.metadata.name === t)))) {
        healed = true;
        break;
      }
      await sleep(250);
    }

    // Objects where they belong, once the strategy has settled on the healed fleet.
    const results: DrillResult[] = [];
    for (const app of apps) {
      let objects: DrillObjects = { expected: 0, found: 0, lost: [], duplicated: [] };
      const settleDeadline = Date.now() + 30_000;
      for (;;) {
        app.latest = await hub.get<DisasterRecoveryStrategy>(
          recoveryResources.strategies,
          app.drs.metadata.name ?? '',
          {
            namespace: app.drs.metadata.namespace,
          },
        );
        objects = await checkObjects(hub, members, app.latest);
        if ((objects.lost.length === 0 && objects.duplicated.length === 0) || Date.now() > settleDeadline)
          break;
        await sleep(500);
      }
      const fo = app.failover(faultTime);
      const samples = app.traffic?.samples.filter((s) => s.start >= faultTime) ?? [];
      const firstSuccess = app.traffic
        ? firstSuccessAfter(app.traffic.samples, faultTime, targets)
        : undefined;
      const fullMs = fo?.fullCapacityTime ? new Date(fo.fullCapacityTime).getTime() - faultTime : undefined;
      const objective =
        app.latest.spec.recoveryTimeObjective ?? DEFAULT_RECOVERY_TIME_OBJECTIVE[app.latest.spec.strategy];
      const objectiveMet = fullMs !== undefined && fullMs <= parseGoDuration(objective);
      const problems: string[] = [];
      if (!fo) problems.push('no failover happened');
      else if (fullMs === undefined) problems.push(`${fo.to} did not reach full capacity`);
      if (app.traffic && firstSuccess === undefined) problems.push('no request was answered after the fault');
      if (!objectiveMet && fullMs !== undefined)
        problems.push(`recovery took ${seconds(fullMs)}s, over ${objective}`);
      if (!healed) problems.push(`${targets.join(', ')} did not come back within the heal timeout`);
      if (objects.lost.length > 0) problems.push(`lost: ${objects.lost.join(', ')}`);
      if (objects.duplicated.length > 0) problems.push(`running twice: ${objects.duplicated.join(', ')}`);
      const status: DrillRunStatus = {
        ...app.run.status,
        phase: problems.length === 0 ? 'Succeeded' : 'Failed',
        completionTime: new Date().toISOString(),
        faultTime: new Date(faultTime).toISOString(),
        healTime: new Date(healTime).toISOString(),
        ...(fo ? { primaryAfter: fo.to } : {}),
        ...(firstSuccess !== undefined ? { rtoFirstSuccessSeconds: seconds(firstSuccess - faultTime) } : {}),
        ...(fullMs !== undefined ? { rtoFullCapacitySeconds: seconds(fullMs) } : {}),
        recoveryTimeObjective: objective,
        objectiveMet,
        requests: { total: samples.length, failed: samples.filter((s) => !s.ok).length },
        objects,
        healed,
        message:
          problems.length === 0
            ? 'recovered within the objective; every object in place'
            : problems.join('; '),
      };
      app.run = await updateStatus(hub, recoveryResources.drillruns, app.run, status);
      results.push({ run: app.run });
    }
    return results;
  } catch (err) {
    for (const app of apps) {
      if (!app.run) continue;
      await updateStatus(hub, recoveryResources.drillruns, app.run, {
        ...app.run.status,
        phase: 'Failed',
        completionTime: new Date().toISOString(),
        message: `the drill stopped: ${(err as Error).message}`,
      } satisfies DrillRunStatus).catch(() => undefined);
    }
    throw err;
  } finally {
    for (const app of apps) await app.traffic?.stop();
    for (const t of faulted) await healFault(hub, opts.dataDir, t, methods.get(t)!).catch(() => undefined);
    members.close();
  }
}
