import { describe, expect, it } from 'vitest';
import { podFromTemplate, podsToDelete } from './pods.js';
import type { Pod } from './types.js';

const NOW = new Date('2024-01-15T12:00:00Z');

interface PodOptions {
  node?: string;
  phase?: NonNullable<Pod['status']>['phase'];
  readySince?: string;
  created?: string;
  restarts?: number;
  cost?: string;
}

function pod(name: string, opts: PodOptions = {}): Pod {
  const conditions = opts.readySince
    ? [{ type: 'Ready', status: 'True' as const, lastTransitionTime: opts.readySince }]
    : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      uid: name,
      creationTimestamp: opts.created ?? '2024-01-15T10:00:00Z',
      annotations: opts.cost ? { 'controller.kubernetes.io/pod-deletion-cost': opts.cost } : undefined,
    },
    spec: opts.node ? { nodeName: opts.node } : {},
    status: {
      phase: opts.phase ?? 'Running',
      conditions,
      containerStatuses: [{ name: 'c', restartCount: opts.restarts ?? 0 }],
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata.name);

describe('which pods go first', () => {
  it('prefers unscheduled, then pending, then not ready pods', () => {
    const pods = [
      pod('ready', { node: 'n1', readySince: '2024-01-15T10:00:00Z' }),
      pod('notready', { node: 'n2' }),
      pod('pending', { node: 'n3', phase: 'Pending' }),
      pod('unscheduled', { phase: 'Pending' }),
    ];
    expect(names(podsToDelete(pods, pods, 3, NOW))).toEqual(['unscheduled', 'pending', 'notready']);
  });

  it('then a lower deletion cost, pods doubled up on a node, shorter readiness, more restarts, newer', () => {
    const ready = (name: string, extra: PodOptions = {}) =>
      pod(name, {
        node: 'n1',
        readySince: '2024-01-15T08:00:00Z',
        created: '2024-01-15T07:00:00Z',
        ...extra,
      });
    expect(names(podsToDelete([ready('a', { cost: '10' }), ready('b')], [], 1, NOW))).toEqual(['b']);
    // Two on n2 (doubled up) against one on n1.
    const lone = ready('lone');
    const twins = [ready('t1', { node: 'n2' }), ready('t2', { node: 'n2' })];
    expect(names(podsToDelete([lone, twins[0]!], [lone, ...twins], 1, NOW))).toEqual(['t1']);
    // Ready for 10 minutes against ready for 4 hours.
    expect(
      names(podsToDelete([ready('old'), ready('young', { readySince: '2024-01-15T11:50:00Z' })], [], 1, NOW)),
    ).toEqual(['young']);
    expect(names(podsToDelete([ready('calm'), ready('crashy', { restarts: 4 })], [], 1, NOW))).toEqual([
      'crashy',
    ]);
    expect(
      names(podsToDelete([ready('older'), ready('newer', { created: '2024-01-15T11:59:00Z' })], [], 1, NOW)),
    ).toEqual(['newer']);
  });

  it('makes pods from a template with the controller reference', () => {
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-abc', namespace: 'shop', uid: 'u1' },
    };
    const p = podFromTemplate(
      { metadata: { labels: { app: 'web' }, finalizers: ['x/y'] }, spec: { containers: [{ name: 'c' }] } },
      owner,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-abc',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    );
    expect(p.metadata).toEqual({
      generateName: 'web-abc-',
      namespace: 'shop',
      labels: { app: 'web' },
      finalizers: ['x/y'],
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web-abc',
          uid: 'u1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
  });
});
