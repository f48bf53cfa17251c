import { webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Authenticator,
  bearerToken,
  ClientCertificateAuthenticator,
  formatTokenFile,
  loadOrCreateTokenFile,
  parseTokenFile,
  StaticTokenAuthenticator,
  selfSubjectReviewStatus,
  serviceAccountGroups,
  serviceAccountUsername,
  type TokenAuthenticator,
  type UserInfo,
  withAuthenticatedGroup,
} from './authn.js';
import {
  type CertificateAuthority,
  createCA,
  issueClientCertificate,
  issueServingCertificate,
  tlsServerOptions,
} from './pki.js';

describe('tokens file', () => {
  it('reads the --token-auth-file CSV format, groups quoted', () => {
    const text = 'abc123,alice,uid-1,"system:masters,devs"\nxyz,bob,uid-2\n';
    expect(parseTokenFile(text)).toEqual([
      { token: 'abc123', user: 'alice', uid: 'uid-1', groups: ['system:masters', 'devs'] },
      { token: 'xyz', user: 'bob', uid: 'uid-2', groups: [] },
    ]);
  });

  it('skips blank lines and empty tokens, accepts CRLF, lets a later duplicate win', () => {
    const text = '\r\nt1,a,1\r\n\r\n,nobody,0\r\nt1,b,2,g\r\n';
    expect(parseTokenFile(text)).toEqual([{ token: 't1', user: 'b', uid: '2', groups: ['g'] }]);
  });

  it('reads quoted fields with doubled quotes and commas', () => {
    expect(parseTokenFile('tok,"user, ""the"" admin",u1,g1\n')).toEqual([
      { token: 'tok', user: 'user, "the" admin', uid: 'u1', groups: ['g1'] },
    ]);
  });

  it('names the line of a record with too few columns or a stray quote', () => {
    expect(() => parseTokenFile('a,b,c\nd,e\n', '/data/tokens.csv')).toThrow(
      '/data/tokens.csv: line 2: must have at least 3 columns (token, user name, user uid), found 2',
    );
    expect(() => parseTokenFile('a,b"x,c\n')).toThrow('tokens file: line 1: bare " in non-quoted-field');
    expect(() => parseTokenFile('a,b,"c\n')).toThrow(/line 1: extraneous or missing " in quoted-field/);
  });

  it('writes what it reads', () => {
    const entries = [
      { token: 't-1', user: 'admin, the first', uid: 'u"1', groups: ['system:masters', 'ops'] },
      { token: 't-2', user: 'viewer', uid: 'u2', groups: [] },
    ];
    expect(parseTokenFile(formatTokenFile(entries))).toEqual(entries);
  });
});

describe('loadOrCreateTokenFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-authn-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 file with a random admin token in system:masters, then reuses it', async () => {
    const first = await loadOrCreateTokenFile(dir);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect(first.entries).toHaveLength(1);
    expect(first.entries[0]).toMatchObject({ user: 'kubernetes-admin', groups: ['system:masters'] });
    expect(first.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readFile(first.path, 'utf8')).toBe(
      `${first.adminToken},kubernetes-admin,kubernetes-admin,system:masters\n`,
    );
    const second = await loadOrCreateTokenFile(dir);
    expect(second.adminToken).toBe(first.adminToken);
    const other = await loadOrCreateTokenFile(join(dir, 'other'));
    expect(other.adminToken).not.toBe(first.adminToken);
  });
});

describe('StaticTokenAuthenticator', () => {
  const auth = new StaticTokenAuthenticator([
    { token: 'secret-token-1', user: 'alice', uid: '42', groups: ['devs'] },
    { token: 'secret-token-2', user: 'bob', uid: '', groups: [] },
  ]);

  it('maps a known token to its user and nothing else', () => {
    expect(auth.authenticateToken('secret-token-1')).toEqual({
      username: 'alice',
      uid: '42',
      groups: ['devs'],
    });
    expect(auth.authenticateToken('secret-token-2')).toEqual({ username: 'bob', groups: [] });
    expect(auth.authenticateToken('secret-token-')).toBeNull();
    expect(auth.authenticateToken('secret-token-10')).toBeNull();
    expect(auth.authenticateToken('')).toBeNull();
  });

  it('hands out copies: a caller changing the user does not change the next answer', () => {
    const u = auth.authenticateToken('secret-token-1')!;
    u.groups.push('system:masters');
    expect(auth.authenticateToken('secret-token-1')!.groups).toEqual(['devs']);
  });
});

