import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError, fieldErrorMessage } from '../../machinery/status.js';
import { namespaceStrategy } from './namespace.js';

function namespace(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, creationTimestamp: '2026-03-01T11:00:00Z' },
  };
}

function create(ns: KubeObject): KubeObject {
  namespaceStrategy.prepareForCreate!(ns);
  namespaceStrategy.applyDefaults!(ns);
  return ns;
}

describe('Namespace', () => {
  it('starts Active with the kubernetes finalizer and its name label', () => {
    const ns = create(namespace('team-a'));
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(namespaceStrategy.validate!(ns)).toEqual([]);
  });

  it('resets a name label that lies', () => {
    const ns = namespace('team-a');
    ns.metadata.labels = { 'kubernetes.io/metadata.name': 'other', env: 'prod' };
    create(ns);
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a', env: 'prod' });
  });

  it('keeps spec.finalizers on update: only the finalize subresource changes them', () => {
    const old = create(namespace('team-a'));
    const next = structuredClone(old);
    next.spec = { finalizers: [] };
    namespaceStrategy.prepareForUpdate!(next, old);
    expect(next.spec).toEqual({ finalizers: ['kubernetes'] });
  });

  it('validates finalizer names', () => {
    const ns = create(namespace('team-a'));
    ns.spec = { finalizers: ['kubernetes', 'example.com/cleanup', 'cleanup'] };
    expect(namespaceStrategy.validate!(ns).map((e) => fieldErrorMessage(e))).toEqual([
      'spec.finalizers[2]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it('refuses to delete the system namespaces with a 403', () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      let err: unknown;
      try {
        namespaceStrategy.prepareForDelete!(create(namespace(name)));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        details: { name, kind: 'namespaces' },
      });
    }
  });

  it('turns Terminating on delete and stays until its finalizers are done', () => {
    const ns = create(namespace('team-a'));
    namespaceStrategy.prepareForDelete!(ns);
    expect(ns.status).toEqual({ phase: 'Terminating' });
    expect(namespaceStrategy.pendingFinalization!(ns)).toBe(true);
    ns.spec = { finalizers: [] };
    expect(namespaceStrategy.pendingFinalization!(ns)).toBe(false);
  });

  it('keeps its phase consistent with the deletion timestamp', () => {
    const old = create(namespace('team-a'));
    const next = structuredClone(old);
    next.status = { phase: 'Terminating' };
    expect(namespaceStrategy.validateUpdate!(next, old).map((e) => fieldErrorMessage(e))).toEqual([
      'status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
    ]);
  });

  it('uses DNS labels as names, selects by status.phase and prints STATUS', () => {
    expect(namespaceStrategy.nameRule).toBe('dns1123Label');
    const ns = create(namespace('team-a'));
    expect(namespaceStrategy.selectableFields!(ns)).toEqual({ 'status.phase': 'Active', name: 'team-a' });
    expect(namespaceStrategy.table!.cells(ns, new Date('2026-03-01T12:00:00Z'))).toEqual([
      'team-a',
      'Active',
      '60m',
    ]);
  });
});
