// The cases the Kubernetes documentation gives for taints and tolerations
// (concepts/scheduling-eviction/taint-and-toleration), written out as tests.

import { describe, expect, it } from 'vitest';
import {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  isHardTaint,
  matchingTolerations,
  minTolerationMs,
  parseTolerations,
  sameTaint,
  type Taint,
  type Toleration,
  toleratesTaint,
} from './taints.js';

const key1NoSchedule: Taint = { key: 'key1', value: 'value1', effect: 'NoSchedule' };

describe('toleratesTaint', () => {
  it('Equal tolerates the same key, value and effect', () => {
    expect(
      toleratesTaint(
        { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoSchedule' },
        key1NoSchedule,
      ),
    ).toBe(true);
  });

  it('Exists tolerates the key whatever its value', () => {
    expect(toleratesTaint({ key: 'key1', operator: 'Exists', effect: 'NoSchedule' }, key1NoSchedule)).toBe(
      true,
    );
  });

  it('the operator defaults to Equal', () => {
    expect(toleratesTaint({ key: 'key1', value: 'value1', effect: 'NoSchedule' }, key1NoSchedule)).toBe(true);
    expect(toleratesTaint({ key: 'key1', value: 'other', effect: 'NoSchedule' }, key1NoSchedule)).toBe(false);
    // With no value, Equal matches only a taint without one.
    expect(toleratesTaint({ key: 'key1', effect: 'NoSchedule' }, key1NoSchedule)).toBe(false);
    expect(toleratesTaint({ key: 'key1', effect: 'NoSchedule' }, { key: 'key1', effect: 'NoSchedule' })).toBe(
      true,
    );
  });

  it('an empty key with Exists matches every key, value and effect', () => {
    const all: Toleration = { operator: 'Exists' };
    for (const t of [
      key1NoSchedule,
      { key: 'x', effect: 'NoExecute' },
      { key: 'y', value: 'z', effect: 'PreferNoSchedule' },
    ]) {
      expect(toleratesTaint(all, t)).toBe(true);
    }
  });

  it('an empty effect matches every effect of the key', () => {
    const anyEffect: Toleration = { key: 'key1', operator: 'Exists' };
    expect(toleratesTaint(anyEffect, key1NoSchedule)).toBe(true);
    expect(toleratesTaint(anyEffect, { key: 'key1', value: 'value1', effect: 'NoExecute' })).toBe(true);
    expect(toleratesTaint(anyEffect, { key: 'key2', effect: 'NoExecute' })).toBe(false);
  });

  it('a different effect or key does not tolerate', () => {
    expect(toleratesTaint({ key: 'key1', operator: 'Exists', effect: 'NoExecute' }, key1NoSchedule)).toBe(
      false,
    );
    expect(toleratesTaint({ key: 'key2', operator: 'Exists', effect: 'NoSchedule' }, key1NoSchedule)).toBe(
      false,
    );
  });

  it('an unknown operator tolerates nothing', () => {
    expect(toleratesTaint({ key: 'key1', operator: 'In', value: 'value1' }, key1NoSchedule)).toBe(false);
  });

  it('works on objects read from untyped JSON (empty strings for absent fields)', () => {
    const [tol] = parseTolerations([{ key: 'key1', value: 'value1' }]);
    expect(tol).toEqual({ key: 'key1', operator: '', value: 'value1', effect: '' });
    expect(toleratesTaint(tol!, key1NoSchedule)).toBe(true);
  });
});

describe('a node with several taints', () => {
  // The documentation's example: three taints, a pod tolerating the first two.
  const taints: Taint[] = [
    { key: 'key1', value: 'value1', effect: 'NoSchedule' },
    { key: 'key1', value: 'value1', effect: 'NoExecute' },
    { key: 'key2', value: 'value1', effect: 'NoSchedule' },
  ];
  const tolerations: Toleration[] = [
    { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoSchedule' },
    { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoExecute' },
  ];

  it('keeps a new pod off: the third taint is not tolerated', () => {
    expect(findUntoleratedTaint(taints, tolerations, isHardTaint)).toEqual(taints[2]);
  });

  it('lets a running pod stay: every NoExecute taint is tolerated', () => {
    expect(findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute')).toBeUndefined();
  });

  it('ignores PreferNoSchedule taints when filtering, and counts them for scoring', () => {
    const soft: Taint[] = [{ key: 'slow', effect: 'PreferNoSchedule' }];
    expect(findUntoleratedTaint(soft, [], isHardTaint)).toBeUndefined();
    expect(countIntolerablePreferNoSchedule(soft, [])).toBe(1);
    expect(countIntolerablePreferNoSchedule(soft, [{ key: 'slow', operator: 'Exists' }])).toBe(0);
    // A toleration of another effect does not count.
    expect(
      countIntolerablePreferNoSchedule(soft, [{ key: 'slow', operator: 'Exists', effect: 'NoSchedule' }]),
    ).toBe(1);
  });
});

describe('tolerationSeconds', () => {
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

  it('a pod tolerating a NoExecute taint for 3600 seconds stays that long', () => {
    const tols: Toleration[] = [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 3600,
      },
    ];
    const m = matchingTolerations([unreachable], tols);
    expect(m.allTolerated).toBe(true);
    expect(minTolerationMs(m.used)).toBe(3_600_000);
  });

  it('without tolerationSeconds the taint is tolerated forever', () => {
    expect(minTolerationMs([{ key: 'k', operator: 'Exists', effect: 'NoExecute' }])).toBe(-1);
  });

  it('the least of several limits wins, and 0 or less means at once', () => {
    expect(minTolerationMs([{ tolerationSeconds: 300 }, { tolerationSeconds: 60 }, {}])).toBe(60_000);
    expect(minTolerationMs([{ tolerationSeconds: 300 }, { tolerationSeconds: 0 }])).toBe(0);
    expect(minTolerationMs([{ tolerationSeconds: -5 }])).toBe(0);
  });

  it('an untolerated taint is evicted at once (no tolerations used)', () => {
    const m = matchingTolerations([unreachable], []);
    expect(m).toEqual({ allTolerated: false, used: [] });
    expect(minTolerationMs(m.used)).toBe(0);
  });
});

it('taints are the same by key and effect, whatever their value', () => {
  expect(sameTaint(key1NoSchedule, { key: 'key1', value: 'other', effect: 'NoSchedule' })).toBe(true);
  expect(sameTaint(key1NoSchedule, { key: 'key1', value: 'value1', effect: 'NoExecute' })).toBe(false);
});
