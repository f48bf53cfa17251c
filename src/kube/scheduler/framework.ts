// One scheduling decision, as kube-scheduler's default profile makes it:
// PreFilter (whole-cluster checks: claims exist, inter-pod affinity and topology spread counts,
// nodes a DaemonSet pod pins), Filter on each node in the profile's order — NodeUnschedulable,
// NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, VolumeRestrictions,
// PodTopologySpread, InterPodAffinity; a node stops at its first failing plugin — then Score the
// feasible nodes with the profile's weights — TaintToleration 3, NodeAffinity 2,
// PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit (LeastAllocated) 1,
// NodeResourcesBalancedAllocation 1 — and take the best, ties broken at random.
// Pods nominated to a node by preemption are counted there for pods of lower or equal priority.

import type { Selector } from '../../machinery/labels.js';
import { preferredNodeAffinityScore, requiredNodeAffinityMatches } from '../../machinery/node-affinity.js';
import type { KubeObject } from '../../machinery/object.js';
import {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  TAINT_UNSCHEDULABLE,
  tolerationsTolerateTaint,
} from '../../machinery/taints.js';
import type { NodeInfo, SchedulerCache } from './cache.js';
import { Diagnosis, type Status, status } from './fit-error.js';
import {
  cloneState,
  filterInterPodAffinity,
  type InterPodAffinityState,
  interPodAffinityScore,
  type LabelsOfNamespace,
  preFilterInterPodAffinity,
  preScoreInterPodAffinity,
  updateStateWithPod,
} from './pod-affinity.js';
import type { ExclusiveDisk, PodInfo } from './pod-info.js';
import {
  cloneSpreadState,
  filterSpread,
  preFilterSpread,
  type SpreadFilterState,
  scoreSpread,
  updateSpreadWithPod,
} from './pod-topology-spread.js';
import { defaultSpreadConstraints } from './spread-constraints.js';

export const PLUGINS = {
  nodeUnschedulable: 'NodeUnschedulable',
  nodeName: 'NodeName',
  taintToleration: 'TaintToleration',
  nodeAffinity: 'NodeAffinity',
  nodePorts: 'NodePorts',
  nodeResourcesFit: 'NodeResourcesFit',
  volumeRestrictions: 'VolumeRestrictions',
  volumeBinding: 'VolumeBinding',
  interPodAffinity: 'InterPodAffinity',
  podTopologySpread: 'PodTopologySpread',
  balancedAllocation: 'NodeResourcesBalancedAllocation',
} as const;

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const ERR_AFFINITY_CONFLICT = 'pod affinity terms conflict';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const ERR_DISK_CONFLICT = 'node(s) had no available disk';
export const ERR_RWOP_CONFLICT =
  'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';
export const ERR_TOO_MANY_PODS = 'Too many pods';

const MAX_NODE_SCORE = 100;
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

const WEIGHTS = {
  taintToleration: 3,
  nodeAffinity: 2,
  interPodAffinity: 2,
  podTopologySpread: 2,
  nodeResourcesFit: 1,
  balancedAllocation: 1,
};

export interface FrameworkDeps {
  cache: SchedulerCache;
  labelsOf: LabelsOfNamespace;
  /** A PersistentVolumeClaim from the informer, if it exists. */
  claim(namespace: string, name: string): KubeObject | undefined;
  /** Pods nominated to a node (by preemption), other than the one being scheduled. */
  nominatedPods(node: string): readonly PodInfo[];
  /** A number in [0, 1): tie breaks (seedable for tests). */
  random(): number;
  /** 0: adaptive, as kube-scheduler's default. */
  percentageOfNodesToScore: number;
  /**
   * The pods the default spreading counts with this one: those of its Services, ReplicaSet,
   * StatefulSet (undefined: none).
   */
  defaultSpreadSelector(pod: PodInfo): Selector | undefined;
}

/** What PreFilter worked out for one pod, read by the filters. */
export interface CycleState {
  pod: PodInfo;
  interPod: InterPodAffinityState | undefined;
  spread: SpreadFilterState | undefined;
  /** Another scheduled pod holds one of the pod's ReadWriteOncePod claims. */
  readWriteOncePodConflict: boolean;
  /** Only these nodes can take the pod (required affinity pins metadata.name). */
  nodeNames: ReadonlySet<string> | undefined;
}

