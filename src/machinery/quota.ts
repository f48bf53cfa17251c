// ResourceQuota accounting, shared by the quota admission check of the API server and the quota
// controller that writes status.used: what an object uses of each resource a quota can name
// (Kubernetes' quota evaluators), and which pods a quota's scopes select. Pure code.

import type { KubeObject } from './object.js';
import { Quantity } from './quantity.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => !!obj(x)) : []);

export type Usage = Map<string, Quantity>;

export const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
] as const;
export type QuotaScope = (typeof QUOTA_SCOPES)[number];

/** Object counts a quota names without the count/ prefix (Kubernetes' legacy names). */
const LEGACY_COUNTS: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** The count/ name of a resource: count/pods, count/deployments.apps. */
export function countName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** The resource a quota's count name is about ({group, resource}), or undefined. */
export function countedResource(name: string): { group: string; resource: string } | undefined {
  if (LEGACY_COUNTS[name]) return { group: '', resource: LEGACY_COUNTS[name] };
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0
    ? { group: '', resource: rest }
    : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

/**
 * The resource whose objects a quota resource name is counted from: pods for compute resources,
 * claims for storage, services for load balancers and node ports, else what `count/` names.
 */
export function quotaSource(name: string): { group: string; resource: string } | undefined {
  const pods = { group: '', resource: 'pods' };
  const claims = { group: '', resource: 'persistentvolumeclaims' };
  if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage') return pods;
  if (name.startsWith('requests.') || name.startsWith('limits.')) {
    return name === 'requests.storage' ? claims : pods;
  }
  if (name.startsWith('services.')) return { group: '', resource: 'services' };
  if (
    name.endsWith('.storageclass.storage.k8s.io/requests.storage') ||
    name.endsWith('.storageclass.storage.k8s.io/persistentvolumeclaims')
  )
    return claims;
  return countedResource(name);
}

/** Compute resources a pod quota can name: cpu and memory stand for requests.cpu and requests.memory. */
function computeNames(kind: 'requests' | 'limits', resource: string): string[] {
  const names = [`${kind}.${resource}`];
  if (
    kind === 'requests' &&
    (resource === 'cpu' || resource === 'memory' || resource === 'ephemeral-storage')
  ) {
    names.push(resource);
  }
  return names;
}

function addAll(into: Map<string, Quantity>, list: unknown): void {
  for (const [name, value] of Object.entries(obj(list) ?? {})) {
    const q = Quantity.tryParse(value);
    if (!q) continue;
    const prev = into.get(name);
    into.set(name, prev ? prev.add(q) : q);
  }
}

function maxInto(into: Map<string, Quantity>, other: Map<string, Quantity>): void {
  for (const [name, q] of other) {
    const prev = into.get(name);
    if (!prev || q.cmp(prev) > 0) into.set(name, q);
  }
}

/**
 * A pod's effective requests or limits (Kubernetes' PodRequests / PodLimits): its containers'
 * sum, raised to what each init container needs while it runs (restartable init containers keep
 * running and add up), plus the pod's overhead. A container's requests default to its limits.
 */
function podResources(spec: Json, kind: 'requests' | 'limits'): Map<string, Quantity> {
  const of = (c: Json): Map<string, Quantity> => {
    const resources = obj(c.resources) ?? {};
    const list =
      kind === 'requests'
        ? { ...(obj(resources.limits) ?? {}), ...(obj(resources.requests) ?? {}) }
        : resources.limits;
    const m = new Map<string, Quantity>();
    addAll(m, list);
    return m;
  };
  const sum = new Map<string, Quantity>();
  for (const c of arr(spec.containers)) for (const [n, q] of of(c)) sum.set(n, sum.get(n)?.add(q) ?? q);
  const sidecars = new Map<string, Quantity>();
  const initPeak = new Map<string, Quantity>();
  for (const c of arr(spec.initContainers)) {
    const own = of(c);
    const running = new Map(sidecars);
    for (const [n, q] of own) running.set(n, running.get(n)?.add(q) ?? q);
    maxInto(initPeak, running);
    if (c.restartPolicy === 'Always') {
      for (const [n, q] of own) {
        sidecars.set(n, sidecars.get(n)?.add(q) ?? q);
        sum.set(n, sum.get(n)?.add(q) ?? q);
      }
    }
  }
  maxInto(sum, initPeak);
  addAll(sum, spec.overhead);
  return sum;
}

/** Whether the pod no longer counts: it finished (Succeeded or Failed). */
function isTerminal(pod: KubeObject): boolean {
  const phase = obj((pod as Json).status)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What a pod uses: its count and its compute requests and limits, under every name a quota may use. */
export function podUsage(pod: KubeObject): Usage {
  const usage: Usage = new Map();
  if (isTerminal(pod)) return usage;
  const one = Quantity.fromValue(1);
  usage.set('pods', one);
  usage.set('count/pods', one);
  const spec = obj((pod as Json).spec) ?? {};
  for (const kind of ['requests', 'limits'] as const) {
    for (const [resource, q] of podResources(spec, kind)) {
      for (const name of computeNames(kind, resource)) usage.set(name, q);
    }
  }
  return usage;
}

/** What any object uses: its count, and what its kind adds (services' load balancers and node ports, claims' storage). */
export function objectUsage(group: string, resource: string, o: KubeObject): Usage {
  if (group === '' && resource === 'pods') return podUsage(o);
  const usage: Usage = new Map();
  const one = Quantity.fromValue(1);
  usage.set(countName(group, resource), one);
  if (group === '' && LEGACY_COUNTS[resource]) usage.set(resource, one);
  const spec = obj((o as Json).spec) ?? {};
  if (group === '' && resource === 'services') {
    const type = spec.type ?? 'ClusterIP';
    if (type === 'LoadBalancer') usage.set('services.loadbalancers', one);
    if (type === 'LoadBalancer' || type === 'NodePort') {
      usage.set('services.nodeports', Quantity.fromValue(arr(spec.ports).length));
    }
  }
  if (group === '' && resource === 'persistentvolumeclaims') {
    const storage = Quantity.tryParse(obj(obj(spec.resources)?.requests)?.storage);
    if (storage) {
      usage.set('requests.storage', storage);
      const sc = spec.storageClassName;
      if (typeof sc === 'string' && sc) {
        usage.set(`${sc}.storageclass.storage.k8s.io/requests.storage`, storage);
        usage.set(`${sc}.storageclass.storage.k8s.io/persistentvolumeclaims`, one);
      }
    }
  }
  return usage;
}

function isBestEffort(spec: Json): boolean {
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    const r = obj(c.resources) ?? {};
    if (Object.keys(obj(r.requests) ?? {}).length > 0 || Object.keys(obj(r.limits) ?? {}).length > 0)
      return false;
  }
  return true;
}

function hasCrossNamespaceAffinity(spec: Json): boolean {
  const affinity = obj(spec.affinity) ?? {};
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = obj(affinity[kind]) ?? {};
    const terms = [
      ...arr(a.requiredDuringSchedulingIgnoredDuringExecution),
      ...arr(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => obj(w.podAffinityTerm) ?? {}),
    ];
    if (
      terms.some((t) => (Array.isArray(t.namespaces) && t.namespaces.length > 0) || obj(t.namespaceSelector))
    ) {
      return true;
    }
  }
  return false;
}

