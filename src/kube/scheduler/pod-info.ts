// What the scheduler needs to know about a pod, read once from the object (the framework's
// PodInfo): its requests, tolerations, node selection, inter-pod (anti-)affinity terms, host
// ports and volumes. Pods are read-only informer objects; a new object gives a new PodInfo.

import { fromLabelSelector, nothing, type Requirement, Selector } from '../../machinery/labels.js';
import {
  compilePreferredNodeAffinity,
  compileRequiredNodeAffinity,
  type PreferredTerm,
  type RequiredNodeAffinity,
} from '../../machinery/node-affinity.js';
import type { LabelSelector } from '../../machinery/object.js';
import { errorMessage } from '../../machinery/status.js';
import { parseTolerations, type Toleration } from '../../machinery/taints.js';
import type { Pod } from '../workloads/types.js';
import { type PodRequests, podRequests } from './resources.js';
import { compileSpreadConstraints, type SpreadConstraint } from './spread-constraints.js';

/** One pod affinity or anti-affinity term, compiled (framework.AffinityTerm). */
export interface AffinityTerm {
  selector: Selector;
  /** Namespaces named by the term, or the pod's own when it names none and has no namespaceSelector. */
  namespaces: ReadonlySet<string>;
  /** Selects namespaces by their labels; "nothing" when the term has none. */
  namespaceSelector: Selector;
  topologyKey: string;
  /** Identifies equal terms (the pods of one workload share them), for the cache's aggregates. */
  key: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

/** In-tree volumes that one node cannot mount twice (VolumeRestrictions' disk conflicts). */
export interface ExclusiveDisk {
  kind: 'gce' | 'aws' | 'rbd' | 'iscsi';
  id: string;
  readOnly: boolean;
  /** RBD: monitors, any shared one means the same cluster. */
  monitors?: string[];
}

export interface PodInfo {
  /** "namespace/name" */
  key: string;
  uid: string;
  namespace: string;
  name: string;
  pod: Pod;
  /** The node it is on (assigned or assumed), "" while pending. */
  nodeName: string;
  priority: number;
  labels: Readonly<Record<string, string>>;
  resources: PodRequests;
  tolerations: Toleration[];
  nodeAffinity: RequiredNodeAffinity | undefined;
  preferredNodeAffinity: PreferredTerm[] | undefined;
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /** Set when an affinity term could not be read: the pod cannot be scheduled until fixed. */
  affinityError: string | undefined;
  /** topologySpreadConstraints: DoNotSchedule ones filter, ScheduleAnyway ones score. */
  spreadHard: SpreadConstraint[];
  spreadSoft: SpreadConstraint[];
  /** The pod declares spread constraints (else the cluster defaults apply to its scoring). */
  explicitSpread: boolean;
  /** Set when a constraint could not be read. */
  spreadError: string | undefined;
  hostPorts: HostPort[];
  pvcNames: string[];
  disks: ExclusiveDisk[];
  /** For preemption's victim ordering: when the pod started (or was created). */
  startTime: number;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A pod's priority: spec.priority, 0 when unset (corev1helpers.PodPriority). */
export function podPriority(pod: Pod): number {
  const p = pod.spec?.priority;
  return typeof p === 'number' ? p : 0;
}

function compileTerm(pod: Pod, raw: Record<string, unknown>): AffinityTerm {
  const labels = pod.metadata.labels ?? {};
  let selector = fromLabelSelector(raw.labelSelector as LabelSelector | null | undefined);
  // matchLabelKeys / mismatchLabelKeys: the pod's own values of those labels join the selector
  // (the API server merges them on create in recent versions; doing it again changes nothing).
  const extra: Requirement[] = [];
  for (const k of asArray(raw.matchLabelKeys)) {
    if (typeof k === 'string' && Object.hasOwn(labels, k))
      extra.push({ key: k, operator: 'in', values: [labels[k]!] });
  }
  for (const k of asArray(raw.mismatchLabelKeys)) {
    if (typeof k === 'string' && Object.hasOwn(labels, k))
      extra.push({ key: k, operator: 'notin', values: [labels[k]!] });
  }
  if (extra.length > 0 && !selector.matchesNothing)
    selector = new Selector([...selector.requirements, ...extra]);
  const names = asArray(raw.namespaces).filter((n): n is string => typeof n === 'string');
  const nsSelectorRaw = raw.namespaceSelector as LabelSelector | null | undefined;
  const namespaceSelector =
    nsSelectorRaw === undefined || nsSelectorRaw === null ? nothing() : fromLabelSelector(nsSelectorRaw);
  const namespaces =
    names.length === 0 && (nsSelectorRaw === undefined || nsSelectorRaw === null)
      ? new Set([pod.metadata.namespace ?? ''])
      : new Set(names);
  const topologyKey = str(raw.topologyKey);
  const show = (sel: Selector) => (sel.matchesNothing ? '\u0001' : sel.toString());
  const key = [topologyKey, [...namespaces].sort().join(','), show(namespaceSelector), show(selector)].join(
    '\u0000',
  );
  return { selector, namespaces, namespaceSelector, topologyKey, key };
}

function compileTerms(pod: Pod, list: unknown, errors: string[]): AffinityTerm[] {
  const out: AffinityTerm[] = [];
  for (const t of asArray(list)) {
    const raw = asRecord(t);
    if (!raw) continue;
    try {
      out.push(compileTerm(pod, raw));
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return out;
}

function compileWeighted(pod: Pod, list: unknown, errors: string[]): WeightedAffinityTerm[] {
  const out: WeightedAffinityTerm[] = [];
  for (const t of asArray(list)) {
    const raw = asRecord(t);
    const term = asRecord(raw?.podAffinityTerm);
    const weight = typeof raw?.weight === 'number' ? raw.weight : 0;
    if (!term || weight === 0) continue;
    try {
      out.push({ ...compileTerm(pod, term), weight });
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return out;
}

function hostPortsOf(spec: Record<string, unknown>): HostPort[] {
  const out: HostPort[] = [];
  // Regular containers, and sidecars (init containers that keep running): both hold their ports.
  const containers = [
    ...asArray(spec.containers),
    ...asArray(spec.initContainers).filter((c) => asRecord(c)?.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of asArray(asRecord(c)?.ports)) {
      const port = asRecord(p);
      const hostPort = typeof port?.hostPort === 'number' ? port.hostPort : 0;
      if (hostPort <= 0) continue;
      out.push({
        hostIP: str(port!.hostIP) || '0.0.0.0',
        protocol: str(port!.protocol) || 'TCP',
        port: hostPort,
      });
    }
  }
  return out;
}

function volumesOf(spec: Record<string, unknown>): { pvcNames: string[]; disks: ExclusiveDisk[] } {
  const pvcNames: string[] = [];
  const disks: ExclusiveDisk[] = [];
  for (const v of asArray(spec.volumes)) {
    const vol = asRecord(v);
    if (!vol) continue;
    const pvc = asRecord(vol.persistentVolumeClaim);
    if (pvc && str(pvc.claimName)) pvcNames.push(str(pvc.claimName));
    const gce = asRecord(vol.gcePersistentDisk);
    if (gce) disks.push({ kind: 'gce', id: str(gce.pdName), readOnly: gce.readOnly === true });
    const aws = asRecord(vol.awsElasticBlockStore);
    if (aws) disks.push({ kind: 'aws', id: str(aws.volumeID), readOnly: false });
    const iscsi = asRecord(vol.iscsi);
    if (iscsi) disks.push({ kind: 'iscsi', id: str(iscsi.iqn), readOnly: iscsi.readOnly === true });
    const rbd = asRecord(vol.rbd);
    if (rbd) {
      disks.push({
        kind: 'rbd',
        id: `${str(rbd.pool) || 'rbd'}/${str(rbd.image)}`,
        readOnly: rbd.readOnly === true,
        monitors: asArray(rbd.monitors).map(String),
      });
    }
  }
  return { pvcNames, disks };
}

function timeOf(v: unknown): number {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

export function newPodInfo(pod: Pod): PodInfo {
  const spec = pod.spec ?? {};
  const meta = pod.metadata;
  const affinity = asRecord(spec.affinity);
  const podAffinity = asRecord(affinity?.podAffinity);
  const podAntiAffinity = asRecord(affinity?.podAntiAffinity);
  const errors: string[] = [];
  const requiredAffinity = podAffinity
    ? compileTerms(pod, podAffinity.requiredDuringSchedulingIgnoredDuringExecution, errors)
    : [];
  const requiredAntiAffinity = podAntiAffinity
    ? compileTerms(pod, podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, errors)
    : [];
  const preferredAffinity = podAffinity
    ? compileWeighted(pod, podAffinity.preferredDuringSchedulingIgnoredDuringExecution, errors)
    : [];
  const preferredAntiAffinity = podAntiAffinity
    ? compileWeighted(pod, podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, errors)
    : [];
  const { pvcNames, disks } = volumesOf(spec);
  const namespace = meta.namespace ?? '';
  const labels = meta.labels ?? {};
  let spreadHard: SpreadConstraint[] = [];
  let spreadSoft: SpreadConstraint[] = [];
  let spreadError: string | undefined;
  try {
    spreadHard = compileSpreadConstraints(spec, labels, 'DoNotSchedule');
    spreadSoft = compileSpreadConstraints(spec, labels, 'ScheduleAnyway');
  } catch (err) {
    spreadError = errorMessage(err);
  }
  const name = meta.name ?? '';
  return {
    key: `${namespace}/${name}`,
    uid: meta.uid ?? `${namespace}/${name}`,
    namespace,
    name,
    pod,
    nodeName: str(spec.nodeName),
    priority: podPriority(pod),
    labels,
    resources: podRequests(spec),
    tolerations: parseTolerations(spec.tolerations),
    nodeAffinity: compileRequiredNodeAffinity(spec),
    preferredNodeAffinity: compilePreferredNodeAffinity(spec),
    requiredAffinity,
    requiredAntiAffinity,
    preferredAffinity,
    preferredAntiAffinity,
    affinityError: errors.length > 0 ? errors.join('; ') : undefined,
    spreadHard,
    spreadSoft,
    explicitSpread:
      Array.isArray(spec.topologySpreadConstraints) && spec.topologySpreadConstraints.length > 0,
    spreadError,
    hostPorts: hostPortsOf(spec),
    pvcNames,
    disks,
    startTime: timeOf(pod.status?.startTime) || timeOf(meta.creationTimestamp),
  };
}

/** Whether the pod has any inter-pod affinity or anti-affinity term (NodeInfo.PodsWithAffinity). */
export function hasPodAffinity(p: PodInfo): boolean {
  return (
    p.requiredAffinity.length > 0 ||
    p.requiredAntiAffinity.length > 0 ||
    p.preferredAffinity.length > 0 ||
    p.preferredAntiAffinity.length > 0
  );
}

/** Whether a term selects a pod: its namespace is one of the term's, and its labels match. */
export function termMatchesPod(
  term: AffinityTerm,
  pod: PodInfo,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (term.namespaceSelector.matchesNothing || !term.namespaceSelector.matches(namespaceLabels ?? {}))
      return false;
  }
  return term.selector.matches(pod.labels);
}

/** The pod's scheduling gates (spec.schedulingGates): while any remain, it is not scheduled. */
export function isSchedulingGated(pod: Pod): boolean {
  return asArray(pod.spec?.schedulingGates).length > 0;
}

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
