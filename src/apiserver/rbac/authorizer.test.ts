import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import type { UserInfo } from '../authn.js';
import { RbacAuthorizer } from './authorizer.js';
import type { AuthorizationAttributes, PolicyRule, Subject } from './types.js';

const API = 'rbac.authorization.k8s.io/v1';

function role(namespace: string, name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion: API, kind: 'Role', metadata: { namespace, name }, rules };
}
function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return { apiVersion: API, kind: 'ClusterRole', metadata: { name }, rules };
}
function roleBinding(
  namespace: string,
  name: string,
  roleKind: string,
  roleName: string,
  subjects: Subject[],
): KubeObject {
  return {
    apiVersion: API,
    kind: 'RoleBinding',
    metadata: { namespace, name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
    subjects,
  };
}
function clusterRoleBinding(name: string, roleName: string, subjects: Subject[]): KubeObject {
  return {
    apiVersion: API,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const builder: UserInfo = {
  username: 'system:serviceaccount:ci:builder',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
};

function can(
  authz: RbacAuthorizer,
  user: UserInfo,
  verb: string,
  resource: string,
  opts: Partial<AuthorizationAttributes> = {},
): boolean {
  return authz.authorize({ user, verb, isResourceRequest: true, apiGroup: '', resource, ...opts }).allowed;
}

const readPods: PolicyRule = { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] };

describe('RbacAuthorizer', () => {
  it('a RoleBinding grants its Role in its own namespace only', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(role('web', 'pod-reader', [readPods]));
    authz.upsert(roleBinding('web', 'read', 'Role', 'pod-reader', [{ kind: 'User', name: 'alice' }]));
    expect(can(authz, alice, 'list', 'pods', { namespace: 'web' })).toBe(true);
    expect(can(authz, alice, 'list', 'pods', { namespace: 'db' })).toBe(false);
    expect(can(authz, alice, 'list', 'pods')).toBe(false);
    expect(can(authz, alice, 'delete', 'pods', { namespace: 'web', name: 'p' })).toBe(false);
    expect(can(authz, bob, 'list', 'pods', { namespace: 'web' })).toBe(false);
    expect(
      authz.authorize({
        user: alice,
        verb: 'get',
        isResourceRequest: true,
        apiGroup: '',
        resource: 'pods',
        namespace: 'web',
        name: 'p',
      }),
    ).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "read/web" of Role "pod-reader" to User "alice"',
    });
  });

  it('a Role named in another namespace grants nothing', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(role('other', 'pod-reader', [readPods]));
    authz.upsert(roleBinding('web', 'read', 'Role', 'pod-reader', [{ kind: 'User', name: 'alice' }]));
    expect(
      authz.authorize({
        user: alice,
        verb: 'list',
        isResourceRequest: true,
        apiGroup: '',
        resource: 'pods',
        namespace: 'web',
      }),
    ).toEqual({ allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found' });
  });

  it('a RoleBinding to a ClusterRole grants its rules in the binding namespace only', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRole('pod-reader', [readPods]));
    authz.upsert(roleBinding('web', 'read', 'ClusterRole', 'pod-reader', [{ kind: 'Group', name: 'devs' }]));
    expect(can(authz, alice, 'get', 'pods', { namespace: 'web', name: 'p' })).toBe(true);
    expect(can(authz, alice, 'get', 'pods', { namespace: 'db', name: 'p' })).toBe(false);
    expect(can(authz, alice, 'list', 'pods')).toBe(false);
  });

  it('a ClusterRoleBinding grants everywhere, cluster-scoped resources and all namespaces included', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(
      clusterRole('node-reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes', 'pods'] }]),
    );
    authz.upsert(clusterRoleBinding('nodes', 'node-reader', [{ kind: 'Group', name: 'devs' }]));
    expect(can(authz, alice, 'list', 'nodes')).toBe(true);
    expect(can(authz, alice, 'list', 'pods')).toBe(true);
    expect(can(authz, alice, 'list', 'pods', { namespace: 'anything' })).toBe(true);
    expect(can(authz, bob, 'list', 'nodes')).toBe(false);
    expect(
      authz.authorize({ user: alice, verb: 'list', isResourceRequest: true, apiGroup: '', resource: 'nodes' })
        .reason,
    ).toBe('RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to Group "devs"');
  });

  it('a ServiceAccount subject is the user system:serviceaccount:<ns>:<name>', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRole('pod-reader', [readPods]));
    // In a RoleBinding the namespace defaults to the binding's.
    authz.upsert(
      roleBinding('ci', 'sa', 'ClusterRole', 'pod-reader', [{ kind: 'ServiceAccount', name: 'builder' }]),
    );
    expect(can(authz, builder, 'list', 'pods', { namespace: 'ci' })).toBe(true);
    expect(
      authz.authorize({
        user: builder,
        verb: 'list',
        isResourceRequest: true,
        apiGroup: '',
        resource: 'pods',
        namespace: 'ci',
      }).reason,
    ).toBe('RBAC: allowed by RoleBinding "sa/ci" of ClusterRole "pod-reader" to ServiceAccount "builder/ci"');
    // A ClusterRoleBinding must name the namespace, or it matches nobody.
    authz.upsert(clusterRoleBinding('sa-nons', 'pod-reader', [{ kind: 'ServiceAccount', name: 'builder' }]));
    expect(can(authz, builder, 'list', 'pods')).toBe(false);
    authz.upsert(
      clusterRoleBinding('sa-ns', 'pod-reader', [
        { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' },
      ]),
    );
    expect(can(authz, builder, 'list', 'pods')).toBe(true);
    // The same name in another namespace is another account.
    const other: UserInfo = {
      username: 'system:serviceaccount:prod:builder',
      groups: ['system:serviceaccounts'],
    };
    expect(can(authz, other, 'list', 'pods')).toBe(false);
    // The service-account groups are ordinary groups.
    authz.upsert(
      clusterRoleBinding('all-sa', 'pod-reader', [{ kind: 'Group', name: 'system:serviceaccounts' }]),
    );
    expect(can(authz, other, 'list', 'pods')).toBe(true);
  });

  it('unknown subject kinds and role kinds match nothing', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRole('pod-reader', [readPods]));
    authz.upsert(clusterRoleBinding('odd', 'pod-reader', [{ kind: 'Robot', name: 'alice' }]));
    expect(can(authz, alice, 'list', 'pods')).toBe(false);
    authz.upsert({
      apiVersion: API,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'weird-ref' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Policy', name: 'x' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    expect(
      authz.authorize({ user: alice, verb: 'list', isResourceRequest: true, apiGroup: '', resource: 'pods' })
        .reason,
    ).toBe('RBAC: unsupported role reference kind: "Policy"');
  });

  it('reports every missing role once, and still allows through another binding', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRoleBinding('a', 'gone', [{ kind: 'User', name: 'alice' }]));
    authz.upsert(clusterRoleBinding('b', 'gone', [{ kind: 'User', name: 'alice' }]));
    authz.upsert(roleBinding('web', 'c', 'Role', 'missing', [{ kind: 'User', name: 'alice' }]));
    expect(
      authz.authorize({
        user: alice,
        verb: 'get',
        isResourceRequest: true,
        apiGroup: '',
        resource: 'pods',
        namespace: 'web',
      }),
    ).toEqual({
      allowed: false,
      reason:
        'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "missing" not found]',
    });
    authz.upsert(clusterRole('gone', [readPods]));
    expect(can(authz, alice, 'get', 'pods', { namespace: 'web', name: 'x' })).toBe(true);
  });

  it('follows updates and deletions of roles and bindings', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRole('r', [readPods]));
    const binding = clusterRoleBinding('b', 'r', [{ kind: 'User', name: 'alice' }]);
    authz.upsert(binding);
    expect(can(authz, alice, 'list', 'pods')).toBe(true);
    authz.upsert(clusterRole('r', [{ verbs: ['list'], apiGroups: [''], resources: ['services'] }]));
    expect(can(authz, alice, 'list', 'pods')).toBe(false);
    expect(can(authz, alice, 'list', 'services')).toBe(true);
    authz.upsert(clusterRoleBinding('b', 'r', [{ kind: 'User', name: 'bob' }]));
    expect(can(authz, alice, 'list', 'services')).toBe(false);
    expect(can(authz, bob, 'list', 'services')).toBe(true);
    authz.remove(binding);
    expect(can(authz, bob, 'list', 'services')).toBe(false);
    authz.upsert(role('web', 'r', [readPods]));
    authz.upsert(roleBinding('web', 'b', 'Role', 'r', [{ kind: 'User', name: 'bob' }]));
    expect(can(authz, bob, 'list', 'pods', { namespace: 'web' })).toBe(true);
    authz.remove({ apiVersion: API, kind: 'Role', metadata: { namespace: 'web', name: 'r' } });
    expect(can(authz, bob, 'list', 'pods', { namespace: 'web' })).toBe(false);
  });

  it('keeps its own copy: changing an object after upsert changes nothing', () => {
    const authz = new RbacAuthorizer();
    const r = clusterRole('r', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
    authz.upsert(r);
    authz.upsert(clusterRoleBinding('b', 'r', [{ kind: 'User', name: 'alice' }]));
    (r.rules as PolicyRule[])[0]!.verbs.push('delete');
    expect(can(authz, alice, 'delete', 'pods', { namespace: 'x', name: 'p' })).toBe(false);
  });

  it('ignores objects of other groups and kinds', () => {
    const authz = new RbacAuthorizer();
    authz.upsert({ apiVersion: 'v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [readPods] });
    authz.upsert(clusterRoleBinding('b', 'r', [{ kind: 'User', name: 'alice' }]));
    expect(can(authz, alice, 'list', 'pods')).toBe(false);
  });

  it('allows system:masters everything without a binding, with no reason given', () => {
    const authz = new RbacAuthorizer();
    const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
    expect(
      authz.authorize({
        user: admin,
        verb: 'delete',
        isResourceRequest: true,
        apiGroup: 'apps',
        resource: 'deployments',
      }),
    ).toEqual({ allowed: true, reason: '' });
    expect(
      authz.authorize({ user: admin, verb: 'post', isResourceRequest: false, path: '/anything' }).allowed,
    ).toBe(true);
    const strict = new RbacAuthorizer({ privilegedGroups: [] });
    expect(
      strict.authorize({ user: admin, verb: 'get', isResourceRequest: false, path: '/version' }).allowed,
    ).toBe(false);
  });

  it('authorizes non-resource URLs from ClusterRoleBindings', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(clusterRole('health', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/healthz/*'] }]));
    authz.upsert(clusterRoleBinding('health', 'health', [{ kind: 'Group', name: 'system:authenticated' }]));
    expect(
      authz.authorize({ user: bob, verb: 'get', isResourceRequest: false, path: '/healthz/ping' }).allowed,
    ).toBe(true);
    expect(
      authz.authorize({ user: bob, verb: 'get', isResourceRequest: false, path: '/metrics' }).allowed,
    ).toBe(false);
    // A Role cannot grant non-resource URLs: RoleBindings are not consulted without a namespace.
    authz.upsert(role('web', 'm', [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]));
    authz.upsert(roleBinding('web', 'm', 'Role', 'm', [{ kind: 'User', name: 'bob' }]));
    expect(
      authz.authorize({ user: bob, verb: 'get', isResourceRequest: false, path: '/metrics' }).allowed,
    ).toBe(false);
  });
});

describe('rulesFor', () => {
  it('lists every applying rule, split into resource and non-resource rules', () => {
    const authz = new RbacAuthorizer();
    authz.upsert(
      clusterRole('mixed', [
        { verbs: ['get'], nonResourceURLs: ['/healthz'] },
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] },
      ]),
    );
    authz.upsert(clusterRoleBinding('mixed', 'mixed', [{ kind: 'Group', name: 'system:authenticated' }]));
    authz.upsert(role('web', 'pods', [readPods]));
    authz.upsert(roleBinding('web', 'pods', 'Role', 'pods', [{ kind: 'User', name: 'alice' }]));
    authz.upsert(roleBinding('web', 'broken', 'Role', 'nope', [{ kind: 'User', name: 'alice' }]));
    expect(authz.rulesFor(alice, 'web')).toEqual({
      resourceRules: [
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] },
        { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      incomplete: false,
      evaluationError: 'role.rbac.authorization.k8s.io "nope" not found',
    });
    expect(authz.rulesFor(bob, 'web')).toEqual({
      resourceRules: [
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] },
      ],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      incomplete: false,
    });
  });
});