export type PreFilterOutcome = { state: CycleState } | { rejected: Status };

export type ScheduleOutcome =
  | { kind: 'scheduled'; node: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; numAllNodes: number; diagnosis: Diagnosis; state: CycleState | undefined }
  | { kind: 'no-nodes' };

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The requests that do not fit on a node ("Too many pods", "Insufficient cpu" ...), in Kubernetes' order. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  if (node.podCount + 1 > node.allowedPods) out.push(ERR_TOO_MANY_PODS);
  const r = pod.resources.requests;
  const alloc = node.allocatable;
  const used = node.requested;
  if (r.milliCPU > 0 && r.milliCPU > alloc.milliCPU - used.milliCPU) out.push('Insufficient cpu');
  if (r.memory > 0 && r.memory > alloc.memory - used.memory) out.push('Insufficient memory');
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage)
    out.push('Insufficient ephemeral-storage');
  if (r.scalar) {
    for (const [name, q] of r.scalar) {
      if (q === 0) continue;
      if (q > (alloc.scalar?.get(name) ?? 0) - (used.scalar?.get(name) ?? 0))
        out.push(`Insufficient ${name}`);
    }
  }
  return out;
}

/** Whether the pod's requests fit in the node's whole allocatable, ignoring the pods already there. */
export function fitsAllocatable(pod: PodInfo, node: NodeInfo): boolean {
  if (node.allowedPods < 1) return false;
  const r = pod.resources.requests;
  const alloc = node.allocatable;
  if (r.milliCPU > alloc.milliCPU || r.memory > alloc.memory || r.ephemeralStorage > alloc.ephemeralStorage)
    return false;
  if (r.scalar) for (const [name, q] of r.scalar) if (q > (alloc.scalar?.get(name) ?? 0)) return false;
  return true;
}

function disksConflict(a: ExclusiveDisk, b: ExclusiveDisk): boolean {
  if (a.kind !== b.kind || a.id !== b.id) return false;
  switch (a.kind) {
    case 'gce':
    case 'iscsi':
      // Read-only attachments of the same disk can share a node.
      return !(a.readOnly && b.readOnly);
    case 'aws':
      return true;
    case 'rbd':
      return !(a.readOnly && b.readOnly) && (a.monitors ?? []).some((m) => (b.monitors ?? []).includes(m));
  }
}

function isReadWriteOncePod(claim: KubeObject): boolean {
  const modes = asRecord(claim.spec)?.accessModes;
  return Array.isArray(modes) && modes.includes('ReadWriteOncePod');
}

export class Framework {
  private nextStartNodeIndex = 0;

  constructor(private readonly deps: FrameworkDeps) {}

  get cache(): SchedulerCache {
    return this.deps.cache;
  }

  preFilter(pod: PodInfo): PreFilterOutcome {
    const { cache } = this.deps;
    let nodeNames: ReadonlySet<string> | undefined;
    if (pod.nodeAffinity?.nodeNames) {
      if (pod.nodeAffinity.nodeNames.size === 0)
        return {
          rejected: status('UnschedulableAndUnresolvable', PLUGINS.nodeAffinity, ERR_AFFINITY_CONFLICT),
        };
      nodeNames = pod.nodeAffinity.nodeNames;
    }
    let readWriteOncePodConflict = false;
    for (const claimName of pod.pvcNames) {
      const claim = this.deps.claim(pod.namespace, claimName);
      if (!claim) {
        return {
          rejected: status(
            'UnschedulableAndUnresolvable',
            PLUGINS.volumeRestrictions,
            `persistentvolumeclaim "${claimName}" not found`,
          ),
        };
      }
      if (isReadWriteOncePod(claim)) {
        const users = cache.claimUsersOf(pod.namespace, claimName);
        if (users && [...users].some((uid) => uid !== pod.uid)) readWriteOncePodConflict = true;
      }
    }
    for (const claimName of pod.pvcNames) {
      const claim = this.deps.claim(pod.namespace, claimName);
      if (claim?.metadata.deletionTimestamp) {
        return {
          rejected: status(
            'UnschedulableAndUnresolvable',
            PLUGINS.volumeBinding,
            `persistentvolumeclaim "${claimName}" is being deleted`,
          ),
        };
      }
    }
    if (pod.spreadError) {
      return {
        rejected: status(
          'UnschedulableAndUnresolvable',
          PLUGINS.podTopologySpread,
          `obtaining pod's topology spread constraints: ${pod.spreadError}`,
        ),
      };
    }
    const spread = preFilterSpread(cache, pod);
    if (pod.affinityError) {
      return {
        rejected: status(
          'UnschedulableAndUnresolvable',
          PLUGINS.interPodAffinity,
          `parsing pod: ${pod.affinityError}`,
        ),
      };
    }
    const interPod = preFilterInterPodAffinity(cache, pod, this.deps.labelsOf);
    return { state: { pod, interPod, spread, readWriteOncePodConflict, nodeNames } };
  }

