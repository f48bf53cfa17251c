import { describe, expect, it } from 'vitest';
import { extensionCrds, extensionStrategies } from './extensions.js';

const builtin = (group: string, kind: string) => group === 'networking.k8s.io' && kind === 'Ingress';
const crd = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});

describe('extensions', () => {
  it('key strategies by group and kind, across extensions', () => {
    const a = {};
    const b = {};
    const all = extensionStrategies(
      [{ strategies: { 'cluster.karmada.io/Cluster': a } }, { strategies: { 'work.karmada.io/Work': b } }],
      builtin,
    );
    expect([...all.entries()]).toEqual([
      ['cluster.karmada.io/Cluster', a],
      ['work.karmada.io/Work', b],
    ]);
  });

  it('refuse malformed keys, built-in kinds and a kind claimed twice', () => {
    expect(() => extensionStrategies([{ strategies: { Cluster: {} } }], builtin)).toThrow(
      'extension strategy "Cluster": the key must be "group/Kind"',
    );
    expect(() => extensionStrategies([{ strategies: { 'apps/Deployment': {} } }], builtin)).toThrow(
      'with a group like example.com',
    );
    expect(() => extensionStrategies([{ strategies: { 'networking.k8s.io/Ingress': {} } }], builtin)).toThrow(
      'extension strategy "networking.k8s.io/Ingress": Ingress is a built-in kind',
    );
    expect(() =>
      extensionStrategies(
        [{ strategies: { 'work.karmada.io/Work': {} } }, { strategies: { 'work.karmada.io/Work': {} } }],
        builtin,
      ),
    ).toThrow('extension strategy "work.karmada.io/Work" is given twice');
  });

  it('take CRDs only, each once', () => {
    expect(extensionCrds([{ crds: [crd('works.work.karmada.io')] }, {}]).map((c) => c.metadata.name)).toEqual(
      ['works.work.karmada.io'],
    );
    expect(() =>
      extensionCrds([{ crds: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] }]),
    ).toThrow(
      'extension CRD x: must be a named apiextensions.k8s.io/v1 CustomResourceDefinition, not v1 ConfigMap',
    );
    expect(() => extensionCrds([{ crds: [crd('a.b.c')] }, { crds: [crd('a.b.c')] }])).toThrow(
      'extension CRD a.b.c is given twice',
    );
  });
});
