import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.js';
import { ApiError, type Status } from '../status.js';
import { type ServerSideApplyOptions, serverSideApply } from './apply.js';
import { FieldSet } from './fieldpath.js';
import { LAST_APPLIED_ANNOTATION } from './last-applied.js';
import { deploymentSchema, dig, put, widgetSchema } from './support.testing.js';
import { updateManagedFields } from './update.js';

const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:05:00Z';
const T2 = '2024-05-01T10:10:00Z';

interface Container {
  name: string;
  image?: string;
  [k: string]: unknown;
}

function deployment(
  spec: { replicas?: number; containers?: Container[]; labels?: Record<string, string> } = {},
): KubeObject {
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', ...(spec.labels ? { labels: spec.labels } : {}) },
    spec: {
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: spec.containers ?? [{ name: 'nginx', image: 'nginx:1.25' }] },
      },
    },
  };
  if (spec.replicas !== undefined) put(d, ['spec', 'replicas'], spec.replicas);
  return d;
}

function apply(
  live: KubeObject | undefined,
  applied: unknown,
  manager: string,
  extra: Partial<ServerSideApplyOptions> = {},
): KubeObject {
  return serverSideApply({
    live,
    applied,
    manager,
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'nginx',
    namespace: 'default',
    time: T0,
    schema: deploymentSchema,
    ...extra,
  });
}

function update(
  live: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  extra: object = {},
): KubeObject {
  const out = structuredClone(updated);
  const entries = updateManagedFields({
    live,
    updated,
    manager,
    apiVersion: 'apps/v1',
    time: T1,
    schema: deploymentSchema,
    ...extra,
  });
  if (entries) out.metadata.managedFields = entries;
  else delete out.metadata.managedFields;
  return out;
}

function failure(fn: () => unknown): Status {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.status;
    throw err;
  }
  throw new Error('expected an ApiError');
}

const entry = (obj: KubeObject, manager: string) =>
  obj.metadata.managedFields?.find((e) => e.manager === manager);
const replicas = (obj: KubeObject) => dig(obj, 'spec', 'replicas');
const containersOf = (obj: KubeObject) => dig(obj, 'spec', 'template', 'spec', 'containers') as Container[];
const owned = (obj: KubeObject, manager: string, ...p: string[]) => dig(entry(obj, manager)?.fieldsV1, ...p);
const containerNames = (obj: KubeObject) => containersOf(obj).map((c) => c.name);

