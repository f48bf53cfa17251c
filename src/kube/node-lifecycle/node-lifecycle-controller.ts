// The node lifecycle controller, as Kubernetes' (pkg/controller/nodelifecycle):
// - node health from the kubelet's heartbeats: the Lease in kube-node-lease and the Ready
//   condition's lastHeartbeatTime. A node heard from neither for the grace period (40 s; 60 s for
//   a node that never posted status) gets Ready, MemoryPressure, DiskPressure and PIDPressure
//   Unknown ("Kubelet stopped posting node status."), a NodeNotReady event, and its pods' Ready
//   condition False;
// - NoSchedule taints that mirror the node's conditions (not-ready, unreachable, memory/disk/pid
//   pressure, network-unavailable) and cordoning (unschedulable), kept in step on every change;
// - NoExecute taints (unreachable / not-ready) for nodes that stay unhealthy, added at a rate
//   limited per zone (0.1 node/s; slower or not at all when much of a zone is down; never when
//   every zone is down, which points at the control plane rather than the nodes), and removed
//   when the node is Ready again. Evicting the pods is the taint eviction controller's job.
// One timer drives the periodic checks; everything else follows informer events.

import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import { runController } from '../../controller/runner.js';
import type { KubeObject } from '../../machinery/object.js';
import { isNotFound } from '../../machinery/status.js';
import { sameTaint, TAINT_UNSCHEDULABLE, type Taint } from '../../machinery/taints.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from '../workloads/types.js';
import { podsByNode } from './pods-by-node.js';
import {
  CONDITION_TAINTS,
  condition,
  NO_SCHEDULE_KEYS,
  NOT_READY_NO_EXECUTE,
  type Node,
  type NodeCondition,
  swapNodeTaints,
  taintExists,
  UNREACHABLE_NO_EXECUTE,
} from './taints.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

export interface NodeLifecycleOptions {
  /** How often node health is checked (default 5 s). */
  nodeMonitorPeriodMs?: number;
  /** Silence after which a node is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** The same for a node that never posted status (default 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** Nodes tainted NoExecute per second per zone (default 0.1). */
  evictionRate?: number;
  /** The rate in a large zone with many nodes down (default 0.01). */
  secondaryEvictionRate?: number;
  /** Zones up to this size stop tainting when many nodes are down (default 50). */
  largeClusterSizeThreshold?: number;
  /** Share of unhealthy nodes (with more than 2 down) that makes a zone partially disrupted (default 0.55). */
  unhealthyZoneThreshold?: number;
  /**
   * When a node marked Unknown by this controller renews its lease again, put back the conditions
   * it had, as its kubelet's next status post would (default true): simulated kubelets that only
   * heartbeat through their lease come back Ready too.
   */
  restoreConditionsOnLeaseRenewal?: boolean;
  recorder?: EventRecorder;
}

interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

interface NodeHealth {
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition as last seen (heartbeat and transition times). */
  ready: NodeCondition | undefined;
  leaseRenewTime: number | undefined;
  /** The conditions as they were before this controller marked them Unknown. */
  beforeUnknown?: NodeCondition[];
  /** The node and lease versions last looked at, and the grace period that applied. */
  nodeRV?: string;
  leaseRV?: string;
  grace?: number;
}

type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

