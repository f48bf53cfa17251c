import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, serveApiServer } from '../../apiserver/serving.js';
import { MemoryStore } from '../../storage/memory.js';
import { dashboardRoutes } from './static.js';

let dir: string;
let api: RunningApiServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-dashboard-static-'));
  const web = join(dir, 'web');
  await mkdir(join(web, 'assets'), { recursive: true });
  await writeFile(join(web, 'index.html'), '<!doctype html><title>index</title>');
  await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)');
  api = await serveApiServer({
    name: 'static',
    stateDir: join(dir, 'state'),
    store: new MemoryStore(),
    port: 0,
    routes: [
      ...dashboardRoutes(web),
      ...dashboardRoutes(join(dir, 'missing')).map((r) => ({
        ...r,
        path: r.path.replace('dashboard', 'unbuilt'),
      })),
    ],
  });
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string): Promise<{ code: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${api.url}${path}`, { ca: api.caPem }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the dashboard files', () => {
  it('are served without a credential under /dashboard/, with their content type and security headers', async () => {
    const js = await get('/dashboard/assets/app.js');
    expect(js.code).toBe(200);
    expect(js.body).toBe('console.log(1)');
    expect(js.headers['content-type']).toContain('javascript');
    const index = await get('/dashboard/');
    expect(index.body).toContain('<title>index</title>');
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
  });

  it('answer paths of the page that are not files with index.html, and redirect /dashboard', async () => {
    expect((await get('/dashboard/workloads')).body).toContain('<title>index</title>');
    const redirect = await get('/dashboard');
    expect(redirect.code).toBe(301);
    expect(redirect.headers.location).toBe('/dashboard/');
  });

  it('say how to build them when they are not built', async () => {
    const res = await get('/unbuilt/');
    expect(res.code).toBe(404);
    expect(res.body).toContain('the dashboard is not built');
    expect(res.body).toContain('run npm run build');
  });
});
