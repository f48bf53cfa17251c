import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../machinery/object.js';
import type { PropagationPolicy, ResourceSelector } from '../../apis/karmada/index.js';
import { type AnyPolicy, desiredBinding, highestPriorityPolicy, mergeBinding, preempts } from './policies.js';

const template: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion: '7', labels: { tier: 'front' } },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          {
            name: 'a',
            image: 'nginx',
            resources: { requests: { cpu: '250m' }, limits: { memory: '128Mi' } },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox', resources: { requests: { cpu: '1' } } }],
        nodeSelector: { disk: 'ssd' },
      },
    },
  },
};

function pp(
  name: string,
  selector: Partial<ResourceSelector>,
  extra: Partial<PropagationPolicy['spec']> = {},
): AnyPolicy {
  return {
    kind: 'PropagationPolicy',
    policy: {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: {
        name,
        namespace: 'shop',
        uid: name,
        labels: { 'propagationpolicy.karmada.io/permanent-id': `id-${name}` },
      },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', ...selector }], ...extra },
    },
  };
}

describe('policy precedence', () => {
  it('takes the highest priority, then the closest selector, then the first name', () => {
    const byKind = pp('a-kind', {});
    const byLabel = pp('b-label', { labelSelector: { matchLabels: { tier: 'front' } } });
    const byName = pp('c-name', { name: 'web' });
    expect(highestPriorityPolicy(template, [byKind, byLabel, byName])?.policy.metadata.name).toBe('c-name');
    expect(highestPriorityPolicy(template, [byKind, byLabel])?.policy.metadata.name).toBe('b-label');
    const urgent = pp('z-kind', {}, { priority: 5 });
    expect(highestPriorityPolicy(template, [byName, urgent])?.policy.metadata.name).toBe('z-kind');
    expect(highestPriorityPolicy(template, [pp('y', {}), pp('x', {})])?.policy.metadata.name).toBe('x');
    expect(highestPriorityPolicy(template, [pp('other', { name: 'api' })])).toBeUndefined();
  });

  it('preempts only with preemption Always and a higher priority (or a namespaced policy over a cluster one)', () => {
    const claimer = pp('old', {}, { priority: 1 });
    expect(preempts(pp('new', {}, { priority: 2 }), claimer)).toBe(false);
    expect(preempts(pp('new', {}, { priority: 2, preemption: 'Always' }), claimer)).toBe(true);
    expect(preempts(pp('new', {}, { priority: 1, preemption: 'Always' }), claimer)).toBe(false);
    const cpp: AnyPolicy = {
      kind: 'ClusterPropagationPolicy',
      policy: { ...claimer.policy, metadata: { name: 'c', uid: 'c' } },
    };
    expect(preempts(pp('new', {}, { priority: 0, preemption: 'Always' }), cpp)).toBe(true);
  });
});

describe('the binding of a template', () => {
  it('carries the placement, replicas and what one replica requests', () => {
    const p = pp(
      'web',
      { name: 'web' },
      { placement: { clusterAffinity: { clusterNames: ['m1'] } }, propagateDeps: true },
    );
    const b = desiredBinding(template, p);
    expect(b.metadata).toMatchObject({
      name: 'web-deployment',
      namespace: 'shop',
      labels: { 'propagationpolicy.karmada.io/permanent-id': 'id-web' },
      annotations: {
        'propagationpolicy.karmada.io/namespace': 'shop',
        'propagationpolicy.karmada.io/name': 'web',
      },
      finalizers: ['karmada.io/binding-controller'],
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: 'u1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(b.spec).toEqual({
      resource: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
        uid: 'u1',
        resourceVersion: '7',
      },
      placement: { clusterAffinity: { clusterNames: ['m1'] } },
      replicas: 3,
      // The init container's 1 CPU is more than the containers' 250m; limits stand in for requests.
      replicaRequirements: {
        resourceRequest: { cpu: '1', memory: '128Mi' },
        nodeClaim: { nodeSelector: { disk: 'ssd' } },
      },
      propagateDeps: true,
    });
    // Merging keeps what others own (the scheduler's clusters) and changes nothing when nothing changed.
    const existing = { ...b, spec: { ...b.spec, clusters: [{ name: 'm1', replicas: 3 }] } };
    expect(mergeBinding(existing, b)).toBeUndefined();
    const moved = desiredBinding({ ...template, spec: { ...(template.spec as object), replicas: 4 } }, p);
    expect(mergeBinding(existing, moved)?.spec).toMatchObject({
      replicas: 4,
      clusters: [{ name: 'm1', replicas: 3 }],
    });
  });
});
