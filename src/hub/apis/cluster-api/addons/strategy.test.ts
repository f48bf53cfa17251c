import { describe, expect, it } from 'vitest';
import { admit, newObject, update } from '../test-support.js';
import { clusterResourceSetBindingStrategy, clusterResourceSetStrategy } from './strategy.js';

const V = 'addons.cluster.x-k8s.io/v1beta1';

describe('ClusterResourceSet', () => {
  const crs = (spec: Record<string, unknown>) => newObject(V, 'ClusterResourceSet', 'crs', spec);

  it('applies once unless told otherwise, to the Clusters a non-empty selector picks', () => {
    const { obj, errors } = admit(
      clusterResourceSetStrategy,
      crs({ clusterSelector: { matchLabels: { cni: 'calico' } } }),
    );
    expect(errors).toEqual([]);
    expect((obj.spec as { strategy: string }).strategy).toBe('ApplyOnce');
    expect(admit(clusterResourceSetStrategy, crs({ clusterSelector: {} })).errors).toEqual([
      'spec.clusterSelector: Invalid value: {}: selector must not be empty',
    ]);
  });

  it('keeps its selector and strategy', () => {
    const created = crs({ clusterSelector: { matchLabels: { cni: 'calico' } } });
    const changed = update(clusterResourceSetStrategy, created, (c) => {
      (c.spec as Record<string, unknown>).clusterSelector = { matchLabels: { cni: 'cilium' } };
      (c.spec as Record<string, unknown>).strategy = 'Reconcile';
    });
    expect(changed.errors).toEqual([
      'spec.clusterSelector: Invalid value: {"matchLabels":{"cni":"cilium"}}: field is immutable',
      'spec.strategy: Invalid value: "Reconcile": field is immutable',
    ]);
  });
});

describe('ClusterResourceSetBinding', () => {
  it('keeps its cluster once set', () => {
    const binding = newObject(V, 'ClusterResourceSetBinding', 'c1', { clusterName: 'c1' });
    const changed = update(clusterResourceSetBindingStrategy, binding, (b) => {
      (b.spec as Record<string, unknown>).clusterName = 'c2';
    });
    expect(changed.errors).toEqual(['spec.clusterName: Invalid value: "c2": field is immutable']);
    const unset = newObject(V, 'ClusterResourceSetBinding', 'c1', {});
    expect(
      update(
        clusterResourceSetBindingStrategy,
        unset,
        (b) => ((b.spec as Record<string, unknown>).clusterName = 'c1'),
      ).errors,
    ).toEqual([]);
  });
});
