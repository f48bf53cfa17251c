// The DaemonSet API types, the update-strategy arithmetic the steps share, and what the phases,
// revisions and status steps of a sync use of their controller (DaemonSetReconciler).

import type { ControllerContext } from '../../controller/context.js';
import type { Controller } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import type { ControllerExpectations } from '../../controller/expectations.js';
import type { OwnerIndex } from '../../controller/owner-index.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import type { ControllerHistory } from '../history/history.js';
import { scaledValue } from '../workloads/int-or-percent.js';
import type { IntOrString, Pod, PodTemplateSpec } from '../workloads/types.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';

/** Most pods created or deleted in one sync (kube-controller-manager's DaemonSet BurstReplicas). */
export const DAEMONSET_BURST_REPLICAS = 250;

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

export const BACKOFF_INITIAL_MS = 1000;

export const BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: {
    type?: 'RollingUpdate' | 'OnDelete';
    rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
  };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

export interface DaemonSet extends KubeObject {
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}

/** Oldest first; among equals, the one further along (Running before Pending...). */
export function byCreationAndPhase(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const order = (p: Pod) =>
    ({ Running: 0, Pending: 1, Unknown: 2, Succeeded: 3, Failed: 4 })[p.status?.phase ?? 'Unknown'] ?? 5;
  return order(a) - order(b);
}

export function isRollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function surgeCount(ds: DaemonSet, count: number): number {
  if (!isRollingUpdate(ds)) return 0;
  return scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0, count, true);
}

export function unavailableCount(ds: DaemonSet, count: number): number {
  if (!isRollingUpdate(ds)) return 0;
  return scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, count, true);
}

export const allowsSurge = (ds: DaemonSet) => surgeCount(ds, 1) !== 0;

/** Whether a pod is of the DaemonSet's current template (by revision hash or generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const hashMatches = hash !== '' && labels[REVISION_HASH_LABEL] === hash;
  const generationMatches =
    generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  return hashMatches || generationMatches;
}

/** What the phases, revisions and status steps of a sync use of their controller. */
export interface DaemonSetReconciler {
  readonly ctx: ControllerContext;
  readonly controller: Controller;
  readonly recorder: EventRecorder;
  readonly expectations: ControllerExpectations;
  readonly pods: OwnerIndex<Pod>;
  readonly history: ControllerHistory;
  readonly burstReplicas: number;
  /** Backoff per (DaemonSet, node) for replacing failed pods. */
  readonly failedBackoff: Map<string, { delay: number; at: number }>;
}
