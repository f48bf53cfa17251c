import { readFile, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issueClientCertificate, loadOrCreateCA } from '../apiserver/pki.js';
import { parseKubeconfig, type ResolvedKubeconfig, resolveContext } from '../machinery/kubeconfig.js';
import { ApiError } from '../machinery/status.js';
import { apiError, configMap, describeClientConformance, eventCollector } from './conformance.testing.js';
import { DISCOVERY_ACCEPT, HttpsClient } from './https.js';
import { NetworkError } from './network-error.js';
import { resources } from './resources.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

for (const protocol of ['auto', 'h2', 'http/1.1'] as const) {
  describeClientConformance(`https ${protocol}`, (cluster) => {
    const made: HttpsClient[] = [];
    const make = (userAgent?: string) => {
      const c = cluster.https({ protocol, ...(userAgent ? { userAgent } : {}) });
      made.push(c);
      return c;
    };
    return {
      client: make(),
      withUserAgent: make,
      close: () => {
        for (const c of made) c.close();
      },
    };
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function listening(server: Server | http2.Http2SecureServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('HttpsClient', () => {
  let cluster: TestCluster;
  let config: ResolvedKubeconfig;
  const clients: HttpsClient[] = [];
  const client = (
    overrides: Partial<ResolvedKubeconfig> = {},
    opts: ConstructorParameters<typeof HttpsClient>[1] = {},
  ) => {
    const c = new HttpsClient({ ...config, ...overrides }, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startTestCluster('https');
    config = resolveContext(parseKubeconfig(cluster.running.kubeconfig));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster.close();
  });

  it('reads its kubeconfig from a file', async () => {
    const path = join(cluster.stateDir, 'admin.kubeconfig');
    await writeFile(path, cluster.running.kubeconfig);
    const c = await HttpsClient.fromKubeconfigFile(path);
    clients.push(c);
    const ns = await c.get(resources.namespaces, 'default');
    expect(ns.metadata.name).toBe('default');
  });

  it('authenticates with a client certificate; RBAC decides what it may do', async () => {
    const ca = await loadOrCreateCA(join(cluster.stateDir, 'pki'), 'https-ca');
    const carol = await issueClientCertificate(ca, { user: 'carol', groups: ['dev'] });
    const asCarol = client({ token: undefined, certPem: carol.certPem, keyPem: carol.keyPem });
    const denied = await apiError(asCarol.list(resources.secrets, { namespace: 'default' }));
    expect(denied.code).toBe(403);
    expect(denied.reason).toBe('Forbidden');
    expect(denied.message).toContain('User "carol" cannot list resource "secrets"');

    const admin = await issueClientCertificate(ca, { user: 'root', groups: ['system:masters'] });
    const asAdmin = client({ token: undefined, certPem: admin.certPem, keyPem: admin.keyPem });
    await asAdmin.list(resources.secrets, { namespace: 'default' });
  });

  it('gets 401 with a token the server does not know', async () => {
    const err = await apiError(client({ token: 'not-a-token' }).list(resources.configmaps));
    expect(err.code).toBe(401);
    expect(err.reason).toBe('Unauthorized');
  });

  it('verifies the server against the CA and tls-server-name; insecure-skip-tls-verify skips it', async () => {
    const otherCA = await createCA('someone-else');
    const untrusted = await failure(client({ caPem: otherCA.certPem }).get(resources.namespaces, 'default'));
    expect(untrusted).toBeInstanceOf(NetworkError);
    expect((untrusted as NetworkError).reason).toBe('TLS');
    expect(untrusted).not.toBeInstanceOf(ApiError);

    const wrongName = await failure(
      client({ tlsServerName: 'not-this-server.example' }).get(resources.namespaces, 'default'),
    );
    expect((wrongName as NetworkError).reason).toBe('TLS');
    await client({ tlsServerName: 'localhost' }).get(resources.namespaces, 'default');

    const insecure = client({ caPem: undefined, insecure: true });
    expect((await insecure.get(resources.namespaces, 'default')).metadata.name).toBe('default');
  });

  it('tells a refused connection apart from an API error', async () => {
    const probe = createServer();
    const port = await listening(probe);
    await new Promise((r) => probe.close(r));
    for (const protocol of ['auto', 'h2', 'http/1.1'] as const) {
      const err = await failure(
        client({ server: `https://127.0.0.1:${port}` }, { protocol }).list(resources.pods),
      );
      expect(err).toBeInstanceOf(NetworkError);
      expect((err as NetworkError).reason).toBe('ConnectionRefused');
      expect((err as NetworkError).code).toBe('ECONNREFUSED');
      expect((err as NetworkError).retryable).toBe(true);
    }
  });

  it('gives up after the request timeout with a Timeout NetworkError', async () => {
    // Accepts connections and never answers, not even the TLS handshake.
    const sockets: import('node:net').Socket[] = [];
    let open = 0;
    const silent = createServer((s) => {
      sockets.push(s);
      open++;
      // Reads (and ignores) what arrives, so that it notices when the client hangs up.
      s.resume();
      s.on('close', () => open--);
    });
    const port = await listening(silent);
    try {
      for (const protocol of ['auto', 'h2', 'http/1.1'] as const) {
        const c = client({ server: `https://127.0.0.1:${port}` }, { protocol, timeoutMs: 200 });
        const err = await failure(c.get(resources.namespaces, 'default'));
        expect(err).toBeInstanceOf(NetworkError);
        expect((err as NetworkError).reason).toBe('Timeout');
        const watchErr = await failure(c.watch(resources.pods, {}, eventCollector().callbacks));
        expect((watchErr as NetworkError).reason).toBe('Timeout');
        // The client hung up: nothing is left waiting on the silent server.
        await expect.poll(() => open).toBe(0);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('maps an error body that is not a Status to one made from the HTTP code', async () => {
    const pki = join(cluster.stateDir, 'pki');
    const server = http2.createSecureServer(
      {
        key: await readFile(join(pki, 'apiserver.key'), 'utf8'),
        cert: await readFile(join(pki, 'apiserver.crt'), 'utf8'),
        allowHTTP1: true,
      },
      (req, res) => {
        if (req.url?.includes('/configmaps/')) {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html>bad gateway</html>');
        } else if (req.method === 'POST') {
          res.writeHead(409, { 'content-type': 'text/plain' });
          res.end('exists');
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('404 page not found');
        }
      },
    );
    const port = await listening(server);
    try {
      const c = client({ server: `https://127.0.0.1:${port}` });
      const bad = await apiError(c.get(resources.configmaps, 'x', { namespace: 'default' }));
      expect(bad.code).toBe(502);
      expect(bad.reason).toBe('InternalError');
      expect(bad.message).toBe(
        'an error on the server ("<html>bad gateway</html>") has prevented the request from succeeding (get configmaps x)',
      );
      expect(bad.status.details?.causes).toEqual([
        { reason: 'UnexpectedServerResponse', message: '<html>bad gateway</html>' },
      ]);
      const notFound = await apiError(c.list(resources.deployments, { namespace: 'default' }));
      expect(notFound).toMatchObject({ code: 404, reason: 'NotFound' });
      expect(notFound.message).toBe(
        'the server could not find the requested resource (get deployments.apps)',
      );
      const exists = await apiError(
        c.create(resources.pods, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p', namespace: 'default' },
        }),
      );
      expect(exists).toMatchObject({ code: 409, reason: 'AlreadyExists' });
      c.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('ends a watch with a NetworkError when the server goes away, and fails calls after close()', async () => {
    const c = client();
    const events = eventCollector();
    await c.watch(resources.configmaps, { namespace: 'default' }, events.callbacks);
    const other = await startTestCluster('https-gone');
    const c2 = new HttpsClient(resolveContext(parseKubeconfig(other.running.kubeconfig)));
    const gone = eventCollector();
    await c2.watch(resources.configmaps, { namespace: 'default' }, gone.callbacks);
    await other.close();
    await expect.poll(() => gone.closes.length).toBe(1);
    expect(gone.closes[0]).toBeInstanceOf(NetworkError);

    c2.close();
    const closed = await failure(c2.list(resources.configmaps));
    expect((closed as NetworkError).reason).toBe('Closed');
    expect(events.closes).toEqual([]);
  });

  it('reads non-resource paths and discovery', async () => {
    const c = client();
    const version = (await c.getRaw('/version')) as { gitVersion: string };
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(await c.getRaw('/healthz')).toBe('ok');
    const apis = (await c.discover('/apis')) as { kind: string };
    expect(apis.kind).toBe('APIGroupDiscoveryList');
  });

  it('reads a document again only when its ETag changed', async () => {
    const c = client();
    const first = await c.getDocument('/apis', { accept: DISCOVERY_ACCEPT });
    if (first.notModified) throw new Error('the first read has nothing to compare with');
    expect((first.body as { kind: string }).kind).toBe('APIGroupDiscoveryList');
    expect(first.etag).toBeTruthy();
    expect(await c.getDocument('/apis', { accept: DISCOVERY_ACCEPT, etag: first.etag })).toEqual({
      notModified: true,
    });
    const stale = await c.getDocument('/apis', { accept: DISCOVERY_ACCEPT, etag: '"not-the-etag"' });
    expect(stale.notModified).toBe(false);
  });

  it('passes Warning headers to onWarning', async () => {
    const warnings: string[] = [];
    const c = client({}, { onWarning: (w) => warnings.push(w) });
    await c.create(resources.configmaps, { ...configMap('warned-https'), bogus: true } as never, {
      namespace: 'default',
      fieldValidation: 'Warn',
    });
    expect(warnings.join('\n')).toContain('bogus');
  });

  it('refuses a kubeconfig whose files were not loaded', () => {
    expect(() => new HttpsClient({ ...config, caPem: undefined, caFile: 'ca.crt' })).toThrow(
      /certificate-authority ca\.crt is not loaded/,
    );
  });
});
