// Who gets in without a credential, as with kube-apiserver: with anonymous auth on (the default)
// a request that carries no credential is system:anonymous in system:unauthenticated and may do
// what RBAC grants that group — health and version (system:public-info-viewer) out of the box —
// and gets kube-apiserver's 403 elsewhere; with it off, 401. A wrong credential is always 401.
// Checked over HTTPS against the real server with raw requests that send nothing but the path,
// and with kubectl given a kubeconfig that names no user credential.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { rawRequest } from './support/https.js';
import { type KubectlVersion, runKubectl } from './support/kubectl.js';

/** A request that carries no credential unless a token or an Authorization header is given. */
function raw(
  server: TestApiServer,
  method: string,
  path: string,
  opts: { token?: string; authorization?: string; body?: string } = {},
): Promise<{ code: number; body: string }> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  return rawRequest(`${server.url}${path}`, { ca: server.caPem, method, headers, body: opts.body }).then(
    ({ code, body }) => ({ code, body }),
  );
}

const UNAUTHORIZED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

function forbidden(message: string, details: Record<string, string>) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Forbidden',
    details,
    code: 403,
  };
}

/**
 * A kubeconfig whose user holds no credential. kubectl prompts for a user name when the user
 * entry is empty, and sends what it is given as HTTP basic auth; kube-apiserver has taken no basic
 * auth since 1.19, and neither does this server, so the request is anonymous. The user name here
 * is what such a prompt would have been answered with.
 */
