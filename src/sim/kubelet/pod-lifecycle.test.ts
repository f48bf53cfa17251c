import { beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import {
  type ContainerStatus,
  DEFAULT_TIMINGS,
  jsonEqual,
  type LifecycleTimings,
  newPodMemory,
  type PodPlan,
  type PodStatus,
  planPod,
  restartBackoffMs,
} from './pod-lifecycle.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const node = { name: 'n1', hostIP: '172.18.0.2' };

function pod(
  extra: { spec?: Record<string, unknown>; annotations?: Record<string, string>; owner?: string } = {},
): KubeObject {
  const metadata: KubeObject['metadata'] = {
    name: 'p',
    namespace: 'default',
    uid: 'uid-1',
    resourceVersion: '1',
  };
  if (extra.annotations) metadata.annotations = extra.annotations;
  if (extra.owner) {
    metadata.ownerReferences = [
      { apiVersion: 'batch/v1', kind: extra.owner, name: 'j', uid: 'j1', controller: true },
    ];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx:1.27' }], ...(extra.spec ?? {}) },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** Frozen all the way down: the planner must not change the objects it is given (informer caches). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

interface Step {
  at: number;
  status: PodStatus;
}

/**
 * Drives a pod as the kubelet does: plan, write the status (the next plan sees it, as the watch
 * would deliver it), sleep until the plan's wake-up time. Returns every status written.
 */
function drive(
  p: KubeObject,
  opts: { until: number; timings?: Partial<LifecycleTimings>; podIP?: string; onStep?: (s: Step) => void },
): { steps: Step[]; pod: KubeObject; last: PodPlan; now: number } {
  const timings = { ...DEFAULT_TIMINGS, ...(opts.timings ?? {}) };
  const memory = newPodMemory(T0);
  let now = T0;
  const steps: Step[] = [];
  let last: PodPlan = { events: [] };
  for (let guard = 0; guard < 10_000; guard++) {
    last = planPod(deepFreeze(p), { nowMs: now, node, podIP: opts.podIP ?? '10.244.0.2', memory, timings });
    if (last.status) {
      p = { ...p, status: structuredClone(last.status) };
      const step = { at: now, status: last.status };
      steps.push(step);
      opts.onStep?.(step);
      continue;
    }
    if (last.remove || last.wakeAtMs === undefined || last.wakeAtMs > opts.until) break;
    expect(last.wakeAtMs).toBeGreaterThan(now);
    now = last.wakeAtMs;
  }
  return { steps, pod: p, last, now };
}

function main(status: PodStatus): ContainerStatus {
  return status.containerStatuses![0]!;
}

function condition(status: PodStatus, type: string) {
  return status.conditions?.find((c) => c.type === type);
}

describe('jsonEqual', () => {
  it('compares JSON values whatever the order of keys', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    expect(jsonEqual({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
  });
});

describe('planPod', () => {
  it('starts a pod after the start delay: Running and Ready, with its address and container status', () => {
    const { steps, last } = drive(pod(), { until: T0 + 60_000 });
    expect(steps).toHaveLength(1);
    const { at, status } = steps[0]!;
    expect(at).toBe(T0 + DEFAULT_TIMINGS.startDelayMs);
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('10.244.0.2');
    expect(status.podIPs).toEqual([{ ip: '10.244.0.2' }]);
    expect(status.hostIP).toBe('172.18.0.2');
    expect(status.startTime).toBe('2025-01-01T00:00:00Z');
    expect(status.qosClass).toBe('BestEffort');
    for (const type of [
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]) {
      expect(condition(status, type)?.status).toBe('True');
    }
    const c = main(status);
    expect(c).toMatchObject({
      name: 'c',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'docker.io/library/nginx:1.27',
      state: { running: { startedAt: '2025-01-01T00:00:00Z' } },
    });
    expect(c.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(c.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    // Nothing more to do for a long-running container: no wake-up, no write.
    expect(last.wakeAtMs).toBeUndefined();
  });

  it('reports ContainerCreating first when the start takes a while', () => {
    const { steps } = drive(pod({ annotations: { 'sim.concord.dev/start-delay': '2s' } }), {
      until: T0 + 10_000,
    });
    expect(steps.map((s) => [s.at - T0, s.status.phase, main(s.status).state])).toEqual([
      [0, 'Pending', { waiting: { reason: 'ContainerCreating' } }],
      [2000, 'Running', { running: { startedAt: '2025-01-01T00:00:02Z' } }],
    ]);
    expect(condition(steps[0]!.status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
  });

  it('runs init containers one after the other before the containers', () => {
    const p = pod({
      spec: {
        initContainers: [
          { name: 'init-a', image: 'busybox' },
          { name: 'init-b', image: 'busybox' },
        ],
      },
    });
    const { steps } = drive(p, { until: T0 + 60_000, timings: { initContainerMs: 1000 } });
    const shape = steps.map((s) => ({
      t: s.at - T0,
      phase: s.status.phase,
      init: s.status.initContainerStatuses!.map(
        (c) => Object.keys(c.state)[0] + (c.state.waiting ? `:${c.state.waiting.reason}` : ''),
      ),
      main: Object.keys(main(s.status).state)[0],
      initialized: condition(s.status, 'Initialized')?.status,
    }));
    expect(shape).toEqual([
      {
        t: 500,
        phase: 'Pending',
        init: ['running', 'waiting:PodInitializing'],
        main: 'waiting',
        initialized: 'False',
      },
      { t: 1500, phase: 'Pending', init: ['terminated', 'running'], main: 'waiting', initialized: 'False' },
      { t: 2500, phase: 'Running', init: ['terminated', 'terminated'], main: 'running', initialized: 'True' },
    ]);
    const done = steps[2]!.status.initContainerStatuses!;
    expect(
      done.every((c) => c.state.terminated?.exitCode === 0 && c.state.terminated.reason === 'Completed'),
    ).toBe(true);
    expect(condition(steps[0]!.status, 'Initialized')?.message).toBe(
      'containers with incomplete status: [init-a init-b]',
    );
  });

  it('keeps a sidecar (restartPolicy Always init container) running next to the containers', () => {
    const p = pod({ spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] } });
    const { steps } = drive(p, { until: T0 + 60_000 });
    const final = steps.at(-1)!.status;
    expect(final.phase).toBe('Running');
    expect(final.initContainerStatuses![0]).toMatchObject({
      ready: true,
      started: true,
      state: { running: {} },
    });
    expect(condition(final, 'Ready')?.status).toBe('True');
  });

  it('completes a Job pod after its run time: Succeeded, exit code 0', () => {
    const p = pod({ owner: 'Job', spec: { restartPolicy: 'Never' } });
    const { steps, last } = drive(p, { until: T0 + 60_000, timings: { runTimeMs: 3000 } });
    expect(steps.map((s) => [s.at - T0, s.status.phase])).toEqual([
      [500, 'Running'],
      [3500, 'Succeeded'],
    ]);
    const final = steps[1]!.status;
    expect(main(final).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(final, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(last.wakeAtMs).toBeUndefined();
  });

  it('fails a pod whose container exits with a code and never restarts', () => {
    const p = pod({ spec: { restartPolicy: 'Never' }, annotations: { 'sim.concord.dev/exit-code': '3' } });
    const { steps } = drive(p, { until: T0 + 60_000 });
    const final = steps.at(-1)!.status;
    expect(final.phase).toBe('Failed');
    expect(main(final).state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('restarts a crash-looping container with a growing back-off, counting restarts', () => {
    const p = pod({ annotations: { 'sim.concord.dev/crash-loop': 'true' } });
    const seen: { t: number; state: string; restarts: number; message?: string }[] = [];
    drive(p, {
      until: T0 + 200_000,
      timings: { crashAfterMs: 1000 },
      onStep: (s) =>
        seen.push({
          t: s.at - T0,
          state: main(s.status).state.waiting?.reason ?? Object.keys(main(s.status).state)[0]!,
          restarts: main(s.status).restartCount,
          message: main(s.status).state.waiting?.message,
        }),
    });
    expect(seen.slice(0, 7).map(({ t, state, restarts }) => [t, state, restarts])).toEqual([
      [500, 'running', 0],
      [1500, 'running', 1], // the first restart is immediate
      [2500, 'CrashLoopBackOff', 1],
      [12500, 'running', 2], // after 10 s
      [13500, 'CrashLoopBackOff', 2],
      [33500, 'running', 3], // after 20 s
      [34500, 'CrashLoopBackOff', 3],
    ]);
    expect(seen[2]!.message).toBe('back-off 10s restarting failed container=c pod=p_default(uid-1)');
    expect(seen[6]!.message).toMatch(/^back-off 40s /);
  });

  it('caps the restart back-off at five minutes', () => {
    const t = DEFAULT_TIMINGS;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => restartBackoffMs(n, t) / 1000)).toEqual([
      0, 10, 20, 40, 80, 160, 300, 300, 300,
    ]);
  });

  it('keeps a never-ready pod Running but not Ready', () => {
    const { steps } = drive(pod({ annotations: { 'sim.concord.dev/never-ready': 'true' } }), {
      until: T0 + 60_000,
    });
    const final = steps.at(-1)!.status;
    expect(final.phase).toBe('Running');
    expect(main(final)).toMatchObject({ ready: false, started: true });
    expect(condition(final, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [c]',
    });
  });

  it('reports a start failure, then the image pull back-off', () => {
    const p = pod({ annotations: { 'sim.concord.dev/fail-start': 'ErrImagePull' } });
    const { steps } = drive(p, { until: T0 + 60_000 });
    expect(steps.map((s) => [s.at - T0, s.status.phase, main(s.status).state.waiting?.reason])).toEqual([
      [500, 'Pending', 'ErrImagePull'],
      [10_500, 'Pending', 'ImagePullBackOff'],
    ]);
    expect(condition(steps[1]!.status, 'Ready')?.status).toBe('False');
  });

  it('holds Ready until readiness gates are True', () => {
    const { steps } = drive(pod({ spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } }), {
      until: T0 + 60_000,
    });
    const final = steps.at(-1)!.status;
    expect(condition(final, 'ContainersReady')?.status).toBe('True');
    expect(condition(final, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
  });

  it('fails a pod past its activeDeadlineSeconds', () => {
    const { steps } = drive(pod({ spec: { activeDeadlineSeconds: 5 } }), { until: T0 + 60_000 });
    const final = steps.at(-1)!.status;
    expect(final).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(main(final).state.terminated?.exitCode).toBe(137);
  });

  describe('deletion', () => {
    function running(annotations?: Record<string, string>): { p: KubeObject; now: number } {
      const { pod: p, now } = drive(pod(annotations ? { annotations } : {}), { until: T0 + 1000 });
      expect((p.status as PodStatus).phase).toBe('Running');
      return { p, now };
    }

    function deleted(p: KubeObject, at: number, grace: number): KubeObject {
      return {
        ...p,
        metadata: {
          ...p.metadata,
          deletionTimestamp: new Date(at + grace * 1000).toISOString(),
          deletionGracePeriodSeconds: grace,
        },
      };
    }

    // One kubelet's memory of the pod across the plans of a test.
    let memory = newPodMemory(T0);
    beforeEach(() => {
      memory = newPodMemory(T0);
    });

    function plan(p: KubeObject, now: number): PodPlan {
      return planPod(deepFreeze(structuredClone(p)), {
        nowMs: now,
        node,
        podIP: undefined,
        memory,
        timings: DEFAULT_TIMINGS,
      });
    }

    it('stops the containers at once, reports the end, then removes the pod', () => {
      const { p, now } = running();
      const gone = deleted(p, now, 30);
      const first = plan(gone, now);
      expect(first.remove).toBeUndefined();
      expect(first.status?.phase).toBe('Succeeded');
      expect(main(first.status!).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      const second = plan({ ...gone, status: first.status }, now);
      expect(second.remove).toBe(true);
    });

    it('waits for the stop delay within the grace period', () => {
      const { p, now } = running({ 'sim.concord.dev/stop-delay': '5s' });
      const gone = deleted(p, now, 30);
      expect(plan(gone, now)).toMatchObject({ wakeAtMs: now + 5000 });
      expect(plan(gone, now + 5000).status?.phase).toBe('Succeeded');
    });

    it('kills containers that outlive the grace period', () => {
      const { p, now } = running({ 'sim.concord.dev/stop-delay': '1m' });
      const gone = deleted(p, now, 10);
      expect(plan(gone, now).wakeAtMs).toBe(now + 10_000);
      const killed = plan(gone, now + 10_000).status!;
      expect(killed.phase).toBe('Failed');
      expect(main(killed).state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    });

    it('removes a pod that never started at once', () => {
      const p = deleted(pod(), T0, 30);
      expect(plan(p, T0).remove).toBe(true);
    });
  });
});
