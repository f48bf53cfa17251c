// The scheduler's view of the cluster (kube-scheduler's cache + snapshot): per node, what it
// offers (allocatable, labels, taints, cordon) and what its pods take (requests, pod count, host
// ports), kept up to date incrementally as pods and nodes change, so that placing a pod costs
// O(nodes) and not O(pods). Pods the scheduler has placed but the API has not yet confirmed are
// "assumed": they count on their node at once, so a burst of pods does not pile onto the node
// that looked emptiest before the informer caught up; a failed binding forgets them.
// Scheduled pods are also indexed by namespace and label for inter-pod (anti-)affinity.

import type { Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { parseTaints, type Taint } from '../../machinery/taints.js';
import { type AffinityTerm, hasPodAffinity, type PodInfo } from './pod-info.js';
import { addResource, cloneResource, emptyResource, type Resource, resourceFromList } from './resources.js';

export interface Node extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';
const LEGACY_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
const LEGACY_REGION_LABEL = 'failure-domain.beta.kubernetes.io/region';
const WILDCARD_IP = '0.0.0.0';

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Host ports in use on a node: (ip, protocol, port), where 0.0.0.0 takes the port on every ip. */
export class HostPortSet {
  private readonly exact = new Map<string, number>();
  private readonly anyIp = new Map<string, number>();

  add(ip: string, protocol: string, port: number, delta = 1): void {
    const pp = `${protocol}/${port}`;
    bump(this.exact, `${ip}|${pp}`, delta);
    bump(this.anyIp, pp, delta);
  }

  conflicts(ip: string, protocol: string, port: number): boolean {
    const pp = `${protocol}/${port}`;
    if (ip === WILDCARD_IP) return (this.anyIp.get(pp) ?? 0) > 0;
    return (this.exact.get(`${ip}|${pp}`) ?? 0) > 0 || (this.exact.get(`${WILDCARD_IP}|${pp}`) ?? 0) > 0;
  }

  get size(): number {
    return this.anyIp.size;
  }

  clone(): HostPortSet {
    const c = new HostPortSet();
    for (const [k, v] of this.exact) c.exact.set(k, v);
    for (const [k, v] of this.anyIp) c.anyIp.set(k, v);
    return c;
  }
}

function bumpValue(m: Map<string, number>, value: string | undefined, delta: number): void {
  if (value === undefined) return;
  const v = (m.get(value) ?? 0) + delta;
  if (v === 0) m.delete(value);
  else m.set(value, v);
}

function bump(m: Map<string, number>, k: string, delta: number): void {
  const v = (m.get(k) ?? 0) + delta;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}

/** One node and the pods on it. */
export class NodeInfo {
  node: Node | undefined;
  labels: Readonly<Record<string, string>> = {};
  unschedulable = false;
  /** NoSchedule and NoExecute taints, in the node's order. */
  hardTaints: Taint[] = [];
  preferTaints: Taint[] = [];
  allocatable: Resource = emptyResource();
  allowedPods = 0;
  zoneKey = '';
  readonly requested: Resource = emptyResource();
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  readonly pods = new Map<string, PodInfo>();
  usedPorts: HostPortSet | undefined;
  /** priority -> pods of that priority here: "is anything preemptible?" without a scan. */
  readonly priorities = new Map<number, number>();

  constructor(readonly name: string) {}

  setNode(node: Node): void {
    this.node = node;
    const labels = node.metadata.labels ?? {};
    this.labels = labels;
    const spec = node.spec ?? {};
    this.unschedulable = spec.unschedulable === true;
    const taints = parseTaints(spec.taints);
    this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.preferTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    const { resource, pods } = resourceFromList(asRecord(node.status?.allocatable));
    this.allocatable = resource;
    this.allowedPods = pods;
    const region = labels[REGION_LABEL] ?? labels[LEGACY_REGION_LABEL] ?? '';
    const zone = labels[ZONE_LABEL] ?? labels[LEGACY_ZONE_LABEL] ?? '';
    this.zoneKey = region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
  }

  get podCount(): number {
    return this.pods.size;
  }

  /** Whether some pod here has a priority below `priority`. */
  hasPodBelow(priority: number): boolean {
    for (const p of this.priorities.keys()) if (p < priority) return true;
    return false;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.uid)) this.removePod(p.uid);
    this.pods.set(p.uid, p);
    addResource(this.requested, p.resources.requests);
    this.nonZeroMilliCPU += p.resources.nonZeroMilliCPU;
    this.nonZeroMemory += p.resources.nonZeroMemory;
    this.priorities.set(p.priority, (this.priorities.get(p.priority) ?? 0) + 1);
    if (p.hostPorts.length > 0) {
      this.usedPorts ??= new HostPortSet();
      for (const hp of p.hostPorts) this.usedPorts.add(hp.hostIP, hp.protocol, hp.port);
    }
  }

  removePod(uid: string): PodInfo | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    this.pods.delete(uid);
    addResource(this.requested, p.resources.requests, -1);
    this.nonZeroMilliCPU -= p.resources.nonZeroMilliCPU;
    this.nonZeroMemory -= p.resources.nonZeroMemory;
    const n = (this.priorities.get(p.priority) ?? 0) - 1;
    if (n <= 0) this.priorities.delete(p.priority);
    else this.priorities.set(p.priority, n);
    if (p.hostPorts.length > 0 && this.usedPorts) {
      for (const hp of p.hostPorts) this.usedPorts.add(hp.hostIP, hp.protocol, hp.port, -1);
    }
    return p;
  }

  /** A copy whose pods and totals can change without touching this one (preemption's what-ifs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.unschedulable = this.unschedulable;
    c.hardTaints = this.hardTaints;
    c.preferTaints = this.preferTaints;
    c.allocatable = this.allocatable;
    c.allowedPods = this.allowedPods;
    c.zoneKey = this.zoneKey;
    Object.assign(c.requested, cloneResource(this.requested));
    c.nonZeroMilliCPU = this.nonZeroMilliCPU;
    c.nonZeroMemory = this.nonZeroMemory;
    for (const [k, v] of this.pods) c.pods.set(k, v);
    for (const [k, v] of this.priorities) c.priorities.set(k, v);
    c.usedPorts = this.usedPorts?.clone();
    return c;
  }
}

/** What changed in a node that could make a pending pod schedulable. */
export interface NodeChange {
  allocatable: boolean;
  labels: boolean;
  taints: boolean;
  /** Became schedulable (uncordoned). */
  schedulable: boolean;
  conditions: boolean;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function conditionStates(node: Node): string {
  const conds = node.status?.conditions;
  if (!Array.isArray(conds)) return '';
  return conds.map((c) => `${asRecord(c)?.type}=${asRecord(c)?.status}`).join(',');
}

export function nodeChange(oldNode: Node, newNode: Node): NodeChange {
  return {
    allocatable: !sameJson(oldNode.status?.allocatable, newNode.status?.allocatable),
    labels: !sameJson(oldNode.metadata.labels, newNode.metadata.labels),
    taints: !sameJson(oldNode.spec?.taints, newNode.spec?.taints),
    schedulable: oldNode.spec?.unschedulable === true && newNode.spec?.unschedulable !== true,
    conditions: conditionStates(oldNode) !== conditionStates(newNode),
  };
}

export function anyChange(c: NodeChange): boolean {
  return c.allocatable || c.labels || c.taints || c.schedulable || c.conditions;
}

/** How a scheduled pod's affinity term weighs on others. */
export type TermKind =
  | 'requiredAffinity'
  | 'requiredAntiAffinity'
  | 'preferredAffinity'
  | 'preferredAntiAffinity';

/**
 * Scheduled pods' terms, grouped by identical term (and weight): how many pods carry it in each
 * topology domain. A Deployment's 10,000 pods then weigh on the incoming pod as one entry.
 */
export interface TermGroup {
  kind: TermKind;
  term: AffinityTerm;
  weight: number;
  /** topology value -> pods carrying the term there */
  counts: Map<string, number>;
}

/** How many scheduled pods a term selects, per value of its topology key. */
interface SelectedCounts {
  term: AffinityTerm;
  counts: Map<string, number>;
}

const MAX_SELECTED_COUNTS = 128;

/** How many running (not terminating) pods of a namespace a selector matches, per node. */
interface SpreadCounts {
  namespace: string;
  selector: Selector;
  byNode: Map<string, number>;
}

interface PodState {
  info: PodInfo;
  assumed: boolean;
  bindingFinished: boolean;
}

/** Scheduled pods of one namespace, by "key=value" label, for affinity lookups. */
class NamespacePods {
  readonly all = new Set<PodInfo>();
  readonly byLabel = new Map<string, Set<PodInfo>>();

