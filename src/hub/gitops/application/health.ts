// Health of live resources by Argo CD's built-in rules for the core kinds (Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Pod, Service, Ingress, PersistentVolumeClaim, Job, HPA,
// APIService, Application), and of an Application as the worst of its resources'. Kinds without
// a rule have no health and do not count.

import type { KubeObject } from '../../../machinery/object.js';
import type { HealthStatus, HealthStatusCode } from '../../apis/argocd/index.js';

// biome-ignore lint/suspicious/noExplicitAny: live objects read field by field
type Any = any;

/** Argo CD's order, best to worst. */
const ORDER: HealthStatusCode[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function isWorse(current: HealthStatusCode, next: HealthStatusCode): boolean {
  return ORDER.indexOf(next) > ORDER.indexOf(current);
}

function cond(obj: Any, type: string): Any {
  return (obj.status?.conditions ?? []).find((c: Any) => c.type === type);
}

function deployment(d: Any): HealthStatus {
  if (d.spec?.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  const replicas = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (cond(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `Deployment "${d.metadata?.name}" exceeded its progress deadline` };
  }
  if (updated < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
    };
  }
  if ((s.replicas ?? 0) > updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`,
    };
  }
  if ((s.availableReplicas ?? 0) < updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
    };
  }
  return { status: 'Healthy' };
}

function statefulSet(o: Any): HealthStatus {
  const s = o.status ?? {};
  if (!s.observedGeneration || (o.metadata?.generation ?? 0) > s.observedGeneration) {
    return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = o.spec?.replicas ?? 1;
  if ((s.readyReplicas ?? 0) < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for ${replicas - (s.readyReplicas ?? 0)} pods to be ready...`,
    };
  }
  if (o.spec?.updateStrategy?.type === 'OnDelete') {
    return { status: 'Healthy', message: `statefulset has ${s.readyReplicas ?? 0} ready pods` };
  }
  if (s.updateRevision && s.updateRevision !== s.currentRevision) {
    return {
      status: 'Progressing',
      message: `waiting for statefulset rolling update to complete ${s.updatedReplicas ?? 0} pods at revision ${s.updateRevision}...`,
    };
  }
  return {
    status: 'Healthy',
    message: `statefulset rolling update complete ${s.currentReplicas ?? 0} pods at revision ${s.currentRevision ?? ''}...`,
  };
}

function daemonSet(o: Any): HealthStatus {
  const s = o.status ?? {};
  if ((o.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation',
    };
  }
  const desired = s.desiredNumberScheduled ?? 0;
  if (o.spec?.updateStrategy?.type === 'OnDelete') {
    return {
      status: 'Healthy',
      message: `daemon set ${s.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated`,
    };
  }
  if ((s.updatedNumberScheduled ?? 0) < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${o.metadata?.name}" rollout to finish: ${s.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`,
    };
  }
  if ((s.numberAvailable ?? 0) < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${o.metadata?.name}" rollout to finish: ${s.numberAvailable ?? 0} of ${desired} updated pods are available...`,
    };
  }
  return { status: 'Healthy' };
}

