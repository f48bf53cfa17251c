import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type KubectlVersion, kubectlPath } from '../../test/support/kubectl.js';
import { buildKubeconfig, KubeconfigError, parseKubeconfig, resolveContext } from './kubeconfig.js';

// PEM-shaped text is enough here: kubeconfig handling never parses the certificates.
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake-ca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake-cert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHfake-key\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

// Found as the README says (PATH, then the Google Cloud SDK); a missing one fails the test by name.
const kubectls: KubectlVersion[] = ['1.27', '1.33'];

const dir = mkdtempSync(join(tmpdir(), 'concord-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubectlView(kubectl: KubectlVersion, file: string, ...extra: string[]): Record<string, unknown> {
  const out = execFileSync(
    kubectlPath(kubectl),
    ['config', 'view', '--kubeconfig', file, '--raw', '-o', 'json', ...extra],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    },
  );
  return JSON.parse(out);
}

describe('buildKubeconfig and parseKubeconfig', () => {
  it('round-trip a token kubeconfig', () => {
    const text = buildKubeconfig({
      name: 'hub',
      server: 'https://127.0.0.1:6443',
      caPem: CA,
      user: { token: 'tok-123' },
    });
    const cfg = parseKubeconfig(text);
    expect(cfg['current-context']).toBe('hub');
    expect(cfg.clusters).toEqual([
      { name: 'hub', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) } },
    ]);
    expect(resolveContext(cfg)).toEqual({
      contextName: 'hub',
      clusterName: 'hub',
      userName: 'hub',
      server: 'https://127.0.0.1:6443',
      caPem: CA,
      token: 'tok-123',
    });
  });

  it('round-trip a client-certificate kubeconfig with its own user and context names', () => {
    const text = buildKubeconfig({
      name: 'edge-1',
      server: 'https://[::1]:7443',
      caPem: CA,
      user: { certPem: CERT, keyPem: KEY },
      userName: 'edge-1-admin',
      contextName: 'edge-1-admin@edge-1',
      namespace: 'apps',
      tlsServerName: 'edge-1.local',
    });
    // Long base64 values stay on one line, as kubectl writes them.
    expect(text).toContain(`client-key-data: ${b64(KEY)}\n`);
    expect(resolveContext(parseKubeconfig(text))).toEqual({
      contextName: 'edge-1-admin@edge-1',
      clusterName: 'edge-1',
      userName: 'edge-1-admin',
      server: 'https://[::1]:7443',
      namespace: 'apps',
      caPem: CA,
      tlsServerName: 'edge-1.local',
      certPem: CERT,
      keyPem: KEY,
    });
  });

  it('refuses to build with a bad server or bad credentials', () => {
    expect(() => buildKubeconfig({ name: 'x', server: 'localhost:6443', user: { token: 't' } })).toThrow(
      /server "localhost:6443" must be an http or https URL/,
    );
    expect(() =>
      buildKubeconfig({ name: 'x', server: 'https://h', user: { certPem: 'nope', keyPem: KEY } }),
    ).toThrow('kubeconfig: user certPem is not a PEM certificate');
  });
});

describe.each(kubectls)('kubectl %s reads what buildKubeconfig writes', (kubectl) => {
  it('token user', () => {
    const file = join(dir, `${kubectl}-token.yaml`);
    writeFileSync(
      file,
      buildKubeconfig({
        name: 'hub',
        server: 'https://127.0.0.1:6443',
        caPem: CA,
        user: { token: 'tok-123' },
      }),
    );
    const view = kubectlView(kubectl, file);
    expect(view).toMatchObject({
      'current-context': 'hub',
      clusters: [
        { name: 'hub', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) } },
      ],
      contexts: [{ name: 'hub', context: { cluster: 'hub', user: 'hub' } }],
      users: [{ name: 'hub', user: { token: 'tok-123' } }],
    });
  });

  it('client certificate user', () => {
    const file = join(dir, `${kubectl}-cert.yaml`);
    writeFileSync(
      file,
      buildKubeconfig({
        name: 'c1',
        server: 'https://127.0.0.1:7443',
        caPem: CA,
        user: { certPem: CERT, keyPem: KEY },
        tlsServerName: 'c1.local',
        namespace: 'apps',
      }),
    );
    const view = kubectlView(kubectl, file);
    expect(view).toMatchObject({
      clusters: [
        { name: 'c1', cluster: { 'certificate-authority-data': b64(CA), 'tls-server-name': 'c1.local' } },
      ],
      contexts: [{ name: 'c1', context: { cluster: 'c1', user: 'c1', namespace: 'apps' } }],
      users: [{ name: 'c1', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
    });
  });

  it('file references resolve against the kubeconfig folder, as parseKubeconfig leaves them', () => {
    const sub = mkdtempSync(join(dir, 'files-'));
    writeFileSync(join(sub, 'ca.crt'), CA);
    writeFileSync(join(sub, 'user.crt'), CERT);
    writeFileSync(join(sub, 'user.key'), KEY);
    const file = join(sub, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: c',
        '  cluster: {server: "https://127.0.0.1:1", certificate-authority: ca.crt}',
        'users:',
        '- name: u',
        '  user: {client-certificate: user.crt, client-key: user.key}',
        'contexts:',
        '- name: ctx',
        '  context: {cluster: c, user: u}',
        'current-context: ctx',
        '',
      ].join('\n'),
    );
    // --flatten inlines the files the way kubectl finds them.
    const flat = kubectlView(kubectl, file, '--flatten');
    expect(flat).toMatchObject({
      clusters: [{ cluster: { 'certificate-authority-data': b64(CA) } }],
      users: [{ user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
    });
    expect(resolveContext(parseKubeconfig(readFileSync(file, 'utf8')))).toMatchObject({
      caFile: 'ca.crt',
      certFile: 'user.crt',
      keyFile: 'user.key',
    });
  });
});

describe('parseKubeconfig errors name the field', () => {
  const cases: [string, string, RegExp][] = [
    ['bad YAML', 'clusters: [', /^kubeconfig: not valid YAML/],
    ['a list', '- a', /the document must be a mapping/],
    ['wrong kind', 'kind: Pod', /kind must be "Config", not "Pod"/],
    ['clusters not a list', 'clusters: {}', /clusters must be a list/],
    [
      'nameless cluster',
      'clusters:\n- cluster: {server: https://x}',
      /clusters\[0\]\.name must be a non-empty string/,
    ],
    [
      'server not a string',
      'clusters:\n- name: a\n  cluster: {server: 5}',
      /clusters\[0\]\.cluster\.server must be a string/,
    ],
    [
      'insecure not a bool',
      'clusters:\n- name: a\n  cluster: {server: https://x, insecure-skip-tls-verify: "yes"}',
      /insecure-skip-tls-verify must be a boolean/,
    ],
    ['duplicate user', 'users:\n- name: a\n  user: {}\n- name: a\n  user: {}', /duplicate name "a" in users/],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    expect(() => parseKubeconfig(text)).toThrow(KubeconfigError);
    expect(() => parseKubeconfig(text)).toThrow(message);
  });
});