  add(p: PodInfo): void {
    this.all.add(p);
    for (const k of Object.keys(p.labels)) {
      const lk = `${k}=${p.labels[k]}`;
      let s = this.byLabel.get(lk);
      if (!s) {
        s = new Set();
        this.byLabel.set(lk, s);
      }
      s.add(p);
    }
  }

  remove(p: PodInfo): void {
    this.all.delete(p);
    for (const k of Object.keys(p.labels)) {
      const lk = `${k}=${p.labels[k]}`;
      const s = this.byLabel.get(lk);
      if (!s) continue;
      s.delete(p);
      if (s.size === 0) this.byLabel.delete(lk);
    }
  }
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private nodeList: NodeInfo[] = [];
  private listDirty = true;
  private readonly pods = new Map<string, PodState>();
  private readonly namespaces = new Map<string, NamespacePods>();
  /** Scheduled pods with a required anti-affinity term (they may refuse the incoming pod). */
  readonly withRequiredAntiAffinity = new Set<PodInfo>();
  /** Scheduled pods with any inter-pod affinity term (they weigh in on scores). */
  readonly withAffinity = new Set<PodInfo>();
  /** "namespace/claim" -> uids of scheduled pods using it (ReadWriteOncePod conflicts). */
  private readonly claimUsers = new Map<string, Set<string>>();
  /** Terms of scheduled pods, grouped. */
  private readonly termGroups = new Map<string, TermGroup>();
  /** Pods selected by the terms pending pods asked about, kept up to date. */
  private selected = new Map<string, SelectedCounts>();
  /** Pods matched by the spread constraints pending pods asked about, kept up to date. */
  private spread = new Map<string, SpreadCounts>();

