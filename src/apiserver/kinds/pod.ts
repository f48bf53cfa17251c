// Pods: defaulting of the spec, the status a new pod starts with (Pending, its QoS class), the
// admission defaults every real cluster applies on create (service account, priority, the
// not-ready/unreachable tolerations), the immutable spec, graceful deletion, field selectors and
// the `kubectl get pods` table.

import { childPath, indexPath } from '../../machinery/field-path.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { forbidden, invalid, required } from './field-errors.js';
import { podTable } from './pod-table.js';
import { defaultPodOnly, defaultPodSpec } from './podspec-defaults.js';
import { validatePodSpec, validateTolerations } from './podspec-validation.js';
import { computeQOSClass } from './qos.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  child,
  type Json,
  objectItems,
  semanticEqual,
} from './values.js';

const DEFAULT_SERVICE_ACCOUNT = 'default';
const DEFAULT_TOLERATION_SECONDS = 300;
const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

/** The built-in priority classes every cluster has. */
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function specOf(obj: KubeObject): Json {
  return asObject(obj.spec) ?? {};
}

function statusOf(obj: KubeObject): Json {
  return asObject(obj.status) ?? {};
}

/** v1 keeps podIP/podIPs (and hostIP/hostIPs) in step: the singular is the first of the plural. */
function normalizeStatusIPs(status: Json): void {
  for (const [single, plural] of [
    ['podIP', 'podIPs'],
    ['hostIP', 'hostIPs'],
  ] as const) {
    const list = objectItems(status[plural]);
    const first = list.length > 0 ? asString(list[0]![0].ip) : '';
    const ip = asString(status[single]);
    if (ip !== '' && list.length === 0) status[plural] = [{ ip }];
    else if (first !== '') status[single] = first;
  }
}

/**
 * DefaultTolerationSeconds: pods tolerate a not-ready or unreachable node for five minutes before
 * the node lifecycle controller evicts them, unless they say otherwise.
 */
function addDefaultTolerations(spec: Json): void {
  const tolerations = objectItems(spec.tolerations).map(([t]) => t);
  const tolerates = (key: string) =>
    tolerations.some(
      (t) =>
        (t.key === key || asString(t.key) === '') && (t.effect === 'NoExecute' || asString(t.effect) === ''),
    );
  const added: Json[] = [];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!tolerates(key)) {
      added.push({
        key,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
      });
    }
  }
  if (added.length > 0) spec.tolerations = [...asArray(spec.tolerations), ...added];
}

/** What the ServiceAccount and Priority admission plugins add to every new pod. */
function applyAdmissionDefaults(spec: Json, meta: KubeObject['metadata']): void {
  const mirror = meta.annotations?.['kubernetes.io/config.mirror'] !== undefined;
  if (!mirror && asString(spec.serviceAccountName) === '' && asString(spec.serviceAccount) === '') {
    spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccount = DEFAULT_SERVICE_ACCOUNT;
  }
  const className = asString(spec.priorityClassName);
  if (spec.priority === undefined || spec.priority === null) {
    if (className === '') spec.priority = 0;
    else if (SYSTEM_PRIORITY_CLASSES[className] !== undefined)
      spec.priority = SYSTEM_PRIORITY_CLASSES[className];
  }
  if (asString(spec.preemptionPolicy) === '') spec.preemptionPolicy = 'PreemptLowerPriority';
  addDefaultTolerations(spec);
}

/** The changed leaves between two values, to say what an update tried to change. */
function changedPaths(a: unknown, b: unknown, at: string, out: string[]): void {
  if (out.length >= 10 || semanticEqual(a, b)) return;
  const ao = asObject(a);
  const bo = asObject(b);
  if (ao && bo) {
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)]))
      changedPaths(ao[k], bo[k], childPath(at, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => {
      changedPaths(x, b[i], indexPath(at, i), out);
    });
    return;
  }
  out.push(`${at}: ${JSON.stringify(a ?? null)} -> ${JSON.stringify(b ?? null)}`);
}