describe('resolveContext errors name what is missing', () => {
  function cfg(extra: { cluster?: object; user?: object; context?: object; current?: string } = {}) {
    return parseKubeconfig(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://h:1', ...extra.cluster } }],
        users: [{ name: 'u', user: { token: 't', ...extra.user } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', ...extra.context } }],
        'current-context': extra.current ?? 'ctx',
      }),
    );
  }

  it('contexts, clusters and users', () => {
    expect(() => resolveContext(cfg({ current: '' }))).toThrow(
      'kubeconfig: no context chosen: current-context is not set',
    );
    expect(() => resolveContext(cfg(), 'other')).toThrow(
      'kubeconfig: context was not found for specified context: other',
    );
    expect(() => resolveContext(cfg({ context: { cluster: 'nope' } }))).toThrow(
      'kubeconfig: cluster "nope" was not found for context "ctx"',
    );
    expect(() => resolveContext(cfg({ context: { user: 'nope' } }))).toThrow(
      'kubeconfig: user "nope" was not found for context "ctx"',
    );
    expect(() => resolveContext(cfg({ cluster: { server: '' } }))).toThrow(
      'kubeconfig: no server found for cluster "c"',
    );
  });

  it('credentials and TLS settings', () => {
    expect(() => resolveContext(cfg({ cluster: { 'certificate-authority-data': 'not base64!' } }))).toThrow(
      'kubeconfig: certificate-authority-data of cluster "c" is not valid base64',
    );
    expect(() => resolveContext(cfg({ cluster: { 'certificate-authority-data': b64('hello') } }))).toThrow(
      'kubeconfig: certificate-authority-data of cluster "c" does not hold a PEM certificate',
    );
    expect(() =>
      resolveContext(
        cfg({ cluster: { 'insecure-skip-tls-verify': true, 'certificate-authority': 'ca.crt' } }),
      ),
    ).toThrow(/specifying a root certificates file with the insecure flag is not allowed/);
    expect(() => resolveContext(cfg({ user: { 'client-certificate-data': b64(CERT) } }))).toThrow(
      'kubeconfig: client-key-data or client-key must be specified for u to use the clientCert authentication method.',
    );
    expect(() => resolveContext(cfg({ user: { username: 'a', password: 'b' } }))).toThrow(
      'kubeconfig: more than one authentication method found for u; found [token basicAuth], only one is allowed',
    );
    expect(() => resolveContext(cfg({ user: { exec: { command: 'x' } } }))).toThrow(
      /exec credential plugins are not supported/,
    );
    expect(resolveContext(cfg({ cluster: { 'insecure-skip-tls-verify': true } })).insecure).toBe(true);
  });

  it('proxy-url: http, https or socks5', () => {
    expect(resolveContext(cfg({ cluster: { 'proxy-url': 'socks5://127.0.0.1:1080' } })).proxyUrl).toBe(
      'socks5://127.0.0.1:1080',
    );
    expect(resolveContext(cfg()).proxyUrl).toBeUndefined();
    expect(() => resolveContext(cfg({ cluster: { 'proxy-url': 'ftp://127.0.0.1:21' } }))).toThrow(
      'kubeconfig: proxy-url of cluster "c" ftp://127.0.0.1:21 must be an http, https or socks5 URL with a host',
    );
    expect(() => resolveContext(cfg({ cluster: { 'proxy-url': 'not a url' } }))).toThrow(
      'kubeconfig: proxy-url of cluster "c" not a url is not a valid URL',
    );
  });

  it('inline data wins over a file, as in client-go', () => {
    const r = resolveContext(
      cfg({ cluster: { 'certificate-authority-data': b64(CA), 'certificate-authority': '/x/ca.crt' } }),
    );
    expect(r.caPem).toBe(CA);
    expect(r.caFile).toBeUndefined();
  });
});