/** A token bucket of burst 1 (flowcontrol's TokenBucketRateLimiter as the zone tainter uses it). */
class ZoneLimiter {
  private tokens = 1;
  private last: number;
  constructor(
    readonly qps: number,
    now: number,
  ) {
    this.last = now;
  }
  tryAccept(now: number): boolean {
    if (this.qps <= 0) return false;
    this.tokens = Math.min(1, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface ZoneTainter {
  /** Node names waiting for their NoExecute taint, in order. */
  queue: Set<string>;
  limiter: ZoneLimiter;
}

function parseTime(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Zone key as nodetopology.GetZoneKey: region and zone, or "" when the node has neither. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region =
    labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone =
    labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

const DEFAULT_CONDITIONS: Record<string, Omit<NodeCondition, 'type'>> = {
  Ready: { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  MemoryPressure: {
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
  },
  DiskPressure: {
    status: 'False',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
  },
  PIDPressure: {
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  },
};
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

class NodeLifecycleController {
  readonly nodes: Informer<Node>;
  readonly leases: Informer<Lease>;
  readonly pods: Informer<Pod>;
  readonly podsOn: (node: string) => Pod[];
  readonly noSchedule: Controller;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Set<string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, ZoneTainter>();
  private readonly retryPods = new Set<string>();
  readonly recorder: EventRecorder;
  readonly ownRecorder: boolean;
  private readonly periodMs: number;
  private readonly graceMs: number;
  private readonly startupGraceMs: number;
  private readonly evictionRate: number;
  private readonly secondaryRate: number;
  private readonly largeCluster: number;
  private readonly unhealthyThreshold: number;
  private readonly restore: boolean;
  private timer: NodeJS.Timeout | undefined;
  private monitoring: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions,
  ) {
    this.periodMs = opts.nodeMonitorPeriodMs ?? 5000;
    this.graceMs = opts.nodeMonitorGracePeriodMs ?? 40_000;
    this.startupGraceMs = opts.nodeStartupGracePeriodMs ?? 60_000;
    this.evictionRate = opts.evictionRate ?? 0.1;
    this.secondaryRate = opts.secondaryEvictionRate ?? 0.01;
    this.largeCluster = opts.largeClusterSizeThreshold ?? 50;
    this.unhealthyThreshold = opts.unhealthyZoneThreshold ?? 0.55;
    this.restore = opts.restoreConditionsOnLeaseRenewal ?? true;
    this.nodes = ctx.informers.informerFor<Node>(resources.nodes);
    this.leases = ctx.informers.informerFor<Lease>(resources.leases, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.podsOn = podsByNode(this.pods);
    this.ownRecorder = !opts.recorder;
    this.recorder = eventRecorder(ctx, 'node-controller', opts.recorder);
    this.noSchedule = reconcileLoop(ctx, {
      name: 'node-lifecycle',
      workers: 2,
      reconcile: (name) => this.noScheduleTaintingPass(name),
    });
  }

  private now(): number {
    return this.ctx.now().getTime();
  }

  startTimer(): void {
    const tick = () => {
      if (this.stopped || this.monitoring) return;
      this.monitoring = this.monitorNodeHealth()
        .then(() => this.noExecuteTaintingPass())
        .catch((err: unknown) => this.ctx.logger.warn({ err }, 'monitoring node health failed'))
        .finally(() => {
          this.monitoring = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.monitoring;
    await this.noSchedule.stop();
    if (this.ownRecorder) await this.recorder.stop();
  }

  // ---------------------------------------------------------------------------- NoSchedule taints

  /** doNoScheduleTaintingPass: the node's NoSchedule taints mirror its conditions and cordon. */
  private async noScheduleTaintingPass(name: string): Promise<undefined> {
    const node = this.nodes.get(name);
    if (!node) return undefined;
    const wanted: Taint[] = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) wanted.push({ key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    const owned = (node.spec?.taints ?? []).filter(
      (t) => t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key),
    );
    const add = wanted.filter((w) => !owned.some((o) => sameTaint(o, w)));
    const remove = owned.filter((o) => !wanted.some((w) => sameTaint(o, w)));
    if (add.length === 0 && remove.length === 0) return undefined;
    if (!(await swapNodeTaints(this.ctx.client, node, add, remove, this.ctx.now()))) {
      throw new Error(`failed to swap the NoSchedule taints of node ${name}`);
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------- node health

  /** Nothing changed and nothing is due since the last pass: the pass can be skipped. */
  private quiet(nodes: Node[]): boolean {
    if (nodes.length !== this.known.size || this.retryPods.size > 0) return false;
    for (const t of this.tainters.values()) if (t.queue.size > 0) return false;
    for (const state of this.zoneStates.values()) if (state !== 'Normal') return false;
    const now = this.now();
    for (const node of nodes) {
      const name = node.metadata.name!;
      const h = this.health.get(name);
      if (!h || h.grace === undefined || h.nodeRV !== node.metadata.resourceVersion) return false;
      if (this.leases.get(name, NODE_LEASE_NAMESPACE)?.metadata.resourceVersion !== h.leaseRV) return false;
      if (now > h.probeTimestamp + h.grace) return false;
      if (condition(node, 'Ready')?.status !== 'True') return false;
      const taints = node.spec?.taints;
      if (taintExists(taints, UNREACHABLE_NO_EXECUTE) || taintExists(taints, NOT_READY_NO_EXECUTE))
        return false;
    }
    return true;
  }

  private async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.list();
    if (this.quiet(nodes)) return;
    const present = new Set(nodes.map((n) => n.metadata.name!));
    for (const node of nodes) {
      const name = node.metadata.name!;
      if (this.known.has(name)) continue;
      this.known.add(name);
      this.tainter(zoneKey(node));
      this.recorder.event(node, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
      await this.markNodeAsReachable(node);
    }
    for (const name of [...this.known]) {
      if (present.has(name)) continue;
      this.known.delete(name);
      this.health.delete(name);
      for (const t of this.tainters.values()) t.queue.delete(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    for (const node of nodes) {
      if (this.stopped) return;
      let result: { observed: NodeCondition; current: NodeCondition | undefined };
      try {
        result = await this.tryUpdateNodeHealth(node);
      } catch (err) {
        this.ctx.logger.warn(
          { err, node: node.metadata.name },
          'updating node health failed; no pods will be evicted',
        );
        continue;
      }
      if (!(EXCLUDE_DISRUPTION_LABEL in (node.metadata.labels ?? {}))) {
        const zone = zoneKey(node);
        zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), result.current]);
      }
      if (!result.current) continue;
      await this.processTaintBaseEviction(node, result.observed);
      const name = node.metadata.name!;
      const needsRetry = this.retryPods.has(name);
      const wentBad = result.current.status !== 'True' && result.observed.status === 'True';
      if (wentBad) {
        this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
      if (wentBad || (needsRetry && result.observed.status !== 'True')) {
        if (await this.markPodsNotReady(this.podsOn(name), name)) this.retryPods.delete(name);
        else this.retryPods.add(name);
      } else {
        this.retryPods.delete(name);
      }
    }
    await this.handleDisruption(zoneConditions, nodes);
  }

  /**
   * tryUpdateNodeHealth: refreshes what is known of the node's heartbeats and, when it has been
   * silent for its grace period, marks its conditions Unknown. Returns the Ready condition as
   * observed before and as it is now.
   */
  private async tryUpdateNodeHealth(
    cached: Node,
  ): Promise<{ observed: NodeCondition; current: NodeCondition | undefined }> {
    const name = cached.metadata.name!;
    const lease = this.leases.get(name, NODE_LEASE_NAMESPACE);
    const result = await this.updateNodeHealth(cached, lease);
    const h = this.health.get(name);
    if (h)
      this.health.set(name, {
        ...h,
        nodeRV: cached.metadata.resourceVersion,
        leaseRV: lease?.metadata.resourceVersion,
      });
    return result;
  }

  private async updateNodeHealth(
    cached: Node,
    lease: Lease | undefined,
  ): Promise<{ observed: NodeCondition; current: NodeCondition | undefined }> {
    // The cached node is shared: copied only when it is to be written.
    let node = cached;
    const name = node.metadata.name!;
    const now = this.now();
    const created = parseTime(node.metadata.creationTimestamp) ?? now;
    let health = this.health.get(name);
    let current = condition(node, 'Ready');
    let observed: NodeCondition;
    let grace: number;
    if (!current) {
      observed = {
        type: 'Ready',
        status: 'Unknown',
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: node.metadata.creationTimestamp,
      };
      grace = this.startupGraceMs;
      health ??= {
        probeTimestamp: created,
        readyTransitionTimestamp: created,
        ready: undefined,
        leaseRenewTime: undefined,
      };
    } else {
      observed = { ...current };
      grace = this.graceMs;
    }
    const saved = health?.ready;
    if (!health) {
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: now,
        ready: current,
        leaseRenewTime: undefined,
      };
    } else if (!saved && current) {
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: now, ready: current };
    } else if (saved && current && saved.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transition =
        saved.lastTransitionTime !== current.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { ...health, probeTimestamp: now, readyTransitionTimestamp: transition, ready: current };
    } else if (current) {
      health = { ...health, ready: current };
    }
    // A renewed lease counts as a heartbeat.
    const renew = parseTime(lease?.spec?.renewTime);
    let renewedAfterUnknown = false;
    if (renew !== undefined && (health.leaseRenewTime === undefined || renew > health.leaseRenewTime)) {
      renewedAfterUnknown = health.leaseRenewTime !== undefined && !!health.beforeUnknown;
      health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
    }
    health = { ...health, grace };
    this.health.set(name, health);

    if (now > health.probeTimestamp + grace) {
      node = structuredClone(cached);
      const stamp = metaTime(now);
      const before = structuredClone(node.status?.conditions ?? []);
      const conditions = node.status?.conditions ?? [];
      for (const type of MONITORED_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({
            type,
            status: 'Unknown',
            reason: 'NodeStatusNeverUpdated',
            message: 'Kubelet never posted node status.',
            lastHeartbeatTime: node.metadata.creationTimestamp,
            lastTransitionTime: stamp,
          });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = stamp;
        }
      }
      node.status = { ...(node.status ?? {}), conditions };
      current = condition(node, 'Ready');
      if (JSON.stringify(current) !== JSON.stringify(observed)) {
        await this.ctx.client.update(resources.nodes, node, { subresource: 'status' });
        this.health.set(name, {
          ...health,
          readyTransitionTimestamp: now,
          ready: current,
          beforeUnknown: before.some((c) => c.type === 'Ready') ? before : undefined,
        });
      }
    } else if (
      this.restore &&
      renewedAfterUnknown &&
      current?.status === 'Unknown' &&
      current.reason === 'NodeStatusUnknown'
    ) {
      // Heard from again through the lease: the conditions it had come back, as its kubelet's next post.
      current = await this.restoreConditions(structuredClone(cached), health);
      if (current) observed = { ...current };
    }
    return { observed, current };
  }

  private async restoreConditions(node: Node, health: NodeHealth): Promise<NodeCondition | undefined> {
    const now = this.now();
    const stamp = metaTime(now);
    const previous = health.beforeUnknown ?? [];
    const conditions = (node.status?.conditions ?? []).map((c) => {
      if (!MONITORED_CONDITIONS.includes(c.type) || c.status !== 'Unknown') return c;
      const prior = previous.find((p) => p.type === c.type);
      const base =
        prior && prior.status !== 'Unknown' ? prior : { type: c.type, ...DEFAULT_CONDITIONS[c.type]! };
      return { ...base, lastHeartbeatTime: stamp, lastTransitionTime: stamp };
    });
    node.status = { ...(node.status ?? {}), conditions };
    await this.ctx.client.update(resources.nodes, node, { subresource: 'status' });
    const ready = condition(node, 'Ready');
    this.health.set(node.metadata.name!, {
      ...health,
      probeTimestamp: now,
      readyTransitionTimestamp: now,
      ready,
      beforeUnknown: undefined,
    });
    this.recorder.event(node, 'Normal', 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`);
    return ready;
  }

  /** MarkPodsNotReady: the pods of a node that stopped reporting are not ready either. */
  private async markPodsNotReady(pods: Pod[], nodeName: string): Promise<boolean> {
    let ok = true;
    for (const cached of pods) {
      if (cached.spec?.nodeName !== nodeName) continue;
      const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const pod = structuredClone(cached);
      const cond = pod.status!.conditions!.find((c) => c.type === 'Ready')!;
      cond.status = 'False';
      cond.lastTransitionTime = metaTime(this.now());
      try {
        await this.ctx.client.update(resources.pods, pod, {
          namespace: pod.metadata.namespace,
          subresource: 'status',
        });
        this.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (isNotFound(err)) continue;
        this.ctx.logger.debug({ err, pod: pod.metadata.name }, 'marking a pod not ready failed');
        ok = false;
      }
    }
    return ok;
  }

  /** A pod assigned to a node that is not ready is not ready (processPod). */
  async podAssigned(pod: Pod): Promise<void> {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !this.health.has(nodeName)) return;
    const node = this.nodes.get(nodeName);
    const ready = node && condition(node, 'Ready');
    if (!ready || ready.status === 'True') return;
    await this.markPodsNotReady([pod], nodeName);
  }

  // ----------------------------------------------------------------------------- NoExecute taints

  private tainter(zone: string): ZoneTainter {
    let t = this.tainters.get(zone);
    if (!t) {
      t = { queue: new Set(), limiter: new ZoneLimiter(this.evictionRate, this.now()) };
      this.tainters.set(zone, t);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    return t;
  }

  private swapLimiter(zone: string, qps: number): void {
    const t = this.tainter(zone);
    if (t.limiter.qps !== qps) t.limiter = new ZoneLimiter(qps, this.now());
  }

  private async processTaintBaseEviction(node: Node, observed: NodeCondition): Promise<void> {
    const now = this.ctx.now();
    switch (observed.status) {
      case 'False':
        if (taintExists(node.spec?.taints, UNREACHABLE_NO_EXECUTE)) {
          await swapNodeTaints(this.ctx.client, node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE], now);
        } else {
          this.tainter(zoneKey(node)).queue.add(node.metadata.name!);
        }
        break;
      case 'Unknown':
        if (taintExists(node.spec?.taints, NOT_READY_NO_EXECUTE)) {
          await swapNodeTaints(this.ctx.client, node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE], now);
        } else {
          this.tainter(zoneKey(node)).queue.add(node.metadata.name!);
        }
        break;
      case 'True':
        await this.markNodeAsReachable(node);
        break;
    }
  }

  /** Removes the NoExecute taints this controller adds, and any pending request for one. */
  private async markNodeAsReachable(node: Node): Promise<void> {
    this.tainter(zoneKey(node)).queue.delete(node.metadata.name!);
    const taints = node.spec?.taints;
    if (!taintExists(taints, UNREACHABLE_NO_EXECUTE) && !taintExists(taints, NOT_READY_NO_EXECUTE)) return;
    await swapNodeTaints(
      this.ctx.client,
      node,
      [],
      [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE],
      this.ctx.now(),
    );
  }

  /** doNoExecuteTaintingPass: taints queued nodes as each zone's limiter allows. */
  private async noExecuteTaintingPass(): Promise<void> {
    for (const t of this.tainters.values()) {
      for (const name of [...t.queue]) {
        const node = this.nodes.get(name);
        if (!node) {
          t.queue.delete(name);
          continue;
        }
        const ready = condition(node, 'Ready');
        if (!ready) continue;
        let add: Taint;
        let opposite: Taint;
        if (ready.status === 'False') {
          add = NOT_READY_NO_EXECUTE;
          opposite = UNREACHABLE_NO_EXECUTE;
        } else if (ready.status === 'Unknown') {
          add = UNREACHABLE_NO_EXECUTE;
          opposite = NOT_READY_NO_EXECUTE;
        } else {
          t.queue.delete(name);
          continue;
        }
        if (!t.limiter.tryAccept(this.now())) break;
        t.queue.delete(name);
        const ok = await swapNodeTaints(this.ctx.client, node, [add], [opposite], this.ctx.now()).catch(
          () => false,
        );
        if (!ok) t.queue.add(name);
      }
    }
  }

  /** ComputeZoneState: how much of a zone is down. */
  private zoneState(conditions: (NodeCondition | undefined)[]): ZoneState {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return 'FullDisruption';
    if (notReady > 2 && notReady / (notReady + ready) >= this.unhealthyThreshold) return 'PartialDisruption';
    return 'Normal';
  }

  private limiterFor(state: ZoneState, zoneSize: number): number {
    if (state === 'PartialDisruption') return zoneSize <= this.largeCluster ? 0 : this.secondaryRate;
    return this.evictionRate;
  }

  private async handleDisruption(
    zoneConditions: Map<string, (NodeCondition | undefined)[]>,
    nodes: Node[],
  ): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conditions] of zoneConditions) {
      const state = this.zoneState(conditions);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWereFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWereFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWereFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      this.ctx.logger.info('all nodes are not ready: entering control-plane disruption mode, no evictions');
      for (const node of nodes) await this.markNodeAsReachable(node);
      for (const zone of this.zoneStates.keys()) {
        this.swapLimiter(zone, 0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWereFullyDisrupted) {
      this.ctx.logger.info('some nodes are ready: leaving control-plane disruption mode');
      const now = this.now();
      for (const node of nodes) {
        const h = this.health.get(node.metadata.name!);
        if (h)
          this.health.set(node.metadata.name!, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      }
      for (const zone of this.zoneStates.keys()) {
        const state = newStates.get(zone) ?? 'Normal';
        this.swapLimiter(zone, this.limiterFor(state, zoneConditions.get(zone)?.length ?? 0));
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of this.zoneStates) {
      const next = newStates.get(zone) ?? state;
      if (next === state) continue;
      this.swapLimiter(zone, this.limiterFor(next, zoneConditions.get(zone)?.length ?? 0));
      this.zoneStates.set(zone, next);
    }
  }
}

/** Starts the node lifecycle controller of a cluster (see NodeLifecycleOptions). */
export function startNodeLifecycleController(
  ctx: ControllerContext,
  opts: NodeLifecycleOptions = {},
): RunningController {
  const nc = new NodeLifecycleController(ctx, opts);
  const enqueueNode = (n: Node) => nc.noSchedule.enqueue(n.metadata.name!);
  const offs = [
    nc.nodes.addEventHandler({ onAdd: enqueueNode, onUpdate: (_o, n) => enqueueNode(n) }),
    nc.pods.addEventHandler({
      onAdd: (pod) => {
        if (pod.spec?.nodeName) void nc.podAssigned(pod);
      },
      onUpdate: (old, pod) => {
        if (pod.spec?.nodeName && pod.spec.nodeName !== old.spec?.nodeName) void nc.podAssigned(pod);
      },
    }),
  ];
  return runController({
    name: 'node-lifecycle',
    informers: [nc.nodes, nc.leases, nc.pods],
    unregister: offs,
    onSynced: () => {
      nc.noSchedule.start();
      nc.startTimer();
    },
    onStop: () => nc.stop(),
  });
}