export interface ScopeTerm {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** A quota's scopes and scope selector terms, all of which a pod must satisfy. */
export function quotaScopeTerms(quota: KubeObject): ScopeTerm[] {
  const spec = obj((quota as Json).spec) ?? {};
  const terms: ScopeTerm[] = [];
  for (const s of Array.isArray(spec.scopes) ? spec.scopes : [])
    terms.push({ scopeName: String(s), operator: 'Exists' });
  for (const e of arr(obj(spec.scopeSelector)?.matchExpressions)) {
    terms.push({
      scopeName: String(e.scopeName ?? ''),
      operator: String(e.operator ?? ''),
      values: Array.isArray(e.values) ? e.values.map(String) : [],
    });
  }
  return terms;
}

/** Whether a pod falls under the quota's scopes (a quota without scopes takes every pod). */
export function podMatchesScopes(pod: KubeObject, terms: ScopeTerm[]): boolean {
  const spec = obj((pod as Json).spec) ?? {};
  return terms.every((t) => {
    let holds: boolean;
    switch (t.scopeName) {
      case 'Terminating':
        holds = typeof spec.activeDeadlineSeconds === 'number';
        break;
      case 'NotTerminating':
        holds = typeof spec.activeDeadlineSeconds !== 'number';
        break;
      case 'BestEffort':
        holds = isBestEffort(spec);
        break;
      case 'NotBestEffort':
        holds = !isBestEffort(spec);
        break;
      case 'CrossNamespacePodAffinity':
        holds = hasCrossNamespaceAffinity(spec);
        break;
      case 'PriorityClass': {
        const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
        if (t.operator === 'Exists') return name !== '';
        if (t.operator === 'DoesNotExist') return name === '';
        const inValues = (t.values ?? []).includes(name);
        return t.operator === 'In' ? inValues : !inValues;
      }
      default:
        return false;
    }
    return t.operator === 'DoesNotExist' ? !holds : holds;
  });
}

/** Resources a scoped quota may limit (Kubernetes refuses others): the pod count and compute resources. */
export function isPodComputeResource(name: string): boolean {
  return (
    name === 'pods' ||
    name === 'count/pods' ||
    name === 'cpu' ||
    name === 'memory' ||
    name === 'ephemeral-storage' ||
    name.startsWith('requests.') ||
    name.startsWith('limits.')
  );
}

/** The sum of the usages of objects, restricted to the names in `hard`. */
export function sumUsage(usages: Iterable<Usage>, hard: Iterable<string>): Usage {
  const names = [...hard];
  const out: Usage = new Map(names.map((n) => [n, Quantity.zero()]));
  for (const u of usages) {
    for (const n of names) {
      const q = u.get(n);
      if (q) out.set(n, out.get(n)!.add(q));
    }
  }
  return out;
}
