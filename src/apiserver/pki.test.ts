import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  createCA,
  issueClientCertificate,
  issueServingCertificate,
  loadOrCreateCA,
  loadOrIssueServingCertificate,
  parseCA,
  tlsServerOptions,
} from './pki.js';

const DAY = 24 * 60 * 60 * 1000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function days(cert: X509Certificate): number {
  return (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createCA', () => {
  it('is a self-signed CA certificate valid for 10 years, with its key', async () => {
    const ca = await createCA('concord-hub-ca');
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=concord-hub-ca');
    expect(cert.issuer).toBe('CN=concord-hub-ca');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(Math.round(days(cert))).toBe(3650);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('gives every CA its own key and serial', async () => {
    const [a, b] = await Promise.all([createCA('x'), createCA('x')]);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(a.keyPem).not.toBe(b.keyPem);
  });
});

describe('loadOrCreateCA', () => {
  it('creates ca.crt and ca.key (0600) once and reuses them after a restart', async () => {
    const d = join(dir, 'reuse');
    const first = await loadOrCreateCA(d, 'concord-ca');
    const keyMode = (await stat(join(d, 'ca.key'))).mode & 0o777;
    expect(keyMode).toBe(0o600);
    expect(await readFile(join(d, 'ca.crt'), 'utf8')).toBe(first.certPem);
    const second = await loadOrCreateCA(d, 'ignored-on-reuse');
    expect(new X509Certificate(second.certPem).fingerprint256).toBe(
      new X509Certificate(first.certPem).fingerprint256,
    );
    // The reloaded CA signs certificates that chain to the original certificate.
    const leaf = await issueClientCertificate(second, { user: 'bob' });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(first.certPem).publicKey)).toBe(true);
  });

  it('refuses to replace a CA when only one of its files is left', async () => {
    const d = join(dir, 'half');
    await loadOrCreateCA(d, 'ca');
    await rm(join(d, 'ca.key'));
    await expect(loadOrCreateCA(d, 'ca')).rejects.toThrow(/ca\.crt exists but .*ca\.key is missing/);
  });

  it('names what is wrong with a corrupt or mismatched CA', async () => {
    const d = join(dir, 'bad');
    const a = await loadOrCreateCA(d, 'ca');
    const other = await createCA('other');
    await writeFile(join(d, 'ca.key'), other.keyPem);
    await expect(loadOrCreateCA(d, 'ca')).rejects.toThrow(/private key does not belong to the certificate/);
    await writeFile(join(d, 'ca.key'), a.keyPem);
    await writeFile(join(d, 'ca.crt'), 'not a certificate');
    await expect(loadOrCreateCA(d, 'ca')).rejects.toThrow(/not a valid PEM X\.509 certificate/);
  });

  it('refuses a leaf certificate as CA', async () => {
    const ca = await createCA('ca');
    const leaf = await issueClientCertificate(ca, { user: 'u' });
    await expect(parseCA(leaf.certPem, leaf.keyPem)).rejects.toThrow(/not a CA certificate/);
  });

  it('accepts an RSA CA brought from elsewhere and issues from it', async () => {
    const keys = (await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=kubernetes',
        keys,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
        notAfter: new Date(Date.now() + 10 * DAY),
      },
      webcrypto,
    );
    const keyPem = x509.PemConverter.encode(
      await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
      'PRIVATE KEY',
    );
    const ca = await parseCA(cert.toString('pem'), keyPem);
    const leaf = await issueServingCertificate(ca, { hosts: [] });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });
});

describe('issued certificates', () => {
  let ca: CertificateAuthority;
  let caCert: X509Certificate;
  beforeAll(async () => {
    ca = await createCA('concord-ca');
    caCert = new X509Certificate(ca.certPem);
  });

  it('a serving certificate chains to the CA and names localhost, loopback and the given hosts', async () => {
    const issued = await issueServingCertificate(ca, { hosts: ['hub.example.com', '10.1.2.3', 'fd00::7'] });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('hub.example.com')).toBe('hub.example.com');
    expect(cert.checkHost('other.example.com')).toBeUndefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.checkIP('fd00::7')).toBe('fd00::7');
    expect(cert.checkIP('10.1.2.4')).toBeUndefined();
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
    expect(Math.round(days(cert))).toBe(365);
    expect(cert.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
  });

  it('rejects a host that is neither a name nor an address', async () => {
    await expect(issueServingCertificate(ca, { hosts: ['not a host'] })).rejects.toThrow(
      /"not a host" is neither an IP address nor a DNS name/,
    );
  });

  it('a client certificate carries the user as CN and groups as O, for client auth only', async () => {
    const issued = await issueClientCertificate(ca, { user: 'alice', groups: ['system:masters', 'dev,ops'] });
    const cert = new X509Certificate(issued.certPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    const subject = new x509.X509Certificate(issued.certPem).subjectName;
    expect(subject.getField('CN')).toEqual(['alice']);
    expect(subject.getField('O')).toEqual(['system:masters', 'dev,ops']);
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
    expect(Math.round(days(cert))).toBe(365);
  });

  it('a certificate from another CA does not verify', async () => {
    const other = await createCA('other');
    const issued = await issueClientCertificate(other, { user: 'mallory' });
    expect(new X509Certificate(issued.certPem).verify(caCert.publicKey)).toBe(false);
  });
});