  // ---- nodes -----------------------------------------------------------------------------------

  addNode(node: Node): NodeInfo {
    const name = node.metadata.name ?? '';
    let info = this.nodes.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.nodes.set(name, info);
    }
    const hadNode = info.node !== undefined;
    const oldZone = info.zoneKey;
    const oldLabels = info.labels;
    info.setNode(node);
    if (!hadNode || oldZone !== info.zoneKey) this.listDirty = true;
    // Counts per topology domain read the nodes' labels: a node with pods joining or relabelled redoes them.
    if (info.pods.size > 0 && (!hadNode || !sameJson(oldLabels, info.labels))) this.rebuildTermAggregates();
    return info;
  }

  /** Keeps the latest object; re-reads it only when something the scheduler uses changed. */
  updateNode(oldNode: Node, newNode: Node): NodeChange {
    const change = nodeChange(oldNode, newNode);
    const info = this.nodes.get(newNode.metadata.name ?? '');
    if (!info || anyChange(change) || newNode.spec?.unschedulable !== oldNode.spec?.unschedulable) {
      this.addNode(newNode);
    } else {
      info.node = newNode;
    }
    return change;
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    info.node = undefined;
    // Pods still on it are forgotten only when they go themselves.
    if (info.pods.size === 0) this.nodes.delete(name);
    else this.rebuildTermAggregates();
    this.listDirty = true;
  }

  getNode(name: string): NodeInfo | undefined {
    const info = this.nodes.get(name);
    return info?.node ? info : undefined;
  }

  /**
   * The nodes, zones interleaved (kube-scheduler's node tree): a search that stops after enough
   * feasible nodes still sees every zone.
   */
  nodeInfos(): readonly NodeInfo[] {
    if (this.listDirty) {
      const zones = new Map<string, NodeInfo[]>();
      for (const info of this.nodes.values()) {
        if (!info.node) continue;
        let z = zones.get(info.zoneKey);
        if (!z) {
          z = [];
          zones.set(info.zoneKey, z);
        }
        z.push(info);
      }
      const lists = [...zones.values()];
      const out: NodeInfo[] = [];
      for (let i = 0; out.length < this.countNodes(lists); i++) {
        for (const l of lists) if (i < l.length) out.push(l[i]!);
      }
      this.nodeList = out;
      this.listDirty = false;
    }
    return this.nodeList;
  }

  private countNodes(lists: NodeInfo[][]): number {
    let n = 0;
    for (const l of lists) n += l.length;
    return n;
  }

  // ---- pods ------------------------------------------------------------------------------------

