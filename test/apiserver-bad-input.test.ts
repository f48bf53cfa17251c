// Bad input never takes the API server down and never changes acknowledged data: thousands of
// random requests (paths, methods, headers, bodies) must each get a well-formed answer, every
// failure a metav1.Status, and the objects written before must be exactly as they were.

import { Agent, request } from 'node:https';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';

interface Reply {
  code: number;
  contentType: string;
  body: string;
}

let server: TestApiServer;
let agent: Agent;

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        agent,
        // An explicit length frames bodies on every method (Node sends GET and DELETE bodies unframed otherwise).
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          'content-length': String(body?.length ?? 0),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const KEPT = [
  {
    path: '/api/v1/namespaces/keep/configmaps/settings',
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } },
  },
  {
    path: '/apis/apps/v1/namespaces/keep/deployments/web',
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    },
  },
];
const kept = new Map<string, string>();

beforeAll(async () => {
  server = await startTestApiServer();
  agent = new Agent({ keepAlive: true, ca: server.caPem, maxSockets: 4 });
  const json = { 'content-type': 'application/json' };
  await send(
    'POST',
    '/api/v1/namespaces',
    json,
    Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keep' } })),
  );
  await send(
    'POST',
    '/api/v1/namespaces',
    json,
    Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz' } })),
  );
  for (const k of KEPT) {
    const collection = k.path.slice(0, k.path.lastIndexOf('/'));
    const created = await send('POST', collection, json, Buffer.from(JSON.stringify(k.body)));
    expect(created.code).toBe(201);
    kept.set(k.path, (await send('GET', k.path, {})).body);
  }
});

afterAll(async () => {
  agent?.destroy();
  await server?.stop();
});

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'apis',
    'v1',
    'apps',
    'namespaces',
    'fuzz',
    'pods',
    'deployments',
    'configmaps',
    'status',
    'scale',
    'x',
    '..',
    '%2e%2e',
    '%00',
    'watch',
  ),
  fc.webSegment(),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
);

