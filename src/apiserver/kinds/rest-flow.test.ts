// The strategies inside the generic REST storage (over the in-memory store, no server): the
// order in which the machinery calls them must give the objects a real cluster would store.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';
import { MemoryStore } from '../../storage/memory.js';
import type { ResourceInfo } from '../registry/resource-info.js';
import { RestStorage, type WriteScope } from '../registry/rest.js';
import { builtinResourceInfo, builtinResources } from './builtin.js';
import { strategyFor } from './index.js';

const scope: WriteScope = { dryRun: false, fieldManager: 'kubectl', fieldValidation: 'Ignore', warnings: [] };

function info(group: string, resource: string): ResourceInfo {
  const r = builtinResources.find((b) => b.group === group && b.resource === resource)!;
  return builtinResourceInfo(r, strategyFor(r.group, r.kind), () => undefined);
}

describe('strategies in the REST flow', () => {
  let store: MemoryStore;
  let rest: RestStorage;

  beforeEach(() => {
    store = new MemoryStore();
    rest = new RestStorage({
      store,
      now: () => new Date('2026-03-01T12:00:00Z'),
      namespaces: { admitCreate: async () => {} },
    });
  });

  afterEach(async () => {
    await store.close();
  });

  it('creates a Job with a selector generated from its uid', async () => {
    const jobs = info('batch', 'jobs');
    const job = await rest.create(
      jobs,
      'default',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'pi' },
        spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } },
      },
      scope,
    );
    const uid = job.metadata.uid!;
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.spec).toMatchObject({
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      completions: 1,
    });
    expect(job.metadata.labels).toMatchObject({ 'job-name': 'pi', 'controller-uid': uid });
    expect(job.status).toBeUndefined();
  });

  it('creates a Pod Pending, then deletes it gracefully once bound', async () => {
    const pods = info('', 'pods');
    const pod = await rest.create(
      pods,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
      scope,
    );
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    await rest.modify(
      pods,
      'default',
      'web',
      scope,
      (p) => ({ ...p, spec: { ...(p.spec as object), nodeName: 'node-1' } }),
      {
        admit: false,
      },
    );
    const res = await rest.delete(pods, 'default', 'web', { dryRun: false });
    expect(res.deleted).toBe(false);
    expect(res.object.metadata.deletionGracePeriodSeconds).toBe(30);
  });

  it('refuses to delete the default namespace and keeps another Terminating until finalized', async () => {
    const namespaces = info('', 'namespaces');
    for (const name of ['default', 'team-a']) {
      await rest.create(
        namespaces,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        scope,
      );
    }
    await expect(rest.delete(namespaces, undefined, 'default', { dryRun: false })).rejects.toBeInstanceOf(
      ApiError,
    );
    const res = await rest.delete(namespaces, undefined, 'team-a', { dryRun: false });
    expect(res.deleted).toBe(false);
    expect(res.object.status).toEqual({ phase: 'Terminating' });
    expect(res.object.spec).toEqual({ finalizers: ['kubernetes'] });
  });

  it('keeps a Service’s cluster IP when an update leaves it out, and refuses to change it', async () => {
    const services = info('', 'services');
    const body = (clusterIP?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...(clusterIP ? { clusterIP } : {}) },
    });
    await rest.create(services, 'default', body('10.96.0.20'), scope);
    const { object: updated } = await rest.update(services, 'default', 'web', body(), scope);
    expect(updated.spec).toMatchObject({ clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] });
    await expect(rest.update(services, 'default', 'web', body('10.96.0.21'), scope)).rejects.toMatchObject({
      status: { code: 422, reason: 'Invalid' },
    });
  });

  it('refuses a Deployment whose new selector differs, with a 422 naming the field', async () => {
    const deployments = info('apps', 'deployments');
    const body = (app: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      },
    });
    const created = await rest.create(deployments, 'default', body('web'), scope);
    expect(created.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    const err = await rest.update(deployments, 'default', 'web', body('api'), scope).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status.details?.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.selector', reason: 'FieldValueInvalid' }),
    );
  });
});
