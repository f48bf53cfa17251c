// What a Work reports of the object it put on a member, as Karmada's default resource interpreter
// reads the built-in kinds: the part of the status worth collecting (ReflectStatus; the whole
// status for kinds it has no rule for) and whether the object is healthy (InterpretHealth;
// Healthy for kinds without a rule). Deployments, ReplicaSets, DaemonSets and StatefulSets carry
// the member object's generation and the template generation it was made from, so that the hub
// can tell whether every member has caught up with the latest template.

import type { KubeObject } from '../../../../machinery/object.js';
import { RESOURCE_TEMPLATE_GENERATION_ANNOTATION, type ResourceHealth } from '../work/types.js';

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The listed fields of `from` that are set (Go's omitempty: zero numbers and empty values left out). */
function pick(from: Json, fields: readonly string[]): Json {
  const out: Json = {};
  for (const f of fields) {
    const v = from[f];
    if (v === undefined || v === null || v === 0 || v === '' || (Array.isArray(v) && v.length === 0))
      continue;
    out[f] = v;
  }
  return out;
}

/** Generation of the member object and of the template it was rendered from (FederatedGeneration). */
function federatedGeneration(obj: KubeObject): Json {
  const template = Number.parseInt(
    obj.metadata.annotations?.[RESOURCE_TEMPLATE_GENERATION_ANNOTATION] ?? '',
    10,
  );
  return pick(
    {
      generation: obj.metadata.generation ?? 0,
      resourceTemplateGeneration: Number.isNaN(template) ? 0 : template,
    },
    ['generation', 'resourceTemplateGeneration'],
  );
}

const DEPLOYMENT_FIELDS = [
  'observedGeneration',
  'replicas',
  'updatedReplicas',
  'readyReplicas',
  'availableReplicas',
  'unavailableReplicas',
];
const REPLICASET_FIELDS = ['replicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'];
const DAEMONSET_FIELDS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
];
const STATEFULSET_FIELDS = [
  'replicas',
  'readyReplicas',
  'currentReplicas',
  'updatedReplicas',
  'availableReplicas',
];
const JOB_FIELDS = ['conditions', 'startTime', 'completionTime', 'active', 'succeeded', 'failed'];
const PDB_FIELDS = [
  'disruptedPods',
  'disruptionsAllowed',
  'currentHealthy',
  'desiredHealthy',
  'expectedPods',
];
const HPA_FIELDS = ['currentReplicas', 'desiredReplicas'];

function withGeneration(obj: KubeObject, status: Json, fields: readonly string[]): Json | undefined {
  const out = { ...federatedGeneration(obj), ...pick(status, fields) };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The status a Work's manifestStatuses carry for this member object (undefined: none yet). */
export function reflectStatus(obj: KubeObject): Json | undefined {
  const status = asObject(obj.status);
  const key = `${obj.apiVersion}/${obj.kind}`;
  if (key === 'v1/Service') {
    if (asObject(obj.spec)?.type !== 'LoadBalancer' || !status) return undefined;
    return { loadBalancer: asObject(status.loadBalancer) ?? {} };
  }
  if (!status) return undefined;
  switch (key) {
    case 'apps/v1/Deployment':
      return withGeneration(obj, status, DEPLOYMENT_FIELDS);
    case 'apps/v1/ReplicaSet':
      return withGeneration(obj, status, REPLICASET_FIELDS);
    case 'apps/v1/DaemonSet':
      return withGeneration(obj, status, DAEMONSET_FIELDS);
    case 'apps/v1/StatefulSet':
      return withGeneration(obj, status, STATEFULSET_FIELDS);
    case 'batch/v1/Job':
      return pick(status, JOB_FIELDS);
    case 'policy/v1/PodDisruptionBudget':
      return pick(status, PDB_FIELDS);
    case 'autoscaling/v2/HorizontalPodAutoscaler':
      return pick(status, HPA_FIELDS);
    default:
      return status;
  }
}

function replicasHealthy(obj: KubeObject, updatedField: string, availableOf: (s: Json) => number): boolean {
  const status = asObject(obj.status) ?? {};
  const spec = asObject(obj.spec) ?? {};
  if (num(status.observedGeneration) !== num(obj.metadata.generation)) return false;
  if (typeof spec.replicas === 'number' && num(status[updatedField]) < spec.replicas) return false;
  return availableOf(status) >= num(status[updatedField]);
}

function loadBalancerHasAddress(status: Json | undefined): boolean {
  const ingress = asObject(status?.loadBalancer)?.ingress;
  return Array.isArray(ingress) && ingress.some((i) => !!asObject(i)?.ip || !!asObject(i)?.hostname);
}

/** Whether the member object is healthy, by Karmada's rules for the built-in kinds. */
export function interpretHealth(obj: KubeObject): ResourceHealth {
  const status = asObject(obj.status) ?? {};
  const spec = asObject(obj.spec) ?? {};
  let healthy: boolean;
  switch (`${obj.apiVersion}/${obj.kind}`) {
    case 'apps/v1/Deployment':
    case 'apps/v1/StatefulSet':
      healthy = replicasHealthy(obj, 'updatedReplicas', (s) => num(s.availableReplicas));
      break;
    case 'apps/v1/ReplicaSet':
      healthy =
        num(status.observedGeneration) === num(obj.metadata.generation) &&
        (typeof spec.replicas !== 'number' || num(status.availableReplicas) >= spec.replicas);
      break;
    case 'apps/v1/DaemonSet':
      healthy =
        num(status.observedGeneration) === num(obj.metadata.generation) &&
        num(status.updatedNumberScheduled) >= num(status.desiredNumberScheduled) &&
        num(status.numberAvailable) >= num(status.updatedNumberScheduled);
      break;
    case 'v1/Service':
      healthy = spec.type !== 'LoadBalancer' || loadBalancerHasAddress(status);
      break;
    case 'networking.k8s.io/v1/Ingress':
      healthy = loadBalancerHasAddress(status);
      break;
    case 'v1/PersistentVolumeClaim':
      healthy = status.phase === 'Bound';
      break;
    case 'v1/Pod': {
      const conditions = Array.isArray(status.conditions) ? status.conditions : [];
      const ready = conditions.some((c) => asObject(c)?.type === 'Ready' && asObject(c)?.status === 'True');
      healthy = status.phase === 'Succeeded' || (status.phase === 'Running' && ready);
      break;
    }
    case 'policy/v1/PodDisruptionBudget':
      healthy = num(status.currentHealthy) >= num(status.desiredHealthy);
      break;
    default:
      healthy = true;
  }
  return healthy ? 'Healthy' : 'Unhealthy';
}
