import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../workloads/types.js';
import { newPodInfo } from './pod-info.js';
import { SchedulingQueue } from './queue.js';

let clock = 1_000_000;
const queues: SchedulingQueue[] = [];

function queue(): SchedulingQueue {
  const q = new SchedulingQueue({ initialBackoffMs: 1000, maxBackoffMs: 10_000, now: () => clock });
  queues.push(q);
  return q;
}

afterEach(() => {
  for (const q of queues.splice(0)) q.close();
});

function pod(
  name: string,
  opts: { priority?: number; gated?: boolean; labels?: Record<string, string> } = {},
) {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: opts.labels },
    spec: {
      containers: [{ name: 'c', image: 'i' }],
      priority: opts.priority ?? 0,
      ...(opts.gated ? { schedulingGates: [{ name: 'g' }] } : {}),
    },
  };
  return newPodInfo(p);
}

describe('SchedulingQueue', () => {
  it('pops the highest priority first, then the oldest', () => {
    const q = queue();
    q.add(pod('old-low'));
    clock += 1;
    q.add(pod('high', { priority: 100 }));
    clock += 1;
    q.add(pod('new-low'));
    expect([q.pop()?.podInfo.name, q.pop()?.podInfo.name, q.pop()?.podInfo.name]).toEqual([
      'high',
      'old-low',
      'new-low',
    ]);
    expect(q.pop()).toBeUndefined();
  });

  it('keeps unschedulable pods until a change that concerns their rejecting plugins', () => {
    const q = queue();
    q.add(pod('p'));
    const popped = q.pop()!;
    q.requeueFailed(popped.podInfo, new Set(['NodeResourcesFit']), false);
    expect(q.counts.unschedulable).toBe(1);
    // A pod added elsewhere cannot free resources.
    expect(q.moveAllToActiveOrBackoff('AssignedPodAdd')).toBe(0);
    clock += 5000;
    // A pod deleted can; its backoff (1 s after one attempt) is over, so it goes to activeQ.
    expect(q.moveAllToActiveOrBackoff('AssignedPodDelete')).toBe(1);
    expect(q.counts.active).toBe(1);
  });

  it('backs off exponentially: a pod moved while backing off waits in backoffQ', async () => {
    const q = queue();
    q.add(pod('p'));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const popped = q.pop()!;
      expect(popped.attempts).toBe(attempt);
      q.requeueFailed(popped.podInfo, new Set(['NodeResourcesFit']), false);
      q.moveAllToActiveOrBackoff('NodeAdd');
      expect(q.counts.backoff).toBe(1);
      // 1 s, 2 s, 4 s.
      clock += 1000 * 2 ** (attempt - 1) - 1;
      await new Promise((r) => setTimeout(r, 5));
      expect(q.pop()).toBeUndefined();
      clock += 1;
      (q as unknown as { tick(): void }).tick();
      expect(q.counts.active).toBe(1);
    }
  });

  it('sends a pod that failed after a relevant change straight to backoff instead of waiting', () => {
    const q = queue();
    q.add(pod('p'));
    const popped = q.pop()!;
    q.moveAllToActiveOrBackoff('NodeAdd');
    q.requeueFailed(popped.podInfo, new Set(['NodeResourcesFit']), false);
    expect(q.counts).toMatchObject({ backoff: 1, unschedulable: 0 });
  });

  it('holds gated pods until the gates are gone, and ignores status-only updates of waiting pods', () => {
    const q = queue();
    q.add(pod('g', { gated: true }));
    expect(q.counts.gated).toBe(1);
    expect(q.pop()).toBeUndefined();
    q.update(undefined, pod('g'));
    expect(q.pop()?.podInfo.name).toBe('g');

    q.add(pod('w'));
    const w = q.pop()!;
    q.requeueFailed(w.podInfo, new Set(['NodeAffinity']), false);
    const statusOnly = pod('w');
    statusOnly.pod.status = { conditions: [{ type: 'PodScheduled', status: 'False' }] };
    q.update(undefined, statusOnly);
    expect(q.counts.unschedulable).toBe(1);
    clock += 20_000;
    q.update(undefined, pod('w', { labels: { changed: 'yes' } }));
    expect(q.counts.active).toBe(1);
  });

  it('retries pods that waited longer than the limit', () => {
    const q = queue();
    q.add(pod('p'));
    q.requeueFailed(q.pop()!.podInfo, new Set(['NodeAffinity']), false);
    clock += 5 * 60_000;
    (q as unknown as { tick(): void }).tick();
    expect(q.counts.active).toBe(1);
  });
});
