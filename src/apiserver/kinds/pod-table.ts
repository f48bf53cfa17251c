// How `kubectl get pods` prints a Pod: READY containers, the STATUS reason (Pending,
// ContainerCreating, Running, Completed, CrashLoopBackOff, Init:0/1, Terminating...), RESTARTS
// with the time of the last one, and with -o wide the IP, node, nominated node and readiness gates.

import type { KubeObject } from '../../machinery/object.js';
import type { TableConverter } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge, since } from './columns.js';
import { asArray, asNumber, asObject, asString, type Json, objectItems } from './values.js';

/** The reason the node lifecycle controller gives pods of an unreachable node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

interface ContainerState {
  waiting?: { reason?: string };
  running?: Json;
  terminated?: { reason?: string; exitCode?: number; signal?: number; finishedAt?: string };
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

function statuses(v: unknown): ContainerStatus[] {
  return objectItems(v).map(([s]) => s as ContainerStatus);
}

function conditionTrue(conditions: unknown, type: string): boolean {
  return objectItems(conditions).some(([c]) => c.type === type && c.status === 'True');
}

function lastTerminated(s: ContainerStatus): number | undefined {
  const at = s.lastState?.terminated?.finishedAt;
  if (typeof at !== 'string') return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : t;
}

/** A sidecar: an init container that keeps running (restartPolicy Always). */
function isRestartableInit(c: Json | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** The READY, STATUS and RESTARTS cells of a pod, computed as kubectl's printer does. */
export function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const spec = asObject(pod.spec) ?? {};
  const status = asObject(pod.status) ?? {};
  let restarts = 0;
  let sidecarRestarts = 0;
  let totalContainers = asArray(spec.containers).length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.max(a, b);

  const phase = asString(status.phase);
  let reason = phase;
  if (asString(status.reason) !== '') reason = asString(status.reason);
  for (const [c] of objectItems(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Json>();
  const initSpecs = objectItems(spec.initContainers).map(([c]) => c);
  for (const c of initSpecs) {
    initContainers.set(asString(c.name), c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = statuses(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += asNumber(c.restartCount) ?? 0;
    lastRestart = later(lastRestart, lastTerminated(c));
    const sidecar = isRestartableInit(initContainers.get(asString(c.name)));
    if (sidecar) {
      sidecarRestarts += asNumber(c.restartCount) ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, lastTerminated(c));
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const containerStatuses = statuses(status.containerStatuses);
    for (let i = containerStatuses.length - 1; i >= 0; i--) {
      const c = containerStatuses[i]!;
      restarts += asNumber(c.restartCount) ?? 0;
      lastRestart = later(lastRestart, lastTerminated(c));
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (c.ready === true && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed while another still runs is still running.
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && asString(status.reason) === NODE_UNREACHABLE_REASON) {
    reason = 'Unknown';
  } else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText };
}

function readinessGates(spec: Json, status: Json): string {
  const gates = objectItems(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  let trueConditions = 0;
  for (const [gate] of gates) {
    const cond = objectItems(status.conditions).find(([c]) => c.type === gate.conditionType);
    if (cond && cond[0].status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

export const podTable: TableConverter = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn,
    column(
      'IP',
      'string',
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      1,
    ),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column(
      'Nominated Node',
      'string',
      'nominatedNodeName is set only when this pod preempts other pods on the node.',
      1,
    ),
    column(
      'Readiness Gates',
      'string',
      'If specified, all readiness gates will be evaluated for pod readiness.',
      1,
    ),
  ],
  cells(pod, now) {
    const spec = asObject(pod.spec) ?? {};
    const status = asObject(pod.status) ?? {};
    const s = summarizePod(pod, now);
    const podIPs = objectItems(status.podIPs);
    const ip = (podIPs.length > 0 ? asString(podIPs[0]![0].ip) : '') || '<none>';
    return [
      pod.metadata.name,
      s.ready,
      s.status,
      s.restarts,
      objectAge(pod, now),
      ip,
      asString(spec.nodeName) || '<none>',
      asString(status.nominatedNodeName) || '<none>',
      readinessGates(spec, status),
    ];
  },
};
