import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { nodeStrategy } from './node.js';

/** A node as a kubelet registers it: with its status. */
function node(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'worker-1',
      creationTimestamp: '2026-02-27T12:00:00Z',
      labels: { 'kubernetes.io/hostname': 'worker-1', 'node-role.kubernetes.io/worker': '' },
    },
    spec: { podCIDR: '10.244.1.0/24' },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      addresses: [
        { type: 'InternalIP', address: '172.18.0.3' },
        { type: 'Hostname', address: 'worker-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.1',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'containerd://1.7.22',
      },
    },
  };
}

describe('Node', () => {
  it('registers with its status; allocatable defaults to capacity', () => {
    expect(nodeStrategy.keepStatusOnCreate).toBe(true);
    const n = node();
    nodeStrategy.applyDefaults!(n);
    expect((n.status as Record<string, unknown>).allocatable).toEqual({
      cpu: '4',
      memory: '16Gi',
      pods: '110',
    });
    expect((n.spec as Record<string, unknown>).podCIDRs).toEqual(['10.244.1.0/24']);
    expect(nodeStrategy.validate!(n)).toEqual([]);
  });

  it('validates taints and refuses duplicates by key and effect', () => {
    const n = node();
    n.spec = {
      taints: [
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'other', effect: 'NoSchedule' },
        { key: 'bad key', effect: 'Sometimes' },
      ],
    };
    const errs = nodeStrategy.validate!(n).map((e) => fieldErrorMessage(e));
    expect(errs).toContain(
      'spec.taints[1]: Duplicate value: {"key":"dedicated","value":"other","effect":"NoSchedule"}: taints must be unique by key and effect pair',
    );
    expect(errs).toContain(
      'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    );
    expect(errs.some((e) => e.startsWith('spec.taints[2].key: Invalid value: "bad key"'))).toBe(true);
  });

  it('never changes its pod CIDR or provider once set', () => {
    const old = node();
    nodeStrategy.applyDefaults!(old);
    const next = structuredClone(old);
    next.spec = { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] };
    expect(nodeStrategy.validateUpdate!(next, old).map((e) => fieldErrorMessage(e))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    const cordoned = structuredClone(old);
    (cordoned.spec as Record<string, unknown>).unschedulable = true;
    expect(nodeStrategy.validateUpdate!(cordoned, old)).toEqual([]);
  });

  it('prints STATUS, ROLES, VERSION and the wide node info', () => {
    const n = node();
    const now = new Date('2026-03-01T12:00:00Z');
    expect(nodeStrategy.table!.cells(n, now)).toEqual([
      'worker-1',
      'Ready',
      'worker',
      '2d',
      'v1.33.1',
      '172.18.0.3',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0',
      'containerd://1.7.22',
    ]);
    (n.spec as Record<string, unknown>).unschedulable = true;
    (n.status as { conditions: { status: string }[] }).conditions[0]!.status = 'Unknown';
    expect(nodeStrategy.table!.cells(n, now)[1]).toBe('NotReady,SchedulingDisabled');
    delete n.status;
    expect(nodeStrategy.table!.cells(n, now).slice(1, 3)).toEqual(['Unknown,SchedulingDisabled', 'worker']);
  });

  it('is selectable by spec.unschedulable', () => {
    expect(nodeStrategy.selectableFields!({ apiVersion: '', kind: '', metadata: {} })).toEqual({
      'spec.unschedulable': 'false',
    });
  });
});
