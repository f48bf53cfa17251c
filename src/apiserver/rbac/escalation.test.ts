import { describe, expect, it } from 'vitest';
import { compactRule, uncoveredRules } from './escalation.js';

describe('which permissions of a role a user does not hold', () => {
  it('breaks rules down and merges what is missing per target', () => {
    const held = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] }];
    const wanted = [{ verbs: ['get', 'delete'], apiGroups: ['', 'apps'], resources: ['pods'] }];
    expect(uncoveredRules(held, wanted).map(compactRule)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
      '{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "delete"]}',
    ]);
  });

  it('treats * in a held rule as everything, and * in a wanted rule as held only by *', () => {
    const all = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
    expect(
      uncoveredRules(all, [{ verbs: ['escalate'], apiGroups: ['x.io'], resources: ['things'] }]),
    ).toEqual([]);
    const many = [{ verbs: ['get', 'list', 'watch', 'create'], apiGroups: [''], resources: ['pods'] }];
    expect(
      uncoveredRules(many, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]).map(compactRule),
    ).toEqual(['{APIGroups:[""], Resources:["pods"], Verbs:["*"]}']);
  });

  it('holds subresources through */sub, and named objects only through their names or no names', () => {
    const held = [
      { verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a', 'b'] },
    ];
    expect(
      uncoveredRules(held, [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }]),
    ).toEqual([]);
    expect(
      uncoveredRules(held, [
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      ]),
    ).toEqual([]);
    expect(
      uncoveredRules(held, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }]).map(compactRule),
    ).toEqual(['{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}']);
  });

  it('matches non-resource URLs by prefix', () => {
    const held = [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/api/*'] }];
    expect(uncoveredRules(held, [{ verbs: ['get'], nonResourceURLs: ['/api/v1', '/healthz'] }])).toEqual([]);
    expect(
      uncoveredRules(held, [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]).map(compactRule),
    ).toEqual(['{NonResourceURLs:["/metrics"], Verbs:["get"]}']);
  });
});
