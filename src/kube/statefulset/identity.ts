// A StatefulSet pod's stable identity and storage, as Kubernetes gives them: the name
// "<set>-<ordinal>", hostname = name, subdomain = serviceName, the labels
// statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index, one PersistentVolumeClaim
// per volumeClaimTemplate named "<claim>-<set>-<ordinal>", mounted as the template's volume.

import { newControllerRef } from '../../controller/controller-ref.js';
import type { KubeObject, LabelSelector, OwnerReference } from '../../machinery/object.js';
import { podFromTemplate } from '../workloads/pods.js';
import type { IntOrString, PersistentVolumeClaim, Pod, PodTemplateSpec } from '../workloads/types.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** The label naming the ControllerRevision a pod was made from. */
export const STATEFULSET_REVISION_LABEL = 'controller-revision-hash';

export interface StatefulSetSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: {
    type?: 'RollingUpdate' | 'OnDelete';
    rollingUpdate?: { partition?: number; maxUnavailable?: IntOrString };
  };
  volumeClaimTemplates?: PersistentVolumeClaim[];
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: {
    whenDeleted?: 'Retain' | 'Delete';
    whenScaled?: 'Retain' | 'Delete';
  };
  ordinals?: { start?: number };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: unknown[];
}

export interface StatefulSet extends KubeObject {
  spec: StatefulSetSpec;
  status?: StatefulSetStatus;
}

const ORDINAL_NAME = /^(.*)-([0-9]+)$/;

/** The parent's name and the ordinal a pod's name carries (-1 when it carries none). */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = ORDINAL_NAME.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) ? { parent: m[1]!, ordinal } : { parent: '', ordinal: -1 };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod).ordinal;
}

export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod).parent === set.metadata.name;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

export function replicasOf(set: StatefulSet): number {
  return set.spec.replicas ?? 1;
}

export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function inOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(set: StatefulSet, claim: PersistentVolumeClaim, ordinal: number): string {
  return `${claim.metadata.name}-${set.metadata.name}-${ordinal}`;
}

/** The PVCs a pod of the set uses, by volumeClaimTemplate name. */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const template of set.spec.volumeClaimTemplates ?? []) {
    const labels = { ...(template.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) };
    const claim: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, template, ordinal),
        namespace: set.metadata.namespace,
        labels,
      },
      spec: structuredClone(template.spec ?? {}),
    };
    if (template.metadata.annotations) claim.metadata.annotations = { ...template.metadata.annotations };
    out.set(template.metadata.name ?? '', claim);
  }
  return out;
}

export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name &&
    pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal)
  );
}

export function updateIdentity(set: StatefulSet, pod: Pod, ordinal: number): void {
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = {
    ...pod.metadata.labels,
    [POD_NAME_LABEL]: pod.metadata.name,
    [POD_INDEX_LABEL]: String(ordinal),
  };
}

export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const [name, claim] of claimsFor(set, ordinal)) {
    const v = volumes.get(name) as { persistentVolumeClaim?: { claimName?: string } } | undefined;
    if (v?.persistentVolumeClaim?.claimName !== claim.metadata.name) return false;
  }
  return true;
}

export function updateStorage(set: StatefulSet, pod: Pod, ordinal: number): void {
  const claims = claimsFor(set, ordinal);
  const volumes: NonNullable<Pod['spec']>['volumes'] = [];
  for (const [name, claim] of claims) {
    volumes.push({ name, persistentVolumeClaim: { claimName: claim.metadata.name } });
  }
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec = { ...pod.spec, volumes };
  if (volumes.length === 0) delete pod.spec.volumes;
}

/** A new pod of the set at an ordinal, from the given template, labelled with its revision. */
export function newStatefulSetPod(
  set: StatefulSet,
  template: PodTemplateSpec | undefined,
  ordinal: number,
  revision: string,
): Pod {
  const pod = podFromTemplate(template ?? {}, set, newControllerRef(set));
  delete pod.metadata.generateName;
  updateIdentity(set, pod, ordinal);
  pod.spec = { ...pod.spec, hostname: pod.metadata.name };
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  updateStorage(set, pod, ordinal);
  pod.metadata.labels = { ...pod.metadata.labels, [STATEFULSET_REVISION_LABEL]: revision };
  return pod;
}

export function podRevision(pod: Pod): string {
  return pod.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? '';
}

// --- PVC retention (persistentVolumeClaimRetentionPolicy) ----------------------------------------

function plainRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
  };
}

function hasRef(claim: PersistentVolumeClaim, owner: KubeObject): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}

/** A reference to an earlier object of the same kind and name (a previous pod or set). */
function hasStaleRef(claim: PersistentVolumeClaim, owner: KubeObject): boolean {
  return (claim.metadata.ownerReferences ?? []).some(
    (r) => r.kind === owner.kind && r.name === owner.metadata.name && r.uid !== owner.metadata.uid,
  );
}

function retention(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

/** Which owners the claim of a pod should have under the set's retention policy. */
function wantedOwners(set: StatefulSet, pod: Pod): { set: boolean; pod: boolean } {
  const { whenDeleted, whenScaled } = retention(set);
  const scaledDown = !inOrdinalRange(pod, set);
  if (whenScaled === 'Delete' && scaledDown) return { set: false, pod: true };
  return { set: whenDeleted === 'Delete', pod: false };
}

/** Whether a claim's owner references agree with the retention policy. */
export function claimOwnersUpToDate(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  if (hasStaleRef(claim, set) || hasStaleRef(claim, pod)) return false;
  const want = wantedOwners(set, pod);
  return hasRef(claim, set) === want.set && hasRef(claim, pod) === want.pod;
}

/** The claim's owner references as the retention policy wants them (plain references, so the garbage collector deletes it with its owner). */
export function claimOwnersFor(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): OwnerReference[] {
  const want = wantedOwners(set, pod);
  const refs = (claim.metadata.ownerReferences ?? []).filter(
    (r) =>
      !(r.kind === set.kind && r.name === set.metadata.name) &&
      !(r.kind === 'Pod' && r.name === pod.metadata.name),
  );
  if (want.set) refs.push(plainRef(set));
  if (want.pod) refs.push(plainRef(pod));
  return refs;
}

/** A claim left behind by a previous pod of this name that the garbage collector has yet to remove. */
export function claimIsStale(claim: PersistentVolumeClaim, pod: Pod): boolean {
  return (claim.metadata.ownerReferences ?? []).some(
    (r) => r.kind === 'Pod' && r.name === pod.metadata.name && r.uid !== pod.metadata.uid,
  );
}
