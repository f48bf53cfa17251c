import { describe, expect, it } from 'vitest';
import type { Machine } from '../../apis/cluster-api/index.js';
import { machinesToDelete } from './delete-policy.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function machine(
  name: string,
  created: string,
  extra: Partial<Machine['metadata']> = {},
  healthy = true,
): Machine {
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta1',
    kind: 'Machine',
    metadata: { name, creationTimestamp: created, ...extra },
    spec: { clusterName: 'c', bootstrap: {}, infrastructureRef: {} },
    status: healthy ? { nodeRef: { name }, conditions: [] } : {},
  };
}

describe('MachineSet delete policies', () => {
  const young = machine('young', '2026-05-31T00:00:00Z');
  const old = machine('old', '2026-01-01T00:00:00Z');
  const middle = machine('middle', '2026-03-01T00:00:00Z');

  it('Oldest deletes the oldest Machines first, Newest the youngest', () => {
    const names = (ms: Machine[]) => ms.map((m) => m.metadata.name);
    expect(names(machinesToDelete('Oldest', [young, old, middle], 2, NOW))).toEqual(['old', 'middle']);
    expect(names(machinesToDelete('Newest', [young, old, middle], 2, NOW))).toEqual(['young', 'middle']);
  });

  it('deletes marked, then unhealthy Machines before any policy choice', () => {
    const marked = machine('marked', '2026-05-31T12:00:00Z', {
      annotations: { 'cluster.x-k8s.io/delete-machine': '' },
    });
    const unhealthy = machine('no-node', '2026-05-31T12:00:00Z', {}, false);
    const picked = machinesToDelete('Oldest', [old, unhealthy, marked, young], 2, NOW);
    expect(picked.map((m) => m.metadata.name)).toEqual(['marked', 'no-node']);
    expect(machinesToDelete('Random', [old, unhealthy], 1, NOW).map((m) => m.metadata.name)).toEqual([
      'no-node',
    ]);
  });
});