  /** The filters on one node, in the default profile's order; the first failure is the node's status. */
  filter(state: CycleState, node: NodeInfo): Status | undefined {
    const pod = state.pod;
    if (
      node.unschedulable &&
      !tolerationsTolerateTaint(pod.tolerations, {
        key: TAINT_UNSCHEDULABLE,
        value: '',
        effect: 'NoSchedule',
      })
    ) {
      return status('UnschedulableAndUnresolvable', PLUGINS.nodeUnschedulable, ERR_UNSCHEDULABLE);
    }
    const wantedNode = pod.pod.spec?.nodeName;
    if (typeof wantedNode === 'string' && wantedNode !== '' && wantedNode !== node.name) {
      return status('UnschedulableAndUnresolvable', PLUGINS.nodeName, ERR_NODE_NAME);
    }
    if (node.hardTaints.length > 0) {
      const taint = findUntoleratedTaint(node.hardTaints, pod.tolerations);
      if (taint) {
        return status(
          'UnschedulableAndUnresolvable',
          PLUGINS.taintToleration,
          `node(s) had untolerated taint {${taint.key}: ${taint.value}}`,
        );
      }
    }
    if (pod.nodeAffinity && !requiredNodeAffinityMatches(pod.nodeAffinity, node)) {
      return status('UnschedulableAndUnresolvable', PLUGINS.nodeAffinity, ERR_NODE_AFFINITY);
    }
    if (pod.hostPorts.length > 0 && node.usedPorts) {
      for (const hp of pod.hostPorts) {
        if (node.usedPorts.conflicts(hp.hostIP, hp.protocol, hp.port))
          return status('Unschedulable', PLUGINS.nodePorts, ERR_NODE_PORTS);
      }
    }
    const insufficient = insufficientResources(pod, node);
    if (insufficient.length > 0) return status('Unschedulable', PLUGINS.nodeResourcesFit, ...insufficient);
    if (pod.disks.length > 0) {
      for (const other of node.pods.values()) {
        if (other.uid === pod.uid) continue;
        for (const a of pod.disks)
          for (const b of other.disks)
            if (disksConflict(a, b))
              return status('Unschedulable', PLUGINS.volumeRestrictions, ERR_DISK_CONFLICT);
      }
    }
    if (state.readWriteOncePodConflict)
      return status('Unschedulable', PLUGINS.volumeRestrictions, ERR_RWOP_CONFLICT);
    if (state.spread) {
      const r = filterSpread(state.spread, pod, node);
      if (r) {
        const code = r.unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable';
        return status(code, PLUGINS.podTopologySpread, r.reason);
      }
    }
    if (state.interPod) {
      const r = filterInterPodAffinity(state.interPod, pod, node);
      if (r)
        return status(
          r.unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
          PLUGINS.interPodAffinity,
          r.reason,
        );
    }
    return undefined;
  }

