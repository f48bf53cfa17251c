// The Client conformance suite: what every transport must do the same way against a real API
// server (in-process.test.ts and https.test.ts run it). Each test works in its own namespace.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../machinery/object.js';
import { ApiError, type Status } from '../machinery/status.js';
import type { Store } from '../storage/store.js';
import type { Client, WatchEvent } from './client.js';
import { resources } from './resources.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

export interface ClientUnderTest {
  client: Client;
  /** A client of the same transport with another User-Agent. */
  withUserAgent(userAgent: string): Client;
  close?(): void;
}

export function configMap(
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): KubeObject {
  const metadata: KubeObject['metadata'] = { name };
  if (labels) metadata.labels = labels;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}

export function deployment(name: string, image = 'nginx:1.27'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };
}

export function pod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

/** The ApiError a promise rejects with (fails the test if it resolves or throws something else). */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected the call to fail with an ApiError');
}

/** Collects watch events until `until` holds for them. */
export function eventCollector<T extends KubeObject = KubeObject>() {
  const events: WatchEvent<T>[] = [];
  const closes: (Error | undefined)[] = [];
  return {
    events,
    closes,
    callbacks: {
      onEvent: (e: WatchEvent<T>) => events.push(e),
      onClose: (err?: Error) => closes.push(err),
    },
    names: (type?: string) =>
      events.filter((e) => !type || e.type === type).map((e) => (e.object as KubeObject).metadata.name),
  };
}

