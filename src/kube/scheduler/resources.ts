// Resource arithmetic of the scheduler, in the units kube-scheduler keeps: milli-CPU, bytes of
// memory and ephemeral storage, whole units of extended resources (nvidia.com/gpu), hugepages
// and attachable volumes, and a pod count. Quantities are parsed once per distinct string (a
// Deployment's 10,000 pods carry the same few), then everything is plain number arithmetic.

import { Quantity } from '../../machinery/quantity.js';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** What the LeastAllocated score assumes for a container that requests no CPU (100m) or memory (200Mi). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Requested or allocatable resources. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages-*, attachable-volumes-*: name -> whole units. */
  scalar: Map<string, number> | undefined;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: undefined };
}

export function cloneResource(r: Resource): Resource {
  return {
    milliCPU: r.milliCPU,
    memory: r.memory,
    ephemeralStorage: r.ephemeralStorage,
    scalar: r.scalar ? new Map(r.scalar) : undefined,
  };
}

/** to += r × sign */
export function addResource(to: Resource, r: Resource, sign = 1): void {
  to.milliCPU += sign * r.milliCPU;
  to.memory += sign * r.memory;
  to.ephemeralStorage += sign * r.ephemeralStorage;
  if (r.scalar) {
    to.scalar ??= new Map();
    for (const [name, v] of r.scalar) {
      const next = (to.scalar.get(name) ?? 0) + sign * v;
      if (next === 0) to.scalar.delete(name);
      else to.scalar.set(name, next);
    }
  }
}

/**
 * Resources the scheduler accounts beyond cpu, memory and ephemeral storage (Kubernetes'
 * IsScalarResourceName): extended resources ("vendor/name", not "requests.*"), hugepages-*,
 * attachable-volumes-* and prefixed native resources ("*kubernetes.io/*"). Anything else (an
 * unknown unprefixed name) is not the scheduler's business.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (name.includes('kubernetes.io/')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

interface Parsed {
  milli: number;
  value: number;
}

const parsedQuantities = new Map<string, Parsed | null>();
const MAX_PARSED = 4096;

/** A quantity as milli-units and whole units (both rounded up, as Kubernetes does); null if unparsable. */
function parse(q: unknown): Parsed | null {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) return null;
    return { milli: Math.ceil(q * 1000), value: Math.ceil(q) };
  }
  if (typeof q !== 'string') return null;
  let p = parsedQuantities.get(q);
  if (p !== undefined) return p;
  const quantity = Quantity.tryParse(q);
  p = quantity ? { milli: quantity.milliValue(), value: quantity.value() } : null;
  // Bounded: one process serves many clusters; distinct request strings are few in practice.
  if (parsedQuantities.size >= MAX_PARSED) parsedQuantities.clear();
  parsedQuantities.set(q, p);
  return p;
}

export function milliValue(q: unknown): number {
  return parse(q)?.milli ?? 0;
}

export function unitValue(q: unknown): number {
  return parse(q)?.value ?? 0;
}

type ResourceList = Record<string, unknown> | undefined | null;