function replicaSet(o: Any): HealthStatus {
  const s = o.status ?? {};
  if ((o.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed replica set generation less than desired generation',
    };
  }
  const failure = cond(o, 'ReplicaFailure');
  if (failure?.status === 'True') return { status: 'Degraded', message: failure.message };
  const replicas = o.spec?.replicas ?? 1;
  if ((s.availableReplicas ?? 0) < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${s.availableReplicas ?? 0} out of ${replicas} new replicas are available...`,
    };
  }
  return { status: 'Healthy' };
}

function pod(o: Any): HealthStatus {
  const s = o.status ?? {};
  if ((o.spec?.restartPolicy ?? 'Always') === 'Always') {
    const bad = (s.containerStatuses ?? []).filter((c: Any) => {
      const r: string = c.state?.waiting?.reason ?? '';
      return r.startsWith('Err') || r.endsWith('Error') || r.endsWith('BackOff');
    });
    if (bad.length > 0)
      return { status: 'Degraded', message: bad.map((c: Any) => c.state.waiting.message ?? '').join(', ') };
  }
  switch (s.phase) {
    case 'Pending':
      return { status: 'Progressing', message: s.message ?? '' };
    case 'Succeeded':
      return { status: 'Healthy', message: s.message ?? '' };
    case 'Failed': {
      const msg =
        s.message ||
        (s.containerStatuses ?? [])
          .map((c: Any) => {
            const t = c.state?.terminated;
            if (!t) return '';
            if (t.message) return t.message;
            if (t.reason === 'OOMKilled') return t.reason;
            return t.exitCode ? `container "${c.name}" failed with exit code ${t.exitCode}` : '';
          })
          .filter(Boolean)
          .join(', ');
      return { status: 'Degraded', message: msg };
    }
    case 'Running': {
      if ((o.spec?.restartPolicy ?? 'Always') === 'Always') {
        return cond(o, 'Ready')?.status === 'True'
          ? { status: 'Healthy', message: s.message ?? '' }
          : { status: 'Progressing', message: s.message ?? '' };
      }
      return { status: 'Progressing', message: s.message ?? '' };
    }
    default:
      return { status: 'Unknown', message: s.message ?? '' };
  }
}

function loadBalanced(o: Any): HealthStatus {
  return (o.status?.loadBalancer?.ingress ?? []).length > 0
    ? { status: 'Healthy' }
    : { status: 'Progressing' };
}

function service(o: Any): HealthStatus {
  return o.spec?.type === 'LoadBalancer' ? loadBalanced(o) : { status: 'Healthy' };
}

function pvc(o: Any): HealthStatus {
  switch (o.status?.phase) {
    case 'Lost':
      return { status: 'Degraded' };
    case 'Pending':
      return { status: 'Progressing' };
    case 'Bound':
      return { status: 'Healthy' };
    default:
      return { status: 'Unknown' };
  }
}

function job(o: Any): HealthStatus {
  for (const c of o.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') return { status: 'Degraded', message: c.message ?? '' };
    if (c.type === 'Complete') return { status: 'Healthy', message: c.message ?? '' };
    if (c.type === 'Suspended') return { status: 'Suspended', message: c.message ?? '' };
  }
  if (o.spec?.suspend) return { status: 'Suspended', message: 'Job is suspended' };
  return { status: 'Progressing', message: o.status?.message ?? '' };
}

function hpa(o: Any): HealthStatus {
  for (const c of o.status?.conditions ?? []) {
    if (c.type === 'ScalingActive' && c.status === 'False' && c.reason === 'FailedGetResourceMetric') {
      return { status: 'Degraded', message: c.message ?? '' };
    }
  }
  return (o.status?.conditions ?? []).length > 0
    ? { status: 'Healthy' }
    : { status: 'Progressing', message: 'Waiting to Autoscale' };
}

function apiService(o: Any): HealthStatus {
  const c = cond(o, 'Available');
  if (!c) return { status: 'Progressing', message: 'Waiting to be processed' };
  return c.status === 'True'
    ? { status: 'Healthy', message: `${c.reason ?? ''}: ${c.message ?? ''}` }
    : { status: 'Progressing', message: `${c.reason ?? ''}: ${c.message ?? ''}` };
}

function application(o: Any): HealthStatus | undefined {
  const h = o.status?.health;
  return h?.status
    ? { status: h.status, ...(h.message ? { message: h.message } : {}) }
    : { status: 'Unknown' };
}

/** The resource's health, or undefined for kinds without a health rule. */
export function resourceHealth(obj: KubeObject): HealthStatus | undefined {
  if (obj.metadata?.deletionTimestamp) return { status: 'Progressing', message: 'Pending deletion' };
  const group = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion.split('/')[0] : '';
  switch (`${group}/${obj.kind}`) {
    case 'apps/Deployment':
      return deployment(obj);
    case 'apps/StatefulSet':
      return statefulSet(obj);
    case 'apps/DaemonSet':
      return daemonSet(obj);
    case 'apps/ReplicaSet':
      return replicaSet(obj);
    case '/Pod':
      return pod(obj);
    case '/Service':
      return service(obj);
    case '/PersistentVolumeClaim':
      return pvc(obj);
    case 'networking.k8s.io/Ingress':
    case 'extensions/Ingress':
      return loadBalanced(obj);
    case 'batch/Job':
      return job(obj);
    case 'autoscaling/HorizontalPodAutoscaler':
      return hpa(obj);
    case 'apiregistration.k8s.io/APIService':
      return apiService(obj);
    case 'argoproj.io/Application':
      return application(obj);
    default:
      return undefined;
  }
}

/** The Application's health: the worst of its resources' (hooks excluded), Healthy with none. */
export function aggregateHealth(statuses: readonly (HealthStatus | undefined)[]): HealthStatus {
  let worst: HealthStatusCode = 'Healthy';
  for (const h of statuses) if (h?.status && isWorse(worst, h.status)) worst = h.status;
  return { status: worst };
}
