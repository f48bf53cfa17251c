// Bad input never takes the API server down and never changes acknowledged data: thousands of
// random requests (identities, paths, methods, headers, bodies, framings) must each get a
// well-formed answer within a bounded time, every failure a metav1.Status, no 5xx (but the 503 a
// store that is down answers, see docs/apiserver.md), nobody but the administrator may change
// anything, and the objects written before must be exactly as they were.
//
// The run is reproducible: it prints its seed, and CONCORD_FUZZ_SEED (with CONCORD_FUZZ_PATH,
// from a failure's report, to go straight to the shrunk case) replays it. `npm test` runs a modest
// number of cases per store; `npm run fuzz` runs 10,000 (CONCORD_FUZZ_RUNS sets any number).

import http2 from 'node:http2';
import { Agent, request } from 'node:https';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/apiserver/http/front.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import type { TestStoreKind } from './support/stores.js';

const SEED = process.env.CONCORD_FUZZ_SEED ? Number(process.env.CONCORD_FUZZ_SEED) : Date.now() % 2 ** 31;
const REPLAY_PATH = process.env.CONCORD_FUZZ_PATH || undefined;
const RUNS = process.env.CONCORD_FUZZ_RUNS ? Number(process.env.CONCORD_FUZZ_RUNS) : undefined;
/** Cases per store in `npm test`: the long run on SQLite, a shorter one on etcd. */
const STORES: { store: TestStoreKind; runs: number }[] = [
  { store: 'sqlite', runs: RUNS ?? 1500 },
  { store: 'etcd', runs: RUNS ?? 400 },
];
/** No request may take longer than this: a server that stops answering fails the run. */
const REQUEST_TIMEOUT_MS = 20_000;

type Identity = 'admin' | 'viewer' | 'anonymous' | 'wrong-token';
type Framing = 'content-length' | 'chunked';
/** A body too large to accept, streamed without a Content-Length so the server must count. */
const OVERSIZE = 'oversize';

interface Reply {
  code: number;
  contentType: string;
  body: string;
}

interface Target {
  server: TestApiServer;
  agent: Agent;
  viewerToken: string;
  kept: Map<string, string>;
}

function authorization(target: Target, who: Identity): Record<string, string> {
  switch (who) {
    case 'admin':
      return { authorization: `Bearer ${target.server.adminToken}` };
    case 'viewer':
      return { authorization: `Bearer ${target.viewerToken}` };
    case 'wrong-token':
      return { authorization: 'Bearer not-a-token-anyone-holds' };
    case 'anonymous':
      return {};
  }
}