  /** A scheduled pod the API reports (on add, or when its binding shows up). */
  addPod(p: PodInfo): void {
    const state = this.pods.get(p.uid);
    if (state) this.detach(state.info);
    this.pods.set(p.uid, { info: p, assumed: false, bindingFinished: true });
    this.attach(p);
  }

  /** A scheduled pod changed (labels, resources, or it was confirmed). */
  updatePod(p: PodInfo): void {
    this.addPod(p);
  }

  removePod(uid: string): PodInfo | undefined {
    const state = this.pods.get(uid);
    if (!state) return undefined;
    this.pods.delete(uid);
    this.detach(state.info);
    return state.info;
  }

  /** Counts a pod on a node before the API knows it is there. */
  assumePod(p: PodInfo): void {
    const old = this.pods.get(p.uid);
    if (old) this.detach(old.info);
    this.pods.set(p.uid, { info: p, assumed: true, bindingFinished: false });
    this.attach(p);
  }

  finishBinding(uid: string): void {
    const state = this.pods.get(uid);
    if (state) state.bindingFinished = true;
  }

  /** Drops an assumption (the binding failed); a pod the API already confirmed stays. */
  forgetPod(uid: string): PodInfo | undefined {
    const state = this.pods.get(uid);
    if (!state?.assumed) return undefined;
    return this.removePod(uid);
  }

  isAssumed(uid: string): boolean {
    return this.pods.get(uid)?.assumed === true;
  }

  /** The pod as the cache has it (scheduled or assumed). */
  getPod(uid: string): PodInfo | undefined {
    return this.pods.get(uid)?.info;
  }

  get podCount(): number {
    return this.pods.size;
  }

  private attach(p: PodInfo): void {
    let info = this.nodes.get(p.nodeName);
    if (!info) {
      // A pod on a node not (yet) known: kept, so the node is right when it appears.
      info = new NodeInfo(p.nodeName);
      this.nodes.set(p.nodeName, info);
    }
    info.addPod(p);
    if (info.node) this.countTerms(p, info.labels, 1);
    let ns = this.namespaces.get(p.namespace);
    if (!ns) {
      ns = new NamespacePods();
      this.namespaces.set(p.namespace, ns);
    }
    ns.add(p);
    if (p.requiredAntiAffinity.length > 0) this.withRequiredAntiAffinity.add(p);
    if (hasPodAffinity(p)) this.withAffinity.add(p);
    for (const claim of p.pvcNames) {
      const k = `${p.namespace}/${claim}`;
      let s = this.claimUsers.get(k);
      if (!s) {
        s = new Set();
        this.claimUsers.set(k, s);
      }
      s.add(p.uid);
    }
  }

  private detach(p: PodInfo): void {
    const info = this.nodes.get(p.nodeName);
    if (info) {
      if (info.node) this.countTerms(p, info.labels, -1);
      info.removePod(p.uid);
      if (!info.node && info.pods.size === 0) this.nodes.delete(p.nodeName);
    }
    const ns = this.namespaces.get(p.namespace);
    if (ns) {
      ns.remove(p);
      if (ns.all.size === 0) this.namespaces.delete(p.namespace);
    }
    this.withRequiredAntiAffinity.delete(p);
    this.withAffinity.delete(p);
    for (const claim of p.pvcNames) {
      const k = `${p.namespace}/${claim}`;
      const s = this.claimUsers.get(k);
      if (!s) continue;
      s.delete(p.uid);
      if (s.size === 0) this.claimUsers.delete(k);
    }
  }

  /** Adds (or removes) a pod on a node with these labels to the term aggregates. */
  private countTerms(p: PodInfo, labels: Readonly<Record<string, string>>, delta: 1 | -1): void {
    if (this.spread.size > 0 && !p.pod.metadata.deletionTimestamp) {
      for (const sc of this.spread.values()) {
        if (sc.namespace === p.namespace && sc.selector.matches(p.labels))
          bumpValue(sc.byNode, p.nodeName, delta);
      }
    }
    for (const sel of this.selected.values()) {
      const t = sel.term;
      if (t.namespaces.has(p.namespace) && t.selector.matches(p.labels))
        bumpValue(sel.counts, labels[t.topologyKey], delta);
    }
    if (!hasPodAffinity(p)) return;
    const group = (kind: TermKind, term: AffinityTerm, weight: number) => {
      const value = labels[term.topologyKey];
      if (value === undefined) return;
      const key = `${kind}\u0000${weight}\u0000${term.key}`;
      let g = this.termGroups.get(key);
      if (!g) {
        if (delta < 0) return;
        g = { kind, term, weight, counts: new Map() };
        this.termGroups.set(key, g);
      }
      bumpValue(g.counts, value, delta);
      if (g.counts.size === 0) this.termGroups.delete(key);
    };
    for (const t of p.requiredAffinity) group('requiredAffinity', t, 1);
    for (const t of p.requiredAntiAffinity) group('requiredAntiAffinity', t, 1);
    for (const t of p.preferredAffinity) group('preferredAffinity', t, t.weight);
    for (const t of p.preferredAntiAffinity) group('preferredAntiAffinity', t, t.weight);
  }

