// The simulated kubelet of one cluster: a single agent that plays the kubelet of every node of the
// cluster. It registers the Nodes, renews their Leases from the host-wide ticker, reports node
// status when it changes (or every few minutes, as a kubelet does), and runs the pods bound to its
// nodes through their life (pod-lifecycle.ts) from one work queue with a bounded number of writes
// in flight. A node can be failed and healed: a failed node's heartbeats and pod updates stop,
// and the control plane notices the way it notices a real outage.

import type { Logger } from 'pino';
import { pino } from 'pino';
import { nodeNameIndex } from '../../client/cache.js';
import type { Client } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { resources } from '../../client/resources.js';
import { EventRecorder } from '../../controller/events.js';
import type { BackgroundLane } from '../../controller/lane.js';
import { WorkQueue } from '../../controller/queue.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound } from '../../machinery/status.js';
import { metaTime, microTime } from '../../machinery/time.js';
import { type Duty, processTicker, type Ticker } from '../ticker.js';
import {
  formatCidr,
  hostAddress,
  type Ipv4Cidr,
  PodAddressPool,
  parseCidr,
  subnet,
  subnetCount,
} from './addresses.js';
import {
  conditionsHealthy,
  DEFAULT_NODE_SHAPE,
  healthyNodeConditions,
  LABEL_ZONE,
  leaseObject,
  MACHINE_PROVIDER_ID_PREFIX,
  NODE_LEASE_NAMESPACE,
  type NodeShape,
  nodeObject,
  nodeShape,
  type SimNodeSpec,
  validateNodeShape,
} from './node-template.js';
import {
  DEFAULT_TIMINGS,
  type LifecycleTimings,
  newPodMemory,
  type PodEvent,
  type PodMemory,
  type PodStatus,
  type ProbeResults,
  planPod,
} from './pod-lifecycle.js';
import { PodProbes, type ProbeChange } from './prober.js';
import type { ContainerRuntime } from './runtime.js';

export interface SimKubeletOptions {
  /** The cluster's name (node names, provider ids, logs). */
  cluster: string;
  /** topology.kubernetes.io/region of every node; zones are <region>-a, -b, -c. */
  region: string;
  client: Client;
  /** The cluster's shared informers (pods and nodes are watched once for everyone). */
  informers: InformerFactory;
  logger?: Logger;
  /** The host-wide ticker heartbeats hang off (default: the process's). */
  ticker?: Ticker;
  now?: () => number;
  /** Nodes registered at start (default 3). */
  nodes?: number;
  /** The machine of each node (default sim.xlarge: 16 cpu, 64Gi, 110 pods). */
  nodeShape?: NodeShape;
  /** Zones nodes are spread over, in turn (default <region>-a, <region>-b, <region>-c). */
  zones?: string[];
  /** Cluster pod CIDR; each node gets the next /24 of it (default 10.244.0.0/16). */
  podCIDR?: string;
  /** Where nodes' InternalIPs come from (default 172.18.0.0/16, from .2 up). */
  nodeCIDR?: string;
  /** Lease renewal period (default 10 s, as the kubelet). */
  heartbeatIntervalMs?: number;
  /** leaseDurationSeconds of node Leases (default 40). */
  leaseDurationSeconds?: number;
  /** Node status is written when it changes, and at least this often (default 5 minutes). */
  nodeStatusReportMs?: number;
  /** Pod timings (start delay, Job run time, restart back-off ...). */
  timings?: Partial<LifecycleTimings>;
  /** Pod writes in flight at once (default 32). */
  concurrency?: number;
  /** Which events the kubelet records (default: warnings only — start and stop events cost a write per pod). */
  events?: 'all' | 'warnings' | 'none';
  /** Runs the containers of the pods it takes for real, with real health probes (the data plane). */
  runtime?: ContainerRuntime;
  /** Each pod's sync waits for a turn of this lane (the host's: requests first, lane.ts). */
  lane?: BackgroundLane;
}

