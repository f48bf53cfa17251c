// What a residency rule covers and allows, and the scheduler's filter with it: covered kinds and
// namespaces, cluster-scoped resources, Namespaces never, config and secrets when asked, members
// by region, country label, provider and name; a duplicated placement loses the members outside.

import { describe, expect, it } from 'vitest';
import type { ResidencyRule } from '../../apis/governance/index.js';
import type { Cluster } from '../../apis/karmada/index.js';
import { schedule } from '../../propagation/scheduler/schedule.js';
import { clusterAllowed, residencyRefusal, ruleCovers } from './match.js';

const rule = (spec: Partial<ResidencyRule['spec']>, name = 'r'): ResidencyRule => ({
  apiVersion: 'governance.concord.dev/v1alpha1',
  kind: 'ResidencyRule',
  metadata: { name },
  spec: { resourceSelector: {}, allowedClusters: {}, ...spec },
});

const member = (
  name: string,
  region: string,
  labels: Record<string, string> = {},
  provider = 'cloud',
): Cluster =>
  ({
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels },
    spec: { syncMode: 'Push', region, provider },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }) as Cluster;

describe('residency rules', () => {
  it('cover namespaced resources by namespace, namespace labels, kind and labels', () => {
    const r = rule({
      resourceSelector: {
        namespaces: ['shop'],
        namespaceSelector: { matchLabels: { residency: 'eu' } },
        kinds: ['Deployment', 'Secret'],
        labelSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['public'] }] },
      },
    });
    expect(ruleCovers(r, { kind: 'Deployment', namespace: 'shop' }, {})).toBe(true);
    expect(ruleCovers(r, { kind: 'Deployment', namespace: 'other' }, { residency: 'eu' })).toBe(true);
    expect(ruleCovers(r, { kind: 'Deployment', namespace: 'other' }, { residency: 'us' })).toBe(false);
    expect(ruleCovers(r, { kind: 'Service', namespace: 'shop' }, {})).toBe(false);
    expect(ruleCovers(r, { kind: 'Deployment', namespace: 'shop', labels: { tier: 'public' } }, {})).toBe(
      false,
    );
    expect(ruleCovers(r, { kind: 'Secret', namespace: 'shop' }, {})).toBe(true);
    expect(
      ruleCovers(
        { ...r, spec: { ...r.spec, includeConfigAndSecrets: false } },
        { kind: 'Secret', namespace: 'shop' },
        {},
      ),
    ).toBe(false);
  });

  it('cover cluster-scoped resources only without a namespace filter, and never Namespaces', () => {
    const byNamespace = rule({ resourceSelector: { namespaces: ['shop'] } });
    const byLabel = rule({ resourceSelector: { labelSelector: { matchLabels: { data: 'eu' } } } });
    expect(ruleCovers(byNamespace, { kind: 'ClusterRole' }, undefined)).toBe(false);
    expect(ruleCovers(byLabel, { kind: 'ClusterRole', labels: { data: 'eu' } }, undefined)).toBe(true);
    expect(ruleCovers(byLabel, { kind: 'Namespace', labels: { data: 'eu' } }, undefined)).toBe(false);
  });

  it('allow members matching every filter: region, country label, provider, names, labels', () => {
    const r = rule({
      allowedClusters: {
        regions: ['eu-central'],
        countries: ['de'],
        providers: ['onprem'],
        clusterNames: ['fra', 'ber'],
      },
    });
    const country = { 'governance.concord.dev/country': 'de' };
    expect(clusterAllowed(r, member('fra', 'eu-central', country, 'onprem'))).toBe(true);
    expect(clusterAllowed(r, member('fra', 'eu-central', country, 'cloud'))).toBe(false);
    expect(
      clusterAllowed(r, member('fra', 'eu-central', { 'governance.concord.dev/country': 'fr' }, 'onprem')),
    ).toBe(false);
    expect(clusterAllowed(r, member('muc', 'eu-central', country, 'onprem'))).toBe(false);
    expect(clusterAllowed(r, member('ber', 'eu-west', country, 'onprem'))).toBe(false);
    const byLabel = rule({ allowedClusters: { labelSelector: { matchLabels: { sovereign: 'true' } } } });
    expect(clusterAllowed(byLabel, member('x', 'any', { sovereign: 'true' }))).toBe(true);
    expect(clusterAllowed(byLabel, member('y', 'any'))).toBe(false);
  });

  it('name every rule a member breaks', () => {
    const eu = rule({ allowedClusters: { regions: ['eu-west'] } }, 'eu');
    const onprem = rule({ allowedClusters: { providers: ['onprem'] } }, 'onprem');
    expect(residencyRefusal([onprem, eu], member('us-1', 'us-east'))).toBe(
      'cluster(s) were outside residency rule eu, onprem',
    );
    expect(residencyRefusal([eu], member('eu-1', 'eu-west'))).toBeUndefined();
  });
});

describe('the scheduler with the residency filter', () => {
  const clusters = [member('eu-1', 'eu-west'), member('eu-2', 'eu-west'), member('us-1', 'us-east')];
  const eu = rule({ allowedClusters: { regions: ['eu-west'] } }, 'eu-data');
  const refuse = (c: Cluster) => residencyRefusal([eu], c);

  it('duplicates only to allowed members, even from a placement that had a refused one', () => {
    const result = schedule(
      {
        resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cfg' },
        placement: {},
        clusters: [{ name: 'us-1' }, { name: 'eu-1' }],
      },
      undefined,
      clusters,
      { refuse },
    );
    expect(result).toMatchObject({ outcome: 'Success', clusters: [{ name: 'eu-1' }, { name: 'eu-2' }] });
  });

  it('says which rule left a binding with no member', () => {
    const result = schedule(
      {
        resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cfg' },
        placement: { clusterAffinity: { clusterNames: ['us-1', 'eu-1'] } },
      },
      undefined,
      clusters,
      { refuse: (c) => residencyRefusal([rule({ allowedClusters: { regions: ['ap-south'] } }, 'ap')], c) },
    );
    expect(result.outcome).toBe('NoClusterFit');
    expect(result.clusters).toEqual([]);
    expect(result.message).toBe(
      '0/3 clusters are available: 1 cluster(s) did not match the placement cluster affinity constraint, 2 cluster(s) were outside residency rule ap.',
    );
  });
});
