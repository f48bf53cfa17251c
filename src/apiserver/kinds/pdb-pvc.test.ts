import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { podDisruptionBudgetStrategy } from './pdb.js';
import { persistentVolumeClaimStrategy } from './pvc.js';

const now = new Date('2026-03-01T12:00:00Z');
const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

function pdb(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
}

function pvc(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  };
}

describe('PodDisruptionBudget', () => {
  it('takes minAvailable or maxUnavailable, as a count or a percentage up to 100%', () => {
    expect(podDisruptionBudgetStrategy.validate!(pdb({ minAvailable: 2 }))).toEqual([]);
    expect(podDisruptionBudgetStrategy.validate!(pdb({ maxUnavailable: '25%' }))).toEqual([]);
    expect(
      messages(podDisruptionBudgetStrategy.validate!(pdb({ minAvailable: 1, maxUnavailable: '120%' })))[1],
    ).toBe('spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%');
    expect(messages(podDisruptionBudgetStrategy.validate!(pdb({ minAvailable: 'half' })))).toEqual([
      `spec.minAvailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ]);
  });

  it('prints MIN AVAILABLE, MAX UNAVAILABLE and ALLOWED DISRUPTIONS', () => {
    const p = pdb({ minAvailable: '50%' });
    p.status = { disruptionsAllowed: 1 };
    expect(podDisruptionBudgetStrategy.table!.cells(p, now)).toEqual(['web', '50%', 'N/A', 1, '60m']);
  });
});

describe('PersistentVolumeClaim', () => {
  it('defaults to a Filesystem volume, Pending', () => {
    const c = pvc();
    persistentVolumeClaimStrategy.applyDefaults!(c);
    expect((c.spec as Record<string, unknown>).volumeMode).toBe('Filesystem');
    expect(c.status).toEqual({ phase: 'Pending' });
    expect(persistentVolumeClaimStrategy.validate!(c)).toEqual([]);
  });

  it('requires access modes and a positive storage request', () => {
    const c = pvc({ accessModes: [], resources: { requests: { storage: '0' } } });
    expect(messages(persistentVolumeClaimStrategy.validate!(c))).toEqual([
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Invalid value: "0": must be greater than zero',
    ]);
    const missing = pvc({ accessModes: ['ReadWriteSometimes'], resources: {} });
    expect(messages(persistentVolumeClaimStrategy.validate!(missing))).toEqual([
      'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.resources[storage]: Required value',
    ]);
  });

  it('lets a bound claim grow, and nothing else change', () => {
    const old = pvc({ volumeName: 'pv-1' });
    old.status = { phase: 'Bound' };
    const grown = structuredClone(old);
    (grown.spec as { resources: { requests: Record<string, string> } }).resources.requests.storage = '2Gi';
    expect(persistentVolumeClaimStrategy.validateUpdate!(grown, old)).toEqual([]);
    const shrunk = structuredClone(old);
    (shrunk.spec as { resources: { requests: Record<string, string> } }).resources.requests.storage = '500Mi';
    expect(messages(persistentVolumeClaimStrategy.validateUpdate!(shrunk, old))).toEqual([
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    const remoded = structuredClone(old);
    (remoded.spec as Record<string, unknown>).accessModes = ['ReadWriteMany'];
    expect(messages(persistentVolumeClaimStrategy.validateUpdate!(remoded, old))).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
  });

  it('prints STATUS, VOLUME, CAPACITY, ACCESS MODES and STORAGECLASS', () => {
    const c = pvc({ volumeName: 'pv-1', storageClassName: 'standard', volumeMode: 'Filesystem' });
    c.status = {
      phase: 'Bound',
      accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
      capacity: { storage: '1024Mi' },
    };
    expect(persistentVolumeClaimStrategy.table!.cells(c, now)).toEqual([
      'data',
      'Bound',
      'pv-1',
      '1Gi',
      'RWO,RWX',
      'standard',
      '<unset>',
      '60m',
      'Filesystem',
    ]);
    const pending = pvc();
    pending.status = { phase: 'Pending' };
    expect(persistentVolumeClaimStrategy.table!.cells(pending, now).slice(1, 6)).toEqual([
      'Pending',
      '',
      '',
      '',
      '',
    ]);
  });
});
