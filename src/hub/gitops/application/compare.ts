// Comparing what git says with what the destination holds. The desired objects are first made
// what the controller would apply (namespace defaulted to the destination's, tracking annotation
// added); an object is Synced when every field it sets has that value live (fields the server or
// other controllers add do not count, as with a server-side diff), OutOfSync when missing or
// different. Hooks are not compared: they run during syncs only.

import { parseApiVersion } from '../../../machinery/gvk.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  HOOK_ANNOTATION,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
  TRACKING_ID_ANNOTATION,
} from '../../apis/argocd/index.js';

/** A resource's identity: group, kind, namespace and name. */
export interface ResourceKey {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

export function keyOf(obj: KubeObject): ResourceKey {
  const { group, version } = parseApiVersion(obj.apiVersion ?? '');
  return {
    group,
    version,
    kind: obj.kind ?? '',
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
  };
}

export function keyString(k: Pick<ResourceKey, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
}

/** Argo CD's tracking id of a resource applied for app `app` (annotation tracking). */
export function trackingId(app: string, k: ResourceKey): string {
  return `${app}:${k.group}/${k.kind}:${k.namespace}/${k.name}`;
}

/** The hook types a manifest declares (empty: an ordinary resource). */
export function hookTypes(obj: KubeObject): string[] {
  const v = obj.metadata?.annotations?.[HOOK_ANNOTATION];
  if (!v) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function syncWave(obj: KubeObject): number {
  const v = Number.parseInt(obj.metadata?.annotations?.[SYNC_WAVE_ANNOTATION] ?? '0', 10);
  return Number.isFinite(v) ? v : 0;
}

/** A sync option set on the resource itself (argocd.argoproj.io/sync-options: Prune=false,...). */
export function resourceSyncOption(obj: KubeObject | undefined, option: string): boolean {
  const v = obj?.metadata?.annotations?.[SYNC_OPTIONS_ANNOTATION];
  return !!v && v.split(',').some((s) => s.trim() === option);
}

const IGNORED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/** Whether every field `want` sets has the same value in `have`. */
export function isSubset(want: unknown, have: unknown, path = ''): boolean {
  if (want === null || want === undefined) return true;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => isSubset(w, have[i], `${path}[${i}]`));
  }
  if (typeof want === 'object') {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    for (const [k, v] of Object.entries(want as Record<string, unknown>)) {
      if (path === '.metadata.annotations' && IGNORED_ANNOTATIONS.has(k)) continue;
      if (!isSubset(v, (have as Record<string, unknown>)[k], `${path}.${k}`)) return false;
    }
    return true;
  }
  if (typeof want === 'number' && typeof have === 'string') return String(want) === have;
  if (typeof want === 'string' && typeof have === 'number') return want === String(have);
  return want === have;
}

/** The fields compared: the manifest without status and server-owned metadata. */
export function comparable(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  const metadata = { ...(rest.metadata ?? {}) };
  for (const k of [
    'creationTimestamp',
    'resourceVersion',
    'uid',
    'generation',
    'managedFields',
    'selfLink',
  ] as const) {
    delete (metadata as Record<string, unknown>)[k];
  }
  return { ...rest, metadata } as KubeObject;
}

/** Whether the live object differs from the desired one. */
export function isOutOfSync(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return true;
  return !isSubset(comparable(desired), live);
}

/** Marks `obj` as the app's, as Argo CD's annotation tracking does. */
export function withTracking(obj: KubeObject, app: string): KubeObject {
  const k = keyOf(obj);
  obj.metadata.annotations = {
    ...(obj.metadata.annotations ?? {}),
    [TRACKING_ID_ANNOTATION]: trackingId(app, k),
  };
  return obj;
}

/** Whether the live object was applied for `app` (its tracking id names the app). */
export function trackedBy(live: KubeObject, app: string): boolean {
  const id = live.metadata?.annotations?.[TRACKING_ID_ANNOTATION];
  return !!id && id.startsWith(`${app}:`);
}

/** Kinds applied first within a wave, as Argo CD orders them (namespaces and definitions before users). */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export function kindOrder(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}
