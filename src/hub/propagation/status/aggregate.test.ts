// The template's status summed from its members, with figures worked out by hand from Karmada's
// rules: replica counts add up; observedGeneration moves to the template's generation only when
// every member has observed its own object and that object came from the latest template.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../machinery/object.js';
import { interpretHealth, reflectStatus } from '../../apis/karmada/execution/interpreter.js';
import type { AggregatedStatusItem } from '../../apis/karmada/index.js';
import { aggregateStatus } from './aggregate.js';

const deployment = (generation: number, status?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', generation },
  spec: { replicas: 5 },
  ...(status ? { status } : {}),
});

const item = (clusterName: string, status: Record<string, unknown>): AggregatedStatusItem => ({
  clusterName,
  applied: true,
  health: 'Healthy',
  status,
});

describe('Deployment status across members', () => {
  it('adds the counts and takes the generation once every member has caught up', () => {
    const items = [
      item('a', {
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
        observedGeneration: 4,
        generation: 4,
        resourceTemplateGeneration: 3,
      }),
      item('b', {
        replicas: 3,
        readyReplicas: 1,
        availableReplicas: 1,
        updatedReplicas: 3,
        unavailableReplicas: 2,
        observedGeneration: 7,
        generation: 7,
        resourceTemplateGeneration: 3,
      }),
    ];
    expect(aggregateStatus(deployment(3), items)).toEqual({
      replicas: 5,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 5,
      unavailableReplicas: 2,
      observedGeneration: 3,
    });
  });

  it('keeps the old observedGeneration while a member runs an older template or has not observed its object', () => {
    const items = [
      item('a', { replicas: 2, observedGeneration: 4, generation: 4, resourceTemplateGeneration: 2 }),
      item('b', { replicas: 3, observedGeneration: 6, generation: 7, resourceTemplateGeneration: 3 }),
    ];
    expect(aggregateStatus(deployment(3, { observedGeneration: 2, replicas: 9 }), items)).toEqual({
      replicas: 5,
      observedGeneration: 2,
    });
  });
});

describe('other kinds', () => {
  it('a Pod takes the worst phase, a member without status counting as Pending', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    expect(
      aggregateStatus(pod, [item('a', { phase: 'Running' }), item('b', { phase: 'Succeeded' })]),
    ).toEqual({
      phase: 'Running',
    });
    expect(
      aggregateStatus(pod, [item('a', { phase: 'Running' }), { clusterName: 'b', applied: true }]),
    ).toEqual({
      phase: 'Pending',
    });
  });

  it('a Job is complete when it is complete on every member', () => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } };
    const done = (succeeded: number, completionTime: string) => ({
      succeeded,
      startTime: '2026-01-01T00:00:00Z',
      completionTime,
      conditions: [{ type: 'Complete', status: 'True' }],
    });
    const status = aggregateStatus(
      job,
      [item('a', done(2, '2026-01-01T00:01:00Z')), item('b', done(3, '2026-01-01T00:02:00Z'))],
      () => new Date('2026-01-01T00:03:00Z'),
    );
    expect(status).toMatchObject({
      succeeded: 5,
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:02:00Z',
      conditions: [{ type: 'Complete', status: 'True', reason: 'Completed', message: 'Job completed' }],
    });
    expect(
      aggregateStatus(job, [item('a', done(2, '2026-01-01T00:01:00Z')), item('b', { active: 1 })]),
    ).toEqual({
      active: 1,
      succeeded: 2,
    });
  });

  it('a LoadBalancer Service gathers every member ingress once; ConfigMaps have no rule', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer' },
    };
    const lb = (ip: string) => ({ loadBalancer: { ingress: [{ ip }] } });
    expect(
      aggregateStatus(svc, [item('a', lb('10.0.0.2')), item('b', lb('10.0.0.1')), item('c', lb('10.0.0.2'))]),
    ).toEqual({
      loadBalancer: { ingress: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] },
    });
    expect(
      aggregateStatus({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, []),
    ).toBeUndefined();
  });
});

describe('what a member reports', () => {
  it("a Deployment's counts with its generation and the template generation it was made from", () => {
    const member: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        generation: 2,
        annotations: { 'resourcetemplate.karmada.io/generation': '5' },
      },
      spec: { replicas: 2 },
      status: {
        replicas: 2,
        readyReplicas: 1,
        availableReplicas: 1,
        updatedReplicas: 2,
        observedGeneration: 2,
        conditions: [],
      },
    };
    expect(reflectStatus(member)).toEqual({
      generation: 2,
      resourceTemplateGeneration: 5,
      replicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 2,
      observedGeneration: 2,
    });
    // One of two updated replicas available: not healthy yet.
    expect(interpretHealth(member)).toBe('Unhealthy');
    expect(
      interpretHealth({ ...member, status: { ...(member.status as object), availableReplicas: 2 } }),
    ).toBe('Healthy');
  });
});