  /**
   * The filters with the pods nominated to this node (of priority at least the pod's) counted as
   * if they were there, then without them (RunFilterPluginsWithNominatedPods): a pod that
   * preempted others keeps the room it made.
   */
  filterWithNominated(state: CycleState, node: NodeInfo): Status | undefined {
    const nominated = this.deps.nominatedPods(node.name);
    if (nominated.length > 0) {
      let withNominated: NodeInfo | undefined;
      let interPod = state.interPod;
      let spread = state.spread;
      for (const p of nominated) {
        if (p.uid === state.pod.uid || p.priority < state.pod.priority) continue;
        withNominated ??= node.clone();
        if (interPod === state.interPod && interPod) interPod = cloneState(interPod);
        if (spread === state.spread && spread) spread = cloneSpreadState(spread);
        withNominated.addPod({ ...p, nodeName: node.name });
        if (interPod) updateStateWithPod(interPod, state.pod, p, withNominated, this.deps.labelsOf, 1);
        if (spread) updateSpreadWithPod(spread, state.pod, p, withNominated, 1);
      }
      if (withNominated) {
        const s = this.filter({ ...state, interPod, spread }, withNominated);
        if (s) return s;
      }
    }
    return this.filter(state, node);
  }

  /** How many feasible nodes are enough (percentageOfNodesToScore; all of them below 100 nodes). */
  numFeasibleNodesToFind(numAllNodes: number): number {
    if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
    let percentage = this.deps.percentageOfNodesToScore;
    if (percentage <= 0) {
      percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
    }
    const n = Math.trunc((numAllNodes * percentage) / 100);
    return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
  }

  schedule(pod: PodInfo): ScheduleOutcome {
    const all = this.deps.cache.nodeInfos();
    if (all.length === 0) return { kind: 'no-nodes' };
    const diagnosis = new Diagnosis();
    const pre = this.preFilter(pod);
    if ('rejected' in pre) {
      diagnosis.preFilterMsg = pre.rejected.reasons.join(', ');
      diagnosis.preFilterStatus = pre.rejected;
      diagnosis.unschedulablePlugins.add(pre.rejected.plugin);
      return { kind: 'unschedulable', numAllNodes: all.length, diagnosis, state: undefined };
    }
    const state = pre.state;
    const feasible = this.findNodesThatFit(state, all, diagnosis);
    if (feasible.length === 0) return { kind: 'unschedulable', numAllNodes: all.length, diagnosis, state };
    const evaluatedNodes = feasible.length + diagnosis.nodeStatuses.size;
    if (feasible.length === 1) {
      return { kind: 'scheduled', node: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    }
    const best = this.selectHost(state, feasible);
    return { kind: 'scheduled', node: best.name, evaluatedNodes, feasibleNodes: feasible.length };
  }

  private findNodesThatFit(state: CycleState, all: readonly NodeInfo[], diagnosis: Diagnosis): NodeInfo[] {
    const pod = state.pod;
    // A nominated node (from an earlier preemption) is tried first: it is likely the only fit.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (typeof nominated === 'string' && nominated !== '') {
      const node = this.deps.cache.getNode(nominated);
      if (
        node &&
        (!state.nodeNames || state.nodeNames.has(node.name)) &&
        !this.filterWithNominated(state, node)
      ) {
        return [node];
      }
    }
    let nodes = all;
    if (state.nodeNames) {
      const pinned: NodeInfo[] = [];
      for (const name of state.nodeNames) {
        const n = this.deps.cache.getNode(name);
        if (n) pinned.push(n);
      }
      nodes = pinned;
      diagnosis.absentStatus = status(
        'UnschedulableAndUnresolvable',
        PLUGINS.nodeAffinity,
        `node(s) didn't satisfy plugin(s) [${PLUGINS.nodeAffinity}]`,
      );
    }
    const numToFind = this.numFeasibleNodesToFind(nodes.length);
    const feasible: NodeInfo[] = [];
    let processed = 0;
    const start = this.nextStartNodeIndex % Math.max(1, nodes.length);
    for (let i = 0; i < nodes.length && feasible.length < numToFind; i++) {
      const node = nodes[(start + i) % nodes.length]!;
      processed++;
      const s = this.filterWithNominated(state, node);
      if (s) diagnosis.set(node.name, s);
      else feasible.push(node);
    }
    // Later pods start where this one stopped, so every node gets its turn.
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % Math.max(1, all.length);
    return feasible;
  }

