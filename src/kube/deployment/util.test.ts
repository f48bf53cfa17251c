import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../workloads/types.js';
import {
  equalIgnoreHash,
  findNewReplicaSet,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportionOf,
  resolveFenceposts,
  setNewReplicaSetAnnotations,
} from './util.js';

function deployment(replicas: number, surge?: number | string, unavailable?: number | string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { team: 'shop' } },
    spec: {
      replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  };
}

function rs(
  name: string,
  replicas: number,
  revision?: number,
  extra: Partial<ReplicaSet['metadata']> = {},
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      creationTimestamp: `2024-01-01T00:00:0${name.length % 10}Z`,
      annotations: revision === undefined ? {} : { 'deployment.kubernetes.io/revision': String(revision) },
      ...extra,
    },
    spec: { replicas },
  };
}

describe('deployment rules', () => {
  it('rounds maxSurge up and maxUnavailable down, never both zero', () => {
    expect(resolveFenceposts(deployment(10, '25%', '25%'))).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts(deployment(1, '25%', '25%'))).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(deployment(3, 0, '10%'))).toEqual({ surge: 0, unavailable: 1 });
    expect(maxSurge(deployment(4, 2, 1))).toBe(2);
    // maxUnavailable never exceeds the replicas; a Recreate deployment has neither.
    expect(maxUnavailable(deployment(2, 0, 5))).toBe(2);
    const recreate = deployment(4, 2, 1);
    recreate.spec.strategy = { type: 'Recreate' };
    expect(maxSurge(recreate)).toBe(0);
    expect(maxUnavailable(recreate)).toBe(0);
  });

  it('grows the new ReplicaSet only within maxSurge', () => {
    const d = deployment(10, 3, 2);
    const fresh = rs('web-new', 0);
    expect(newRSNewReplicas(d, [rs('web-old', 10), fresh], fresh)).toBe(3);
    expect(newRSNewReplicas(d, [rs('web-old', 8), rs('web-new', 5)], rs('web-new', 5))).toBe(5);
    expect(newRSNewReplicas(d, [rs('web-old', 2), rs('web-new', 5)], rs('web-new', 5))).toBe(10);
  });

  it('splits a scale proportionally to max-replicas (the documented 10 -> 15 example)', () => {
    const d = deployment(15, 3, 2);
    const annotated = (name: string, replicas: number) =>
      rs(name, replicas, undefined, { annotations: { 'deployment.kubernetes.io/max-replicas': '13' } });
    // 5 to add: 8 * 18 / 13 = 11.08 -> +3, 5 * 18 / 13 = 6.92 -> +2.
    const first = proportionOf(annotated('web-old', 8), d, 5, 0);
    expect(first).toBe(3);
    expect(proportionOf(annotated('web-new', 5), d, 5, first)).toBe(2);
  });

  it('finds the new ReplicaSet by template, ignoring the hash label and empty fields', () => {
    const d = deployment(3, 1, 1);
    const same = rs('web-a', 3);
    same.spec.template = {
      metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' }, annotations: {} },
      spec: { containers: [{ name: 'c', image: 'nginx:1.25', resources: {} }] },
    };
    const other = rs('web-b', 0);
    other.spec.template = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] },
    };
    expect(equalIgnoreHash(d.spec.template, same.spec.template)).toBe(true);
    expect(findNewReplicaSet(d, [other, same])?.metadata.name).toBe('web-a');
  });

  it('keeps revision numbers and the history of a reused ReplicaSet', () => {
    const sets = [rs('a', 0, 1), rs('b', 0, 4), rs('c', 3, 2)];
    expect(maxRevision(sets)).toBe(4);
    expect(lastRevision(sets)).toBe(2);
    const d = deployment(3, 1, 1);
    const reused = rs('a', 0, 1);
    expect(setNewReplicaSetAnnotations(d, reused, 5, true)).toBe(true);
    expect(reused.metadata.annotations).toEqual({
      team: 'shop',
      'deployment.kubernetes.io/revision': '5',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(setNewReplicaSetAnnotations(d, reused, 5, true)).toBe(false);
    const created = rs('n', 0);
    setNewReplicaSetAnnotations(d, created, 6, false);
    expect(created.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '6',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
  });
});
