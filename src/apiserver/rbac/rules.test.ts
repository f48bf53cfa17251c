import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../authn.js';
import { normalizeRule, ruleAllows, rulesEqual } from './rules.js';
import type { AuthorizationAttributes, PolicyRule } from './types.js';

const user: UserInfo = { username: 'u', groups: [] };

function res(verb: string, group: string, resource: string, extra: Partial<AuthorizationAttributes> = {}) {
  return { user, verb, isResourceRequest: true, apiGroup: group, resource, namespace: 'ns', ...extra };
}

function url(verb: string, path: string): AuthorizationAttributes {
  return { user, verb, isResourceRequest: false, path };
}

describe('resource rules', () => {
  it('match verbs, groups and resources exactly, or everything with *', () => {
    const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'] };
    expect(ruleAllows(res('get', 'apps', 'deployments'), r)).toBe(true);
    expect(ruleAllows(res('list', 'apps', 'deployments'), r)).toBe(true);
    expect(ruleAllows(res('delete', 'apps', 'deployments'), r)).toBe(false);
    expect(ruleAllows(res('get', '', 'deployments'), r)).toBe(false);
    expect(ruleAllows(res('get', 'apps', 'replicasets'), r)).toBe(false);
    const all: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleAllows(res('escalate', 'rbac.authorization.k8s.io', 'clusterroles'), all)).toBe(true);
    expect(ruleAllows(res('get', '', 'pods', { subresource: 'log' }), all)).toBe(true);
  });

  it('name a subresource explicitly: "pods" does not cover "pods/log", nor the reverse', () => {
    const pods: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
    const logs: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] };
    expect(ruleAllows(res('get', '', 'pods', { subresource: 'log' }), pods)).toBe(false);
    expect(ruleAllows(res('get', '', 'pods', { subresource: 'log' }), logs)).toBe(true);
    expect(ruleAllows(res('get', '', 'pods'), logs)).toBe(false);
  });

  it('match "*/scale" against the scale subresource of any resource only', () => {
    const r: PolicyRule = { verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] };
    expect(ruleAllows(res('update', 'apps', 'deployments', { subresource: 'scale' }), r)).toBe(true);
    expect(ruleAllows(res('update', 'apps', 'statefulsets', { subresource: 'scale' }), r)).toBe(true);
    expect(ruleAllows(res('update', 'apps', 'deployments'), r)).toBe(false);
    expect(ruleAllows(res('update', 'apps', 'deployments', { subresource: 'status' }), r)).toBe(false);
    expect(ruleAllows(res('update', '', 'scale'), r)).toBe(false);
  });

  it('restrict to resourceNames: no list, watch, create or deletecollection, which carry no name', () => {
    const r: PolicyRule = {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'deletecollection'],
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['settings'],
    };
    expect(ruleAllows(res('get', '', 'configmaps', { name: 'settings' }), r)).toBe(true);
    expect(ruleAllows(res('update', '', 'configmaps', { name: 'settings' }), r)).toBe(true);
    expect(ruleAllows(res('get', '', 'configmaps', { name: 'other' }), r)).toBe(false);
    expect(ruleAllows(res('list', '', 'configmaps'), r)).toBe(false);
    expect(ruleAllows(res('create', '', 'configmaps'), r)).toBe(false);
    expect(ruleAllows(res('deletecollection', '', 'configmaps'), r)).toBe(false);
    // A watch narrowed to one object by metadata.name carries that name.
    expect(ruleAllows(res('watch', '', 'configmaps', { name: 'settings' }), r)).toBe(true);
  });

  it('never let a resource rule allow a non-resource URL or the reverse', () => {
    const r: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
    expect(ruleAllows(url('get', '/healthz'), r)).toBe(false);
    const u: PolicyRule = { verbs: ['*'], nonResourceURLs: ['*'] };
    expect(ruleAllows(res('get', '', 'pods'), u)).toBe(false);
  });
});

describe('non-resource rules', () => {
  it('match exact paths, trailing-* prefixes and *', () => {
    const r: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/api/*', '/logs*'] };
    expect(ruleAllows(url('get', '/healthz'), r)).toBe(true);
    expect(ruleAllows(url('get', '/healthz/etcd'), r)).toBe(false);
    expect(ruleAllows(url('get', '/api/v1'), r)).toBe(true);
    expect(ruleAllows(url('get', '/api/'), r)).toBe(true);
    expect(ruleAllows(url('get', '/api'), r)).toBe(false);
    expect(ruleAllows(url('get', '/logsfoo'), r)).toBe(true);
    expect(ruleAllows(url('post', '/healthz'), r)).toBe(false);
    expect(ruleAllows(url('post', '/anything'), { verbs: ['*'], nonResourceURLs: ['*'] })).toBe(true);
  });
});

describe('rule helpers', () => {
  it('treat an absent list like an empty one, and order as significant', () => {
    expect(rulesEqual({ verbs: ['get'], resourceNames: [] }, { verbs: ['get'] })).toBe(true);
    expect(rulesEqual({ verbs: ['get', 'list'] }, { verbs: ['list', 'get'] })).toBe(false);
  });

  it('drop malformed parts of stored rules instead of failing on them', () => {
    expect(normalizeRule({ verbs: ['get', 3], apiGroups: 'apps', resources: ['pods'] })).toEqual({
      verbs: ['get'],
      resources: ['pods'],
    });
    expect(normalizeRule('nonsense')).toBeUndefined();
  });
});
