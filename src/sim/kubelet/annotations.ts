// Pod annotations that tell the simulated kubelet how a pod's containers behave, so that tests
// and demos can produce the failures real clusters have (documented in docs/simulation.md).
// A value that cannot be understood is ignored and reported, never fatal.

import { parseDuration } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';

export const ANNOTATION_PREFIX = 'sim.concord.dev/';
/** The containers never start: the value is the waiting reason (ErrImagePull, CreateContainerConfigError ...). */
export const FAIL_START = 'sim.concord.dev/fail-start';
/** "true" (every container) or a comma-separated list of container names: they exit and restart with a growing back-off. */
export const CRASH_LOOP = 'sim.concord.dev/crash-loop';
/** "true" or container names: they run but never pass their readiness probe. */
export const NEVER_READY = 'sim.concord.dev/never-ready';
/** The exit code containers end with (0-255); with it, containers exit after their run time. */
export const EXIT_CODE = 'sim.concord.dev/exit-code';
/** How long after being bound the pod takes to start (a Go duration: "2s", "500ms"). */
export const START_DELAY = 'sim.concord.dev/start-delay';
/** How long containers that exit (Job pods, exit-code, crash-loop) run first. */
export const RUN_TIME = 'sim.concord.dev/run-time';
/** How long containers take to stop once the pod is deleted (capped by its grace period). */
export const STOP_DELAY = 'sim.concord.dev/stop-delay';

export interface PodBehaviour {
  failStart?: string;
  crashLoop: ContainerSet;
  neverReady: ContainerSet;
  exitCode?: number;
  startDelayMs?: number;
  runTimeMs?: number;
  stopDelayMs?: number;
  /** Annotations that were ignored, and why. */
  problems: string[];
}

/** "true" means every regular container; a list names containers (init containers included). */
export interface ContainerSet {
  all: boolean;
  names: ReadonlySet<string>;
}

const NONE: ContainerSet = { all: false, names: new Set() };

export function inSet(set: ContainerSet, name: string, isInit: boolean): boolean {
  return (set.all && !isInit) || set.names.has(name);
}

function containerSet(value: string | undefined): ContainerSet {
  if (value === undefined) return NONE;
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'false') return NONE;
  if (v.toLowerCase() === 'true') return { all: true, names: new Set() };
  return {
    all: false,
    names: new Set(
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
}

const cache = new WeakMap<object, PodBehaviour>();

/** The behaviour a pod's annotations ask for (cached per annotations object). */
export function podBehaviour(pod: KubeObject): PodBehaviour {
  const annotations = pod.metadata.annotations;
  if (!annotations) return { crashLoop: NONE, neverReady: NONE, problems: [] };
  const hit = cache.get(annotations);
  if (hit) return hit;
  const problems: string[] = [];
  const duration = (key: string): number | undefined => {
    const v = annotations[key];
    if (v === undefined) return undefined;
    try {
      const ms = parseDuration(v.trim(), { bareMilliseconds: true });
      if (ms < 0) throw new Error('must not be negative');
      return ms;
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const b: PodBehaviour = {
    crashLoop: containerSet(annotations[CRASH_LOOP]),
    neverReady: containerSet(annotations[NEVER_READY]),
    problems,
  };
  const failStart = annotations[FAIL_START]?.trim();
  if (failStart) {
    if (/^[A-Za-z][A-Za-z0-9]*$/.test(failStart)) b.failStart = failStart;
    else problems.push(`${FAIL_START}: "${failStart}" is not a reason (a CamelCase word like ErrImagePull)`);
  }
  const exit = annotations[EXIT_CODE];
  if (exit !== undefined) {
    const n = Number(exit.trim());
    if (Number.isInteger(n) && n >= 0 && n <= 255 && exit.trim() !== '') b.exitCode = n;
    else problems.push(`${EXIT_CODE}: "${exit}" is not an exit code (an integer from 0 to 255)`);
  }
  const start = duration(START_DELAY);
  if (start !== undefined) b.startDelayMs = start;
  const run = duration(RUN_TIME);
  if (run !== undefined) b.runTimeMs = run;
  const stop = duration(STOP_DELAY);
  if (stop !== undefined) b.stopDelayMs = stop;
  cache.set(annotations, b);
  return b;
}
