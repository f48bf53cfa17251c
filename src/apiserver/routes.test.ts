import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../storage/memory.js';
import { formatTokenFile, TOKENS_FILE } from './authn.js';
import type { HttpRoute } from './http/routes.js';
import { type RunningApiServer, serveApiServer } from './serving.js';

// Routes a caller adds beside the API: public ones answer anyone, the others go through the same
// authentication and RBAC as /metrics.

let dir: string;
let api: RunningApiServer;
const seen: { path: string; user: string | undefined }[] = [];

function route(path: string, extra: Partial<HttpRoute> = {}): HttpRoute {
  return {
    path,
    handle(req, res, user) {
      seen.push({ path: req.url ?? '', user: user?.username });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${path} ${user?.username ?? '-'}`);
    },
    ...extra,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-routes-'));
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  await writeFile(
    join(stateDir, TOKENS_FILE),
    formatTokenFile([
      { token: 'admin-token', user: 'admin', uid: 'admin', groups: ['system:masters'] },
      { token: 'viewer-token', user: 'viewer', uid: 'viewer', groups: [] },
    ]),
  );
  api = await serveApiServer({
    name: 'routes',
    stateDir,
    store: new MemoryStore(),
    port: 0,
    routes: [
      route('/ui/', { prefix: true, public: true }),
      route('/ui/private', { public: false }),
      route('/fed/', { prefix: true }),
    ],
  });
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, token?: string, method = 'GET'): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      { method, ca: api.caPem, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('extra routes of the API server', () => {
  it('serves a public route without a credential, to no user', async () => {
    expect(await get('/ui/app.js')).toEqual({ code: 200, body: '/ui/ -' });
  });

  it('prefers an exact path over a prefix, and checks credentials on a route that is not public', async () => {
    // No credential: system:anonymous, whom RBAC grants nothing here; a refused token is 401.
    expect((await get('/ui/private')).code).toBe(403);
    expect((await get('/ui/private', 'no-such-token')).code).toBe(401);
    expect(await get('/ui/private', 'admin-token')).toEqual({ code: 200, body: '/ui/private admin' });
  });

  it('lets only users RBAC allows to GET the path reach a protected route', async () => {
    const anonymous = await get('/fed/x');
    expect(anonymous.code).toBe(403);
    expect(JSON.parse(anonymous.body).message).toBe(
      'forbidden: User "system:anonymous" cannot get path "/fed/x"',
    );
    const viewer = await get('/fed/x', 'viewer-token');
    expect(viewer.code).toBe(403);
    expect(JSON.parse(viewer.body).message).toBe('forbidden: User "viewer" cannot get path "/fed/x"');
    expect(await get('/fed/x?a=1', 'admin-token')).toEqual({ code: 200, body: '/fed/ admin' });
    expect(seen.at(-1)).toEqual({ path: '/fed/x?a=1', user: 'admin' });
  });

  it('answers other methods with 405 and leaves the API as it was', async () => {
    const post = await get('/ui/app.js', undefined, 'POST');
    expect(post.code).toBe(405);
    expect(JSON.parse(post.body)).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    expect((await get('/api/v1/namespaces', 'admin-token')).code).toBe(200);
    expect((await get('/api/v1/namespaces')).code).toBe(403);
    expect((await get('/api/v1/namespaces', 'no-such-token')).code).toBe(401);
  });
});
