// A resource template's status on the hub, summed from what its members report (the binding's
// aggregatedStatus), by the rules of Karmada's default interpreter for the built-in kinds:
// replica counts added up, observedGeneration moved to the template's generation only once every
// member has caught up with it, load balancer ingress gathered, Pods and PVCs by their worst
// phase, a Job complete when every member's is. Kinds without a rule get no status here.

import type { KubeObject } from '../../../machinery/object.js';
import type { AggregatedStatusItem } from '../../apis/karmada/index.js';

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Only fields that are set, as Go's omitempty writes them. */
function compact(status: Json): Json {
  return Object.fromEntries(
    Object.entries(status).filter(
      ([, v]) => v !== undefined && v !== null && v !== 0 && !(Array.isArray(v) && v.length === 0),
    ),
  );
}

type Aggregator = (template: KubeObject, items: readonly AggregatedStatusItem[]) => Json;

/** Sums `fields` over the members; observedGeneration as Karmada moves it. */
function replicaSum(fields: readonly string[], memberOwnGeneration = false): Aggregator {
  return (template, items) => {
    const old = asObject(template.status) ?? {};
    const out: Json = {};
    for (const f of fields) out[f] = 0;
    let caughtUp = 0;
    for (const item of items) {
      const s = asObject(item.status);
      if (!s) continue;
      const generation = num(s.generation);
      // The StatefulSet rule compares the member's template generation with its own generation.
      const target = memberOwnGeneration ? generation : num(template.metadata.generation);
      if (num(s.observedGeneration) >= generation && num(s.resourceTemplateGeneration) >= target) caughtUp++;
      for (const f of fields) out[f] = num(out[f]) + num(s[f]);
    }
    out.observedGeneration =
      caughtUp === items.length ? num(template.metadata.generation) : num(old.observedGeneration);
    // Fields the rule does not own (conditions ...) stay as they are.
    const next: Json = { ...old };
    for (const [f, v] of Object.entries(out)) {
      if (v === 0) delete next[f];
      else next[f] = v;
    }
    return next;
  };
}

