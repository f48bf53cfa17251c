import { describe, expect, it } from 'vitest';
import type { Cluster, Taint } from '../apis/karmada/index.js';
import { desiredTaints } from './taints.js';

const NOW = new Date('2026-01-01T00:00:10Z');
const GRACE = 3000;

function cluster(ready?: { status: 'True' | 'False' | 'Unknown'; since: string }, taints?: Taint[]): Cluster {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'east' },
    spec: { syncMode: 'Push', ...(taints ? { taints } : {}) },
    status: ready
      ? {
          conditions: [{ type: 'Ready', status: ready.status, reason: 'x', lastTransitionTime: ready.since }],
        }
      : {},
  };
}

const user: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const at = (t: string) => ({ timeAdded: t });

describe('desiredTaints', () => {
  it('puts not-ready NoSchedule on a cluster without a Ready condition', () => {
    expect(desiredTaints(cluster(), NOW, GRACE)).toEqual({
      taints: [
        { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule', timeAdded: '2026-01-01T00:00:10Z' },
      ],
      changed: true,
    });
  });

  it('taints NoSchedule at once and NoExecute after the grace period, keeping other taints', () => {
    const justFailed = desiredTaints(
      cluster({ status: 'False', since: '2026-01-01T00:00:09Z' }, [user]),
      NOW,
      GRACE,
    );
    expect(justFailed).toEqual({
      taints: [
        user,
        { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule', ...at('2026-01-01T00:00:10Z') },
      ],
      changed: true,
      recheckAfterMs: 2000,
    });
    const later = desiredTaints(
      cluster({ status: 'False', since: '2026-01-01T00:00:07Z' }, justFailed.taints),
      NOW,
      GRACE,
    );
    expect(later.taints).toEqual([
      ...justFailed.taints,
      { key: 'cluster.karmada.io/not-ready', effect: 'NoExecute', ...at('2026-01-01T00:00:10Z') },
    ]);
    expect(later.changed).toBe(true);
    expect(later.recheckAfterMs).toBeUndefined();
    const again = desiredTaints(
      cluster({ status: 'False', since: '2026-01-01T00:00:07Z' }, later.taints),
      NOW,
      GRACE,
    );
    expect(again.changed).toBe(false);
  });

  it('uses unreachable for Unknown, swapping a NoExecute taint without a new grace period', () => {
    const tainted: Taint[] = [
      { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule', ...at('2026-01-01T00:00:00Z') },
      { key: 'cluster.karmada.io/not-ready', effect: 'NoExecute', ...at('2026-01-01T00:00:03Z') },
    ];
    const d = desiredTaints(
      cluster({ status: 'Unknown', since: '2026-01-01T00:00:10Z' }, tainted),
      NOW,
      GRACE,
    );
    expect(d.taints).toEqual([
      { key: 'cluster.karmada.io/unreachable', effect: 'NoSchedule', ...at('2026-01-01T00:00:10Z') },
      { key: 'cluster.karmada.io/unreachable', effect: 'NoExecute', ...at('2026-01-01T00:00:10Z') },
    ]);
  });

  it('removes its taints once Ready, and never adds NoExecute with a negative grace period', () => {
    const tainted: Taint[] = [
      user,
      { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule' },
      { key: 'cluster.karmada.io/unreachable', effect: 'NoExecute' },
      { key: 'cluster.karmada.io/unschedulable', effect: 'NoSchedule' },
    ];
    expect(
      desiredTaints(cluster({ status: 'True', since: '2026-01-01T00:00:00Z' }, tainted), NOW, GRACE),
    ).toEqual({
      taints: [user, { key: 'cluster.karmada.io/unschedulable', effect: 'NoSchedule' }],
      changed: true,
    });
    const never = desiredTaints(cluster({ status: 'False', since: '2025-01-01T00:00:00Z' }), NOW, -1);
    expect(never.taints.map((t) => t.effect)).toEqual(['NoSchedule']);
    expect(never.recheckAfterMs).toBeUndefined();
  });
});
