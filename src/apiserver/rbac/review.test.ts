import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import type { UserInfo } from '../authn.js';
import { RbacAuthorizer } from './authorizer.js';
import { accessReview, forbiddenError, rulesReview } from './review.js';

const API = 'rbac.authorization.k8s.io/v1';
const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

function authorizer(): RbacAuthorizer {
  const authz = new RbacAuthorizer();
  authz.upsert({
    apiVersion: API,
    kind: 'Role',
    metadata: { namespace: 'web', name: 'deployer' },
    rules: [
      { verbs: ['get', 'update'], apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] },
    ],
  });
  authz.upsert({
    apiVersion: API,
    kind: 'RoleBinding',
    metadata: { namespace: 'web', name: 'deployer' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });
  return authz;
}

function review(kind: string, spec: unknown, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'authorization.k8s.io/v1', kind, metadata, spec };
}

function invalid(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('SelfSubjectAccessReview', () => {
  it('answers for the requesting user, as `kubectl auth can-i` asks', () => {
    const authz = authorizer();
    const yes = accessReview(
      authz,
      review('SelfSubjectAccessReview', {
        resourceAttributes: {
          namespace: 'web',
          verb: 'update',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
        },
      }),
      alice,
    );
    expect(yes.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "deployer/web" of Role "deployer" to User "alice"',
    });
    expect(yes.spec).toEqual({
      resourceAttributes: {
        namespace: 'web',
        verb: 'update',
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
      },
    });
    const no = accessReview(
      authz,
      review('SelfSubjectAccessReview', {
        resourceAttributes: { namespace: 'web', verb: 'delete', group: 'apps', resource: 'deployments' },
      }),
      alice,
    );
    expect(no.status).toEqual({ allowed: false });
    const path = accessReview(
      authz,
      review('SelfSubjectAccessReview', { nonResourceAttributes: { verb: 'get', path: '/healthz' } }),
      { username: 'root', groups: ['system:masters'] },
    );
    expect(path.status).toEqual({ allowed: true });
  });

  it('rejects a spec with both or neither kind of attributes, naming the field', () => {
    const authz = authorizer();
    const neither = invalid(() => accessReview(authz, review('SelfSubjectAccessReview', {}), alice));
    expect(neither.status.code).toBe(422);
    expect(neither.status.message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const both = invalid(() =>
      accessReview(
        authz,
        review('SelfSubjectAccessReview', {
          resourceAttributes: { verb: 'get' },
          nonResourceAttributes: { verb: 'get', path: '/' },
        }),
        alice,
      ),
    );
    expect(both.status.details?.causes?.[0]).toMatchObject({
      field: 'spec.nonResourceAttributes',
      reason: 'FieldValueInvalid',
    });
    const named = invalid(() =>
      accessReview(
        authz,
        review('SelfSubjectAccessReview', { resourceAttributes: {} }, { name: 'x' }),
        alice,
      ),
    );
    expect(named.status.message).toMatch(/metadata: Invalid value: .*: must be empty/);
  });
});

describe('RbacAuthorizer.reviewAccess', () => {
  it('turns a spec into its status for the given user', () => {
    const authz = authorizer();
    const spec = {
      resourceAttributes: { namespace: 'web', verb: 'get', group: 'apps', resource: 'deployments' },
    };
    expect(authz.reviewAccess(spec, alice).allowed).toBe(true);
    expect(authz.reviewAccess(spec, { username: 'bob', groups: [] })).toEqual({ allowed: false });
    expect(authz.reviewAccess({ nonResourceAttributes: { verb: 'get', path: '/x' } }, alice)).toEqual({
      allowed: false,
    });
  });
});

describe('SubjectAccessReview and LocalSubjectAccessReview', () => {
  it('answer for the user and groups the spec names, not the requester', () => {
    const authz = authorizer();
    const root: UserInfo = { username: 'root', groups: ['system:masters'] };
    const forAlice = accessReview(
      authz,
      review('SubjectAccessReview', {
        user: 'alice',
        resourceAttributes: {
          namespace: 'web',
          verb: 'get',
          group: 'apps',
          resource: 'deployments',
          name: 'site',
        },
      }),
      root,
    );
    expect(forAlice.status.allowed).toBe(true);
    const forGroup = accessReview(
      authz,
      review('SubjectAccessReview', {
        groups: ['system:masters'],
        nonResourceAttributes: { verb: 'get', path: '/metrics' },
      }),
      alice,
    );
    expect(forGroup.status.allowed).toBe(true);
    const nobody = invalid(() =>
      accessReview(authz, review('SubjectAccessReview', { resourceAttributes: { verb: 'get' } }), root),
    );
    expect(nobody.status.message).toContain(
      'spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  });

  it('a LocalSubjectAccessReview must stay in its namespace and ask about resources', () => {
    const authz = authorizer();
    const ok = accessReview(
      authz,
      review(
        'LocalSubjectAccessReview',
        {
          user: 'alice',
          resourceAttributes: { namespace: 'web', verb: 'get', group: 'apps', resource: 'deployments' },
        },
        { namespace: 'web' },
      ),
      alice,
      'web',
    );
    expect(ok.status.allowed).toBe(true);
    const elsewhere = invalid(() =>
      accessReview(
        authz,
        review(
          'LocalSubjectAccessReview',
          { user: 'alice', resourceAttributes: { namespace: 'db', verb: 'get', resource: 'pods' } },
          { namespace: 'web' },
        ),
        alice,
        'web',
      ),
    );
    expect(elsewhere.status.message).toContain(
      'spec.resourceAttributes.namespace: Invalid value: "db": must match metadata.namespace',
    );
  });
});

describe('SelfSubjectRulesReview', () => {
  it('lists the requester rules in the namespace and needs one', () => {
    const authz = authorizer();
    const res = rulesReview(authz, review('SelfSubjectRulesReview', { namespace: 'web' }), alice);
    expect(res.status).toEqual({
      resourceRules: [
        { verbs: ['get', 'update'], apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] },
      ],
      nonResourceRules: [],
      incomplete: false,
    });
    const missing = invalid(() => rulesReview(authz, review('SelfSubjectRulesReview', {}), alice));
    expect(missing.status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'no namespace on request',
    });
  });
});

describe('forbiddenError', () => {
  it('words denials as kube-apiserver does', () => {
    const namespaced = forbiddenError(
      {
        user: alice,
        verb: 'list',
        isResourceRequest: true,
        apiGroup: 'apps',
        resource: 'deployments',
        namespace: 'web',
      },
      '',
    );
    expect(namespaced.status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" in the namespace "web"',
    });
    const cluster = forbiddenError(
      { user: alice, verb: 'get', isResourceRequest: true, apiGroup: '', resource: 'nodes', name: 'n1' },
      'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
    );
    expect(cluster.status.message).toBe(
      'nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
    );
    const path = forbiddenError({ user: alice, verb: 'get', isResourceRequest: false, path: '/metrics' }, '');
    expect(path.status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'forbidden: User "alice" cannot get path "/metrics"',
    });
  });
});