function send(
  target: Target,
  who: Identity,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | typeof OVERSIZE,
  framing: Framing = 'content-length',
): Promise<Reply> {
  const chunked = body === OVERSIZE || framing === 'chunked';
  const framingHeaders: Record<string, string> = chunked
    ? { 'transfer-encoding': 'chunked' }
    : // An explicit length frames bodies on every method (Node sends GET and DELETE bodies unframed otherwise).
      { 'content-length': String(body?.length ?? 0) };
  return new Promise((resolve, reject) => {
    const req = request(
      `${target.server.url}${path}`,
      {
        method,
        agent: target.agent,
        headers: { ...authorization(target, who), ...framingHeaders, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            code: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () =>
        req.destroy(
          new Error(`${who} ${method} ${path}: no complete answer within ${REQUEST_TIMEOUT_MS} ms`),
        ),
      REQUEST_TIMEOUT_MS,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body === OVERSIZE) {
      void streamOversize(req);
      return;
    }
    if (body && chunked) {
      // In pieces, as a client streaming its body does.
      const cut = Math.floor(body.length / 2);
      req.write(body.subarray(0, cut));
      req.write(body.subarray(cut));
    } else if (body) req.write(body);
    req.end();
  });
}

/** Resolves when a stream can take more data, or is closed. */
function writable(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Writes 64 KiB chunks until past the limit, as long as the server still reads. */
async function streamOversize(req: import('node:http').ClientRequest): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent <= MAX_BODY_BYTES && !req.destroyed; sent += chunk.length) {
    if (!req.write(chunk)) await writable(req);
  }
  if (!req.destroyed) req.end();
}

/** A 5xx is a failure unless it is the documented answer of a store that is down. */
function documentedUnavailable(reply: Reply): boolean {
  if (reply.code !== 503) return false;
  try {
    return JSON.parse(reply.body).reason === 'ServiceUnavailable';
  } catch {
    return false;
  }
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Checks one answer against what the identity may get; throws (fails the case) otherwise. */
function checkReply(who: Identity, method: string, path: string, reply: Reply): void {
  const what = `${who} ${method} ${path}: ${reply.code} ${reply.body.slice(0, 300)}`;
  expect(reply.code, what).toBeGreaterThanOrEqual(200);
  expect(reply.code < 500 || documentedUnavailable(reply), what).toBe(true);
  const pathname = path.split('?')[0]!;
  if (who === 'wrong-token') expect(reply.code, what).toBe(401);
  if (who === 'anonymous') {
    // Health and version are public (GET only); everything else is refused before it is looked at.
    expect(reply.code, what).toBe(method === 'GET' && PUBLIC_PATHS.has(pathname) ? 200 : 403);
  }
  if (who === 'viewer' && WRITES.has(method)) expect(reply.code, what).toBeGreaterThanOrEqual(400);
  if (reply.code >= 400 && method !== 'HEAD') {
    const status = JSON.parse(reply.body) as Record<string, unknown>;
    expect(status.kind, what).toBe('Status');
    expect(status.apiVersion, what).toBe('v1');
    expect(status.status, what).toBe('Failure');
    expect(status.code, what).toBe(reply.code);
    expect(typeof status.message, what).toBe('string');
  }
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

const json = { 'content-type': 'application/json' };
const asJson = (v: unknown) => Buffer.from(JSON.stringify(v));

/**
 * A server on `store` for one describe block: namespaces keep (the acknowledged objects) and
 * fuzz, and a viewer — the `view` role in fuzz, nothing more.
 */
function useTarget(store: TestStoreKind): Target {
  const target = {} as Target;
  beforeAll(async () => {
    target.server = await startTestApiServer({
      name: `fuzz-${store}`,
      store,
      tokens: [{ user: 'fuzz-viewer', uid: 'fuzz-viewer', groups: [] }],
    });
    target.viewerToken = target.server.tokens.get('fuzz-viewer')!;
    target.agent = new Agent({ keepAlive: true, ca: target.server.caPem, maxSockets: 4 });
    target.kept = new Map();
    for (const name of ['keep', 'fuzz']) {
      const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
      expect((await send(target, 'admin', 'POST', '/api/v1/namespaces', json, asJson(ns))).code).toBe(201);
    }
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'fuzz-viewer' }],
    };
    const bindings = '/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/rolebindings';
    expect((await send(target, 'admin', 'POST', bindings, json, asJson(binding))).code).toBe(201);
    for (const k of KEPT) {
      const collection = k.path.slice(0, k.path.lastIndexOf('/'));
      expect((await send(target, 'admin', 'POST', collection, json, asJson(k.body))).code).toBe(201);
      target.kept.set(k.path, (await send(target, 'admin', 'GET', k.path, {})).body);
    }
  });
  afterAll(async () => {
    target.agent?.destroy();
    await target.server?.stop();
  });
  return target;
}

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

const identity = fc.oneof(
  { arbitrary: fc.constant<Identity>('admin'), weight: 6 },
  { arbitrary: fc.constant<Identity>('viewer'), weight: 2 },
  { arbitrary: fc.constant<Identity>('anonymous'), weight: 1 },
  { arbitrary: fc.constant<Identity>('wrong-token'), weight: 1 },
);

const payload = fc.oneof(
  { arbitrary: body, weight: 60 },
  { arbitrary: fc.constant<typeof OVERSIZE>(OVERSIZE), weight: 1 },
);

/** The random requests, then the acknowledged objects read back unchanged. */
async function fuzz(target: Target, store: TestStoreKind, runs: number): Promise<void> {
  console.log(
    `fuzz [${store}]: ${runs} cases, seed ${SEED}; replay with CONCORD_FUZZ_SEED=${SEED} npm run fuzz`,
  );
  const property = fc.asyncProperty(
    identity,
    fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
    resourcePath,
    query,
    headers,
    fc.option(payload, { nil: undefined }),
    fc.constantFrom<Framing>('content-length', 'chunked'),
    async (who, method, path, q, hdrs, data, framing) => {
      const isWrite = method !== 'GET' && method !== 'HEAD';
      // The administrator may change anything but the acknowledged objects; the others may try.
      fc.pre(!(who === 'admin' && isWrite && path.includes('/namespaces/keep')));
      const h: Record<string, string> = {};
      if (hdrs['content-type']) h['content-type'] = hdrs['content-type'];
      if (hdrs.accept) h.accept = hdrs.accept;
      const reply = await send(target, who, method, path + q, h, isWrite ? data : undefined, framing);
      checkReply(who, method, path + q, reply);
    },
  );
  const details = await fc.check(property, {
    numRuns: runs,
    seed: SEED,
    ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
  });
  if (details.failed) {
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${fc.defaultReportMessage(details)}\n${cause}\nreplay: CONCORD_FUZZ_SEED=${details.seed} ` +
        `CONCORD_FUZZ_PATH=${details.counterexamplePath} npm run fuzz`,
    );
  }
  for (const [path, before] of target.kept) {
    const now = await send(target, 'admin', 'GET', path, {});
    expect(now.code).toBe(200);
    expect(now.body).toBe(before);
  }
  expect((await send(target, 'admin', 'GET', '/readyz', {})).code).toBe(200);
}

/** A body streamed over HTTP/2 (DATA frames, no Content-Length) until past the limit. */
function http2Oversize(target: Target, path: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(target.server.url, { ca: target.server.caPem });
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      authorization: `Bearer ${target.server.adminToken}`,
      'content-type': 'application/json',
    });
    let code = 0;
    let text = '';
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`HTTP/2 POST ${path}: no complete answer within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    stream.on('response', (h) => {
      code = Number(h[':status']);
    });
    stream.on('data', (c: Buffer) => {
      text += c.toString();
    });
    stream.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ code, body: text });
    });
    // Once the server has answered it may reset the stream: writing stops, the answer stands.
    stream.on('error', (err) => {
      if (code === 0) reject(err);
    });
    void (async () => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent <= MAX_BODY_BYTES && !stream.destroyed && code === 0; sent += chunk.length) {
        if (!stream.write(chunk)) await writable(stream);
      }
      if (!stream.destroyed) stream.end();
    })();
  });
}