export function describeClientConformance(
  name: string,
  make: (cluster: TestCluster) => ClientUnderTest,
  /** The store the server runs on (default: a MemoryStore). */
  store?: () => Promise<Store>,
): void {
  describe(`Client conformance: ${name}`, () => {
    let cluster: TestCluster;
    let subject: ClientUnderTest;
    let client: Client;
    let nsCount = 0;

    beforeAll(async () => {
      cluster = await startTestCluster(name.replace(/\W+/g, '-'), store ? { store: await store() } : {});
      subject = make(cluster);
      client = subject.client;
    });
    afterAll(async () => {
      subject?.close?.();
      await cluster?.close();
    });

    async function namespace(): Promise<string> {
      const ns = `t${++nsCount}`;
      await client.create(resources.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
      return ns;
    }

    it('creates, gets and lists objects, handing out copies of its own', async () => {
      const ns = await namespace();
      const input = configMap('one', { a: '1' }, { tier: 'web' });
      const created = await client.create(resources.configmaps, input, { namespace: ns });
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.namespace).toBe(ns);
      expect(input.metadata.uid).toBeUndefined();
      // The namespace may come from the object itself.
      await client.create(resources.configmaps, {
        ...configMap('two'),
        metadata: { name: 'two', namespace: ns, labels: { tier: 'db' } },
      });

      const got = await client.get(resources.configmaps, 'one', { namespace: ns });
      expect(got.data).toEqual({ a: '1' });
      (got.data as Record<string, string>).a = 'changed locally';
      const again = await client.get(resources.configmaps, 'one', { namespace: ns });
      expect(again.data).toEqual({ a: '1' });

      const web = await client.list(resources.configmaps, { namespace: ns, labelSelector: 'tier=web' });
      expect(web.items.map((i) => i.metadata.name)).toEqual(['one']);
      expect(Number(web.metadata.resourceVersion)).toBeGreaterThan(0);
    });

    it('pages a list with limit and continue', async () => {
      const ns = await namespace();
      for (const n of ['a', 'b', 'c', 'd', 'e'])
        await client.create(resources.configmaps, configMap(n), { namespace: ns });
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await client.list(resources.configmaps, { namespace: ns, limit: 2, continue: token });
        names.push(...page.items.map((i) => i.metadata.name!));
        token = page.metadata.continue || undefined;
        pages++;
      } while (token);
      expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(pages).toBe(3);
    });

    it('fails with the Status of the server: 404, 409 AlreadyExists, 409 Conflict, 422 with causes', async () => {
      const ns = await namespace();
      const missing = await apiError(client.get(resources.configmaps, 'nope', { namespace: ns }));
      expect(missing.code).toBe(404);
      expect(missing.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound' });
      expect(missing.status.details).toMatchObject({ name: 'nope', kind: 'configmaps' });
      expect(missing.message).toBe('configmaps "nope" not found');

      const first = await client.create(resources.configmaps, configMap('dup'), { namespace: ns });
      const dup = await apiError(client.create(resources.configmaps, configMap('dup'), { namespace: ns }));
      expect(dup.code).toBe(409);
      expect(dup.reason).toBe('AlreadyExists');

      await client.update(resources.configmaps, { ...first, data: { v: '2' } });
      const stale = await apiError(client.update(resources.configmaps, { ...first, data: { v: '3' } }));
      expect(stale.code).toBe(409);
      expect(stale.reason).toBe('Conflict');
      expect(stale.message).toContain('the object has been modified');

      const invalid = await apiError(
        client.create(resources.configmaps, configMap('Not_Valid'), { namespace: ns }),
      );
      expect(invalid.code).toBe(422);
      expect(invalid.reason).toBe('Invalid');
      expect(invalid.status.details?.causes?.some((c) => c.field === 'metadata.name')).toBe(true);
    });

    it('checks names and namespaces before sending', async () => {
      const noNs = await apiError(client.get(resources.configmaps, 'x'));
      expect(noNs.code).toBe(400);
      expect(noNs.message).toContain('namespace');
      const noName = await apiError(client.get(resources.configmaps, '', { namespace: 'default' }));
      expect(noName.message).toContain('resource name may not be empty');
      const slash = await apiError(client.get(resources.configmaps, 'a/b', { namespace: 'default' }));
      expect(slash.code).toBe(400);
      const create = await apiError(client.create(resources.configmaps, configMap('x')));
      expect(create.message).toContain('an empty namespace may not be set during creation');
    });

    it('patches with merge, JSON and strategic merge patches', async () => {
      const ns = await namespace();
      await client.create(resources.configmaps, configMap('p', { a: '1', b: '2' }), { namespace: ns });
      const merged = await client.patch(resources.configmaps, 'p', { data: { b: null, c: '3' } }, 'merge', {
        namespace: ns,
      });
      expect(merged.data).toEqual({ a: '1', c: '3' });
      const jsonPatched = await client.patch(
        resources.configmaps,
        'p',
        [{ op: 'replace', path: '/data/a', value: 'one' }],
        'json',
        { namespace: ns },
      );
      expect(jsonPatched.data).toEqual({ a: 'one', c: '3' });

      await client.create(resources.deployments, deployment('web'), { namespace: ns });
      const strategic = await client.patch<
        KubeObject & { spec: { template: { spec: { containers: { name: string; image: string }[] } } } }
      >(
        resources.deployments,
        'web',
        { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } },
        'strategic',
        { namespace: ns },
      );
      // Containers merge by name: the sidecar joins the app container.
      expect(strategic.spec.template.spec.containers.map((c) => c.name).sort()).toEqual(['app', 'sidecar']);
    });

    it('applies server-side as a field manager, with conflicts and force', async () => {
      const ns = await namespace();
      const cm = {
        ...configMap('applied', { owner: 'alice' }),
        metadata: { name: 'applied', namespace: ns },
      };
      const applied = await client.apply(resources.configmaps, cm, { fieldManager: 'alice' });
      expect(
        applied.metadata.managedFields?.some((f) => f.manager === 'alice' && f.operation === 'Apply'),
      ).toBe(true);
      const conflict = await apiError(
        client.apply(resources.configmaps, { ...cm, data: { owner: 'bob' } }, { fieldManager: 'bob' }),
      );
      expect(conflict.code).toBe(409);
      expect(conflict.status.details?.causes?.some((c) => c.field === '.data.owner')).toBe(true);
      const forced = await client.apply(
        resources.configmaps,
        { ...cm, data: { owner: 'bob' } },
        { fieldManager: 'bob', force: true },
      );
      expect(forced.data).toEqual({ owner: 'bob' });
      const dry = await client.apply(
        resources.configmaps,
        { ...cm, data: { owner: 'carol' } },
        {
          fieldManager: 'carol',
          force: true,
          dryRun: true,
        },
      );
      expect(dry.data).toEqual({ owner: 'carol' });
      expect((await client.get(resources.configmaps, 'applied', { namespace: ns })).data).toEqual({
        owner: 'bob',
      });
    });

    it('derives the default field manager from the User-Agent', async () => {
      const ns = await namespace();
      const created = await client.create(resources.configmaps, configMap('ua'), { namespace: ns });
      expect(created.metadata.managedFields?.map((f) => f.manager)).toEqual(['concord']);
      const other = subject.withUserAgent('my-tool/1.2.3 (linux/amd64)');
      const updated = await other.update(resources.configmaps, { ...created, data: { x: '1' } });
      expect(updated.metadata.managedFields?.map((f) => f.manager).sort()).toEqual(['concord', 'my-tool']);
    });

    it('deletes: gone at once, or lingering with a finalizer; deleteCollection by label', async () => {
      const ns = await namespace();
      await client.create(resources.configmaps, configMap('gone'), { namespace: ns });
      await client.delete(resources.configmaps, 'gone', { namespace: ns });
      expect((await apiError(client.get(resources.configmaps, 'gone', { namespace: ns }))).code).toBe(404);

      await client.create(
        resources.configmaps,
        { ...configMap('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } },
        { namespace: ns },
      );
      const lingering = (await client.delete(resources.configmaps, 'held', { namespace: ns })) as KubeObject;
      expect(lingering.kind).toBe('ConfigMap');
      expect(lingering.metadata.deletionTimestamp).toBeTruthy();

      const pre = await apiError(
        client.delete(resources.configmaps, 'held', { namespace: ns, preconditions: { uid: 'not-the-uid' } }),
      );
      expect(pre.code).toBe(409);

      for (const [n, tier] of [
        ['c1', 'cache'],
        ['c2', 'cache'],
        ['k', 'keep'],
      ]) {
        await client.create(resources.configmaps, configMap(n!, {}, { tier: tier! }), { namespace: ns });
      }
      await client.deleteCollection(resources.configmaps, { namespace: ns, labelSelector: 'tier=cache' });
      const left = await client.list(resources.configmaps, { namespace: ns });
      expect(left.items.map((i) => i.metadata.name).sort()).toEqual(['held', 'k']);
    });

    it('serves subresources: status, scale, binding and eviction', async () => {
      const ns = await namespace();
      const created = await client.create(resources.pods, pod('p1'), { namespace: ns });
      const withStatus = await client.update(
        resources.pods,
        {
          ...created,
          spec: { ...(created.spec as object), activeDeadlineSeconds: 5 },
          status: { phase: 'Running' },
        },
        { subresource: 'status' },
      );
      expect((withStatus.status as { phase: string }).phase).toBe('Running');
      // The status subresource ignores spec changes.
      expect((withStatus.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds).toBeUndefined();

      await client.create(
        resources.pods,
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: 'p1', namespace: ns },
          target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
        },
        { subresource: 'binding' },
      );
      const bound = await client.get(resources.pods, 'p1', { namespace: ns });
      expect((bound.spec as { nodeName?: string }).nodeName).toBe('node-a');

      await client.create(resources.deployments, deployment('d1'), { namespace: ns });
      const scale = await client.get(resources.deployments, 'd1', { namespace: ns, subresource: 'scale' });
      expect(scale.kind).toBe('Scale');
      expect((scale.spec as { replicas: number }).replicas).toBe(1);
      await client.update(
        resources.deployments,
        { ...scale, spec: { replicas: 3 } },
        { subresource: 'scale' },
      );
      const scaled = await client.get(resources.deployments, 'd1', { namespace: ns });
      expect((scaled.spec as { replicas: number }).replicas).toBe(3);

      await client.create(
        resources.pods,
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: ns } },
        { subresource: 'eviction' },
      );
      const evicted = await client.get(resources.pods, 'p1', { namespace: ns }).catch((e: unknown) => e);
      // Evicted: gone, or going (graceful deletion).
      if (evicted instanceof ApiError) expect(evicted.code).toBe(404);
      else expect((evicted as KubeObject).metadata.deletionTimestamp).toBeTruthy();
    });

    it('works on cluster-scoped resources, ignoring a namespace given for them', async () => {
      const created = await client.create<KubeObject>(resources.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'cluster-scoped-check', labels: { a: 'b' } },
      });
      expect(created.metadata.namespace).toBeUndefined();
      const got = await client.get(resources.namespaces, 'cluster-scoped-check', { namespace: 'ignored' });
      expect(got.metadata.labels).toMatchObject({ a: 'b' });
      const roles = await client.list(resources.clusterroles);
      expect(roles.items.some((r) => r.metadata.name === 'cluster-admin')).toBe(true);
    });

    it('watches: events after a resourceVersion, stop() closes without error', async () => {
      const ns = await namespace();
      const list = await client.list(resources.configmaps, { namespace: ns });
      const c = eventCollector();
      const handle = await client.watch(
        resources.configmaps,
        { namespace: ns, resourceVersion: list.metadata.resourceVersion },
        c.callbacks,
      );
      const w = await client.create(resources.configmaps, configMap('w1'), { namespace: ns });
      await client.update(resources.configmaps, { ...w, data: { k: 'v' } });
      await client.delete(resources.configmaps, 'w1', { namespace: ns });
      await expect.poll(() => c.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(c.names()).toEqual(['w1', 'w1', 'w1']);
      handle.stop();
      handle.stop();
      expect(c.closes).toEqual([undefined]);
      await client.create(resources.configmaps, configMap('after-stop'), { namespace: ns });
      expect(c.events).toHaveLength(3);
    });

    it('watches from "0" with the existing objects first, filtered by selectors', async () => {
      const ns = await namespace();
      await client.create(resources.configmaps, configMap('x1', {}, { pick: 'yes' }), { namespace: ns });
      await client.create(resources.configmaps, configMap('x2', {}, { pick: 'no' }), { namespace: ns });
      const c = eventCollector();
      const handle = await client.watch(
        resources.configmaps,
        { namespace: ns, resourceVersion: '0', labelSelector: 'pick=yes' },
        c.callbacks,
      );
      await client.create(resources.configmaps, configMap('x3', {}, { pick: 'yes' }), { namespace: ns });
      await expect.poll(() => c.names('ADDED')).toEqual(['x1', 'x3']);
      handle.stop();
    });

    it('ends a watch the server times out without an error', async () => {
      const ns = await namespace();
      const c = eventCollector();
      await client.watch(resources.configmaps, { namespace: ns, timeoutSeconds: 1 }, c.callbacks);
      await expect.poll(() => c.closes, { timeout: 10_000 }).toEqual([undefined]);
    });

    it('reports 410 Expired for a watch from a compacted resourceVersion', async () => {
      const ns = await namespace();
      const first = await client.create(resources.configmaps, configMap('old'), { namespace: ns });
      await client.create(resources.configmaps, configMap('newer'), { namespace: ns });
      await client.create(resources.configmaps, configMap('newest'), { namespace: ns });
      await cluster.store.compact(await cluster.store.currentRevision());
      const c = eventCollector();
      let rejected: unknown;
      await client
        .watch(
          resources.configmaps,
          { namespace: ns, resourceVersion: first.metadata.resourceVersion },
          c.callbacks,
        )
        .catch((err: unknown) => {
          rejected = err;
        });
      if (rejected) {
        expect((rejected as ApiError).code).toBe(410);
      } else {
        await expect.poll(() => c.events.length).toBeGreaterThan(0);
        expect(c.events[0]!.type).toBe('ERROR');
        expect((c.events[0]!.object as Status).code).toBe(410);
        await expect.poll(() => c.closes.length).toBe(1);
      }
    });
  });
}
