// RBAC's escalation prevention through real kubectl: a user who may write Roles and RoleBindings
// in a namespace can grant only what they hold, unless they may `escalate` roles or `bind` the
// role in question; an administrator can grant anything. On the default store and memory.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { runKubectl } from './support/kubectl.js';

const DELEGATION = `
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: delegator, namespace: team}
rules:
  - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [create, get, list, update, patch, delete]}
  - {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-delegates, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: delegator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`;

const role = (name: string, resource: string) => `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}, namespace: team}
rules: [{apiGroups: [""], resources: [${resource}], verbs: [get, list]}]
`;

describe.each(['sqlite', 'memory'] as const)('RBAC escalation prevention [%s]', (store) => {
  let server: TestApiServer;
  const kubectl = (args: string[], opts: { input?: string; as?: 'alice' } = {}) =>
    runKubectl(
      '1.33',
      server.kubeconfigPath,
      [...(opts.as ? ['--token', server.tokens.get(opts.as)!] : []), ...args],
      { home: join(server.dir, 'home'), ...(opts.input ? { input: opts.input } : {}) },
    );
  async function ok(args: string[], opts: Parameters<typeof kubectl>[1] = {}): Promise<string> {
    const r = await kubectl(args, opts);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  beforeAll(async () => {
    server = await startTestApiServer({ store, tokens: [{ user: 'alice', uid: 'alice', groups: ['team'] }] });
    await ok(['apply', '-f', '-'], { input: DELEGATION });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets a user write only the roles whose permissions they hold', async () => {
    await ok(['apply', '-f', '-'], { input: role('pod-reader', 'pods'), as: 'alice' });
    const refused = await kubectl(['apply', '-f', '-'], {
      input: role('secret-reader', 'secrets'),
      as: 'alice',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "alice" (groups=',
    );
    expect(refused.stderr).toContain('is attempting to grant RBAC permissions not currently held:');
    expect(refused.stderr).toContain('{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}');
    expect((await kubectl(['get', 'role', 'secret-reader', '-n', 'team'])).stderr).toContain('NotFound');
    // Nor can an existing role be widened.
    const widened = await kubectl(
      [
        'patch',
        'role',
        'pod-reader',
        '-n',
        'team',
        '--type=json',
        '-p',
        '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]',
      ],
      { as: 'alice' },
    );
    expect(widened.stderr).toContain('{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}');
  });

  it('lets a user bind only what they hold, or what they may bind', async () => {
    await ok(['create', 'rolebinding', 'bob-reads', '-n', 'team', '--role=pod-reader', '--user=bob'], {
      as: 'alice',
    });
    const admin = await kubectl(
      ['create', 'rolebinding', 'alice-admin', '-n', 'team', '--clusterrole=admin', '--user=alice'],
      { as: 'alice' },
    );
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden: user "alice" (groups=',
    );
    const cluster = await kubectl(
      ['create', 'clusterrolebinding', 'alice-root', '--clusterrole=cluster-admin', '--user=alice'],
      { as: 'alice' },
    );
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toContain('forbidden');

    // The bind verb on one ClusterRole lets her grant that role, and no other.
    await ok([
      'create',
      'role',
      'bind-view',
      '-n',
      'team',
      '--verb=bind',
      '--resource=clusterroles',
      '--resource-name=view',
    ]);
    await ok(['create', 'rolebinding', 'alice-bind-view', '-n', 'team', '--role=bind-view', '--user=alice']);
    await ok(['create', 'rolebinding', 'carol-views', '-n', 'team', '--clusterrole=view', '--user=carol'], {
      as: 'alice',
    });
    const edit = await kubectl(
      ['create', 'rolebinding', 'carol-edits', '-n', 'team', '--clusterrole=edit', '--user=carol'],
      { as: 'alice' },
    );
    expect(edit.stderr).toContain('rolebindings.rbac.authorization.k8s.io "carol-edits" is forbidden');
  });

  it('lets a user who may escalate roles write any role, and an administrator anything', async () => {
    await ok([
      'create',
      'role',
      'escalator',
      '-n',
      'team',
      '--verb=escalate',
      '--resource=roles.rbac.authorization.k8s.io',
    ]);
    await ok(['create', 'rolebinding', 'alice-escalates', '-n', 'team', '--role=escalator', '--user=alice']);
    await ok(['apply', '-f', '-'], { input: role('secret-reader', 'secrets'), as: 'alice' });
    await ok(['create', 'clusterrolebinding', 'dave-root', '--clusterrole=cluster-admin', '--user=dave']);
  });
});