function loadBalancer(template: KubeObject, items: readonly AggregatedStatusItem[]): Json {
  const ingress: Json[] = [];
  for (const item of items) {
    for (const i of arr(asObject(asObject(item.status)?.loadBalancer)?.ingress)) {
      const entry = asObject(i);
      if (entry) ingress.push(entry);
    }
  }
  const seen = new Set<string>();
  const unique = ingress
    .filter((i) => {
      const key = JSON.stringify(i);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => `${a.ip ?? ''}${a.hostname ?? ''}`.localeCompare(`${b.ip ?? ''}${b.hostname ?? ''}`));
  void template;
  return { loadBalancer: unique.length ? { ingress: unique } : {} };
}

function jobFinished(status: Json | undefined): 'Complete' | 'Failed' | undefined {
  for (const c of arr(status?.conditions)) {
    const cond = asObject(c);
    if ((cond?.type === 'Complete' || cond?.type === 'Failed') && cond.status === 'True') {
      return cond.type as 'Complete' | 'Failed';
    }
  }
  return undefined;
}

function job(now: () => string): Aggregator {
  return (template, items) => {
    const old = asObject(template.status) ?? {};
    // A finished Job's status is final.
    if (jobFinished(old)) return old;
    const out: Json = { active: 0, succeeded: 0, failed: 0 };
    const failed: string[] = [];
    let complete = 0;
    let started = 0;
    let completed = 0;
    let criteriaMet = 0;
    let startTime: string | undefined;
    let completionTime: string | undefined;
    for (const item of items) {
      const s = asObject(item.status);
      if (!s) continue;
      out.active = num(out.active) + num(s.active);
      out.succeeded = num(out.succeeded) + num(s.succeeded);
      out.failed = num(out.failed) + num(s.failed);
      const finished = jobFinished(s);
      if (finished === 'Complete') complete++;
      else if (finished === 'Failed') failed.push(item.clusterName);
      if (
        arr(s.conditions).some(
          (c) => asObject(c)?.type === 'SuccessCriteriaMet' && asObject(c)?.status === 'True',
        )
      )
        criteriaMet++;
      if (typeof s.startTime === 'string') {
        started++;
        if (!startTime || s.startTime < startTime) startTime = s.startTime;
      }
      if (typeof s.completionTime === 'string') {
        completed++;
        if (!completionTime || s.completionTime > completionTime) completionTime = s.completionTime;
      }
    }
    const t = now();
    const conditions: Json[] = [];
    if (failed.length > 0) {
      conditions.push({
        type: 'Failed',
        status: 'True',
        lastProbeTime: t,
        lastTransitionTime: t,
        reason: 'JobFailed',
        message: `Job executed failed in member clusters ${failed.join(',')}`,
      });
    }
    if (complete > 0 && complete === items.length) {
      conditions.push({
        type: 'Complete',
        status: 'True',
        lastProbeTime: t,
        lastTransitionTime: t,
        reason: 'Completed',
        message: 'Job completed',
      });
      if (criteriaMet === items.length) {
        conditions.push({
          type: 'SuccessCriteriaMet',
          status: 'True',
          lastProbeTime: t,
          lastTransitionTime: t,
          reason: 'CompletionsReached',
          message: 'All member clusters have met success criteria',
        });
      }
    }
    // A condition already reported keeps its times, so that an unchanged status is not written again.
    const before = arr(old.conditions).map(asObject);
    if (conditions.length) {
      out.conditions = conditions.map((c) => {
        const was = before.find(
          (b) => b?.type === c.type && b?.status === c.status && b?.reason === c.reason,
        );
        return was
          ? { ...c, lastProbeTime: was.lastProbeTime, lastTransitionTime: was.lastTransitionTime }
          : c;
      });
    }
    out.startTime = old.startTime ?? (started > 0 && started === items.length ? startTime : undefined);
    if (completionTime && completed === items.length) out.completionTime = completionTime;
    return compact(out);
  };
}

/** The worst phase among the members, in the given order (a member with no status counts as `missing`). */
function worstPhase(
  order: readonly string[],
  missing: string | undefined,
  items: readonly AggregatedStatusItem[],
) {
  const phases = new Set<string>();
  for (const item of items) {
    const phase = asObject(item.status)?.phase;
    if (typeof phase === 'string') phases.add(phase);
    else if (missing) phases.add(missing);
  }
  return order.find((p) => phases.has(p));
}

function pod(template: KubeObject, items: readonly AggregatedStatusItem[]): Json {
  const containerStatuses: Json[] = [];
  const initContainerStatuses: Json[] = [];
  for (const item of items) {
    const s = asObject(item.status);
    for (const c of arr(s?.containerStatuses))
      containerStatuses.push({ ready: asObject(c)?.ready ?? false, state: asObject(c)?.state ?? {} });
    for (const c of arr(s?.initContainerStatuses))
      initContainerStatuses.push({ ready: asObject(c)?.ready ?? false, state: asObject(c)?.state ?? {} });
  }
  void template;
  const phase = worstPhase(['Failed', 'Pending', 'Running', 'Succeeded'], 'Pending', items);
  return compact({ ...(phase ? { phase } : {}), containerStatuses, initContainerStatuses });
}

function pvc(_template: KubeObject, items: readonly AggregatedStatusItem[]): Json {
  let phase = 'Bound';
  for (const item of items) {
    const p = asObject(item.status)?.phase;
    if (p === 'Lost') return { phase: 'Lost' };
    if (typeof p === 'string' && p !== 'Bound') phase = p;
  }
  return { phase };
}

function pv(_template: KubeObject, items: readonly AggregatedStatusItem[]): Json {
  const phase = worstPhase(['Failed', 'Pending', 'Available', 'Bound', 'Released'], 'Pending', items);
  return phase ? { phase } : {};
}

function sum(fields: readonly string[]): Aggregator {
  return (_template, items) => {
    const out: Json = {};
    for (const f of fields) out[f] = 0;
    for (const item of items) {
      const s = asObject(item.status);
      for (const f of fields) out[f] = num(out[f]) + num(s?.[f]);
    }
    return compact(out);
  };
}

function aggregators(now: () => string): Record<string, Aggregator> {
  return {
    'apps/v1/Deployment': replicaSum([
      'replicas',
      'readyReplicas',
      'updatedReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]),
    'apps/v1/ReplicaSet': replicaSum(['replicas', 'readyReplicas', 'availableReplicas']),
    'apps/v1/StatefulSet': replicaSum(
      ['availableReplicas', 'currentReplicas', 'readyReplicas', 'replicas', 'updatedReplicas'],
      true,
    ),
    'apps/v1/DaemonSet': replicaSum([
      'currentNumberScheduled',
      'desiredNumberScheduled',
      'numberAvailable',
      'numberMisscheduled',
      'numberReady',
      'updatedNumberScheduled',
      'numberUnavailable',
    ]),
    'v1/Service': (t, items) =>
      asObject(t.spec)?.type === 'LoadBalancer' ? loadBalancer(t, items) : (asObject(t.status) ?? {}),
    'networking.k8s.io/v1/Ingress': loadBalancer,
    'batch/v1/Job': job(now),
    'v1/Pod': pod,
    'v1/PersistentVolumeClaim': pvc,
    'v1/PersistentVolume': pv,
    'autoscaling/v2/HorizontalPodAutoscaler': sum(['currentReplicas', 'desiredReplicas']),
  };
}

/** Whether the hub sums a status for this kind. */
export function aggregatesStatus(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in aggregators(() => '');
}

/** The template's status from its members' (undefined: the kind has no rule). */
export function aggregateStatus(
  template: KubeObject,
  items: readonly AggregatedStatusItem[],
  now: () => Date = () => new Date(),
): Json | undefined {
  const rule = aggregators(() => now().toISOString())[`${template.apiVersion}/${template.kind}`];
  if (!rule) return undefined;
  return JSON.parse(JSON.stringify(rule(template, items))) as Json;
}
