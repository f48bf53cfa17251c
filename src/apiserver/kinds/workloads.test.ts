import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { controllerRevisionStrategy } from './controllerrevision.js';
import { daemonSetStrategy } from './daemonset.js';
import { replicaSetStrategy } from './replicaset.js';
import { statefulSetStrategy } from './statefulset.js';

const now = new Date('2026-03-01T12:00:00Z');

function workload(kind: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-03-01T10:00:00Z' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
      ...spec,
    },
  };
}

function admit(strategy: Strategy, obj: KubeObject): string[] {
  strategy.applyDefaults?.(obj);
  return (strategy.validate?.(obj) ?? []).map((e) => fieldErrorMessage(e));
}

describe('ReplicaSet', () => {
  it('defaults replicas and the pod template', () => {
    const rs = workload('ReplicaSet');
    expect(admit(replicaSetStrategy, rs)).toEqual([]);
    expect((rs.spec as Record<string, unknown>).replicas).toBe(1);
    expect((rs.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy).toBe(
      'Always',
    );
  });

  it('requires a matching, non-empty selector that never changes', () => {
    const rs = workload('ReplicaSet', { selector: { matchLabels: { app: 'db' } } });
    expect(admit(replicaSetStrategy, rs)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
    const old = workload('ReplicaSet');
    admit(replicaSetStrategy, old);
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).selector = { matchLabels: { app: 'web', v: '2' } };
    expect(replicaSetStrategy.validateUpdate!(next, old)[0]).toMatchObject({
      field: 'spec.selector',
      detail: 'field is immutable',
    });
  });

  it('is selectable by status.replicas and prints DESIRED CURRENT READY', () => {
    const rs = workload('ReplicaSet', { replicas: 3 });
    rs.status = { replicas: 3, readyReplicas: 1 };
    expect(replicaSetStrategy.selectableFields!(rs)).toEqual({ 'status.replicas': '3' });
    expect(
      Object.keys(replicaSetStrategy.selectableFields!({ apiVersion: '', kind: '', metadata: {} })),
    ).toEqual(['status.replicas']);
    expect(replicaSetStrategy.table!.cells(rs, now)).toEqual([
      'web',
      3,
      3,
      1,
      '120m',
      'web',
      'nginx:1.27',
      'app=web',
    ]);
  });
});

describe('StatefulSet', () => {
  it('gets apps/v1 defaults', () => {
    const sts = workload('StatefulSet', { serviceName: 'web' });
    expect(admit(statefulSetStrategy, sts)).toEqual([]);
    expect(sts.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      replicas: 1,
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it('names its pods after itself, so its name must be a DNS label', () => {
    expect(statefulSetStrategy.nameRule).toBe('dns1123Label');
  });

  it('validates policies and the template restart policy', () => {
    const sts = workload('StatefulSet', {
      podManagementPolicy: 'Random',
      updateStrategy: { type: 'OnDelete', rollingUpdate: {} },
    });
    (sts.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'OnFailure';
    expect(admit(statefulSetStrategy, sts)).toEqual([
      `spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`,
      `spec.updateStrategy.rollingUpdate: Invalid value: {}: only allowed for updateStrategy 'RollingUpdate'`,
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]);
  });

  it('lets an update change replicas and the template, nothing else', () => {
    const old = workload('StatefulSet', { serviceName: 'web' });
    admit(statefulSetStrategy, old);
    const scaled = structuredClone(old);
    (scaled.spec as Record<string, unknown>).replicas = 5;
    (scaled.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers[0]!.image = 'nginx:1.28';
    expect(statefulSetStrategy.validateUpdate!(scaled, old)).toEqual([]);
    const renamed = structuredClone(old);
    (renamed.spec as Record<string, unknown>).serviceName = 'other';
    expect(statefulSetStrategy.validateUpdate!(renamed, old).map((e) => fieldErrorMessage(e))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it('prints READY as ready/desired', () => {
    const sts = workload('StatefulSet', { replicas: 3 });
    sts.status = { readyReplicas: 2 };
    expect(statefulSetStrategy.table!.cells(sts, now)).toEqual(['web', '2/3', '120m', 'web', 'nginx:1.27']);
  });
});

describe('DaemonSet', () => {
  it('rolls one node at a time by default', () => {
    const ds = workload('DaemonSet');
    expect(admit(daemonSetStrategy, ds)).toEqual([]);
    expect(ds.spec).toMatchObject({
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    });
  });

  it('refuses surge and unavailability together, and an unselected template', () => {
    const ds = workload('DaemonSet', {
      selector: { matchLabels: { app: 'agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
    });
    expect(admit(daemonSetStrategy, ds)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ]);
  });

  it('prints the scheduling counters and the node selector', () => {
    const ds = workload('DaemonSet');
    (ds.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = {
      'kubernetes.io/os': 'linux',
    };
    ds.status = {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 2,
      updatedNumberScheduled: 3,
      numberAvailable: 2,
    };
    expect(daemonSetStrategy.table!.cells(ds, now)).toEqual([
      'web',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '120m',
      'web',
      'nginx:1.27',
      'app=web',
    ]);
  });
});

describe('ControllerRevision', () => {
  const revision = (): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: 'web-6d8f7b',
      creationTimestamp: '2026-03-01T11:00:00Z',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true },
      ],
    },
    data: { spec: {} },
    revision: 2,
  });

  it('requires data, which never changes', () => {
    const r = revision();
    delete r.data;
    expect(controllerRevisionStrategy.validate!(r).map((e) => fieldErrorMessage(e))).toEqual([
      'data: Required value: data is mandatory',
    ]);
    const next = revision();
    next.data = { spec: { replicas: 2 } };
    expect(controllerRevisionStrategy.validateUpdate!(next, revision())[0]).toMatchObject({
      field: 'data',
      detail: 'field is immutable',
    });
  });

  it('prints its controller as kind.group/name', () => {
    expect(controllerRevisionStrategy.table!.cells(revision(), now)).toEqual([
      'web-6d8f7b',
      'statefulset.apps/web',
      2,
      '60m',
    ]);
  });
});
