// A member's capacity as the registry reports it in Cluster.status, computed as Karmada's cluster
// status controller computes it from the member's nodes and pods:
// - nodeSummary: nodes, and nodes whose Ready condition is True;
// - resourceSummary.allocatable: the sum of every node's status.allocatable;
// - allocating: the requests of pods not yet bound to a node (and how many);
// - allocated: the requests of bound pods that have not finished (and how many);
// - allocatableModelings: how many nodes fall in each grade of the Cluster's resource models,
//   by what each node has left.
// A pod's request is the sum of its containers', raised per resource to any init container's,
// plus its overhead. Pure; slimNode and slimPod keep only what this needs, for the informers'
// caches.

import type { KubeObject } from '../../../../machinery/object.js';
import { Quantity } from '../../../../machinery/quantity.js';
import type {
  AllocatableModeling,
  NodeSummary,
  QuantityValue,
  ResourceModel,
  ResourceSummary,
} from './types.js';

type ResourceList = Record<string, QuantityValue>;

export interface SummaryNode extends KubeObject {
  status?: {
    allocatable?: ResourceList;
    conditions?: { type: string; status: string }[];
  };
}

interface ContainerRequests {
  resources?: { requests?: ResourceList };
}

export interface SummaryPod extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: ContainerRequests[];
    initContainers?: ContainerRequests[];
    overhead?: ResourceList;
  };
  status?: { phase?: string };
}

const CPU = 'cpu';
const MEMORY = 'memory';
const EPHEMERAL_STORAGE = 'ephemeral-storage';
const PODS = 'pods';

/**
 * Kubernetes' IsScalarResourceName: extended resources (nvidia.com/gpu), hugepages-*,
 * attachable-volumes-* and prefixed native resources; these are counted in whole units.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (name.includes('kubernetes.io/')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

/** Requests in the units the scheduler counts: milli-CPU, bytes, whole units, a pod count. */
class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  pods = 0;
  readonly scalar = new Map<string, number>();

  add(list: ResourceList | undefined): void {
    for (const [name, value] of Object.entries(list ?? {})) {
      const q = Quantity.tryParse(value);
      if (!q) continue;
      switch (name) {
        case CPU:
          this.milliCPU += q.milliValue();
          break;
        case MEMORY:
          this.memory += q.value();
          break;
        case EPHEMERAL_STORAGE:
          this.ephemeralStorage += q.value();
          break;
        case PODS:
          this.pods += q.value();
          break;
        default:
          if (isScalarResourceName(name)) this.scalar.set(name, (this.scalar.get(name) ?? 0) + q.value());
      }
    }
  }

  /** Per resource, the larger of what is counted and what `list` asks. */
  max(list: ResourceList | undefined): void {
    const other = new Resource();
    other.add(list);
    this.milliCPU = Math.max(this.milliCPU, other.milliCPU);
    this.memory = Math.max(this.memory, other.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, other.ephemeralStorage);
    this.pods = Math.max(this.pods, other.pods);
    for (const [name, v] of other.scalar) this.scalar.set(name, Math.max(this.scalar.get(name) ?? 0, v));
  }

  addPod(pod: SummaryPod): void {
    const spec = pod.spec ?? {};
    const request = new Resource();
    for (const c of spec.containers ?? []) request.add(c.resources?.requests);
    for (const c of spec.initContainers ?? []) request.max(c.resources?.requests);
    request.add(spec.overhead);
    this.plus(request);
    this.pods++;
  }

  plus(r: Resource): void {
    this.milliCPU += r.milliCPU;
    this.memory += r.memory;
    this.ephemeralStorage += r.ephemeralStorage;
    this.pods += r.pods;
    for (const [name, v] of r.scalar) this.scalar.set(name, (this.scalar.get(name) ?? 0) + v);
  }

  /** As a ResourceList with only what is above zero; undefined when nothing is. */
  toList(): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    if (this.milliCPU > 0) out[CPU] = Quantity.fromMilli(this.milliCPU).toString();
    if (this.memory > 0) out[MEMORY] = Quantity.fromValue(this.memory, 'BinarySI').toString();
    if (this.ephemeralStorage > 0) {
      out[EPHEMERAL_STORAGE] = Quantity.fromValue(this.ephemeralStorage, 'BinarySI').toString();
    }
    if (this.pods > 0) out[PODS] = Quantity.fromValue(this.pods).toString();
    for (const [name, v] of [...this.scalar].sort(([a], [b]) => a.localeCompare(b))) {
      if (v > 0)
        out[name] = Quantity.fromValue(
          v,
          name.startsWith('hugepages-') ? 'BinarySI' : 'DecimalSI',
        ).toString();
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
}

