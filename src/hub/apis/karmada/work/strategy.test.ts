import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { fieldErrorMessage } from '../../../../machinery/status.js';
import {
  clusterResourceBindingStrategy,
  prepareManifest,
  resourceBindingStrategy,
  workStrategy,
} from './strategy.js';

type Json = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Work manifests', () => {
  it('lose what the hub generated and carry the Work id, with their label and annotation keys recorded', () => {
    const deployment: Json = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'c0ffee',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2026-03-01T11:00:00Z',
        managedFields: [{ manager: 'kubectl' }],
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'y' }],
        finalizers: ['example.com/keep'],
        labels: { app: 'web' },
        annotations: { 'deployment.kubernetes.io/revision': '3', team: 'shop' },
      },
      spec: { replicas: 2 },
      status: { readyReplicas: 2 },
    };
    prepareManifest(deployment, 'work-id');
    expect(deployment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        labels: { app: 'web', 'work.karmada.io/permanent-id': 'work-id' },
        annotations: {
          team: 'shop',
          'resourcetemplate.karmada.io/managed-annotations':
            'resourcetemplate.karmada.io/managed-annotations,resourcetemplate.karmada.io/managed-labels,team',
          'resourcetemplate.karmada.io/managed-labels': 'app,work.karmada.io/permanent-id',
        },
      },
      spec: { replicas: 2 },
    });
  });

  it('leave cluster IPs, generated Job selectors, TTLs and token secrets to the member', () => {
    const service: Json = {
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { clusterIP: '10.96.0.7', clusterIPs: ['10.96.0.7'], ports: [] },
    };
    const headless: Json = {
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', clusterIPs: ['None'] },
    };
    const job: Json = {
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: {
        ttlSecondsAfterFinished: 100,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
        template: {
          metadata: {
            labels: { 'batch.kubernetes.io/job-name': 'migrate', 'job-name': 'migrate', app: 'm' },
          },
        },
      },
    };
    const account: Json = {
      kind: 'ServiceAccount',
      metadata: { name: 'ci' },
      secrets: [{ name: 'ci-token-x1' }, { name: 'registry' }],
    };
    const token: Json = {
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'ci-token',
        annotations: { 'kubernetes.io/service-account.uid': 'u', 'kubernetes.io/service-account.name': 'ci' },
      },
      data: { token: 'dG9r' },
    };
    for (const m of [service, headless, job, account, token]) prepareManifest(m, undefined);
    expect(service.spec).toEqual({ ports: [] });
    expect(headless.spec).toEqual({ clusterIP: 'None', clusterIPs: ['None'] });
    expect(job.spec).toEqual({
      selector: { matchLabels: {} },
      template: { metadata: { labels: { app: 'm' } } },
    });
    expect(account.secrets).toEqual([{ name: 'registry' }]);
    expect(token.data).toBeNull();
    expect(Object.keys((token.metadata as Json).annotations as Json).sort()).toEqual([
      'kubernetes.io/service-account.name',
      'resourcetemplate.karmada.io/managed-annotations',
      'resourcetemplate.karmada.io/managed-labels',
    ]);
  });
});

describe('Work', () => {
  it('gets a permanent id that its manifests carry, kept across updates', () => {
    const work: KubeObject = {
      apiVersion: 'work.karmada.io/v1alpha1',
      kind: 'Work',
      metadata: { name: 'web-5f7d', namespace: 'karmada-es-member1' },
      spec: { workload: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }] } },
    };
    workStrategy.applyDefaults!(work);
    const id = work.metadata.labels!['work.karmada.io/permanent-id']!;
    expect(id).toMatch(UUID);
    const manifest = ((work.spec as Json).workload as Json).manifests as Json[];
    expect((manifest[0]!.metadata as Json).labels).toEqual({ 'work.karmada.io/permanent-id': id });

    const next = structuredClone(work);
    next.metadata.labels = {};
    workStrategy.prepareForUpdate!(next, work);
    workStrategy.applyDefaults!(next);
    expect(next.metadata.labels!['work.karmada.io/permanent-id']).toBe(id);
  });
});

describe('Bindings', () => {
  const binding = (kind: string, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'work.karmada.io/v1alpha2',
    kind,
    metadata: { name: 'web-deployment', namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: { resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' } },
  });

  it('get a permanent id on create unless they bring one', () => {
    const rb = binding('ResourceBinding');
    resourceBindingStrategy.prepareForCreate!(rb);
    expect(rb.metadata.labels!['resourcebinding.karmada.io/permanent-id']).toMatch(UUID);
    const crb = binding('ClusterResourceBinding');
    crb.metadata.labels = { 'clusterresourcebinding.karmada.io/permanent-id': 'restored' };
    clusterResourceBindingStrategy.prepareForCreate!(crb);
    expect(crb.metadata.labels['clusterresourcebinding.karmada.io/permanent-id']).toBe('restored');
  });

  it('are selectable by their resource', () => {
    expect(resourceBindingStrategy.selectableFields!(binding('ResourceBinding'))).toEqual({
      'spec.resource.apiVersion': 'apps/v1',
      'spec.resource.kind': 'Deployment',
      'spec.resource.namespace': 'shop',
      'spec.resource.name': 'web',
    });
  });

  it('refuse a dependency list that is not JSON', () => {
    const key = 'resourcebinding.karmada.io/dependencies';
    expect(
      resourceBindingStrategy.validate!(
        binding('ResourceBinding', { [key]: '[{"kind":"ConfigMap","name":"cfg"}]' }),
      ),
    ).toEqual([]);
    expect(
      resourceBindingStrategy.validate!(binding('ResourceBinding', { [key]: '[{' })).map((e) =>
        fieldErrorMessage(e),
      ),
    ).toEqual([
      `metadata.annotations[${key}]: Invalid value: "[{": must be a JSON list of object references`,
    ]);
  });
});
