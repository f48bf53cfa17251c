import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../authn.js';
import { RbacAuthorizer } from './authorizer.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapPolicy } from './bootstrap-policy.js';
import type { AuthorizationAttributes } from './types.js';

const API = 'rbac.authorization.k8s.io/v1';

function cluster(): RbacAuthorizer {
  // No privileged shortcut: these tests are about what the objects themselves grant.
  const authz = new RbacAuthorizer({ privilegedGroups: [] });
  for (const obj of bootstrapPolicy()) authz.upsert(obj);
  return authz;
}

function bindInNamespace(authz: RbacAuthorizer, namespace: string, roleName: string, user: string): void {
  authz.upsert({
    apiVersion: API,
    kind: 'RoleBinding',
    metadata: { namespace, name: `${user}-${roleName}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'User', name: user }],
  });
}

const authed = (name: string): UserInfo => ({ username: name, groups: ['system:authenticated'] });

function can(
  authz: RbacAuthorizer,
  user: UserInfo,
  verb: string,
  group: string,
  resource: string,
  more: Partial<AuthorizationAttributes> = {},
) {
  return authz.authorize({
    user,
    verb,
    isResourceRequest: true,
    apiGroup: group,
    resource,
    namespace: 'team',
    ...more,
  }).allowed;
}

function canGetPath(authz: RbacAuthorizer, user: UserInfo, path: string): boolean {
  return authz.authorize({ user, verb: 'get', isResourceRequest: false, path }).allowed;
}

describe('bootstrap policy', () => {
  it('labels every object as a Kubernetes default, with autoupdate on', () => {
    for (const obj of bootstrapPolicy()) {
      expect(obj.metadata.labels?.['kubernetes.io/bootstrapping']).toBe('rbac-defaults');
      expect(obj.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    }
    expect(bootstrapClusterRoles().map((r) => r.metadata.name)).toEqual(
      expect.arrayContaining([
        'cluster-admin',
        'admin',
        'edit',
        'view',
        'system:discovery',
        'system:basic-user',
        'system:public-info-viewer',
      ]),
    );
  });

  it('binds cluster-admin to system:masters and the self-service roles to authenticated users', () => {
    const bindings = Object.fromEntries(
      bootstrapClusterRoleBindings().map((b) => [
        b.metadata.name,
        (b.subjects ?? []).map((s) => `${s.kind}:${s.name}`),
      ]),
    );
    expect(bindings).toEqual({
      'cluster-admin': ['Group:system:masters'],
      'system:discovery': ['Group:system:authenticated'],
      'system:basic-user': ['Group:system:authenticated'],
      'system:public-info-viewer': ['Group:system:authenticated', 'Group:system:unauthenticated'],
    });
  });

  it('ships admin, edit and view already aggregated, and current', () => {
    const roles = bootstrapClusterRoles();
    const view = roles.find((r) => r.metadata.name === 'view')!;
    const edit = roles.find((r) => r.metadata.name === 'edit')!;
    const admin = roles.find((r) => r.metadata.name === 'admin')!;
    expect(view.aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
    });
    expect(view.rules!.length).toBeGreaterThan(0);
    // Each level includes the one below it.
    expect(edit.rules).toEqual(expect.arrayContaining(view.rules!));
    expect(admin.rules).toEqual(expect.arrayContaining(edit.rules!));
    expect(cluster().pendingAggregations()).toEqual([]);
  });

  it('cluster-admin through system:masters may do anything', () => {
    const authz = cluster();
    const root: UserInfo = { username: 'root', groups: ['system:masters', 'system:authenticated'] };
    expect(
      can(authz, root, 'delete', 'apiextensions.k8s.io', 'customresourcedefinitions', { namespace: '' }),
    ).toBe(true);
    expect(
      authz.authorize({ user: root, verb: 'post', isResourceRequest: false, path: '/anything' }).allowed,
    ).toBe(true);
  });

  it('view reads workloads but not secrets, and writes nothing', () => {
    const authz = cluster();
    const v = authed('viewer');
    bindInNamespace(authz, 'team', 'view', 'viewer');
    expect(can(authz, v, 'list', '', 'pods')).toBe(true);
    expect(can(authz, v, 'get', '', 'pods', { subresource: 'log', name: 'p' })).toBe(true);
    expect(can(authz, v, 'watch', 'apps', 'deployments')).toBe(true);
    expect(can(authz, v, 'list', '', 'secrets')).toBe(false);
    expect(can(authz, v, 'create', 'apps', 'deployments')).toBe(false);
    expect(can(authz, v, 'list', '', 'pods', { namespace: 'other' })).toBe(false);
  });

  it('edit changes workloads and secrets but not roles', () => {
    const authz = cluster();
    const e = authed('editor');
    bindInNamespace(authz, 'team', 'edit', 'editor');
    expect(can(authz, e, 'create', 'apps', 'deployments')).toBe(true);
    expect(can(authz, e, 'update', 'apps', 'deployments', { subresource: 'scale', name: 'd' })).toBe(true);
    expect(can(authz, e, 'get', '', 'secrets', { name: 's' })).toBe(true);
    expect(can(authz, e, 'create', '', 'pods', { subresource: 'eviction', name: 'p' })).toBe(true);
    expect(can(authz, e, 'create', 'rbac.authorization.k8s.io', 'roles')).toBe(false);
    expect(can(authz, e, 'update', '', 'resourcequotas', { name: 'q' })).toBe(false);
  });

  it('admin also manages roles and bindings in the namespace', () => {
    const authz = cluster();
    const a = authed('owner');
    bindInNamespace(authz, 'team', 'admin', 'owner');
    expect(can(authz, a, 'create', 'rbac.authorization.k8s.io', 'rolebindings')).toBe(true);
    expect(can(authz, a, 'create', 'authorization.k8s.io', 'localsubjectaccessreviews')).toBe(true);
    expect(can(authz, a, 'create', 'apps', 'deployments')).toBe(true);
    expect(can(authz, a, 'create', 'rbac.authorization.k8s.io', 'clusterroles', { namespace: '' })).toBe(
      false,
    );
  });

  it('every authenticated user may discover the API and review their own access', () => {
    const authz = cluster();
    const u = authed('someone');
    expect(canGetPath(authz, u, '/api')).toBe(true);
    expect(canGetPath(authz, u, '/apis/apps/v1')).toBe(true);
    expect(canGetPath(authz, u, '/openapi/v3')).toBe(true);
    expect(canGetPath(authz, u, '/version')).toBe(true);
    expect(canGetPath(authz, u, '/metrics')).toBe(false);
    expect(
      can(authz, u, 'create', 'authorization.k8s.io', 'selfsubjectaccessreviews', { namespace: '' }),
    ).toBe(true);
    expect(
      can(authz, u, 'create', 'authorization.k8s.io', 'selfsubjectrulesreviews', { namespace: '' }),
    ).toBe(true);
    expect(can(authz, u, 'create', 'authorization.k8s.io', 'subjectaccessreviews', { namespace: '' })).toBe(
      false,
    );
    expect(can(authz, u, 'list', '', 'pods')).toBe(false);
  });

  it('the unauthenticated see health and version only', () => {
    const authz = cluster();
    const anon: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    expect(canGetPath(authz, anon, '/healthz')).toBe(true);
    expect(canGetPath(authz, anon, '/version')).toBe(true);
    expect(canGetPath(authz, anon, '/api')).toBe(false);
  });
});