describe('server-side apply', () => {
  it('creates the object and records what the applier owns', () => {
    const created = apply(undefined, deployment({ replicas: 3, labels: { app: 'nginx' } }), 'kubectl');
    expect(created.spec).toEqual(deployment({ replicas: 3 }).spec);
    expect(created.metadata.labels).toEqual({ app: 'nginx' });
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
              },
            },
          },
        },
      },
    ]);
  });

  it('is a no-op when the same configuration is applied again', () => {
    const created = apply(undefined, deployment({ replicas: 3 }), 'kubectl');
    const again = apply(created, deployment({ replicas: 3 }), 'kubectl', { time: T1 });
    expect(again).toEqual(created);
  });

  it('updates the object and the applier time when the configuration changes', () => {
    const created = apply(undefined, deployment({ replicas: 3 }), 'kubectl');
    const changed = apply(created, deployment({ replicas: 5 }), 'kubectl', { time: T1 });
    expect(replicas(changed)).toBe(5);
    expect(changed.metadata.managedFields).toHaveLength(1);
    expect(changed.metadata.managedFields![0]!.time).toBe(T1);
  });

  it('lets two appliers own different containers of one list', () => {
    const a = apply(undefined, deployment({ containers: [{ name: 'app', image: 'app:1' }] }), 'team-a');
    const sidecar = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nginx' },
      spec: { template: { spec: { containers: [{ name: 'proxy', image: 'envoy:1' }] } } },
    };
    const both = apply(a, sidecar, 'team-b', { time: T1 });
    expect(containerNames(both)).toEqual(['app', 'proxy']);
    const bContainers = owned(both, 'team-b', 'f:spec', 'f:template', 'f:spec', 'f:containers') as object;
    expect(Object.keys(bContainers)).toEqual(['k:{"name":"proxy"}']);

    // team-a applying again without the sidecar leaves it alone: team-a never owned it.
    const reapplied = apply(both, deployment({ containers: [{ name: 'app', image: 'app:2' }] }), 'team-a', {
      time: T2,
    });
    expect(containersOf(reapplied)).toEqual([
      { name: 'app', image: 'app:2' },
      { name: 'proxy', image: 'envoy:1' },
    ]);

    // team-b dropping its container removes it.
    const dropped = apply(
      reapplied,
      { ...sidecar, spec: { template: { spec: { containers: [] } } } },
      'team-b',
      {
        time: T2,
      },
    );
    expect(containerNames(dropped)).toEqual(['app']);
  });

  it('removes a label the applier no longer applies', () => {
    const created = apply(undefined, deployment({ labels: { app: 'nginx', tier: 'web' } }), 'kubectl');
    const next = apply(created, deployment({ labels: { app: 'nginx' } }), 'kubectl', { time: T1 });
    expect(next.metadata.labels).toEqual({ app: 'nginx' });
    const gone = apply(next, deployment(), 'kubectl', { time: T2 });
    expect(gone.metadata.labels).toBeUndefined();
  });

  it('keeps a field two appliers own when one of them drops it', () => {
    const a = apply(undefined, deployment({ labels: { shared: 'yes' } }), 'a');
    const b = apply(
      a,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', labels: { shared: 'yes' } } },
      'b',
      {
        time: T1,
      },
    );
    expect(entry(b, 'b')!.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:shared': {} } } });
    const dropped = apply(b, deployment(), 'a', { time: T2 });
    expect(dropped.metadata.labels).toEqual({ shared: 'yes' });
    const alone = apply(
      dropped,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' } },
      'b',
      {
        time: T2,
      },
    );
    expect(alone.metadata.labels).toBeUndefined();
  });

  it('keeps fields an updater took over when the applier stops applying them', () => {
    const created = apply(undefined, deployment({ labels: { a: '1', b: '1' } }), 'kubectl');
    const next = structuredClone(created);
    next.metadata.labels = { a: '1', b: '2' };
    const labeled = update(created, next, 'kubectl-label');
    const out = apply(labeled, deployment({ labels: { a: '1' } }), 'kubectl', { time: T2 });
    expect(out.metadata.labels).toEqual({ a: '1', b: '2' });
  });

  it('never conflicts with a controller writing status', () => {
    const created = apply(undefined, deployment({ replicas: 3 }), 'kubectl');
    const withStatus = structuredClone(created);
    withStatus.status = {
      replicas: 3,
      readyReplicas: 3,
      conditions: [{ type: 'Available', status: 'True' }],
    };
    const reported = update(created, withStatus, 'kube-controller-manager', {
      subresource: 'status',
      resetFields: { allExcept: FieldSet.of(['status']) },
    });
    const reapplied = apply(reported, deployment({ replicas: 4 }), 'kubectl', {
      time: T2,
      resetFields: [['status']],
    });
    expect(replicas(reapplied)).toBe(4);
    expect(reapplied.status).toEqual(withStatus.status);
    expect(reapplied.metadata.managedFields!.map((e) => `${e.manager}/${e.subresource ?? ''}`)).toEqual([
      'kubectl/',
      'kube-controller-manager/status',
    ]);
  });

  it('ignores status applied through the main resource', () => {
    const withStatus = { ...deployment({ replicas: 1 }), status: { replicas: 99 } };
    const created = apply(undefined, withStatus, 'kubectl', { resetFields: [['status']] });
    expect(created.status).toBeUndefined();
    expect(owned(created, 'kubectl', 'f:status')).toBeUndefined();
  });

  it('applies only status through the status subresource', () => {
    const created = apply(undefined, deployment({ replicas: 1 }), 'kubectl');
    const statusApply = { ...deployment({ replicas: 7 }), status: { replicas: 1 } };
    const out = apply(created, statusApply, 'my-controller', {
      subresource: 'status',
      resetFields: { allExcept: FieldSet.of(['status']) },
      time: T1,
    });
    expect(replicas(out)).toBe(1);
    expect(out.status).toEqual({ replicas: 1 });
    expect(entry(out, 'my-controller')).toMatchObject({
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:replicas': {} } },
    });
  });

  describe('conflicts', () => {
    it('refuses to change a field another manager set, worded as the API server words it', () => {
      const created = update(undefined, deployment({ replicas: 3 }), 'kubectl-client-side-apply');
      const status = failure(() => apply(created, deployment({ replicas: 5 }), 'ci-bot'));
      expect(status).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
        reason: 'Conflict',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              message: 'conflict with "kubectl-client-side-apply" using apps/v1',
              field: '.spec.replicas',
            },
          ],
        },
        code: 409,
      });
    });

    it('lists several conflicts grouped by manager', () => {
      const created = update(undefined, deployment({ replicas: 3, labels: { a: '1' } }), 'creator');
      const other = apply(
        created,
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', labels: { b: '1' } } },
        'labeler',
        { time: T1 },
      );
      const applied = deployment({ replicas: 5, labels: { a: '2', b: '2' } });
      const status = failure(() => apply(other, applied, 'ci-bot', { time: T2 }));
      expect(status.message).toBe(
        'Apply failed with 3 conflicts: conflicts with "creator" using apps/v1:\n' +
          '- .metadata.labels.a\n' +
          '- .spec.replicas\n' +
          'conflicts with "labeler":\n' +
          '- .metadata.labels.b',
      );
      expect(status.details?.causes?.map((c) => c.field)).toEqual([
        '.metadata.labels.a',
        '.spec.replicas',
        '.metadata.labels.b',
      ]);
    });

    it('shares ownership without conflict when the applied value equals the live one', () => {
      const created = update(undefined, deployment({ replicas: 3 }), 'creator');
      const out = apply(created, deployment({ replicas: 3 }), 'ci-bot', { time: T1 });
      expect(owned(out, 'creator', 'f:spec', 'f:replicas')).toEqual({});
      expect(owned(out, 'ci-bot', 'f:spec', 'f:replicas')).toEqual({});
    });

    it('takes the field with force', () => {
      const created = update(undefined, deployment({ replicas: 3 }), 'creator');
      const out = apply(created, deployment({ replicas: 5 }), 'ci-bot', { force: true, time: T2 });
      expect(replicas(out)).toBe(5);
      expect(owned(out, 'creator', 'f:spec', 'f:replicas')).toBeUndefined();
      expect(owned(out, 'ci-bot', 'f:spec', 'f:replicas')).toEqual({});
    });

    it('follows kubectl scale: replicas taken, a different value conflicts, force takes it back', () => {
      const applied = apply(undefined, deployment({ replicas: 3 }), 'kubectl');
      const scaledObj = structuredClone(applied);
      put(scaledObj, ['spec', 'replicas'], 5);
      const scaled = update(applied, scaledObj, 'kubectl', {
        subresource: 'scale',
        resetFields: { allExcept: FieldSet.of(['spec', 'replicas']) },
      });
      expect(owned(scaled, 'kubectl', 'f:spec', 'f:replicas')).toBeUndefined();
      expect(scaled.metadata.managedFields!.find((e) => e.subresource === 'scale')!.fieldsV1).toEqual({
        'f:spec': { 'f:replicas': {} },
      });

      const status = failure(() => apply(scaled, deployment({ replicas: 3 }), 'kubectl', { time: T2 }));
      expect(status.code).toBe(409);
      expect(status.message).toBe(
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      );

      // Re-applying the scaled value is fine: ownership is shared.
      expect(replicas(apply(scaled, deployment({ replicas: 5 }), 'kubectl', { time: T2 }))).toBe(5);

      const forced = apply(scaled, deployment({ replicas: 3 }), 'kubectl', { force: true, time: T2 });
      expect(replicas(forced)).toBe(3);
      expect(forced.metadata.managedFields!.map((e) => e.subresource ?? '')).toEqual(['']);
    });

    it('gives an untracked object to "before-first-apply" on the first apply', () => {
      const legacy = deployment({ replicas: 2 });
      const status = failure(() => apply(legacy, deployment({ replicas: 4 }), 'kubectl'));
      expect(status.message).toBe(
        'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
      );
      const out = apply(legacy, deployment({ replicas: 4 }), 'kubectl', { force: true });
      expect(out.metadata.managedFields!.map((e) => e.manager)).toEqual(['kubectl', 'before-first-apply']);
    });
  });

  describe('next to client-side kubectl apply', () => {
    function clientSideApplied(replicas: number): KubeObject {
      const config = deployment({ replicas });
      const obj = structuredClone(config);
      obj.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(config)}\n` };
      return update(undefined, obj, 'kubectl-client-side-apply');
    }

    it('lets kubectl take over what client-side apply set and nobody changed', () => {
      const live = clientSideApplied(3);
      const out = apply(live, deployment({ replicas: 4 }), 'kubectl', { time: T2 });
      expect(replicas(out)).toBe(4);
      // The annotation follows, so that going back to client-side apply keeps working.
      expect(JSON.parse(out.metadata.annotations![LAST_APPLIED_ANNOTATION]!)).toEqual(
        deployment({ replicas: 4 }),
      );
      expect(out.metadata.annotations![LAST_APPLIED_ANNOTATION]!.endsWith('}\n')).toBe(true);
    });

    it('still conflicts on fields changed since client-side apply set them', () => {
      const live = clientSideApplied(3);
      const scaledObj = structuredClone(live);
      put(scaledObj, ['spec', 'replicas'], 6);
      const scaled = update(live, scaledObj, 'kube-autoscaler');
      const status = failure(() => apply(scaled, deployment({ replicas: 4 }), 'kubectl', { time: T2 }));
      expect(status.message).toBe(
        'Apply failed with 1 conflict: conflict with "kube-autoscaler" using apps/v1: .spec.replicas',
      );
    });

    it('does not extend the takeover to other managers', () => {
      const live = clientSideApplied(3);
      expect(failure(() => apply(live, deployment({ replicas: 4 }), 'ci-bot')).code).toBe(409);
    });
  });

  describe('bad requests', () => {
    const created = () => apply(undefined, deployment({ replicas: 1 }), 'kubectl');

    it('requires a field manager', () => {
      const status = failure(() => apply(undefined, deployment(), ''));
      expect(status.code).toBe(422);
      expect(status.message).toBe(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    });

    it('requires the endpoint kind and version', () => {
      const wrongKind = { ...deployment(), kind: 'StatefulSet' };
      expect(failure(() => apply(undefined, wrongKind, 'kubectl'))).toMatchObject({
        code: 400,
        message: 'invalid object type: apps/v1, Kind=StatefulSet',
      });
      const coreVersion = { ...deployment(), apiVersion: 'v1' };
      expect(failure(() => apply(undefined, coreVersion, 'kubectl')).message).toBe(
        'invalid object type: /v1, Kind=Deployment',
      );
      expect(failure(() => apply(undefined, [deployment()], 'kubectl')).code).toBe(400);
    });

    it('refuses managedFields in the applied configuration', () => {
      const withManaged = deployment();
      withManaged.metadata.managedFields = [];
      expect(failure(() => apply(created(), withManaged, 'kubectl'))).toMatchObject({
        code: 400,
        message: 'metadata.managedFields must be nil',
      });
    });

    it('names fields the schema does not declare or types it does not accept', () => {
      const bad = deployment();
      put(bad, ['spec', 'replica'], 3);
      expect(failure(() => apply(created(), bad, 'kubectl'))).toMatchObject({
        code: 400,
        reason: 'BadRequest',
        message:
          'failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema',
      });
      const badItem = deployment({ containers: [{ name: 'a' }, { name: 'a' }] });
      expect(failure(() => apply(created(), badItem, 'kubectl')).message).toContain(
        '.spec.template.spec.containers: duplicate entries for key [name="a"]',
      );
    });

    it('checks the name and namespace against the URL', () => {
      const noName = deployment();
      delete noName.metadata.name;
      expect(failure(() => apply(undefined, noName, 'kubectl')).message).toBe(
        'the name of the object (nginx based on URL) was undeterminable: name must be provided',
      );
      const otherName = deployment();
      otherName.metadata.name = 'web';
      expect(failure(() => apply(undefined, otherName, 'kubectl')).message).toBe(
        'the name of the object (web) does not match the name on the URL (nginx)',
      );
      const otherNs = deployment();
      otherNs.metadata.namespace = 'prod';
      expect(failure(() => apply(undefined, otherNs, 'kubectl')).message).toBe(
        'the namespace of the object (prod) does not match the namespace on the request (default)',
      );
      // Applying to an existing object without repeating its name is fine.
      const anonymous = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2 } };
      expect(replicas(apply(created(), anonymous, 'other', { force: true }))).toBe(2);
    });
  });

  it('deduces types for custom resources without a schema, and merges their maps', () => {
    const opts = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      schema: undefined,
      name: 'w',
      unstructured: true,
    };
    const w = (spec: object) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec,
    });
    const a = apply(undefined, w({ size: 1, config: { a: 1 } }), 'a', opts);
    const b = apply(a, w({ config: { b: 2 } }), 'b', { ...opts, time: T1 });
    expect(b.spec).toEqual({ size: 1, config: { a: 1, b: 2 } });
    expect(entry(b, 'b')!.fieldsV1).toEqual({ 'f:spec': { '.': {}, 'f:config': { '.': {}, 'f:b': {} } } });
    const typed = apply(undefined, w({ tags: ['x'], config: { deep: { a: 1 } } }), 'a', {
      ...opts,
      schema: widgetSchema,
    });
    expect(entry(typed, 'a')!.fieldsV1).toEqual({
      'f:spec': { 'f:config': { 'f:deep': { '.': {}, 'f:a': {} } }, 'f:tags': { 'v:"x"': {} } },
    });
  });

  it('gives custom resources the identity and metadata of an object, embedded objects too', () => {
    const opts = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'w',
      schema: widgetSchema,
      unstructured: true,
    };
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: '1' }, finalizers: ['example.com/f'] },
      spec: {
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { b: '2' } }, spec: { image: 'x' } },
      },
    };
    const created = apply(undefined, widget, 'ctl', opts);
    expect(entry(created, 'ctl')!.fieldsV1).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"example.com/f"': {} }, 'f:labels': { 'f:a': {} } },
      'f:spec': {
        'f:template': {
          'f:apiVersion': {},
          'f:kind': {},
          'f:metadata': { 'f:labels': { 'f:b': {} } },
          'f:spec': { 'f:image': {} },
        },
      },
    });
    const bad = { ...widget, spec: { template: { spec: { size: 1 } } } };
    expect(failure(() => apply(created, bad, 'ctl', opts)).message).toBe(
      'failed to create typed patch object (/w; example.com/v1, Kind=Widget): .spec.template.spec.size: field not declared in schema',
    );
  });

  it('handles lists of thousands of items', () => {
    const containers = Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}`, image: `img:${i}` }));
    const created = apply(undefined, deployment({ containers }), 'kubectl');
    const changed = containers.map((c, i) => (i === 1500 ? { ...c, image: 'new' } : c)).slice(0, 2999);
    const out = apply(created, deployment({ containers: changed }), 'kubectl', { time: T1 });
    const items = containersOf(out);
    expect(items).toHaveLength(2999);
    expect(items[1500]!.image).toBe('new');
    expect(items.at(-1)!.name).toBe('c2998');
  });
});
