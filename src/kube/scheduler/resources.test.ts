import { describe, expect, it } from 'vitest';
import { isScalarResourceName, podRequests, resourceFromList } from './resources.js';

const c = (requests?: Record<string, string>, restartPolicy?: string) => ({
  name: 'c',
  image: 'i',
  resources: requests ? { requests } : {},
  ...(restartPolicy ? { restartPolicy } : {}),
});

describe('pod requests', () => {
  it('sums containers and converts units (milli-CPU, bytes, whole extended units)', () => {
    const r = podRequests({
      containers: [c({ cpu: '250m', memory: '64Mi', 'nvidia.com/gpu': '1' }), c({ cpu: '1', memory: '1Gi' })],
    });
    expect(r.requests.milliCPU).toBe(1250);
    expect(r.requests.memory).toBe(64 * 2 ** 20 + 2 ** 30);
    expect(r.requests.scalar?.get('nvidia.com/gpu')).toBe(1);
  });

  it('takes the largest init container, with sidecars adding up, plus the overhead', () => {
    const r = podRequests({
      initContainers: [c({ cpu: '2' }), c({ cpu: '500m' }, 'Always'), c({ cpu: '1800m' })],
      containers: [c({ cpu: '1' })],
      overhead: { cpu: '100m' },
    });
    // Regular containers + sidecar: 1.5; init phase: max(2, 0.5, 0.5 + 1.8 = 2.3) = 2.3; + overhead.
    expect(r.requests.milliCPU).toBe(2400);
  });

  it('assumes 100m and 200Mi for containers that request no cpu or memory, for scoring only', () => {
    const r = podRequests({ containers: [c(), c({ cpu: '300m' })] });
    expect(r.requests.milliCPU).toBe(300);
    expect(r.requests.memory).toBe(0);
    expect(r.nonZeroMilliCPU).toBe(400);
    expect(r.nonZeroMemory).toBe(2 * 200 * 2 ** 20);
  });

  it('reads node allocatable including pods, and knows which names are scalar resources', () => {
    const { resource, pods } = resourceFromList({
      cpu: '3800m',
      memory: '7Gi',
      pods: '110',
      'hugepages-2Mi': '1Gi',
      foo: '3',
    });
    expect(resource.milliCPU).toBe(3800);
    expect(pods).toBe(110);
    expect(resource.scalar?.get('hugepages-2Mi')).toBe(2 ** 30);
    expect(resource.scalar?.has('foo')).toBe(false);
    expect(isScalarResourceName('example.com/dongle')).toBe(true);
    expect(isScalarResourceName('requests.example.com/dongle')).toBe(false);
    expect(isScalarResourceName('attachable-volumes-aws-ebs')).toBe(true);
  });
});