describe('bearerToken', () => {
  it('reads the Authorization header as kube-apiserver does', () => {
    expect(bearerToken({ authorization: 'Bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: 'bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: '  Bearer abc  ' })).toBe('abc');
    expect(bearerToken({ authorization: 'Bearer abc extra' })).toBe('abc');
    expect(bearerToken({ authorization: 'Bearer ' })).toBeNull();
    expect(bearerToken({ authorization: 'Bearer  abc' })).toBeNull();
    expect(bearerToken({ authorization: 'Basic YTpi' })).toBeNull();
    expect(bearerToken({})).toBeNull();
  });
});

describe('user helpers', () => {
  it('adds system:authenticated once', () => {
    const u: UserInfo = { username: 'a', groups: ['g'] };
    expect(withAuthenticatedGroup(u).groups).toEqual(['g', 'system:authenticated']);
    expect(withAuthenticatedGroup(withAuthenticatedGroup(u)).groups).toEqual(['g', 'system:authenticated']);
  });

  it('reports the requester for `kubectl auth whoami`', () => {
    expect(
      selfSubjectReviewStatus({ username: 'a', uid: '1', groups: ['g', 'system:authenticated'] }),
    ).toEqual({
      userInfo: { username: 'a', uid: '1', groups: ['g', 'system:authenticated'] },
    });
  });

  it('names service accounts as Kubernetes does', () => {
    expect(serviceAccountUsername('kube-system', 'default')).toBe(
      'system:serviceaccount:kube-system:default',
    );
    expect(serviceAccountGroups('web')).toEqual(['system:serviceaccounts', 'system:serviceaccounts:web']);
  });
});

describe('ClientCertificateAuthenticator', () => {
  let ca: CertificateAuthority;
  let auth: ClientCertificateAuthenticator;
  beforeAll(async () => {
    ca = await createCA('authn-ca');
    auth = new ClientCertificateAuthenticator(ca.certPem);
  });

  it('reads CN as the user and every O as a group', async () => {
    const c = await issueClientCertificate(ca, { user: 'alice', groups: ['system:masters', 'a,b+c'] });
    expect(auth.authenticateCertificate(c.certPem)).toEqual({
      username: 'alice',
      groups: ['system:masters', 'a,b+c'],
    });
  });

  it('refuses certificates from another CA, for servers only, or outside their validity', async () => {
    const other = await createCA('other');
    expect(
      auth.authenticateCertificate((await issueClientCertificate(other, { user: 'm' })).certPem),
    ).toBeNull();
    expect(
      auth.authenticateCertificate((await issueServingCertificate(ca, { hosts: [] })).certPem),
    ).toBeNull();
    const c = await issueClientCertificate(ca, { user: 'alice' });
    expect(auth.authenticateCertificate(c.certPem, new Date(Date.now() + 400 * 86400_000))).toBeNull();
    expect(auth.authenticateCertificate(c.certPem, new Date(Date.now() - 3600_000))).toBeNull();
    expect(auth.authenticateCertificate('garbage')).toBeNull();
  });

  it('refuses a certificate without a common name', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject: 'O=system:masters',
        issuer: ca.cert.subjectName,
        publicKey: keys.publicKey,
        signingKey: ca.signingKey,
        signingAlgorithm: ca.signingAlgorithm,
        notBefore: new Date(Date.now() - 60_000),
        extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
      },
      webcrypto,
    );
    expect(auth.authenticateCertificate(cert.toString('pem'))).toBeNull();
  });
});

