import { describe, expect, it } from 'vitest';
import type { Condition } from '../../machinery/object.js';
import { HealthTracker, type ProbeResult } from './health.js';

const ok: ProbeResult = { ok: true, reason: 'ClusterReady', message: 'healthy' };
const refused: ProbeResult = { ok: false, reason: 'ClusterNotReachable', message: 'connection refused' };
const unhealthy: ProbeResult = { ok: false, reason: 'ClusterNotReady', message: '/readyz answered 500' };

const ready: Condition = { type: 'Ready', status: 'True', reason: 'ClusterReady', message: 'healthy' };

function statuses(tracker: HealthTracker, results: ProbeResult[], start?: Condition): string[] {
  let current = start;
  return results.map((r) => {
    current = tracker.observe(r, current);
    return current ? `${current.status} ${current.reason}` : 'none';
  });
}

describe('HealthTracker', () => {
  it('makes a new member Ready at its first success, and not Ready after failureThreshold failures', () => {
    expect(
      statuses(new HealthTracker({ failureThreshold: 3, successThreshold: 2 }), [refused, refused, refused]),
    ).toEqual(['none', 'none', 'False ClusterNotReachable']);
    expect(statuses(new HealthTracker({ failureThreshold: 3, successThreshold: 2 }), [refused, ok])).toEqual([
      'none',
      'True ClusterReady',
    ]);
  });

  it('keeps a member Ready until failureThreshold probes in a row have failed', () => {
    const tracker = new HealthTracker({ failureThreshold: 3, successThreshold: 2 });
    expect(statuses(tracker, [refused, refused, ok, refused, refused, refused], ready)).toEqual([
      'True ClusterReady',
      'True ClusterReady',
      'True ClusterReady',
      'True ClusterReady',
      'True ClusterReady',
      'False ClusterNotReachable',
    ]);
    expect(tracker.consecutiveFailures).toBe(3);
  });

  it('gives the latest reason while not Ready, and Ready again after successThreshold successes', () => {
    const tracker = new HealthTracker({ failureThreshold: 1, successThreshold: 2 });
    expect(statuses(tracker, [refused, unhealthy, ok, refused, ok, ok], ready)).toEqual([
      'False ClusterNotReachable',
      'False ClusterNotReady',
      'False ClusterNotReady',
      'False ClusterNotReachable',
      'False ClusterNotReachable',
      'True ClusterReady',
    ]);
  });

  it('says whether a verdict is pending', () => {
    const tracker = new HealthTracker({ failureThreshold: 3, successThreshold: 2 });
    expect(tracker.unsettled(undefined)).toBe(true);
    tracker.observe(refused, ready);
    expect(tracker.unsettled(ready)).toBe(true);
    tracker.observe(ok, ready);
    expect(tracker.unsettled(ready)).toBe(false);
    const down = { ...ready, status: 'False' as const };
    tracker.observe(ok, down);
    expect(tracker.unsettled(down)).toBe(true);
  });
});