describe('loadOrIssueServingCertificate', () => {
  it('keeps the stored certificate while it fits and reissues when hosts or the CA change', async () => {
    const d = join(dir, 'serving');
    const ca = await loadOrCreateCA(d, 'ca');
    const first = await loadOrIssueServingCertificate(d, ca, { hosts: ['hub.local'] });
    expect(first.reissued).toBe(true);
    expect((await stat(join(d, 'apiserver.key'))).mode & 0o777).toBe(0o600);
    const again = await loadOrIssueServingCertificate(d, ca, { hosts: ['hub.local', '127.0.0.1'] });
    expect(again.reissued).toBe(false);
    expect(again.certPem).toBe(first.certPem);
    const wider = await loadOrIssueServingCertificate(d, ca, { hosts: ['hub.local', '192.168.9.9'] });
    expect(wider.reissued).toBe(true);
    expect(new X509Certificate(wider.certPem).checkIP('192.168.9.9')).toBe('192.168.9.9');
    const otherCa = await createCA('other');
    const moved = await loadOrIssueServingCertificate(d, otherCa, { hosts: ['hub.local'] });
    expect(moved.reissued).toBe(true);
    expect(new X509Certificate(moved.certPem).verify(new X509Certificate(otherCa.certPem).publicKey)).toBe(
      true,
    );
  });

  it('keeps the names of the certificate it replaces, so servers sharing the folder stay covered', async () => {
    const d = join(dir, 'shared');
    const ca = await loadOrCreateCA(d, 'ca');
    await loadOrIssueServingCertificate(d, ca, { hosts: ['127.0.0.2'] });
    const second = await loadOrIssueServingCertificate(d, ca, { hosts: ['127.0.0.3'] });
    expect(second.reissued).toBe(true);
    const cert = new X509Certificate(second.certPem);
    expect(cert.checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(cert.checkIP('127.0.0.3')).toBe('127.0.0.3');
    // Names of a certificate from another CA are not carried over.
    const other = await loadOrIssueServingCertificate(d, await createCA('other'), { hosts: ['127.0.0.4'] });
    expect(new X509Certificate(other.certPem).checkIP('127.0.0.3')).toBeUndefined();
  });
});

describe('TLS handshake with the issued certificates', () => {
  let ca: CertificateAuthority;
  let port: number;
  let server: ReturnType<typeof createServer>;
  beforeAll(async () => {
    ca = await createCA('tls-ca');
    const serving = await issueServingCertificate(ca, { hosts: [] });
    server = createServer(tlsServerOptions(ca, serving), (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerX509Certificate();
      res.end(JSON.stringify({ authorized: socket.authorized, subject: peer?.subject ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function request(
    host: string,
    opts: { ca?: string; cert?: string; key?: string; servername?: string },
  ): Promise<{ authorized: boolean; subject: string | null }> {
    return new Promise((resolve, reject) => {
      const req = httpsGet({ host, port, path: '/', agent: false, ...opts }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(JSON.parse(body)));
      });
      req.on('error', reject);
    });
  }

  it('a client trusting the CA connects by name and by address, and its certificate is verified', async () => {
    const client = await issueClientCertificate(ca, { user: 'alice', groups: ['devs'] });
    const byIp = await request('127.0.0.1', { ca: ca.certPem, cert: client.certPem, key: client.keyPem });
    expect(byIp).toEqual({ authorized: true, subject: 'CN=alice\nO=devs' });
    const byName = await request('localhost', { ca: ca.certPem });
    expect(byName.authorized).toBe(false);
    expect(byName.subject).toBeNull();
  });

  it('a client not trusting the CA refuses the server', async () => {
    await expect(request('127.0.0.1', {})).rejects.toThrow(/self[- ]signed|unable to verify|local issuer/i);
  });

  it('a client checking a name the certificate lacks refuses the server', async () => {
    await expect(request('127.0.0.1', { ca: ca.certPem, servername: 'elsewhere.example' })).rejects.toThrow(
      /does not match|not in the cert's altnames/i,
    );
  });

  it('the server does not accept a serving certificate, or another CA, for client authentication', async () => {
    const serving = await issueServingCertificate(ca, { hosts: [] });
    const asClient = await request('127.0.0.1', {
      ca: ca.certPem,
      cert: serving.certPem,
      key: serving.keyPem,
    });
    expect(asClient.authorized).toBe(false);
    const other = await createCA('other');
    const foreign = await issueClientCertificate(other, { user: 'mallory', groups: ['system:masters'] });
    const res = await request('127.0.0.1', { ca: ca.certPem, cert: foreign.certPem, key: foreign.keyPem });
    expect(res.authorized).toBe(false);
  });
});