export interface AddNodeOptions {
  name?: string;
  shape?: NodeShape;
  zone?: string;
  labels?: Record<string, string>;
  taints?: SimNodeSpec['taints'];
  /** The node's spec.providerID (a provisioned machine's; default concord-sim://<cluster>/<node>). */
  providerID?: string;
  /** The node's kubeletVersion (a provisioned machine's version). */
  kubeletVersion?: string;
}

interface NodeState {
  spec: SimNodeSpec;
  /** Index of its pod subnet and address in the cluster's ranges. */
  slot: number;
  pool: PodAddressPool;
  failed: boolean;
  registered: boolean;
  lease?: KubeObject;
  lastStatusReportMs: number;
  renewing: boolean;
  recorder?: EventRecorder;
}

interface PodRecord {
  uid: string | undefined;
  memory: PodMemory;
  /** The pod as this kubelet last wrote it (newer than the informer's copy until the watch catches up). */
  written?: KubeObject;
  /** The address reserved for it. */
  ip?: string;
  node: string;
}

const POD_SUBNET_BITS = 24;

function rvNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length > b.length : a > b;
}

function nodeInfoVersion(node: KubeObject): string | undefined {
  return (node.status as { nodeInfo?: { kubeletVersion?: string } } | undefined)?.nodeInfo?.kubeletVersion;
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

export class SimKubelet {
  readonly cluster: string;
  readonly region: string;
  private readonly client: Client;
  private readonly informers: InformerFactory;
  private readonly logger: Logger;
  private readonly lane: BackgroundLane | undefined;
  private readonly ticker: Ticker;
  private readonly now: () => number;
  private readonly timings: LifecycleTimings;
  private readonly zones: string[];
  private readonly shape: NodeShape;
  private readonly podCIDR: Ipv4Cidr;
  private readonly nodeCIDR: Ipv4Cidr;
  private readonly heartbeatMs: number;
  private readonly leaseSeconds: number;
  private readonly reportMs: number;
  private readonly concurrency: number;
  private readonly eventLevel: 'all' | 'warnings' | 'none';
  private readonly initialNodes: number;
  private readonly nodes = new Map<string, NodeState>();
  private readonly usedSlots = new Set<number>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly queue = new WorkQueue<string>({ name: 'sim-kubelet' });
  private readonly identity: { name: string; region: string };
  private readonly runtime: ContainerRuntime | undefined;
  private readonly probes: PodProbes;
  private podInformer: Informer | undefined;
  private nodeInformer: Informer | undefined;
  private podsOnNode: ((node: string) => KubeObject[]) | undefined;
  private unsubscribe: (() => void)[] = [];
  private heartbeat: Duty | undefined;
  private workers: Promise<void>[] = [];
  private started = false;
  private stopped = false;
  /** What the kubelet has written so far (for benchmarks and diagnostics). */
  readonly stats = { podStatusWrites: 0, podDeletes: 0, conflicts: 0, leaseRenewals: 0, nodeStatusWrites: 0 };

  constructor(opts: SimKubeletOptions) {
    this.cluster = opts.cluster;
    this.region = opts.region;
    this.identity = { name: opts.cluster, region: opts.region };
    this.client = opts.client;
    this.informers = opts.informers;
    this.lane = opts.lane;
    this.logger = (opts.logger ?? pino({ level: 'warn' })).child({
      component: 'sim-kubelet',
      cluster: opts.cluster,
    });
    this.ticker = opts.ticker ?? processTicker();
    this.now = opts.now ?? Date.now;
    this.timings = { ...DEFAULT_TIMINGS, ...(opts.timings ?? {}) };
    for (const [k, v] of Object.entries(this.timings)) {
      if (typeof v !== 'number' || !(v >= 0))
        throw new Error(`kubelet timings: ${k} must be a non-negative number of ms`);
    }
    this.zones =
      opts.zones && opts.zones.length > 0 ? opts.zones : ['a', 'b', 'c'].map((z) => `${opts.region}-${z}`);
    this.shape = opts.nodeShape ?? nodeShape(DEFAULT_NODE_SHAPE);
    validateNodeShape(this.shape);
    this.podCIDR = parseCidr(opts.podCIDR ?? '10.244.0.0/16', 'pod CIDR');
    this.nodeCIDR = parseCidr(opts.nodeCIDR ?? '172.18.0.0/16', 'node CIDR');
    if (this.podCIDR.bits > POD_SUBNET_BITS) {
      throw new Error(`pod CIDR ${formatCidr(this.podCIDR)} is smaller than one node's /${POD_SUBNET_BITS}`);
    }
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 10_000;
    this.leaseSeconds = opts.leaseDurationSeconds ?? 40;
    this.reportMs = opts.nodeStatusReportMs ?? 300_000;
    this.concurrency = opts.concurrency ?? 32;
    this.eventLevel = opts.events ?? 'warnings';
    this.initialNodes = opts.nodes ?? 3;
    this.runtime = opts.runtime;
    this.probes = new PodProbes((change) => this.probed(change));
    if (!Number.isInteger(this.initialNodes) || this.initialNodes < 0) {
      throw new Error(`nodes must be a non-negative integer, got ${opts.nodes}`);
    }
    if (this.initialNodes > this.maxNodes) {
      throw new Error(
        `${this.initialNodes} nodes do not fit: pod CIDR ${formatCidr(this.podCIDR)} holds ${this.maxNodes} node /${POD_SUBNET_BITS} ranges`,
      );
    }
  }

  /** How many nodes the address ranges allow. */
  get maxNodes(): number {
    return Math.min(subnetCount(this.podCIDR, POD_SUBNET_BITS), this.nodeCIDR.size - 3);
  }

  /**
   * Registers the nodes (keeping the addresses of nodes that exist already, after a restart),
   * starts the heartbeats and starts running pods. The cluster's informer factory must be started.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.podInformer = this.informers.informerFor(resources.pods);
    this.nodeInformer = this.informers.informerFor(resources.nodes);
    this.podsOnNode = podsByNode(this.podInformer);
    await this.adoptExistingNodes();
    for (let i = this.nodes.size; i < this.initialNodes; i++) this.planNode({});
    await Promise.all([...this.nodes.values()].map((n) => this.register(n)));
    this.unsubscribe.push(
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.observe(pod),
        onUpdate: (_old, pod) => this.observe(pod),
        onDelete: (pod) => this.forget(pod),
      }),
    );
    this.heartbeat = this.ticker.every(this.heartbeatMs, () => this.beat());
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.heartbeat?.cancel();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
    this.probes.stopAll();
    await this.runtime?.stopAll();
    await Promise.all([...this.nodes.values()].map((n) => n.recorder?.stop()));
  }

  /** Node names, in registration order. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Whether the node exists in this simulation, and whether it is failed. */
  nodeState(
    name: string,
  ): { failed: boolean; zone: string; podCIDR: string; internalIP: string } | undefined {
    const n = this.nodes.get(name);
    return (
      n && { failed: n.failed, zone: n.spec.zone, podCIDR: n.spec.podCIDR, internalIP: n.spec.internalIP }
    );
  }

  /** Adds a node (a new machine joining the cluster); resolves once it is registered. */
  async addNode(opts: AddNodeOptions = {}): Promise<string> {
    if (!this.started || this.stopped) throw new Error('the kubelet is not running');
    const n = this.planNode(opts);
    await this.register(n);
    return n.spec.name;
  }

  /** Removes a node: its heartbeats stop and its Node and Lease are deleted (a machine deleted). */
  async removeNode(name: string): Promise<void> {
    const n = this.requireNode(name);
    this.nodes.delete(name);
    this.usedSlots.delete(n.slot);
    await Promise.all([
      this.client.delete(resources.nodes, name).catch((err) => {
        if (!isNotFound(err)) throw err;
      }),
      this.client.delete(resources.leases, name, { namespace: NODE_LEASE_NAMESPACE }).catch((err) => {
        if (!isNotFound(err)) throw err;
      }),
    ]);
  }

  /** The node stops: no more heartbeats, no more pod updates, and its containers stop running. */
  failNode(name: string): void {
    this.requireNode(name).failed = true;
    for (const [key, record] of this.pods) if (record.node === name) this.stopContainers(key);
  }

  /** The node comes back: heartbeats resume at once and its pods are looked at again. */
  healNode(name: string): void {
    const n = this.requireNode(name);
    if (!n.failed) return;
    n.failed = false;
    void this.renew(n);
    for (const pod of this.podsOnNode?.(name) ?? []) this.queue.add(podKey(pod));
  }

  private requireNode(name: string): NodeState {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`cluster ${this.cluster} has no node "${name}"`);
    return n;
  }

  // --- nodes -----------------------------------------------------------------------------------

  /** Nodes that exist in the API already (a restart on the same store) keep their ranges. */
  private async adoptExistingNodes(): Promise<void> {
    const list = await this.client.list(resources.nodes, {});
    const prefix = `concord-sim://${this.cluster}/`;
    for (const node of list.items) {
      const spec = (node.spec ?? {}) as {
        providerID?: string;
        podCIDR?: string;
        taints?: SimNodeSpec['taints'];
      };
      const provisioned = spec.providerID?.startsWith(MACHINE_PROVIDER_ID_PREFIX) === true;
      if (!(spec.providerID?.startsWith(prefix) || provisioned) || !spec.podCIDR) continue;
      const name = node.metadata.name!;
      let cidr: Ipv4Cidr;
      try {
        cidr = parseCidr(spec.podCIDR);
      } catch {
        continue;
      }
      const slot = (cidr.base - this.podCIDR.base) / 2 ** (32 - POD_SUBNET_BITS);
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.maxNodes || this.usedSlots.has(slot)) continue;
      const status = (node.status ?? {}) as {
        addresses?: { type: string; address: string }[];
        capacity?: Record<string, string>;
      };
      const internalIP =
        status.addresses?.find((a) => a.type === 'InternalIP')?.address ??
        hostAddress(this.nodeCIDR, slot + 2);
      const labels = node.metadata.labels ?? {};
      const shape: NodeShape = {
        instanceType: labels['node.kubernetes.io/instance-type'] ?? this.shape.instanceType,
        cpu: status.capacity?.cpu ?? this.shape.cpu,
        memory: status.capacity?.memory ?? this.shape.memory,
        pods: Number(status.capacity?.pods ?? this.shape.pods),
        ephemeralStorage: status.capacity?.['ephemeral-storage'] ?? this.shape.ephemeralStorage,
      };
      const gpus = Number(status.capacity?.['nvidia.com/gpu'] ?? 0);
      if (gpus > 0) shape.gpus = gpus;
      this.usedSlots.add(slot);
      this.nodes.set(name, {
        spec: {
          name,
          zone: labels[LABEL_ZONE] ?? this.zones[slot % this.zones.length]!,
          shape,
          podCIDR: spec.podCIDR,
          internalIP,
          ...(provisioned ? { providerID: spec.providerID } : {}),
          ...(provisioned && nodeInfoVersion(node) ? { kubeletVersion: nodeInfoVersion(node) } : {}),
          // A provisioned node keeps the labels its machine gave it.
          ...(provisioned ? { labels } : {}),
        },
        slot,
        pool: new PodAddressPool(cidr),
        failed: false,
        registered: false,
        lastStatusReportMs: 0,
        renewing: false,
      });
    }
  }

  private planNode(opts: AddNodeOptions): NodeState {
    let slot = 0;
    while (this.usedSlots.has(slot)) slot++;
    if (slot >= this.maxNodes) {
      throw new Error(
        `cluster ${this.cluster} cannot take another node: its address ranges hold ${this.maxNodes}`,
      );
    }
    let name = opts.name ?? `${this.cluster}-node-${slot + 1}`;
    if (opts.name === undefined) {
      // Generated names skip ones in use (a node added by name earlier).
      for (let k = slot + 1; this.nodes.has(name); k++) name = `${this.cluster}-node-${k}`;
    } else if (this.nodes.has(name)) {
      throw new Error(`cluster ${this.cluster} has a node "${name}" already`);
    }
    const shape = opts.shape ?? this.shape;
    validateNodeShape(shape, `node ${name}`);
    const cidr = subnet(this.podCIDR, POD_SUBNET_BITS, slot);
    this.usedSlots.add(slot);
    const state: NodeState = {
      spec: {
        name,
        zone: opts.zone ?? this.zones[slot % this.zones.length]!,
        shape,
        podCIDR: formatCidr(cidr),
        internalIP: hostAddress(this.nodeCIDR, slot + 2),
        ...(opts.labels ? { labels: opts.labels } : {}),
        ...(opts.taints ? { taints: opts.taints } : {}),
        ...(opts.providerID ? { providerID: opts.providerID } : {}),
        ...(opts.kubeletVersion ? { kubeletVersion: opts.kubeletVersion } : {}),
      },
      slot,
      pool: new PodAddressPool(cidr),
      failed: false,
      registered: false,
      lastStatusReportMs: 0,
      renewing: false,
    };
    this.nodes.set(name, state);
    return state;
  }

  /** Creates the Node (or reports status on the one that exists) and its Lease. */
  private async register(n: NodeState): Promise<void> {
    const nowMs = this.now();
    const nowIso = metaTime(nowMs);
    let node: KubeObject;
    try {
      node = await this.client.create(resources.nodes, nodeObject(this.identity, n.spec, nowIso));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.reportStatus(n, true);
    }
    n.registered = true;
    n.lastStatusReportMs = nowMs;
    const lease = leaseObject({ name: n.spec.name, uid: node.metadata.uid }, this.leaseSeconds, nowMs);
    try {
      n.lease = await this.client.create(resources.leases, lease, { namespace: NODE_LEASE_NAMESPACE });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.renew(n);
    }
  }

  /** Writes the node's healthy status (conditions, capacity, addresses) over what the API has. */
  private async reportStatus(n: NodeState, force = false): Promise<KubeObject> {
    const current =
      (force ? undefined : this.nodeInformer?.get(n.spec.name)) ??
      (await this.client.get(resources.nodes, n.spec.name));
    const nowMs = this.now();
    const nowIso = metaTime(nowMs);
    const previous = ((current.status as { conditions?: Condition[] } | undefined)?.conditions ??
      []) as Condition[];
    const template = nodeObject(this.identity, n.spec, nowIso);
    const status = {
      ...((current.status as Record<string, unknown>) ?? {}),
      ...(template.status as Record<string, unknown>),
      conditions: healthyNodeConditions(nowIso, previous),
    };
    const updated = await this.client.update(
      resources.nodes,
      { ...current, status },
      { subresource: 'status' },
    );
    n.lastStatusReportMs = nowMs;
    this.stats.nodeStatusWrites++;
    return updated;
  }

  /** One heartbeat for every node that is up. */
  private beat(): void {
    if (this.stopped) return;
    for (const n of this.nodes.values()) {
      if (!n.failed && n.registered) void this.renew(n);
    }
  }

  /** Renews the node's Lease; reports node status when it is not what the kubelet says, or is due. */
  private async renew(n: NodeState): Promise<void> {
    if (n.renewing || this.stopped) return;
    n.renewing = true;
    try {
      const nowMs = this.now();
      const name = n.spec.name;
      try {
        if (!n.lease) throw new ApiError(404, 'NotFound', 'no lease yet');
        const lease = {
          ...n.lease,
          spec: {
            ...(n.lease.spec as object),
            holderIdentity: name,
            leaseDurationSeconds: this.leaseSeconds,
            renewTime: microTime(nowMs),
          },
        };
        n.lease = await this.client.update(resources.leases, lease);
        this.stats.leaseRenewals++;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        // Someone else changed or removed it: start again from what the API has.
        let current: KubeObject | undefined;
        try {
          current = await this.client.get(resources.leases, name, { namespace: NODE_LEASE_NAMESPACE });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        if (current) {
          const spec = {
            ...(current.spec as object),
            holderIdentity: name,
            leaseDurationSeconds: this.leaseSeconds,
            renewTime: microTime(nowMs),
          };
          n.lease = await this.client.update(resources.leases, { ...current, spec });
        } else {
          const node = this.nodeInformer?.get(name);
          n.lease = await this.client.create(
            resources.leases,
            leaseObject({ name, uid: node?.metadata.uid }, this.leaseSeconds, nowMs),
            { namespace: NODE_LEASE_NAMESPACE },
          );
        }
      }
      const node = this.nodeInformer?.get(name);
      if (!node) return;
      const conditions = (node.status as { conditions?: Condition[] } | undefined)?.conditions;
      if (!conditionsHealthy(conditions) || nowMs - n.lastStatusReportMs >= this.reportMs) {
        await this.reportStatus(n);
      }
    } catch (err) {
      if (!this.stopped) this.logger.warn({ err, node: n.spec.name }, 'node heartbeat failed');
    } finally {
      n.renewing = false;
    }
  }

  // --- pods ------------------------------------------------------------------------------------

  private observe(pod: KubeObject): void {
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) return;
    const n = this.nodes.get(nodeName);
    if (!n) return;
    const key = podKey(pod);
    let record = this.pods.get(key);
    if (record && record.uid !== pod.metadata.uid) {
      // Same name, another pod (a StatefulSet's replacement): start over.
      this.release(record);
      record = undefined;
    }
    if (!record) {
      record = { uid: pod.metadata.uid, memory: newPodMemory(this.now()), node: nodeName };
      this.pods.set(key, record);
      const status = pod.status as { podIP?: string; phase?: string } | undefined;
      // A finished pod's sandbox is gone: its address is free again (it stays in its status).
      const finished = status?.phase === 'Succeeded' || status?.phase === 'Failed';
      if (status?.podIP && !finished && n.pool.claim(status.podIP)) record.ip = status.podIP;
    }
    if (!n.failed) this.queue.add(key);
  }

  private forget(pod: KubeObject): void {
    const key = podKey(pod);
    const record = this.pods.get(key);
    if (!record) return;
    if (record.uid !== pod.metadata.uid) return;
    this.pods.delete(key);
    this.release(record);
    this.stopContainers(key);
  }

  /** Stops what runs for real of a pod (its responders and probes). */
  private stopContainers(key: string): void {
    this.probes.stop(key);
    this.runtime?.stop(key).catch((err) => this.logger.warn({ err, pod: key }, 'stopping containers failed'));
  }

  /** A probe result changed: record it as the kubelet does, and look at the pod again. */
  private probed(change: ProbeChange): void {
    if (this.stopped) return;
    const record = this.pods.get(change.key);
    const pod = this.podInformer?.getByKey(change.key);
    const n = record && this.nodes.get(record.node);
    if (pod && n && !change.success) {
      const kind = change.kind === 'readiness' ? 'Readiness' : 'Liveness';
      this.record(n, pod, [
        { type: 'Warning', reason: 'Unhealthy', message: `${kind} probe failed: ${change.message}` },
      ]);
    }
    this.queue.add(change.key);
  }

  private release(record: PodRecord): void {
    if (record.ip) this.nodes.get(record.node)?.pool.release(record.ip);
    record.ip = undefined;
  }

  private async work(): Promise<void> {
    for (;;) {
      const next = await this.queue.get();
      if (next.shutdown) return;
      try {
        if (this.lane) await this.lane.turn();
        await this.sync(next.item);
      } catch (err) {
        if (isConflict(err)) {
          this.stats.conflicts++;
          this.queue.add(next.item);
        } else if (!this.stopped) {
          this.logger.warn({ err, pod: next.item }, 'pod sync failed');
          this.queue.addRateLimited(next.item);
        }
      } finally {
        this.queue.done(next.item);
      }
    }
  }

  /** The freshest copy of the pod this kubelet knows: the informer's, or what it wrote last. */
  private current(key: string, record: PodRecord): KubeObject | undefined {
    const cached = this.podInformer?.getByKey(key);
    const written = record.written;
    if (written && (!cached || rvNewer(written.metadata.resourceVersion, cached.metadata.resourceVersion))) {
      return written.metadata.uid === record.uid ? written : cached;
    }
    record.written = undefined;
    return cached;
  }

  private async sync(key: string): Promise<void> {
    if (this.stopped) return;
    const record = this.pods.get(key);
    if (!record) return;
    const pod = this.current(key, record);
    if (!pod) return;
    const n = this.nodes.get(record.node);
    if (!n || n.failed) return;
    const started = (pod.status as { conditions?: Condition[] } | undefined)?.conditions?.some(
      (c) => c.type === 'PodReadyToStartContainers' && c.status === 'True',
    );
    if (!started && !record.ip && !pod.metadata.deletionTimestamp) {
      const ip = n.pool.allocate();
      if (ip) record.ip = ip;
    }
    const nowMs = this.now();
    const runs = this.runtime?.runs(pod) ?? false;
    const plan = planPod(pod, {
      nowMs,
      node: { name: n.spec.name, hostIP: n.spec.internalIP },
      podIP: record.ip,
      memory: record.memory,
      timings: this.timings,
      ...(runs ? { probes: this.probeView(key, pod) } : {}),
    });
    this.record(n, pod, plan.events);
    if (runs && this.runtime) {
      // What the status is about to say runs must run (and what it says stopped must stop) first.
      if (plan.remove) this.stopContainers(key);
      else {
        const next = plan.status ?? ((pod.status ?? {}) as PodStatus);
        try {
          await this.runtime.sync(key, pod, next, { name: n.spec.name, zone: n.spec.zone });
        } catch (err) {
          this.logger.warn({ err, pod: key }, 'running the containers failed');
        }
        this.probes.sync(key, pod, next);
      }
    }
    if (plan.status) {
      const updated = await this.client.update(
        resources.pods,
        { ...pod, status: plan.status },
        { subresource: 'status' },
      );
      record.written = updated;
      this.stats.podStatusWrites++;
      const phase = plan.status.phase;
      if (phase === 'Succeeded' || phase === 'Failed') this.release(record);
    } else if (plan.remove) {
      try {
        await this.client.delete(resources.pods, pod.metadata.name!, {
          namespace: pod.metadata.namespace,
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        });
        this.stats.podDeletes++;
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    if (plan.wakeAtMs !== undefined) this.queue.addAfter(key, plan.wakeAtMs - nowMs);
  }

  private probeView(key: string, pod: KubeObject): ProbeResults {
    return {
      ready: (container, instance) =>
        hasReadinessProbe(pod, container) ? this.probes.ready(key, container, instance) : undefined,
      livenessFailed: (container, instance) => this.probes.livenessFailed(key, container, instance),
    };
  }

  private record(n: NodeState, pod: KubeObject, events: PodEvent[]): void {
    if (this.eventLevel === 'none' || events.length === 0) return;
    for (const e of events) {
      if (this.eventLevel === 'warnings' && e.type !== 'Warning') continue;
      n.recorder ??= new EventRecorder({
        client: this.client,
        component: 'kubelet',
        host: n.spec.name,
        logger: this.logger,
      });
      n.recorder.event(pod, e.type, e.reason, e.message);
    }
  }
}

/** Only containers that declare a readiness probe are probed for it; others are ready once running. */
function hasReadinessProbe(pod: KubeObject, container: string): boolean {
  const containers = (pod.spec as { containers?: { name: string; readinessProbe?: unknown }[] } | undefined)
    ?.containers;
  return containers?.some((c) => c.name === container && c.readinessProbe !== undefined) ?? false;
}

/** An index of pods by node on the shared pod informer (shared with controllers that made the same one). */
function podsByNode(pods: Informer): (node: string) => KubeObject[] {
  for (const name of ['nodeName', 'sim-kubelet.nodeName']) {
    try {
      pods.addIndexers({ [name]: nodeNameIndex });
      return (node) => pods.byIndex(name, node);
    } catch {
      // Taken by another index function: try our own name.
    }
  }
  return (node) =>
    pods.list().filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === node);
}