describe('Authenticator over HTTPS', () => {
  let ca: CertificateAuthority;
  let server: ReturnType<typeof createServer>;
  let port: number;
  const saTokens: TokenAuthenticator = {
    authenticateToken: (t) =>
      t === 'sa-token'
        ? { username: serviceAccountUsername('apps', 'builder'), groups: serviceAccountGroups('apps') }
        : null,
  };

  beforeAll(async () => {
    ca = await createCA('https-ca');
    const serving = await issueServingCertificate(ca, { hosts: [] });
    const authenticator = new Authenticator({
      tokens: [{ token: 'admin-token', user: 'admin', uid: 'a1', groups: ['system:masters'] }],
      tokenAuthenticators: [saTokens],
      clientCA: ca.certPem,
    });
    const withAnonymous = new Authenticator({
      tokens: [{ token: 'admin-token', user: 'admin', uid: 'a1', groups: ['system:masters'] }],
      clientCA: ca.certPem,
      anonymous: true,
    });
    server = createServer(tlsServerOptions(ca, serving), (req, res) => {
      const user = (req.url === '/anonymous' ? withAnonymous : authenticator).authenticate(req);
      res.statusCode = user ? 200 : 401;
      res.end(JSON.stringify(user));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function call(opts: {
    token?: string;
    cert?: string;
    key?: string;
    path?: string;
  }): Promise<{ code: number; user: unknown }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: opts.path ?? '/',
          ca: ca.certPem,
          cert: opts.cert,
          key: opts.key,
          headers,
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ code: res.statusCode!, user: JSON.parse(body) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('a bearer token from the tokens file authenticates, with system:authenticated added', async () => {
    expect(await call({ token: 'admin-token' })).toEqual({
      code: 200,
      user: { username: 'admin', uid: 'a1', groups: ['system:masters', 'system:authenticated'] },
    });
  });

  it('further token authenticators are asked after the static tokens', async () => {
    expect(await call({ token: 'sa-token' })).toEqual({
      code: 200,
      user: {
        username: 'system:serviceaccount:apps:builder',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:apps', 'system:authenticated'],
      },
    });
  });

  it('a client certificate authenticates, even beside a wrong token', async () => {
    const c = await issueClientCertificate(ca, { user: 'carol', groups: ['ops'] });
    const expected = { code: 200, user: { username: 'carol', groups: ['ops', 'system:authenticated'] } };
    expect(await call({ cert: c.certPem, key: c.keyPem })).toEqual(expected);
    expect(await call({ cert: c.certPem, key: c.keyPem, token: 'wrong' })).toEqual(expected);
  });

  it('no credential, a wrong token or a foreign certificate authenticate nobody', async () => {
    expect(await call({})).toEqual({ code: 401, user: null });
    expect(await call({ token: 'admin-token2' })).toEqual({ code: 401, user: null });
    const other = await createCA('other');
    const foreign = await issueClientCertificate(other, { user: 'admin', groups: ['system:masters'] });
    expect(await call({ cert: foreign.certPem, key: foreign.keyPem })).toEqual({ code: 401, user: null });
  });

  it('with anonymous requests allowed, only a request with no credential at all is system:anonymous', async () => {
    const path = '/anonymous';
    expect(await call({ path })).toEqual({
      code: 200,
      user: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    });
    // A credential that fails is refused, not downgraded to anonymous (kube-apiserver's rule).
    expect(await call({ path, token: 'admin-token2' })).toEqual({ code: 401, user: null });
    const other = await createCA('other-anonymous');
    const foreign = await issueClientCertificate(other, { user: 'admin', groups: ['system:masters'] });
    expect(await call({ path, cert: foreign.certPem, key: foreign.keyPem })).toEqual({
      code: 401,
      user: null,
    });
    expect(await call({ path, token: 'admin-token' })).toMatchObject({
      code: 200,
      user: { username: 'admin' },
    });
  });
});