  private rebuildTermAggregates(): void {
    this.selected.clear();
    this.spread.clear();
    this.termGroups.clear();
    for (const p of this.withAffinity) {
      const node = this.getNode(p.nodeName);
      if (node) this.countTerms(p, node.labels, 1);
    }
  }

  /** Scheduled pods' affinity terms, grouped (see TermGroup). */
  groupedTerms(): IterableIterator<TermGroup> {
    return this.termGroups.values();
  }

  /**
   * Per value of the term's topology key, how many scheduled pods the term selects — undefined
   * for terms with a namespaceSelector (namespace labels change under them; callers count pods).
   * Kept up to date from then on, so later pods of the same workload ask for free.
   */
  selectedCounts(term: AffinityTerm): ReadonlyMap<string, number> | undefined {
    if (!term.namespaceSelector.matchesNothing) return undefined;
    const hit = this.selected.get(term.key);
    if (hit) return hit.counts;
    if (this.selected.size >= MAX_SELECTED_COUNTS) this.selected = new Map();
    const counts = new Map<string, number>();
    if (!term.selector.matchesNothing) {
      const pinned: [string, string][] = [];
      for (const r of term.selector.requirements) {
        if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1)
          pinned.push([r.key, r.values[0]!]);
      }
      for (const ns of term.namespaces) {
        const candidates = this.candidatePods(ns, pinned);
        if (!candidates) continue;
        for (const p of candidates) {
          if (!term.selector.matches(p.labels)) continue;
          const node = this.getNode(p.nodeName);
          if (node) bumpValue(counts, node.labels[term.topologyKey], 1);
        }
      }
    }
    this.selected.set(term.key, { term, counts });
    return counts;
  }

  /**
   * Per node, how many scheduled pods of the namespace the selector matches, leaving out pods
   * being deleted (PodTopologySpread's counting). Kept up to date once asked for.
   */
  spreadCounts(namespace: string, selector: Selector): ReadonlyMap<string, number> {
    const key = `${namespace}\u0000${selector.toString()}`;
    const hit = this.spread.get(key);
    if (hit) return hit.byNode;
    if (this.spread.size >= MAX_SELECTED_COUNTS) this.spread = new Map();
    const byNode = new Map<string, number>();
    const pinned: [string, string][] = [];
    for (const r of selector.requirements) {
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1)
        pinned.push([r.key, r.values[0]!]);
    }
    for (const p of this.candidatePods(namespace, pinned) ?? []) {
      if (p.pod.metadata.deletionTimestamp || !selector.matches(p.labels)) continue;
      if (this.getNode(p.nodeName)) bumpValue(byNode, p.nodeName, 1);
    }
    this.spread.set(key, { namespace, selector, byNode });
    return byNode;
  }

  /** uids of scheduled pods that use a claim. */
  claimUsersOf(namespace: string, claim: string): ReadonlySet<string> | undefined {
    return this.claimUsers.get(`${namespace}/${claim}`);
  }

  /** Namespaces that have scheduled pods. */
  namespacesWithPods(): IterableIterator<string> {
    return this.namespaces.keys();
  }

  /**
   * Scheduled pods of a namespace that could match a selector: the smallest set the selector's
   * pinned labels (key=value) allow, or all of the namespace. Callers still check the match.
   */
  candidatePods(
    namespace: string,
    pinned: readonly (readonly [string, string])[],
  ): ReadonlySet<PodInfo> | undefined {
    const ns = this.namespaces.get(namespace);
    if (!ns) return undefined;
    let best: ReadonlySet<PodInfo> = ns.all;
    for (const [k, v] of pinned) {
      const s = ns.byLabel.get(`${k}=${v}`);
      if (!s) return undefined;
      if (s.size < best.size) best = s;
    }
    return best;
  }
}
