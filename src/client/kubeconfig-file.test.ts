import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlVersion, kubectlPath } from '../../test/support/kubectl.js';
import { Authenticator, type UserInfo } from '../apiserver/authn.js';
import {
  type CertificateAuthority,
  createCA,
  issueClientCertificate,
  issueServingCertificate,
  tlsServerOptions,
} from '../apiserver/pki.js';
import { buildKubeconfig, KubeconfigError } from '../machinery/kubeconfig.js';
import { loadKubeconfig, writeKubeconfig } from './kubeconfig-file.js';

const run = promisify(execFile);
// Found as the README says (PATH, then the Google Cloud SDK); a missing one fails the test by name.
const kubectls: KubectlVersion[] = ['1.27', '1.33'];

let dir: string;
let ca: CertificateAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-kubeconfig-file-'));
  ca = await createCA('kubeconfig-test-ca');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadKubeconfig', () => {
  it('reads referenced files relative to the kubeconfig folder, and trims a token file', async () => {
    const sub = join(dir, 'refs');
    const client = await issueClientCertificate(ca, { user: 'u' });
    await writeKubeconfig(join(sub, 'creds', 'ca.crt'), ca.certPem);
    await writeFile(join(sub, 'creds', 'u.crt'), client.certPem);
    await writeFile(join(sub, 'creds', 'u.key'), client.keyPem);
    await writeFile(join(sub, 'token'), '  tok-from-file\n');
    const text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- {name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority: creds/ca.crt}}',
      'users:',
      '- {name: certs, user: {client-certificate: creds/u.crt, client-key: creds/u.key}}',
      '- {name: tok, user: {tokenFile: token}}',
      'contexts:',
      '- {name: certs, context: {cluster: c, user: certs}}',
      '- {name: tok, context: {cluster: c, user: tok, namespace: apps}}',
      'current-context: certs',
      '',
    ].join('\n');
    const path = join(sub, 'config');
    await writeFile(path, text);
    const certs = await loadKubeconfig(path);
    expect(certs).toMatchObject({
      server: 'https://127.0.0.1:1',
      caPem: ca.certPem,
      certPem: client.certPem,
      keyPem: client.keyPem,
    });
    const tok = await loadKubeconfig(path, 'tok');
    expect(tok).toMatchObject({ token: 'tok-from-file', namespace: 'apps', caPem: ca.certPem });
  });

  it('names the kubeconfig and the file it could not read', async () => {
    const path = join(dir, 'missing-ref');
    await writeFile(
      path,
      'clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority: nowhere.crt}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    await expect(loadKubeconfig(path)).rejects.toThrow(
      new RegExp(`kubeconfig ${path}: unable to read certificate-authority .*nowhere\\.crt`),
    );
    await expect(loadKubeconfig(join(dir, 'absent'))).rejects.toThrow(KubeconfigError);
    await writeFile(join(dir, 'no-ctx'), 'kind: Config\n');
    await expect(loadKubeconfig(join(dir, 'no-ctx'))).rejects.toThrow(
      `kubeconfig ${join(dir, 'no-ctx')}: no context chosen: current-context is not set`,
    );
  });

  it('writeKubeconfig leaves a file only its owner can read', async () => {
    const path = join(dir, 'out', 'hub.kubeconfig');
    await writeKubeconfig(
      path,
      buildKubeconfig({ name: 'hub', server: 'https://127.0.0.1:1', user: { token: 't' } }),
    );
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeKubeconfig(
      path,
      buildKubeconfig({ name: 'hub', server: 'https://127.0.0.1:2', user: { token: 't' } }),
    );
    expect((await loadKubeconfig(path)).server).toBe('https://127.0.0.1:2');
  });
});

describe('real clients with the generated PKI and kubeconfigs', () => {
  let server: ReturnType<typeof createServer>;
  let url: string;
  const seen: (UserInfo | null)[] = [];
  const adminToken = 'admin-token-0123456789';

  beforeAll(async () => {
    const serving = await issueServingCertificate(ca, { hosts: [] });
    const authenticator = new Authenticator({
      tokens: [{ token: adminToken, user: 'kubernetes-admin', uid: 'admin', groups: ['system:masters'] }],
      clientCA: ca.certPem,
    });
    // Just enough of an API server for `kubectl version`: /version behind authentication.
    server = createServer(tlsServerOptions(ca, serving), (req, res) => {
      const user = authenticator.authenticate(req);
      seen.push(user);
      res.setHeader('content-type', 'application/json');
      if (!user) {
        res.statusCode = 401;
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: 'Unauthorized',
            reason: 'Unauthorized',
            code: 401,
          }),
        );
        return;
      }
      res.end(JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function kubectlVersion(kubectl: KubectlVersion, kubeconfig: string) {
    const { stdout } = await run(
      kubectlPath(kubectl),
      ['version', '-o', 'json', '--kubeconfig', kubeconfig],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
      },
    );
    return JSON.parse(stdout) as { serverVersion?: { gitVersion: string } };
  }

  describe.each(kubectls)('kubectl %s', (kubectl) => {
    it('verifies the server against the CA and authenticates with the token', async () => {
      const path = join(dir, `${kubectl}-token.kubeconfig`);
      await writeKubeconfig(
        path,
        buildKubeconfig({ name: 'hub', server: url, caPem: ca.certPem, user: { token: adminToken } }),
      );
      seen.length = 0;
      expect((await kubectlVersion(kubectl, path)).serverVersion?.gitVersion).toBe('v1.33.0');
      expect(seen.at(-1)?.username).toBe('kubernetes-admin');
    });

    it('authenticates with a client certificate, as CN and O say', async () => {
      const client = await issueClientCertificate(ca, { user: 'ops-bot', groups: ['ops'] });
      const path = join(dir, `${kubectl}-cert.kubeconfig`);
      await writeKubeconfig(
        path,
        buildKubeconfig({
          name: 'hub',
          server: url,
          caPem: ca.certPem,
          user: { certPem: client.certPem, keyPem: client.keyPem },
        }),
      );
      seen.length = 0;
      expect((await kubectlVersion(kubectl, path)).serverVersion?.gitVersion).toBe('v1.33.0');
      expect(seen.at(-1)).toEqual({ username: 'ops-bot', groups: ['ops', 'system:authenticated'] });
    });

    it('is turned away with a wrong token, and refuses a server its CA did not sign', async () => {
      const wrong = join(dir, `${kubectl}-wrong.kubeconfig`);
      await writeKubeconfig(
        wrong,
        buildKubeconfig({ name: 'hub', server: url, caPem: ca.certPem, user: { token: 'nope' } }),
      );
      await expect(kubectlVersion(kubectl, wrong)).rejects.toMatchObject({
        stderr: expect.stringMatching(/You must be logged in to the server/),
      });
      const other = await createCA('other');
      const untrusted = join(dir, `${kubectl}-untrusted.kubeconfig`);
      await writeKubeconfig(
        untrusted,
        buildKubeconfig({ name: 'hub', server: url, caPem: other.certPem, user: { token: adminToken } }),
      );
      await expect(kubectlVersion(kubectl, untrusted)).rejects.toMatchObject({
        stderr: expect.stringMatching(/certificate signed by unknown authority|x509/),
      });
    });
  });
});
