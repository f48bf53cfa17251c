import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.js';
import { ApiError } from '../status.js';
import { FieldSet } from './fieldpath.js';
import { configMapSchema, deploymentSchema, dig, put, widgetSchema } from './support.testing.js';
import { type UpdateManagedFieldsOptions, updateManagedFields } from './update.js';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:05:00Z';

function nginx(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

/** Runs an update the way the API server will: computes the entries and stores them. */
function write(
  live: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  extra: Partial<UpdateManagedFieldsOptions> = {},
): KubeObject {
  const out = structuredClone(updated);
  const entries = updateManagedFields({
    live,
    updated,
    manager,
    apiVersion: 'apps/v1',
    time: T0,
    schema: deploymentSchema,
    ...extra,
  });
  if (entries) out.metadata.managedFields = entries;
  else delete out.metadata.managedFields;
  return out;
}

const owners = (obj: KubeObject) => (obj.metadata.managedFields ?? []).map((e) => e.manager);
const fieldsOf = (obj: KubeObject, manager: string) =>
  obj.metadata.managedFields?.find((e) => e.manager === manager)?.fieldsV1;

describe('ownership of non-apply writes', () => {
  it('gives a create to its manager, with "." on new maps and list items only', () => {
    const created = write(undefined, nginx(), 'kubectl-client-side-apply');
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': {
                      '.': {},
                      'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it('owns everything new in a custom resource, "." included', () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 1 },
    };
    const created = write(undefined, widget, 'kubectl-create', {
      apiVersion: 'example.com/v1',
      schema: widgetSchema,
      unstructured: true,
    });
    expect(fieldsOf(created, 'kubectl-create')).toEqual({ 'f:spec': { '.': {}, 'f:size': {} } });
  });

  it('moves changed fields to the writer and never conflicts', () => {
    const created = write(undefined, nginx(), 'kubectl-client-side-apply');
    const next = structuredClone(created);
    put(next, ['spec', 'replicas'], 5);
    put(next, ['spec', 'template', 'spec', 'containers', 0, 'image'], 'nginx:1.26');
    const scaled = write(created, next, 'kubectl-edit', { time: T1 });
    expect(owners(scaled)).toEqual(['kubectl-client-side-apply', 'kubectl-edit']);
    expect(fieldsOf(scaled, 'kubectl-edit')).toEqual({
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } },
      },
    });
    const first = fieldsOf(scaled, 'kubectl-client-side-apply');
    expect(dig(first, 'f:spec', 'f:replicas')).toBeUndefined();
    expect(dig(first, 'f:spec', 'f:selector')).toEqual({});
    expect(scaled.metadata.managedFields?.map((e) => e.time)).toEqual([T0, T1]);
  });

  it('takes removed fields away from their owners', () => {
    const created = write(undefined, nginx(), 'creator');
    const next = structuredClone(created);
    next.metadata.labels = { tier: 'web' };
    const relabeled = write(created, next, 'kubectl-label', { time: T1 });
    // The creator still owns the labels map it created, not the label that is gone.
    expect(dig(fieldsOf(relabeled, 'creator'), 'f:metadata')).toEqual({ 'f:labels': {} });
    expect(fieldsOf(relabeled, 'kubectl-label')).toEqual({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
  });

  it('leaves entries and times alone when a write changes nothing', () => {
    const created = write(undefined, nginx(), 'creator');
    const again = write(created, structuredClone(created), 'someone-else', { time: T1 });
    expect(again.metadata.managedFields).toEqual(created.metadata.managedFields);
  });

  it('credits repeated updates of one manager to one entry, with the latest time', () => {
    const created = write(undefined, nginx(), 'ctl');
    const next = structuredClone(created);
    put(next, ['spec', 'replicas'], 4);
    const updated = write(created, next, 'ctl', { time: T1 });
    expect(updated.metadata.managedFields).toHaveLength(1);
    expect(updated.metadata.managedFields![0]!.time).toBe(T1);
    expect(updated.metadata.managedFields![0]!.fieldsV1).toEqual(
      created.metadata.managedFields![0]!.fieldsV1,
    );
  });

  it('keeps an object that predates tracking untracked', () => {
    const legacy = nginx();
    const next = structuredClone(legacy);
    put(next, ['spec', 'replicas'], 1);
    expect(write(legacy, next, 'ctl').metadata.managedFields).toBeUndefined();
  });

  it('stops tracking when the request sets managedFields to [] or [{}]', () => {
    const created = write(undefined, nginx(), 'ctl');
    for (const reset of [[], [{}]]) {
      const next = structuredClone(created);
      put(next, ['metadata', 'managedFields'], reset);
      put(next, ['spec', 'replicas'], 2);
      expect(write(created, next, 'ctl', { time: T1 }).metadata.managedFields).toBeUndefined();
    }
  });

  it('lets a request rewrite managedFields, then records its own change on top', () => {
    const created = write(undefined, nginx(), 'ctl');
    const next = structuredClone(created);
    put(
      next,
      ['metadata', 'managedFields'],
      [
        {
          manager: 'owner',
          operation: 'Apply',
          apiVersion: 'apps/v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:replicas': {} } },
        },
      ],
    );
    put(next, ['spec', 'paused'], true);
    const out = write(created, next, 'kubectl-edit', { time: T1 });
    expect(out.metadata.managedFields!.map((e) => [e.manager, e.operation, e.fieldsV1])).toEqual([
      ['owner', 'Apply', { 'f:spec': { 'f:replicas': {} } }],
      ['kubectl-edit', 'Update', { 'f:spec': { 'f:paused': {} } }],
    ]);
  });

  it('refuses invalid managedFields in a request with a 422 naming the entry', () => {
    const created = write(undefined, nginx(), 'ctl');
    const next = structuredClone(created);
    put(
      next,
      ['metadata', 'managedFields'],
      [{ manager: 'x', operation: 'Patch', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' }],
    );
    let err: unknown;
    try {
      write(created, next, 'ctl');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    const status = (err as ApiError).status;
    expect(status.code).toBe(422);
    expect(status.message).toBe(
      'Deployment.apps "nginx" is invalid: metadata.managedFields[0].operation: Unsupported value: "Patch": supported values: "Apply", "Update"',
    );
    expect(status.details?.causes?.[0]?.field).toBe('metadata.managedFields[0].operation');
  });

  it('ignores managedFields sent to a subresource and records the subresource', () => {
    const created = write(undefined, nginx(), 'ctl');
    const next = structuredClone(created);
    put(next, ['metadata', 'managedFields'], []);
    next.status = { replicas: 3, readyReplicas: 3 };
    const out = write(created, next, 'kube-controller-manager', {
      subresource: 'status',
      time: T1,
      resetFields: { allExcept: FieldSet.of(['status']) },
    });
    expect(out.metadata.managedFields!.map((e) => [e.manager, e.subresource])).toEqual([
      ['ctl', undefined],
      ['kube-controller-manager', 'status'],
    ]);
    expect(fieldsOf(out, 'kube-controller-manager')).toEqual({
      'f:status': { 'f:readyReplicas': {}, 'f:replicas': {} },
    });
  });

  it('gives nobody the fields the endpoint resets', () => {
    const created = write(undefined, nginx(), 'ctl');
    const next = structuredClone(created);
    next.status = { replicas: 9 };
    put(next, ['spec', 'replicas'], 1);
    const out = write(created, next, 'kubectl-replace', { time: T1, resetFields: [['status']] });
    expect(fieldsOf(out, 'kubectl-replace')).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('owns data keys of a ConfigMap as map entries', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } };
    const out = write(undefined, cm, 'kubectl-create', { apiVersion: 'v1', schema: configMapSchema });
    expect(fieldsOf(out, 'kubectl-create')).toEqual({ 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } });
  });
});