describe('the API server under bad input [sqlite]', () => {
  const target = useTarget('sqlite');
  const sqlite = STORES.find((s) => s.store === 'sqlite')!;

  it(`answers ${sqlite.runs} random requests well-formed and in time, and keeps every acknowledged object`, async () => {
    await fuzz(target, 'sqlite', sqlite.runs);
  }, 600_000);

  it('answers malformed bodies with 400, unknown resources with 404', async () => {
    const json = { 'content-type': 'application/json' };
    const malformed = await send(
      target,
      'admin',
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      json,
      Buffer.from('{"kind": "ConfigMap",'),
    );
    expect(malformed.code).toBe(400);
    expect(JSON.parse(malformed.body).reason).toBe('BadRequest');
    const yaml = await send(
      target,
      'admin',
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      { 'content-type': 'application/yaml' },
      Buffer.from('a: [1, 2'),
    );
    expect(yaml.code).toBe(400);
    const unknown = await send(target, 'admin', 'GET', '/apis/apps/v1/namespaces/fuzz/gadgets', {});
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
      target,
      'admin',
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
      target,
      'admin',
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
        `${target.server.url}/api/v1/namespaces/fuzz/configmaps?fieldValidation=Warn`,
        {
          method: 'POST',
          agent: target.agent,
          headers: {
            authorization: `Bearer ${target.server.adminToken}`,
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
    const stored = JSON.parse(
      (await send(target, 'admin', 'GET', '/api/v1/namespaces/fuzz/configmaps/strict', {})).body,
    );
    expect(stored.dta).toBeUndefined();
    expect(stored.data).toEqual({ a: 'b' });
  });

  it('refuses oversized bodies with 413 and keeps serving', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 10, 'a');
    const reply = await send(
      target,
      'admin',
      'POST',
      '/api/v1/namespaces/fuzz/configmaps',
      { 'content-type': 'application/json' },
      big,
    );
    expect(reply.code).toBe(413);
    expect(JSON.parse(reply.body).reason).toBe('RequestEntityTooLarge');
    expect((await send(target, 'admin', 'GET', '/readyz', {})).code).toBe(200);
  });

  it('refuses a body streamed past the limit without a Content-Length with 413, over HTTP/1.1 and HTTP/2', async () => {
    const path = '/api/v1/namespaces/fuzz/configmaps';
    const h1 = await send(target, 'admin', 'POST', path, json, OVERSIZE);
    expect(h1.code).toBe(413);
    expect(JSON.parse(h1.body).reason).toBe('RequestEntityTooLarge');
    const h2 = await http2Oversize(target, path);
    expect(h2.code).toBe(413);
    expect(JSON.parse(h2.body).reason).toBe('RequestEntityTooLarge');
    // Who may not write is refused before a byte of the body is read.
    expect((await send(target, 'anonymous', 'POST', path, json, OVERSIZE)).code).toBe(403);
    expect((await send(target, 'viewer', 'POST', path, json, OVERSIZE)).code).toBe(403);
    expect((await send(target, 'wrong-token', 'POST', path, json, OVERSIZE)).code).toBe(401);
    expect((await send(target, 'admin', 'GET', '/readyz', {})).code).toBe(200);
  });
});

describe('the API server under random input [etcd]', () => {
  const target = useTarget('etcd');
  const etcd = STORES.find((s) => s.store === 'etcd')!;

  it(`answers ${etcd.runs} random requests well-formed and in time, and keeps every acknowledged object`, async () => {
    await fuzz(target, 'etcd', etcd.runs);
  }, 600_000);
});
