import { describe, expect, it } from 'vitest';
import type { MachineDeployment, MachineSet } from '../../apis/cluster-api/index.js';
import { fenceposts, plan } from './rollout.js';

const md = (replicas: number, strategy: MachineDeployment['spec']['strategy'] = {}): MachineDeployment => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineDeployment',
  metadata: { name: 'md' },
  spec: { clusterName: 'c', replicas, selector: {}, template: { spec: {} as never }, strategy },
});

const ms = (
  name: string,
  replicas: number,
  available: number,
  created = '2026-01-01T00:00:00Z',
): MachineSet => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineSet',
  metadata: { name, creationTimestamp: created },
  spec: { clusterName: 'c', replicas, selector: {} },
  status: { replicas, availableReplicas: available },
});

describe('rollout plan', () => {
  it('resolves maxSurge up and maxUnavailable down from percentages; both 0 makes one unavailable', () => {
    expect(fenceposts(md(10, { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }))).toEqual({
      surge: 3,
      unavailable: 2,
    });
    expect(fenceposts(md(3, { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }))).toEqual({
      surge: 0,
      unavailable: 1,
    });
  });

  it('surges the new set first, then scales old sets down only as new Machines become available', () => {
    const d = md(3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    // Start: the new set grows by the surge and the old one is left alone in that pass.
    expect(Object.fromEntries(plan(d, ms('new', 0, 0), [ms('old', 3, 3)]))).toEqual({ new: 1, old: 3 });
    // The new Machine is not available yet: nothing more may go.
    expect(Object.fromEntries(plan(d, ms('new', 1, 0), [ms('old', 3, 3)]))).toEqual({ new: 1, old: 3 });
    // It is: one old Machine goes.
    expect(Object.fromEntries(plan(d, ms('new', 1, 1), [ms('old', 3, 3)]))).toEqual({ new: 1, old: 2 });
  });

  it('removes unavailable old Machines first when maxUnavailable allows', () => {
    const d = md(4, { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(Object.fromEntries(plan(d, ms('new', 0, 0), [ms('old', 4, 2)]))).toEqual({ new: 0, old: 3 });
  });

  it('OnDelete keeps old Machines until they are deleted and fills the gap with new ones', () => {
    const d = md(3, { type: 'OnDelete' });
    const old = ms('old', 3, 3);
    expect(Object.fromEntries(plan(d, ms('new', 0, 0), [old]))).toEqual({ new: 0, old: 3 });
    old.status = { replicas: 2, availableReplicas: 2 };
    expect(Object.fromEntries(plan(d, ms('new', 0, 0), [old]))).toEqual({ new: 1, old: 2 });
  });
});