  /** Scores the feasible nodes and picks one of the best, uniformly at random. */
  private selectHost(state: CycleState, nodes: readonly NodeInfo[]): NodeInfo {
    const pod = state.pod;
    const n = nodes.length;
    const total = new Float64Array(n);

    // NodeResourcesFit, LeastAllocated over cpu and memory (weight 1 each).
    const cpuReq = pod.resources.nonZeroMilliCPU;
    const memReq = pod.resources.nonZeroMemory;
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      let score = 0;
      let weights = 0;
      const cpuAlloc = node.allocatable.milliCPU;
      if (cpuAlloc > 0) {
        score += leastRequested(node.nonZeroMilliCPU + cpuReq, cpuAlloc);
        weights++;
      }
      const memAlloc = node.allocatable.memory;
      if (memAlloc > 0) {
        score += leastRequested(node.nonZeroMemory + memReq, memAlloc);
        weights++;
      }
      total[i]! += WEIGHTS.nodeResourcesFit * (weights === 0 ? 0 : Math.trunc(score / weights));
    }

    // NodeResourcesBalancedAllocation: skipped for pods that request nothing.
    const req = pod.resources.requests;
    if (req.milliCPU !== 0 || req.memory !== 0) {
      for (let i = 0; i < n; i++) {
        const node = nodes[i]!;
        const fractions: number[] = [];
        if (node.allocatable.milliCPU > 0)
          fractions.push(Math.min(1, (node.requested.milliCPU + req.milliCPU) / node.allocatable.milliCPU));
        if (node.allocatable.memory > 0)
          fractions.push(Math.min(1, (node.requested.memory + req.memory) / node.allocatable.memory));
        let std = 0;
        if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
        total[i]! += WEIGHTS.balancedAllocation * Math.trunc((1 - std) * MAX_NODE_SCORE);
      }
    }

    // TaintToleration: fewer intolerable PreferNoSchedule taints is better (reversed normalization).
    if (nodes.some((node) => node.preferTaints.length > 0)) {
      const raw = nodes.map((node) => countIntolerablePreferNoSchedule(node.preferTaints, pod.tolerations));
      const normalized = defaultNormalize(raw, true);
      for (let i = 0; i < n; i++) total[i]! += WEIGHTS.taintToleration * normalized[i]!;
    }

    // NodeAffinity: sum of the weights of the preferred terms a node matches.
    if (pod.preferredNodeAffinity) {
      const terms = pod.preferredNodeAffinity;
      const raw = nodes.map((node) => preferredNodeAffinityScore(terms, node));
      const normalized = defaultNormalize(raw, false);
      for (let i = 0; i < n; i++) total[i]! += WEIGHTS.nodeAffinity * normalized[i]!;
    }

    // InterPodAffinity: min-max normalized topology scores.
    const topo = preScoreInterPodAffinity(this.deps.cache, pod, this.deps.labelsOf);
    if (topo) {
      const raw = nodes.map((node) => interPodAffinityScore(topo, node));
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const s of raw) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
      const diff = max - min;
      for (let i = 0; i < n; i++) {
        const s = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (raw[i]! - min)) / diff) : 0;
        total[i]! += WEIGHTS.interPodAffinity * s;
      }
    }

    // PodTopologySpread: the pod's ScheduleAnyway constraints, or the cluster defaults.
    let soft = pod.spreadSoft;
    if (!pod.explicitSpread) {
      const selector = this.deps.defaultSpreadSelector(pod);
      soft = selector ? defaultSpreadConstraints(selector) : [];
    }
    const spread = scoreSpread(this.deps.cache, pod, soft, !pod.explicitSpread, nodes);
    if (spread) for (let i = 0; i < n; i++) total[i]! += WEIGHTS.podTopologySpread * spread[i]!;

    // Reservoir sampling over the nodes with the highest total.
    let best = 0;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      if (total[i]! > total[best]!) {
        best = i;
        ties = 1;
      } else if (total[i] === total[best]) {
        ties++;
        if (Math.floor(this.deps.random() * ties) === 0) best = i;
      }
    }
    return nodes[best]!;
  }
}

/** ((capacity - requested) × 100) / capacity, in integers; 0 when over capacity. */
function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** Scales scores so the highest is 100 (reversed: the lowest raw score gets 100). */
function defaultNormalize(scores: number[], reverse: boolean): number[] {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((s) => {
    const v = Math.trunc((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - v : v;
  });
}
