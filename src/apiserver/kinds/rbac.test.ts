import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  roleBindingStrategy,
  roleStrategy,
} from './rbac.js';

const now = new Date('2026-03-01T12:00:00Z');

function obj(kind: string, body: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: 'system:reader', namespace: 'default', creationTimestamp: '2026-03-01T10:00:00Z' },
    ...body,
  };
}

const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

describe('RBAC roles', () => {
  it('allow names that are only URL path segments', () => {
    for (const s of [roleStrategy, clusterRoleStrategy, roleBindingStrategy, clusterRoleBindingStrategy]) {
      expect(s.nameRule).toBe('pathSegment');
    }
  });

  it('require verbs, and API groups and resources for resource rules', () => {
    const role = obj('Role', {
      rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    });
    expect(messages(roleStrategy.validate!(role))).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]);
    const clusterRole = obj('ClusterRole', { rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] });
    expect(clusterRoleStrategy.validate!(clusterRole)).toEqual([]);
  });

  it('check aggregation rules', () => {
    expect(messages(clusterRoleStrategy.validate!(obj('ClusterRole', { aggregationRule: {} })))).toEqual([
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  it('print NAME and CREATED AT', () => {
    const table = roleStrategy.table!;
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(table.cells(obj('Role', {}), now)).toEqual(['system:reader', '2026-03-01T10:00:00Z']);
  });
});

describe('RBAC bindings', () => {
  const binding = () =>
    obj('RoleBinding', {
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
      ],
    });

  it('default the RBAC group on roleRef and User/Group subjects', () => {
    const b = binding();
    roleBindingStrategy.applyDefaults!(b);
    expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(b.subjects).toEqual([
      { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build', apiGroup: '' },
    ]);
    expect(roleBindingStrategy.validate!(b)).toEqual([]);
  });

  it('refuse unknown kinds, and cluster bindings of Roles or of service accounts without namespace', () => {
    const b = obj('ClusterRoleBinding', {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
      subjects: [
        { kind: 'ServiceAccount', name: 'ci' },
        { kind: 'Robot', name: 'r2' },
      ],
    });
    expect(messages(clusterRoleBindingStrategy.validate!(b))).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
  });

  it('never change their roleRef', () => {
    const old = binding();
    roleBindingStrategy.applyDefaults!(old);
    const next = structuredClone(old);
    (next.roleRef as Record<string, unknown>).name = 'admin';
    expect(messages(roleBindingStrategy.validateUpdate!(next, old))).toEqual([
      'roleRef: Invalid value: {"kind":"ClusterRole","name":"admin","apiGroup":"rbac.authorization.k8s.io"}: cannot change roleRef',
    ]);
  });

  it('print ROLE and the subjects for -o wide', () => {
    expect(roleBindingStrategy.table!.cells(binding(), now)).toEqual([
      'system:reader',
      'ClusterRole/view',
      '120m',
      'alice',
      'devs',
      'build/ci',
    ]);
  });
});
