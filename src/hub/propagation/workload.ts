// What the propagation controllers know of Kubernetes' workload kinds (Karmada's default resource
// interpreter): where a kind keeps its pod spec, how many replicas it asks for and what each
// replica needs, and which field carries a member's share of the replicas.

import type { KubeObject } from '../../machinery/object.js';
import { addResourceLists, Quantity } from '../../machinery/quantity.js';
import type { ReplicaRequirements } from '../apis/karmada/index.js';

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

/** JSON pointer segments to the pod spec, by kind (apps/v1, batch/v1, v1). */
const POD_SPEC_PATHS: Record<string, string[]> = {
  'v1/Pod': ['spec'],
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Where the kind keeps its pod spec ("spec", "spec/template/spec" ...), or undefined. */
export function podSpecPath(obj: KubeObject): string[] | undefined {
  return POD_SPEC_PATHS[`${obj.apiVersion}/${obj.kind}`];
}

export function podSpecOf(obj: KubeObject): Json | undefined {
  const path = podSpecPath(obj);
  if (!path) return undefined;
  let cur: unknown = obj;
  for (const seg of path) cur = asObject(cur)?.[seg];
  return asObject(cur);
}

/** The field holding the replica count a member is given (Karmada's ReviseReplica). */
export function replicaField(obj: KubeObject): string | undefined {
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'apps/v1/Deployment':
    case 'apps/v1/ReplicaSet':
    case 'apps/v1/StatefulSet':
      return 'replicas';
    case 'batch/v1/Job':
      return 'parallelism';
    default:
      return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

type ResourceList = Record<string, string | number>;

/** Requests of a container, its limits standing in for requests it does not state. */
function containerRequests(c: unknown): ResourceList {
  const resources = asObject(asObject(c)?.resources);
  const requests = { ...((asObject(resources?.requests) ?? {}) as ResourceList) };
  for (const [k, v] of Object.entries((asObject(resources?.limits) ?? {}) as ResourceList)) {
    if (!(k in requests)) requests[k] = v;
  }
  return requests;
}

/** What one replica requests: containers summed, each init container at most, overhead added. */
function podRequests(spec: Json): Record<string, Quantity> {
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  const total = addResourceLists(...containers.map(containerRequests));
  for (const init of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    for (const [k, v] of Object.entries(containerRequests(init))) {
      const q = Quantity.tryParse(v);
      if (q && (!total[k] || q.cmp(total[k]!) > 0)) total[k] = q;
    }
  }
  const overhead = asObject(spec.overhead) as ResourceList | undefined;
  for (const [k, q] of Object.entries(addResourceLists(overhead))) total[k] = total[k] ? total[k]!.add(q) : q;
  return total;
}

function replicaRequirements(spec: Json | undefined): ReplicaRequirements | undefined {
  if (!spec) return undefined;
  const out: ReplicaRequirements = {};
  const requests = Object.entries(podRequests(spec)).filter(([, q]) => q.sign() > 0);
  if (requests.length > 0)
    out.resourceRequest = Object.fromEntries(requests.map(([k, q]) => [k, q.toString()]));
  const nodeClaim: NonNullable<ReplicaRequirements['nodeClaim']> = {};
  const nodeSelector = asObject(spec.nodeSelector);
  if (nodeSelector && Object.keys(nodeSelector).length)
    nodeClaim.nodeSelector = nodeSelector as Record<string, string>;
  if (Array.isArray(spec.tolerations) && spec.tolerations.length) nodeClaim.tolerations = spec.tolerations;
  const required = asObject(
    asObject(asObject(spec.affinity)?.nodeAffinity)?.requiredDuringSchedulingIgnoredDuringExecution,
  );
  if (required) nodeClaim.hardNodeAffinity = required as NonNullable<typeof nodeClaim.hardNodeAffinity>;
  if (Object.keys(nodeClaim).length) out.nodeClaim = nodeClaim;
  return Object.keys(out).length ? out : undefined;
}

/** Replicas and per-replica requirements of a template; replicas 0 for kinds that are not workloads. */
export function interpretReplicas(obj: KubeObject): { replicas: number; requirements?: ReplicaRequirements } {
  const spec = asObject(obj.spec) ?? {};
  let replicas: number;
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'apps/v1/Deployment':
    case 'apps/v1/ReplicaSet':
    case 'apps/v1/StatefulSet':
      replicas = num(spec.replicas) ?? 0;
      break;
    case 'batch/v1/Job': {
      // Never more pods at once than completions left.
      const parallelism = num(spec.parallelism) ?? 0;
      replicas = Math.min(parallelism, num(spec.completions) ?? parallelism);
      break;
    }
    case 'v1/Pod':
      replicas = 1;
      break;
    default:
      return { replicas: 0 };
  }
  const requirements = replicaRequirements(podSpecOf(obj));
  return requirements ? { replicas, requirements } : { replicas };
}