function nodeReady(node: SummaryNode): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A pod the scheduler counts on its node: bound, and neither Succeeded nor Failed. */
function occupiesNode(pod: SummaryPod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

export function nodeSummary(nodes: readonly SummaryNode[]): NodeSummary {
  return { totalNum: nodes.length, readyNum: nodes.filter(nodeReady).length };
}

/** The sum of the nodes' allocatable, resource by resource (exact quantities). */
function clusterAllocatable(nodes: readonly SummaryNode[]): Record<string, string> {
  const sums = new Map<string, Quantity>();
  for (const node of nodes) {
    for (const [name, value] of Object.entries(node.status?.allocatable ?? {})) {
      const q = Quantity.tryParse(value);
      if (!q) continue;
      const sum = sums.get(name);
      sums.set(name, sum ? sum.add(q) : q);
    }
  }
  const out: Record<string, string> = {};
  for (const name of [...sums.keys()].sort()) out[name] = sums.get(name)!.toString();
  return out;
}

export function resourceSummary(
  nodes: readonly SummaryNode[],
  pods: readonly SummaryPod[],
  models?: readonly ResourceModel[],
): ResourceSummary {
  const allocating = new Resource();
  const allocated = new Resource();
  for (const pod of pods) {
    if (!pod.spec?.nodeName) allocating.addPod(pod);
    else if (occupiesNode(pod)) allocated.addPod(pod);
  }
  const out: ResourceSummary = { allocatable: clusterAllocatable(nodes) };
  const allocatingList = allocating.toList();
  if (allocatingList) out.allocating = allocatingList;
  const allocatedList = allocated.toList();
  if (allocatedList) out.allocated = allocatedList;
  if (models && models.length > 0) out.allocatableModelings = allocatableModelings(nodes, pods, models);
  return out;
}

/** What a node has left: its allocatable less the requests of the pods it runs; undefined when it admits no more pods. */
function nodeAvailable(node: SummaryNode, used: Resource | undefined): Map<string, Quantity> | undefined {
  const available = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(node.status?.allocatable ?? {})) {
    const q = Quantity.tryParse(value);
    if (q) available.set(name, q);
  }
  if (!used) return available;
  const podsLeft = (available.get(PODS)?.value() ?? 0) - used.pods;
  if (podsLeft <= 0) return undefined;
  const usedList = used.toList() ?? {};
  for (const [name, value] of Object.entries(usedList)) {
    const have = available.get(name);
    if (have) available.set(name, have.sub(Quantity.parse(value)));
  }
  return available;
}

/** The last grade whose minimum is at most `target` (-1: none). Minimums rise with the grade. */
function lastGradeAtMost(mins: readonly Quantity[], target: Quantity): number {
  let found = -1;
  for (let i = 0; i < mins.length; i++) {
    if (mins[i]!.cmp(target) <= 0) found = i;
    else break;
  }
  return found;
}

/**
 * Nodes per grade: a node counts in the highest grade whose every range's minimum it has left
 * (a resource the node lacks counts as zero). Grades in the order of `models`.
 */
export function allocatableModelings(
  nodes: readonly SummaryNode[],
  pods: readonly SummaryPod[],
  models: readonly ResourceModel[],
): AllocatableModeling[] {
  const names = (models[0]?.ranges ?? []).map((r) => r.name);
  const mins = names.map((name) =>
    models.map((m) => {
      const range = m.ranges.find((r) => r.name === name);
      return Quantity.tryParse(range?.min) ?? Quantity.zero();
    }),
  );
  const usedByNode = new Map<string, Resource>();
  for (const pod of pods) {
    if (!occupiesNode(pod)) continue;
    const node = pod.spec!.nodeName!;
    let used = usedByNode.get(node);
    if (!used) {
      used = new Resource();
      usedByNode.set(node, used);
    }
    used.addPod(pod);
  }
  const counts = models.map(() => 0);
  for (const node of nodes) {
    const available = nodeAvailable(node, usedByNode.get(node.metadata.name ?? ''));
    if (!available) continue;
    let grade = Number.POSITIVE_INFINITY;
    names.forEach((name, i) => {
      grade = Math.min(grade, lastGradeAtMost(mins[i]!, available.get(name) ?? Quantity.zero()));
    });
    if (grade >= 0 && Number.isFinite(grade)) counts[grade]!++;
  }
  return models.map((m, i) => ({ grade: m.grade, count: counts[i]! }));
}

/** A Node as the summary needs it (the informer's cache keeps nothing else). */
export function slimNode(node: SummaryNode): SummaryNode {
  const slim: SummaryNode = {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: { name: node.metadata.name, resourceVersion: node.metadata.resourceVersion },
  };
  const status: NonNullable<SummaryNode['status']> = {};
  if (node.status?.allocatable) status.allocatable = node.status.allocatable;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready) status.conditions = [{ type: ready.type, status: ready.status }];
  slim.status = status;
  return slim;
}

/** A Pod as the summary needs it. */
export function slimPod(pod: SummaryPod): SummaryPod {
  const requestsOf = (cs: ContainerRequests[] | undefined) =>
    (cs ?? []).map((c) => (c.resources?.requests ? { resources: { requests: c.resources.requests } } : {}));
  const spec: NonNullable<SummaryPod['spec']> = { containers: requestsOf(pod.spec?.containers) };
  if (pod.spec?.nodeName) spec.nodeName = pod.spec.nodeName;
  if (pod.spec?.initContainers?.length) spec.initContainers = requestsOf(pod.spec.initContainers);
  if (pod.spec?.overhead) spec.overhead = pod.spec.overhead;
  const slim: SummaryPod = {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      resourceVersion: pod.metadata.resourceVersion,
    },
    spec,
  };
  if (pod.status?.phase) slim.status = { phase: pod.status.phase };
  return slim;
}