function noCredentialKubeconfig(server: TestApiServer): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: e2e\n  cluster:\n    server: ${server.url}\n    certificate-authority-data: ${Buffer.from(server.caPem).toString('base64')}`,
    'users:',
    '- name: nobody\n  user: {username: guest}',
    'contexts:',
    '- name: e2e\n  context: {cluster: e2e, user: nobody}',
    'current-context: e2e',
    '',
  ].join('\n');
}

describe('anonymous requests with anonymous auth on (the default) [sqlite]', () => {
  let server: TestApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    server = await startTestApiServer({ name: 'anonymous' });
    kubeconfig = join(server.dir, 'nobody.kubeconfig');
    await writeFile(kubeconfig, noCredentialKubeconfig(server), { mode: 0o600 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('may read health and version, as system:public-info-viewer grants', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      expect(await raw(server, 'GET', path), path).toEqual({ code: 200, body: 'ok' });
    }
    for (const path of ['/version', '/version/']) {
      const reply = await raw(server, 'GET', path);
      expect(reply.code, path).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ major: '1', minor: '33' });
    }
  });

  it('gets kube-apiserver’s 403 for every other path, resource or verb — before 404', async () => {
    for (const path of [
      '/',
      '/api',
      '/apis',
      '/apis/apps/v1',
      '/openapi/v2',
      '/openapi/v3',
      '/metrics',
      '/healthz/ping',
    ]) {
      const reply = await raw(server, 'GET', path);
      expect({ path, code: reply.code, body: JSON.parse(reply.body) }).toEqual({
        path,
        code: 403,
        body: forbidden(`forbidden: User "system:anonymous" cannot get path "${path}"`, {}),
      });
    }
    expect(JSON.parse((await raw(server, 'POST', '/healthz')).body)).toEqual(
      forbidden('forbidden: User "system:anonymous" cannot post path "/healthz"', {}),
    );
    const cases: [string, string, string, string][] = [
      [
        'GET',
        '/api/v1/namespaces',
        'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
        'namespaces',
      ],
      [
        'GET',
        '/api/v1/namespaces/default/secrets/x',
        'secrets "x" is forbidden: User "system:anonymous" cannot get resource "secrets" in API group "" in the namespace "default"',
        'secrets',
      ],
      [
        'POST',
        '/api/v1/namespaces/default/configmaps',
        'configmaps is forbidden: User "system:anonymous" cannot create resource "configmaps" in API group "" in the namespace "default"',
        'configmaps',
      ],
      // A resource that does not exist: anonymous users learn nothing of what the server serves.
      [
        'GET',
        '/apis/example.com/v1/widgets',
        'widgets.example.com is forbidden: User "system:anonymous" cannot list resource "widgets" in API group "example.com" at the cluster scope',
        'widgets',
      ],
    ];
    for (const [method, path, message, kind] of cases) {
      const reply = await raw(server, method, path, { body: method === 'POST' ? '{}' : undefined });
      const details: Record<string, string> = path.endsWith('/x') ? { name: 'x', kind } : { kind };
      if (path.startsWith('/apis/example.com')) details.group = 'example.com';
      expect({ path, code: reply.code, body: JSON.parse(reply.body) }).toEqual({
        path,
        code: 403,
        body: forbidden(message, details),
      });
    }
  });

  it('is anonymous with an HTTP basic auth header, which is no credential to kube-apiserver either', async () => {
    const basic = await raw(server, 'GET', '/api', {
      authorization: `Basic ${Buffer.from('guest:').toString('base64')}`,
    });
    expect(basic.code).toBe(403);
    expect(JSON.parse(basic.body).message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
  });

  it('gets 401, not anonymous access, with a wrong token', async () => {
    for (const path of ['/healthz', '/version', '/api/v1/namespaces']) {
      const reply = await raw(server, 'GET', path, { token: 'not-a-token' });
      expect({ path, code: reply.code, body: JSON.parse(reply.body) }).toEqual({
        path,
        code: 401,
        body: UNAUTHORIZED,
      });
    }
  });

  it('is allowed what RBAC grants system:unauthenticated, and no more once the grant is gone', async () => {
    const admin = server.adminToken;
    const grant = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'anonymous-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }],
    };
    const path = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    expect((await raw(server, 'POST', path, { token: admin, body: JSON.stringify(grant) })).code).toBe(201);
    try {
      await expect
        .poll(async () => (await raw(server, 'GET', '/api/v1/namespaces/default/configmaps')).code)
        .toBe(200);
      expect((await raw(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: '{}' })).code).toBe(
        403,
      );
    } finally {
      expect((await raw(server, 'DELETE', `${path}/anonymous-view`, { token: admin })).code).toBe(200);
    }
    await expect
      .poll(async () => (await raw(server, 'GET', '/api/v1/namespaces/default/configmaps')).code)
      .toBe(403);
  });

  for (const version of ['1.27', '1.33'] as KubectlVersion[]) {
    it(`kubectl ${version} without a user credential reads the version, and is refused the rest with exit code 1`, async () => {
      const kubectl = (...args: string[]) =>
        runKubectl(version, kubeconfig, args, { home: join(server.dir, `home-${version}`) });
      const health = await kubectl('get', '--raw', '/readyz');
      expect(health).toMatchObject({ code: 0, stdout: 'ok' });
      const v = await kubectl('version', '-o', 'json');
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout).serverVersion.gitVersion).toMatch(/^v1\.33\./);
      // Discovery is forbidden too: kubectl says so as it does against kube-apiserver.
      const list = await kubectl('get', 'configmaps', '-n', 'default');
      expect(list.code).toBe(1);
      expect(list.stderr).toContain('Error from server (Forbidden)');
      const rawList = await kubectl('get', '--raw', '/api/v1/namespaces/default/configmaps');
      expect(rawList.code).toBe(1);
      expect(rawList.stderr).toContain(
        'Error from server (Forbidden): configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"',
      );
      const metrics = await kubectl('get', '--raw', '/metrics');
      expect(metrics.code).toBe(1);
      expect(metrics.stderr).toContain('forbidden: User "system:anonymous" cannot get path "/metrics"');
    });
  }
});

describe('anonymous requests with --anonymous-auth=false [sqlite]', () => {
  let server: TestApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    server = await startTestApiServer({ name: 'no-anonymous', anonymousAuth: false });
    kubeconfig = join(server.dir, 'nobody.kubeconfig');
    await writeFile(kubeconfig, noCredentialKubeconfig(server), { mode: 0o600 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers every request without a credential 401, health and version included', async () => {
    for (const path of [
      '/healthz',
      '/version',
      '/api',
      '/api/v1/namespaces',
      '/apis/example.com/v1/widgets',
    ]) {
      const reply = await raw(server, 'GET', path);
      expect({ path, code: reply.code, body: JSON.parse(reply.body) }).toEqual({
        path,
        code: 401,
        body: UNAUTHORIZED,
      });
    }
    expect((await raw(server, 'GET', '/readyz', { token: server.adminToken })).code).toBe(200);
  });

  it('makes kubectl without a user credential fail with exit code 1 and ask for a login', async () => {
    const kubectl = (...args: string[]) =>
      runKubectl('1.33', kubeconfig, args, { home: join(server.dir, 'home') });
    const list = await kubectl('get', 'configmaps', '-n', 'default');
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(
      'error: You must be logged in to the server (the server has asked for the client to provide credentials)',
    );
    const health = await kubectl('get', '--raw', '/healthz');
    expect(health.code).toBe(1);
    expect(health.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});
