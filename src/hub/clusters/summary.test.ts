import { describe, expect, it } from 'vitest';
import type { ResourceModel } from '../apis/karmada/index.js';
import {
  allocatableModelings,
  nodeSummary,
  resourceSummary,
  type SummaryNode,
  type SummaryPod,
  slimNode,
  slimPod,
} from './summary.js';

function node(name: string, allocatable: Record<string, string>, ready = true): SummaryNode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { allocatable, conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }] },
  };
}

function pod(name: string, spec: SummaryPod['spec'], phase = 'Running'): SummaryPod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec, status: { phase } };
}

const req = (requests: Record<string, string>) => ({ resources: { requests } });

const big = { cpu: '8', memory: '32Gi', pods: '110', 'nvidia.com/gpu': '2', 'hugepages-2Mi': '0' };
const small = { cpu: '2', memory: '8Gi', pods: '2' };

describe('cluster summary', () => {
  it('counts nodes and ready nodes', () => {
    expect(nodeSummary([node('a', big), node('b', small, false)])).toEqual({ totalNum: 2, readyNum: 1 });
  });

  it('sums allocatable exactly and counts requests as allocated (bound) or allocating (not yet)', () => {
    const pods = [
      // 2 containers (1 + 500m cpu), an init container asking more memory than both, an overhead.
      pod('web', {
        nodeName: 'a',
        containers: [req({ cpu: '1', memory: '1Gi' }), req({ cpu: '500m', memory: '512Mi' })],
        initContainers: [req({ memory: '2Gi', cpu: '100m' })],
        overhead: { cpu: '250m' },
      }),
      pod('train', { nodeName: 'a', containers: [req({ 'nvidia.com/gpu': '1', cpu: '2' })] }),
      pod('done', { nodeName: 'b', containers: [req({ cpu: '1' })] }, 'Succeeded'),
      pod('waiting', { containers: [req({ cpu: '4', 'nvidia.com/gpu': '3' })] }, 'Pending'),
    ];
    expect(resourceSummary([node('a', big), node('b', small)], pods)).toEqual({
      allocatable: {
        cpu: '10',
        'hugepages-2Mi': '0',
        memory: '40Gi',
        'nvidia.com/gpu': '2',
        pods: '112',
      },
      allocated: { cpu: '3750m', memory: '2Gi', 'nvidia.com/gpu': '1', pods: '2' },
      allocating: { cpu: '4', 'nvidia.com/gpu': '3', pods: '1' },
    });
  });

  it('leaves out allocated and allocating when no pod asks anything', () => {
    expect(resourceSummary([node('a', small)], [])).toEqual({
      allocatable: { cpu: '2', memory: '8Gi', pods: '2' },
    });
  });

  it('counts each node in the highest grade whose minimums it has left', () => {
    const models: ResourceModel[] = [
      {
        grade: 0,
        ranges: [
          { name: 'cpu', min: '0', max: '4' },
          { name: 'memory', min: '0', max: '16Gi' },
        ],
      },
      {
        grade: 1,
        ranges: [
          { name: 'cpu', min: '4', max: '8' },
          { name: 'memory', min: '16Gi', max: '32Gi' },
        ],
      },
      {
        grade: 2,
        ranges: [
          { name: 'cpu', min: '8', max: '9223372036854775807' },
          { name: 'memory', min: '32Gi', max: '9223372036854775807' },
        ],
      },
    ];
    const pods = [
      // b runs one pod of its two: 1 cpu of 8 left for it... its 2 pod slots, one used.
      pod('p1', { nodeName: 'b', containers: [req({ cpu: '1', memory: '1Gi' })] }),
      // c runs two pods: it admits no more, so it counts in no grade.
      pod('p2', { nodeName: 'c', containers: [req({ cpu: '1' })] }),
      pod('p3', { nodeName: 'c', containers: [req({ cpu: '1' })] }),
    ];
    const nodes = [
      node('a', big), // 8 cpu, 32Gi: grade 2
      node('b', { cpu: '8', memory: '32Gi', pods: '2' }), // 7 cpu, 31Gi left: grade 1
      node('c', { cpu: '8', memory: '32Gi', pods: '2' }), // full
      node('d', small), // grade 0
    ];
    expect(allocatableModelings(nodes, pods, models)).toEqual([
      { grade: 0, count: 1 },
      { grade: 1, count: 1 },
      { grade: 2, count: 1 },
    ]);
    expect(resourceSummary(nodes, pods, models).allocatableModelings).toEqual(
      allocatableModelings(nodes, pods, models),
    );
  });

  it('keeps only what the summary reads in the informer caches', () => {
    const full: Record<string, unknown> = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', resourceVersion: '7', labels: { a: 'b' }, uid: 'u' },
      spec: {
        nodeName: 'a',
        containers: [
          { name: 'c', image: 'nginx', resources: { requests: { cpu: '1' }, limits: { cpu: '2' } } },
        ],
        volumes: [{ name: 'v' }],
      },
      status: { phase: 'Running', podIP: '10.0.0.1' },
    };
    expect(slimPod(full as SummaryPod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', resourceVersion: '7' },
      spec: { nodeName: 'a', containers: [{ resources: { requests: { cpu: '1' } } }] },
      status: { phase: 'Running' },
    });
    const n = node('a', small);
    (n.status as Record<string, unknown>).capacity = { cpu: '2' };
    n.status!.conditions!.push({ type: 'MemoryPressure', status: 'False' });
    expect(slimNode(n)).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'a' },
      status: { allocatable: small, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });
});
