// The hub's team and platform roles with Kubernetes' default roles, decided by the hub's RBAC
// authorizer: a team admin works in its namespace only, a viewer only reads, a platform admin
// manages the fleet's cluster-scoped kinds, and no role reads Secrets outside a team's namespace.

import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../../../apiserver/authn.js';
import { RbacAuthorizer } from '../../../apiserver/rbac/authorizer.js';
import { bootstrapPolicy } from '../../../apiserver/rbac/bootstrap-policy.js';
import type { KubeObject } from '../../../machinery/object.js';
import { FLEET_ADMIN_ROLE, fleetClusterRoles, TEAM_ADMIN_ROLE, TEAM_VIEWER_ROLE } from './roles.js';

const RBAC = 'rbac.authorization.k8s.io';

const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  role: string,
  group: string,
  namespace?: string,
) =>
  ({
    apiVersion: `${RBAC}/v1`,
    kind,
    metadata: { name: `${group}-${role}`, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: RBAC, kind: 'Group', name: group }],
  }) as KubeObject;

const user = (name: string, group: string): UserInfo => ({
  username: name,
  groups: [group, 'system:authenticated'],
});
const alice = user('alice', 'team-a'); // team-a's admin
const val = user('val', 'team-a-viewers');
const pat = user('pat', 'platform');

const authz = new RbacAuthorizer();
for (const o of [...bootstrapPolicy(), ...fleetClusterRoles()]) authz.upsert(o as KubeObject);
authz.upsert(binding('RoleBinding', TEAM_ADMIN_ROLE, 'team-a', 'team-a'));
authz.upsert(binding('RoleBinding', TEAM_VIEWER_ROLE, 'team-a-viewers', 'team-a'));
authz.upsert(binding('ClusterRoleBinding', FLEET_ADMIN_ROLE, 'platform'));

function can(u: UserInfo, verb: string, apiGroup: string, resource: string, namespace?: string): boolean {
  return authz.authorize({
    user: u,
    verb,
    isResourceRequest: true,
    apiGroup,
    resource,
    ...(namespace ? { namespace } : {}),
  }).allowed;
}

describe('the hub roles', () => {
  it('let a team admin manage workloads and policies in its namespace and nowhere else', () => {
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['', 'secrets'],
      ['policy.karmada.io', 'propagationpolicies'],
      ['policy.karmada.io', 'overridepolicies'],
      ['recovery.concord.dev', 'disasterrecoverystrategies'],
      ['multicluster.x-k8s.io', 'serviceexports'],
    ] as const) {
      expect(can(alice, 'create', group, resource, 'team-a'), `${resource} in team-a`).toBe(true);
      expect(can(alice, 'get', group, resource, 'team-b'), `${resource} in team-b`).toBe(false);
    }
    expect(can(alice, 'list', 'work.karmada.io', 'resourcebindings', 'team-a')).toBe(true);
    expect(can(alice, 'update', 'work.karmada.io', 'resourcebindings', 'team-a')).toBe(false);
    // No RBAC writes: the hub checks no escalation, so a team cannot grant itself more.
    expect(can(alice, 'create', RBAC, 'rolebindings', 'team-a')).toBe(false);
    expect(can(alice, 'list', RBAC, 'rolebindings', 'team-a')).toBe(true);
    for (const resource of ['clusterpropagationpolicies', 'clusteroverridepolicies']) {
      expect(can(alice, 'create', 'policy.karmada.io', resource)).toBe(false);
    }
    expect(can(alice, 'patch', 'cluster.karmada.io', 'clusters')).toBe(false);
    expect(can(alice, 'create', 'governance.concord.dev', 'residencyrules')).toBe(false);
    expect(can(alice, 'list', '', 'namespaces')).toBe(false);
  });

  it('let a team viewer read its namespace only', () => {
    expect(can(val, 'list', 'policy.karmada.io', 'propagationpolicies', 'team-a')).toBe(true);
    expect(can(val, 'get', 'apps', 'deployments', 'team-a')).toBe(true);
    expect(can(val, 'create', 'policy.karmada.io', 'propagationpolicies', 'team-a')).toBe(false);
    expect(can(val, 'delete', 'apps', 'deployments', 'team-a')).toBe(false);
    expect(can(val, 'get', '', 'secrets', 'team-a')).toBe(false);
    expect(can(val, 'get', 'apps', 'deployments', 'team-b')).toBe(false);
  });

  it("let a platform admin manage the fleet's cluster-scoped kinds but read no member credentials", () => {
    expect(can(pat, 'create', 'policy.karmada.io', 'clusterpropagationpolicies')).toBe(true);
    expect(can(pat, 'update', 'cluster.karmada.io', 'clusters')).toBe(true);
    expect(can(pat, 'create', 'governance.concord.dev', 'residencyrules')).toBe(true);
    expect(can(pat, 'create', 'cluster.x-k8s.io', 'clusters', 'fleet')).toBe(true);
    expect(can(pat, 'create', '', 'namespaces')).toBe(true);
    expect(can(pat, 'get', '', 'secrets', 'karmada-cluster')).toBe(false);
    expect(can(pat, 'get', '', 'secrets', 'fleet')).toBe(false);
    expect(can(pat, 'create', RBAC, 'rolebindings', 'karmada-cluster')).toBe(false);
    expect(can(pat, 'update', 'work.karmada.io', 'works', 'karmada-es-member1')).toBe(false);
  });
});