function asList(v: unknown): ResourceList {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** A resource list (requests, allocatable, overhead) in scheduler units; `pods` is returned apart. */
export function resourceFromList(list: ResourceList): { resource: Resource; pods: number } {
  const resource = emptyResource();
  let pods = 0;
  if (!list) return { resource, pods };
  for (const name of Object.keys(list)) {
    const q = list[name];
    switch (name) {
      case CPU:
        resource.milliCPU += milliValue(q);
        break;
      case MEMORY:
        resource.memory += unitValue(q);
        break;
      case EPHEMERAL_STORAGE:
        resource.ephemeralStorage += unitValue(q);
        break;
      case PODS:
        pods += unitValue(q);
        break;
      default:
        if (isScalarResourceName(name)) {
          resource.scalar ??= new Map();
          resource.scalar.set(name, (resource.scalar.get(name) ?? 0) + unitValue(q));
        }
    }
  }
  return { resource, pods };
}

/** Per resource, the larger of the two, into `to`. */
function maxInto(to: Resource, r: Resource): void {
  if (r.milliCPU > to.milliCPU) to.milliCPU = r.milliCPU;
  if (r.memory > to.memory) to.memory = r.memory;
  if (r.ephemeralStorage > to.ephemeralStorage) to.ephemeralStorage = r.ephemeralStorage;
  if (r.scalar) {
    for (const [name, v] of r.scalar) {
      to.scalar ??= new Map();
      if (v > (to.scalar.get(name) ?? 0)) to.scalar.set(name, v);
    }
  }
}

interface ContainerLike {
  resources?: { requests?: unknown };
  restartPolicy?: unknown;
}

function containersOf(v: unknown): ContainerLike[] {
  return Array.isArray(v) ? (v.filter((c) => typeof c === 'object' && c !== null) as ContainerLike[]) : [];
}

/** What a pod asks of a node: actual requests for fitting, and requests with defaults for scoring. */
export interface PodRequests {
  requests: Resource;
  /** CPU and memory with 100m / 200Mi assumed for containers that request none (scoring only). */
  nonZeroMilliCPU: number;
  nonZeroMemory: number;
}

/**
 * The pod's effective requests, as Kubernetes computes them (resource.PodRequests): the sum of
 * its containers, raised to what any init container needs while it runs (sidecars — init
 * containers with restartPolicy Always — keep running and add up), plus the pod's overhead.
 */
export function podRequests(spec: Record<string, unknown> | undefined): PodRequests {
  const containers = containersOf(spec?.containers);
  const initContainers = containersOf(spec?.initContainers);
  const sum = emptyResource();
  let nzCPU = 0;
  let nzMem = 0;
  const one = (c: ContainerLike) => {
    const list = asList(asList(c.resources)?.requests);
    const r = resourceFromList(list).resource;
    const hasCPU = !!list && Object.hasOwn(list, CPU);
    const hasMem = !!list && Object.hasOwn(list, MEMORY);
    return {
      r,
      nzCPU: hasCPU ? r.milliCPU : DEFAULT_MILLI_CPU_REQUEST,
      nzMem: hasMem ? r.memory : DEFAULT_MEMORY_REQUEST,
    };
  };
  for (const c of containers) {
    const x = one(c);
    addResource(sum, x.r);
    nzCPU += x.nzCPU;
    nzMem += x.nzMem;
  }
  if (initContainers.length > 0) {
    const sidecars = emptyResource();
    let sidecarCPU = 0;
    let sidecarMem = 0;
    const initMax = emptyResource();
    let initCPU = 0;
    let initMem = 0;
    for (const c of initContainers) {
      const x = one(c);
      const use = cloneResource(sidecars);
      addResource(use, x.r);
      const useCPU = sidecarCPU + x.nzCPU;
      const useMem = sidecarMem + x.nzMem;
      if (c.restartPolicy === 'Always') {
        addResource(sum, x.r);
        nzCPU += x.nzCPU;
        nzMem += x.nzMem;
        addResource(sidecars, x.r);
        sidecarCPU += x.nzCPU;
        sidecarMem += x.nzMem;
      }
      maxInto(initMax, use);
      initCPU = Math.max(initCPU, useCPU);
      initMem = Math.max(initMem, useMem);
    }
    maxInto(sum, initMax);
    nzCPU = Math.max(nzCPU, initCPU);
    nzMem = Math.max(nzMem, initMem);
  }
  const overhead = asList(spec?.overhead);
  if (overhead) {
    const o = resourceFromList(overhead).resource;
    addResource(sum, o);
    nzCPU += o.milliCPU;
    nzMem += o.memory;
  }
  return { requests: sum, nonZeroMilliCPU: nzCPU, nonZeroMemory: nzMem };
}