function validateContainerUpdates(spec: Json, old: Json, key: string): { errs: FieldError[]; stop: boolean } {
  const next = asArray(spec[key]);
  const prev = asArray(old[key]);
  const field = childPath('spec', key);
  if (next.length !== prev.length) {
    return { errs: [forbidden(field, 'pod updates may not add or remove containers')], stop: true };
  }
  const errs: FieldError[] = [];
  for (const [c, i] of objectItems(next)) {
    const image = asString(c.image);
    if (image === '') errs.push(required(childPath(indexPath(field, i), 'image')));
    else if (image.trim() !== image) {
      errs.push(
        invalid(
          childPath(indexPath(field, i), 'image'),
          image,
          'must not have leading or trailing whitespace',
        ),
      );
    }
  }
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(next: unknown, prev: unknown): FieldError[] {
  const nextList = objectItems(next).map(([t]) => t);
  for (const [old] of objectItems(prev)) {
    const kept = nextList.some((t) => semanticEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!kept)
      return [
        forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
      ];
  }
  return validateTolerations(next, 'spec.tolerations');
}

function validateOnlyDeletedSchedulingGates(next: unknown, prev: unknown): FieldError[] {
  const old = new Set(objectItems(prev).map(([g]) => asString(g.name)));
  for (const [g] of objectItems(next)) {
    const name = asString(g.name);
    if (!old.has(name)) {
      return [
        forbidden(
          'spec.schedulingGates',
          `only deletion is allowed, but found new scheduling gate '${name}'`,
        ),
      ];
    }
  }
  return [];
}

/** ValidatePodUpdate: what may change in a pod's spec once it exists. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(pod);
  const oldSpec = specOf(old);
  const errs: FieldError[] = [];
  for (const key of ['containers', 'initContainers']) {
    const r = validateContainerUpdates(spec, oldSpec, key);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const deadline = asNumber(spec.activeDeadlineSeconds);
  const oldDeadline = asNumber(oldSpec.activeDeadlineSeconds);
  if (deadline !== undefined) {
    if (oldDeadline !== undefined && oldDeadline < deadline) {
      errs.push(
        invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'),
      );
      return errs;
    }
  } else if (oldDeadline !== undefined) {
    errs.push(
      invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'),
    );
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations));
  errs.push(...validateOnlyDeletedSchedulingGates(spec.schedulingGates, oldSpec.schedulingGates));
  if (semanticEqual(spec, oldSpec)) return errs;

  const munged = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    const prev = asArray(oldSpec[key]);
    for (const [c, i] of objectItems(munged[key])) c.image = asObject(prev[i])?.image;
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = asNumber(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!semanticEqual(munged, oldSpec)) {
    const changes: string[] = [];
    changedPaths(oldSpec, munged, 'spec', changes);
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${changes.join('\n')}`,
      ),
    );
  }
  return errs;
}

/** The fields `--field-selector` accepts for pods, with their values for one pod. */
export function podSelectableFields(pod: KubeObject): Record<string, string> {
  const spec = specOf(pod);
  const status = statusOf(pod);
  const podIPs = objectItems(status.podIPs).map(([ip]) => asString(ip.ip));
  return {
    'spec.nodeName': asString(spec.nodeName),
    'spec.restartPolicy': asString(spec.restartPolicy),
    'spec.schedulerName': asString(spec.schedulerName),
    'spec.serviceAccountName': asString(spec.serviceAccountName),
    'spec.hostNetwork': String(spec.hostNetwork === true),
    'status.phase': asString(status.phase),
    'status.podIP': podIPs[0] ?? asString(status.podIP),
    'status.podIPs': podIPs.join(','),
    'status.nominatedNodeName': asString(status.nominatedNodeName),
  };
}

/**
 * How long a DELETE waits: the requested grace period or the pod's own, but 0 for a pod no node
 * runs (unscheduled) or that already finished; a negative request means 1 second.
 */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = specOf(pod);
  const phase = asString(statusOf(pod).phase);
  let period = requested ?? asNumber(spec.terminationGracePeriodSeconds) ?? 0;
  if (asString(spec.nodeName) === '') period = 0;
  if (phase === 'Succeeded' || phase === 'Failed') period = 0;
  if (period < 0) period = 1;
  return period;
}

export const podStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (spec) {
      defaultPodSpec(spec);
      defaultPodOnly(spec);
    }
    const status = asObject(obj.status);
    if (status) normalizeStatusIPs(status);
  },

  prepareForCreate(obj) {
    const spec = child(obj, 'spec');
    if (spec) applyAdmissionDefaults(spec, obj.metadata);
    const status: Json = { phase: 'Pending', qosClass: computeQOSClass(spec) };
    if (asArray(spec?.schedulingGates).length > 0) {
      status.conditions = [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'SchedulingGated',
          message: 'Scheduling is blocked due to non-empty scheduling gates',
          lastProbeTime: null,
          lastTransitionTime: null,
        },
      ];
    }
    obj.status = status;
  },

  // Kubelets once corrupted owner references through pods/status: that endpoint leaves them alone.
  statusResets: ['ownerReferences'],

  // The QoS class is fixed at creation: a status write that leaves it out keeps it.
  prepareForStatusUpdate(obj, old) {
    const status = asObject(obj.status);
    const qos = asObject(old.status)?.qosClass;
    if (status && asString(status.qosClass) === '' && qos !== undefined) status.qosClass = qos;
  },

  validate(obj) {
    const errs = validatePodSpec(obj.spec, 'spec', { isPod: true });
    const spec = specOf(obj);
    // A new object has no resourceVersion yet: ephemeral containers only come through their subresource.
    if (asArray(spec.ephemeralContainers).length > 0 && !obj.metadata.resourceVersion) {
      errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    }
    if (asString(spec.nodeName) !== '' && asArray(spec.schedulingGates).length > 0) {
      errs.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    }
    return errs;
  },

  validateUpdate: validatePodUpdate,
  selectableFields: podSelectableFields,
  table: podTable,
  gracefulDeletionSeconds: podGracePeriod,
};
