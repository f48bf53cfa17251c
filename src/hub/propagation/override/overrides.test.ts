import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../machinery/object.js';
import type { Cluster, OverrideSpec } from '../../apis/karmada/index.js';
import { overrideImage, parseImage } from './image.js';
import { applyOverridePolicies } from './overrides.js';

const cluster = (name: string, region?: string): Cluster => ({
  apiVersion: 'cluster.karmada.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name },
  spec: { syncMode: 'Push', ...(region ? { region } : {}) },
});

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx', for: 'for', bar: 'bar' } },
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx', command: ['nginx', '-g'] },
            { name: 'sidecar', image: 'registry.k8s.io/pause:3.9' },
          ],
        },
      },
    },
  };
}

const policy = (name: string, spec: OverrideSpec, namespace = 'default') => ({
  metadata: { name, namespace },
  spec,
});
const containers = (o: KubeObject) =>
  (o.spec as { template: { spec: { containers: { image: string; command?: string[]; args?: string[] }[] } } })
    .template.spec.containers;

describe('images', () => {
  it('splits a reference as Karmada does and changes one part', () => {
    expect(parseImage('fictional.registry.example:10443/karmada/karmada-controller-manager:v1.0.0')).toEqual({
      registry: 'fictional.registry.example:10443',
      repository: 'karmada/karmada-controller-manager',
      tag: 'v1.0.0',
      digest: '',
    });
    expect(parseImage('nginx')).toEqual({ registry: '', repository: 'nginx', tag: '', digest: '' });
    expect(parseImage('library/nginx:1.27').registry).toBe('');
    const reg = (operator: 'add' | 'replace' | 'remove', value?: string) =>
      overrideImage('registry.k8s.io/pause:3.9', {
        component: 'Registry',
        operator,
        ...(value ? { value } : {}),
      });
    expect(reg('replace', 'mirror.example')).toBe('mirror.example/pause:3.9');
    expect(reg('add', '.cn')).toBe('registry.k8s.io.cn/pause:3.9');
    expect(reg('remove')).toBe('pause:3.9');
    expect(overrideImage('nginx:1.27', { component: 'Tag', operator: 'replace', value: '1.28' })).toBe(
      'nginx:1.28',
    );
    expect(
      overrideImage('nginx:1.27', { component: 'Repository', operator: 'replace', value: 'openresty' }),
    ).toBe('openresty:1.27');
  });
});

describe('override policies', () => {
  it("applies the nginx sample's label and annotation overriders per member", () => {
    const sample = policy('nginx-op', {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' }],
      overrideRules: [
        {
          targetCluster: { clusterNames: ['member2'] },
          overriders: {
            labelsOverrider: [
              { operator: 'add', value: { env: 'skoala-dev' } },
              { operator: 'add', value: { 'env-stat': 'skoala-stage' } },
              { operator: 'remove', value: { for: 'for' } },
              { operator: 'replace', value: { bar: 'test' } },
            ],
          },
        },
        {
          targetCluster: { clusterNames: ['member1'] },
          overriders: {
            annotationsOverrider: [
              { operator: 'add', value: { env: 'skoala-stage' } },
              { operator: 'remove', value: { bom: 'bom' } },
              { operator: 'replace', value: { emma: 'sophia' } },
            ],
          },
        },
      ],
    });
    const on2 = applyOverridePolicies(deployment(), cluster('member2'), [], [sample]);
    expect(on2.object.metadata.labels).toEqual({
      app: 'nginx',
      bar: 'test',
      env: 'skoala-dev',
      'env-stat': 'skoala-stage',
    });
    expect(on2.namespaced.map((a) => a.policyName)).toEqual(['nginx-op']);
    const on1 = applyOverridePolicies(deployment(), cluster('member1'), [], [sample]);
    // remove and replace skip keys that are not there.
    expect(on1.object.metadata.annotations).toEqual({ env: 'skoala-stage' });
    expect(on1.object.metadata.labels).toEqual(deployment().metadata.labels);
  });

  it('applies cluster policies first, then the namespace, most specific last; commands, args and plaintext', () => {
    const everything = policy(
      'all',
      {
        overrideRules: [
          {
            overriders: {
              imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'a.example' }],
            },
          },
        ],
      },
      undefined as unknown as string,
    );
    const byName = policy('by-name', {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' }],
      overrideRules: [
        {
          targetCluster: {
            fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] },
          },
          overriders: {
            imageOverrider: [
              {
                predicate: { path: '/spec/template/spec/containers/0/image' },
                component: 'Registry',
                operator: 'replace',
                value: 'eu.example',
              },
            ],
            commandOverrider: [{ containerName: 'nginx', operator: 'add', value: ['daemon off;'] }],
            argsOverrider: [{ containerName: 'sidecar', operator: 'add', value: ['-v'] }],
            plaintext: [{ path: '/spec/replicas', operator: 'add', value: 5 }],
          },
        },
      ],
    });
    const byKind = policy('by-kind', {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      overrideRules: [
        { overriders: { imageOverrider: [{ component: 'Tag', operator: 'replace', value: 'v2' }] } },
      ],
    });
    const r = applyOverridePolicies(deployment(), cluster('m', 'eu'), [everything], [byName, byKind]);
    expect(containers(r.object)).toEqual([
      { name: 'nginx', image: 'eu.example/nginx:v2', command: ['nginx', '-g', 'daemon off;'] },
      { name: 'sidecar', image: 'a.example/pause:v2', args: ['-v'] },
    ]);
    expect((r.object.spec as { replicas: number }).replicas).toBe(5);
    expect(r.cluster.map((a) => a.policyName)).toEqual(['all']);
    expect(r.namespaced.map((a) => a.policyName)).toEqual(['by-kind', 'by-name']);
    // Outside the region only the rules without a target apply.
    const us = applyOverridePolicies(deployment(), cluster('m', 'us'), [everything], [byName, byKind]);
    expect(containers(us.object).map((c) => c.image)).toEqual(['a.example/nginx:v2', 'a.example/pause:v2']);
  });
});
