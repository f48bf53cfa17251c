import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../machinery/object.js';
import { aggregatedRules, pendingAggregations } from './aggregation.js';
import { RbacAuthorizer } from './authorizer.js';
import type { ClusterRole, PolicyRule } from './types.js';

function cr(
  name: string,
  rules: PolicyRule[] | null,
  labels: Record<string, string> = {},
  selectors?: LabelSelector[],
): ClusterRole {
  const role: ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules,
  };
  if (selectors) role.aggregationRule = { clusterRoleSelectors: selectors };
  return role;
}

const r1: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
const r2: PolicyRule = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
const r3: PolicyRule = { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] };

describe('aggregatedRules', () => {
  it('unions the rules of matching roles in name order, each rule once, replacing its own', () => {
    const agg = cr('agg', [r3], {}, [{ matchLabels: { 'to-agg': 'true' } }]);
    const b = cr('b-role', [r2, r1], { 'to-agg': 'true' });
    const a = cr('a-role', [r1], { 'to-agg': 'true' });
    const other = cr('other', [r3], {});
    expect(aggregatedRules(agg, [agg, b, a, other])).toEqual([r1, r2]);
  });

  it('takes selectors in order, and does not aggregate itself', () => {
    const agg = cr('agg', [], { x: '1' }, [{ matchLabels: { y: '1' } }, { matchLabels: { x: '1' } }]);
    expect(aggregatedRules(agg, [agg, cr('a', [r1], { x: '1' }), cr('z', [r3], { y: '1' })])).toEqual([
      r3,
      r1,
    ]);
  });

  it('selects with matchExpressions, and an empty selector selects every other role', () => {
    const roles = [cr('a', [r1], { tier: 'web' }), cr('b', [r2], { tier: 'db' }), cr('c', [r3], {})];
    const notDb = cr('agg', [], {}, [
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
    ]);
    expect(aggregatedRules(notDb, [notDb, ...roles])).toEqual([r1, r3]);
    const hasTier = cr('agg', [], {}, [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }]);
    expect(aggregatedRules(hasTier, [hasTier, ...roles])).toEqual([r1, r2]);
    const all = cr('agg', [], {}, [{}]);
    expect(aggregatedRules(all, [all, ...roles])).toEqual([r1, r2, r3]);
  });

  it('is undefined without an aggregationRule or with an invalid selector', () => {
    expect(aggregatedRules(cr('plain', [r1]), [])).toBeUndefined();
    const bad = cr('bad', [], {}, [{ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }]);
    expect(aggregatedRules(bad, [bad, cr('a', [r1], { k: 'v' })])).toBeUndefined();
  });
});

describe('pendingAggregations', () => {
  it('follows a chain view -> edit -> admin to the end in one call', () => {
    const roles = [
      cr('admin', null, {}, [{ matchLabels: { 'to-admin': 'true' } }]),
      cr('edit', null, { 'to-admin': 'true' }, [{ matchLabels: { 'to-edit': 'true' } }]),
      cr('view', null, { 'to-edit': 'true' }, [{ matchLabels: { 'to-view': 'true' } }]),
      cr('aggregate-to-view', [r1], { 'to-view': 'true' }),
      cr('aggregate-to-edit', [r2], { 'to-edit': 'true' }),
      cr('aggregate-to-admin', [r3], { 'to-admin': 'true' }),
    ];
    expect(pendingAggregations(roles)).toEqual([
      { name: 'admin', rules: [r3, r2, r1] },
      { name: 'edit', rules: [r2, r1] },
      { name: 'view', rules: [r1] },
    ]);
  });

  it('reports nothing once stored rules are current, and the changed role after a new one appears', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(cr('view', null, {}, [{ matchLabels: { 'to-view': 'true' } }]));
    authz.upsert(cr('base', [r1], { 'to-view': 'true' }));
    const first = authz.pendingAggregations();
    expect(first).toEqual([{ name: 'view', rules: [r1] }]);
    // The server writes the update; the watch feeds it back.
    authz.upsert(cr('view', first[0]!.rules, {}, [{ matchLabels: { 'to-view': 'true' } }]));
    expect(authz.pendingAggregations()).toEqual([]);
    // A CRD's role labelled to aggregate extends view.
    authz.upsert(cr('widgets-view', [r3], { 'to-view': 'true' }));
    expect(authz.pendingAggregations()).toEqual([{ name: 'view', rules: [r1, r3] }]);
    expect(authz.aggregatedRules('view')).toEqual([r1, r3]);
  });

  it('settles when aggregated roles select each other', () => {
    const roles = [
      cr('a', [r1], { g: 'x' }, [{ matchLabels: { g: 'y' } }]),
      cr('b', [r2], { g: 'y' }, [{ matchLabels: { g: 'x' } }]),
    ];
    // a takes b's rules; b then takes a's, which are its own: nothing moves any more.
    const updates = pendingAggregations(roles);
    expect(updates).toEqual([{ name: 'a', rules: [r2] }]);
    roles[0]!.rules = updates[0]!.rules;
    expect(pendingAggregations(roles)).toEqual([]);
  });
});