// Writes go anywhere but the namespace holding the acknowledged objects; reads go anywhere.
const resourcePath = fc.oneof(
  fc.constantFrom(
    '/api',
    '/apis',
    '/api/v1',
    '/apis/apps/v1',
    '/version',
    '/openapi/v3',
    '/healthz',
    '/metrics',
  ),
  fc
    .tuple(
      fc.constantFrom(
        '/api/v1',
        '/apis/apps/v1',
        '/apis/batch/v1',
        '/apis/rbac.authorization.k8s.io/v1',
        '/apis/nope/v9',
      ),
      fc.constantFrom('fuzz', 'ghost', 'UPPER', ''),
      fc.constantFrom(
        'pods',
        'configmaps',
        'deployments',
        'jobs',
        'roles',
        'services',
        'secrets',
        'namespaces',
        'widgets',
      ),
      fc.option(fc.constantFrom('a', 'web', 'settings', 'x'.repeat(300), 'bad_name!'), { nil: undefined }),
      fc.option(fc.constantFrom('status', 'scale', 'binding', 'eviction', 'log', 'finalize'), {
        nil: undefined,
      }),
    )
    .map(([gv, ns, res, name, sub]) => {
      let p = ns ? `${gv}/namespaces/${ns}/${res}` : `${gv}/${res}`;
      if (name !== undefined) p += `/${name}`;
      if (name !== undefined && sub !== undefined) p += `/${sub}`;
      return p;
    }),
  fc.array(segment, { minLength: 1, maxLength: 7 }).map((segs) => `/${segs.join('/')}`),
);

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'limit',
        'continue',
        'labelSelector',
        'fieldSelector',
        'resourceVersion',
        'dryRun',
        'fieldValidation',
        'fieldManager',
        'force',
        'propagationPolicy',
        'gracePeriodSeconds',
        'resourceVersionMatch',
        'includeObject',
        'x',
      ),
      fc.oneof(
        fc.constantFrom(
          '',
          '1',
          '-1',
          'All',
          'Strict',
          'true',
          'a=b',
          'a in (',
          'metadata.name=x',
          'spec.foo=1',
          '9999999999999',
        ),
        fc.string({ maxLength: 10 }),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`));

const kubeish = fc.record({
  apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1', 'bogus/v0', ''),
  kind: fc.constantFrom('ConfigMap', 'Pod', 'Deployment', 'Job', 'Namespace', 'Status', ''),
  metadata: fc.oneof(
    fc.record({
      name: fc.constantFrom('a', 'web', 'Bad Name', '', 'x'.repeat(300)),
      labels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    }),
    fc.jsonValue(),
  ),
  spec: fc.jsonValue({ maxDepth: 3 }),
  data: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer())),
});

const body = fc.oneof(
  kubeish.map((o) => Buffer.from(JSON.stringify(o))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc
    .constantFrom('{', '[1,2', 'a: b: c', '- - -', '{"a":1}{"b":2}', '&anchor *alias', '!!binary x')
    .map((s) => Buffer.from(s)),
  fc
    .array(
      fc.record({
        op: fc.constantFrom('add', 'remove', 'replace', 'test', 'move', 'bogus'),
        path: fc.constantFrom('/spec', '/metadata/labels/a', '', '/x/y/z', '~'),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
      { maxLength: 3 },
    )
    .map((ops) => Buffer.from(JSON.stringify(ops))),
);

const headers = fc.record({
  'content-type': fc.constantFrom(
    'application/json',
    'application/yaml',
    'application/merge-patch+json',
    'application/json-patch+json',
    'application/strategic-merge-patch+json',
    'application/apply-patch+yaml',
    'application/vnd.kubernetes.protobuf',
    'text/html',
    'application/json; charset=utf-8',
    '',
  ),
  accept: fc.constantFrom(
    'application/json',
    'application/json;as=Table;v=v1;g=meta.k8s.io',
    'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    'application/vnd.kubernetes.protobuf',
    'application/yaml',
    'image/png',
    '*/*',
    '',
  ),
});

describe('the API server under random input', () => {
  it('answers every request with a well-formed response, never an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        resourcePath,
        query,
        headers,
        fc.option(body, { nil: undefined }),
        async (method, path, q, hdrs, payload) => {
          const isWrite = method !== 'GET' && method !== 'HEAD';
          fc.pre(!(isWrite && path.includes('/namespaces/keep')));
          const h: Record<string, string> = {};
          if (hdrs['content-type']) h['content-type'] = hdrs['content-type'];
          if (hdrs.accept) h.accept = hdrs.accept;
          const reply = await send(
            method,
            path + q,
            h,
            method === 'GET' || method === 'HEAD' ? undefined : payload,
          );
          expect(reply.code).toBeGreaterThanOrEqual(200);
          expect(reply.code).toBeLessThan(600);
          expect(reply.code, `${method} ${path}${q}: ${reply.body.slice(0, 300)}`).not.toBe(500);
          if (reply.code >= 400 && method !== 'HEAD') {
            const status = JSON.parse(reply.body) as Record<string, unknown>;
            expect(status.kind).toBe('Status');
            expect(status.apiVersion).toBe('v1');
            expect(status.status).toBe('Failure');
            expect(status.code).toBe(reply.code);
            expect(typeof status.message).toBe('string');
          }
        },
      ),
      { numRuns: 3000 },
    );
    for (const [path, before] of kept) {
      const now = await send('GET', path, {});
      expect(now.code).toBe(200);
      expect(now.body).toBe(before);
    }
    expect((await send('GET', '/readyz', {})).code).toBe(200);
  });

  it('answers malformed bodies with 400, unknown resources with 404', async () => {
    const json = { 'content-type': 'application/json' };
    const malformed = await send(
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      json,
      Buffer.from('{"kind": "ConfigMap",'),
    );
    expect(malformed.code).toBe(400);
    expect(JSON.parse(malformed.body).reason).toBe('BadRequest');
    const yaml = await send(
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      { 'content-type': 'application/yaml' },
      Buffer.from('a: [1, 2'),
    );
    expect(yaml.code).toBe(400);
    const unknown = await send('GET', '/apis/apps/v1/namespaces/fuzz/gadgets', {});
    expect(unknown.code).toBe(404);
    expect(JSON.parse(unknown.body).reason).toBe('NotFound');
  });

  it('answers schema violations with 422 whose causes name each field', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: {
        replicas: -1,
        selector: { matchLabels: { app: 'a' } },
        template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    };
    const reply = await send(
      'POST',
      '/apis/apps/v1/namespaces/fuzz/deployments',
      { 'content-type': 'application/json' },
      Buffer.from(JSON.stringify(deployment)),
    );
    expect(reply.code).toBe(422);
    const status = JSON.parse(reply.body);
    expect(status.reason).toBe('Invalid');
    const fields = status.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.replicas', 'spec.template.metadata.labels']));
  });

  it('refuses unknown fields under fieldValidation=Strict with 422, and warns about them otherwise', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'strict' },
      data: { a: 'b' },
      dta: { typo: 'x' },
    };
    const strict = await send(
      'POST',
      '/api/v1/namespaces/fuzz/configmaps?fieldValidation=Strict',
      { 'content-type': 'application/json' },
      Buffer.from(JSON.stringify(cm)),
    );
    expect(strict.code).toBe(422);
    expect(JSON.parse(strict.body).details.causes).toEqual([
      { reason: 'FieldValueUnknown', message: 'unknown field "dta"', field: 'dta' },
    ]);
    const warned = await new Promise<{ code: number; warning: unknown }>((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(cm));
      const req = request(
        `${server.url}/api/v1/namespaces/fuzz/configmaps?fieldValidation=Warn`,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${server.adminToken}`,
            'content-type': 'application/json',
            'content-length': String(payload.length),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ code: res.statusCode ?? 0, warning: res.headers.warning }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    expect(warned.code).toBe(201);
    expect(String(warned.warning)).toContain('unknown field \\"dta\\"');
    const stored = JSON.parse((await send('GET', '/api/v1/namespaces/fuzz/configmaps/strict', {})).body);
    expect(stored.dta).toBeUndefined();
    expect(stored.data).toEqual({ a: 'b' });
  });

  it('refuses oversized bodies with 413 and keeps serving', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 10, 'a');
    const reply = await send(
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      { 'content-type': 'application/json' },
      big,
    );
    expect(reply.code).toBe(413);
    expect(JSON.parse(reply.body).reason).toBe('RequestEntityTooLarge');
    expect((await send('GET', '/readyz', {})).code).toBe(200);
  });
});
