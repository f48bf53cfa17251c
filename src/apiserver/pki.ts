// The cluster's own PKI: a CA kept in the data dir, the API server's serving certificate and
// client certificates for users (CN = user name, O = groups, as Kubernetes' x509 authenticator
// reads them). Keys are ECDSA P-256, signed with SHA-256.
//
// Validity: the CA lives 10 years, leaf certificates 1 year (as kubeadm does). Every certificate
// starts 5 minutes in the past so that a client whose clock is slightly behind accepts it.
//
// Cost, measured by `node --import tsx bench/pki/main.ts` on the 2-core development machine
// (figures in docs/security.md): about 6 ms to create a CA and 5 ms per leaf certificate. Key
// generation and signing are native and take well under a millisecond; the rest is the
// library's ASN.1 encoding and re-parsing in JavaScript. A fleet of 1,000 simulated clusters,
// each with its own CA, serving and admin certificate, costs 14-18 s of CPU; a sim host that
// wants to start faster can share one CA between its clusters (two leaves per cluster).

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  X509Certificate as NodeX509,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP, SocketAddress } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcdsaParams = webcrypto.EcdsaParams;
type EcKeyImportParams = webcrypto.EcKeyImportParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;

const crypto: webcrypto.Crypto = webcrypto;

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** A stored serving certificate closer than this to expiry is reissued on start. */
export const RENEW_BEFORE_DAYS = 30;
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Names every serving certificate carries, so that loopback clients can always verify it. */
export const DEFAULT_SERVING_HOSTS = ['localhost', '127.0.0.1', '::1'];

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const SERVING_CERT_FILE = 'apiserver.crt';
export const SERVING_KEY_FILE = 'apiserver.key';

const EC_P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  /** The CA certificate, parsed. */
  cert: x509.X509Certificate;
  /** The CA's signing key (webcrypto). */
  signingKey: CryptoKey;
  signingAlgorithm: EcdsaParams | RsaHashedImportParams;
  /** Subject key identifier (hex): issued certificates name it as their authority key identifier. */
  keyId: string;
}

/** A certificate and its private key, both PEM (the key in PKCS#8 form). */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

function randomSerial(): string {
  // 16 random bytes, positive (high bit clear) and never zero: RFC 5280 4.1.2.2.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(days: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/**
 * RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. Computed with node:crypto,
 * synchronously, instead of another round trip through webcrypto.
 */
function keyIdentifier(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // The key bits are the BIT STRING that ends the SPKI; for EC and RSA keys that is the tail
  // after the algorithm identifier, whose length the DER header tells.
  const bits = spkiKeyBits(spki);
  return createHash('sha1').update(bits).digest('hex');
}

function derLength(buf: Buffer, pos: number): [length: number, next: number] {
  const first = buf[pos]!;
  if (first < 0x80) return [first, pos + 1];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 1 + i]!;
  return [len, pos + 1 + n];
}

function spkiKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { SEQUENCE algorithm, BIT STRING key }
  let [, pos] = derLength(spki, 1);
  const [algLen, algStart] = derLength(spki, pos + 1);
  pos = algStart + algLen;
  const [bitsLen, bitsStart] = derLength(spki, pos + 1);
  // Skip the unused-bits octet.
  return spki.subarray(bitsStart + 1, bitsStart + bitsLen);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A distinguished name in the library's JSON form, one attribute per RDN: no escaping to get wrong. */
function distinguishedName(attrs: [type: string, value: string][]): x509.JsonName {
  return attrs.map(([type, value]) => ({ [type]: [value] }));
}

/** Creates a new CA in memory. Most callers want loadOrCreateCA. */
export async function createCA(commonName: string): Promise<CertificateAuthority> {
  if (!commonName) throw new Error('createCA: commonName must not be empty');
  const keys = await generateKeys();
  const keyId = keyIdentifier(KeyObject.from(keys.publicKey));
  const { notBefore, notAfter } = validity(CA_VALIDITY_DAYS);
  const signingAlgorithm: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: distinguishedName([['CN', commonName]]),
      notBefore,
      notAfter,
      keys,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        new x509.SubjectKeyIdentifierExtension(keyId, false),
      ],
    },
    crypto,
  );
  return {
    certPem: cert.toString('pem'),
    keyPem: await privateKeyPem(keys.privateKey),
    cert,
    signingKey: keys.privateKey,
    signingAlgorithm,
    keyId,
  };
}

/**
 * Reads a CA from PEM text. The key may be PKCS#8, SEC1 (EC PRIVATE KEY) or PKCS#1 (RSA), so that
 * a CA made by other tools (kubeadm's is RSA) can be brought along.
 */
export async function parseCA(certPem: string, keyPem: string, source = 'CA'): Promise<CertificateAuthority> {
  let cert: x509.X509Certificate;
  let nodeCert: NodeX509;
  try {
    cert = new x509.X509Certificate(certPem);
    nodeCert = new NodeX509(certPem);
  } catch (err) {
    throw new Error(
      `${source}: the certificate is not a valid PEM X.509 certificate: ${(err as Error).message}`,
    );
  }
  let nodeKey: ReturnType<typeof createPrivateKey>;
  try {
    nodeKey = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${source}: the private key is not a valid PEM private key: ${(err as Error).message}`);
  }
  if (!nodeCert.ca)
    throw new Error(`${source}: the certificate is not a CA certificate (basicConstraints CA:FALSE)`);
  const certSpki = nodeCert.publicKey.export({ format: 'der', type: 'spki' });
  const keySpki = createPublicKey(nodeKey).export({ format: 'der', type: 'spki' });
  if (!certSpki.equals(keySpki))
    throw new Error(`${source}: the private key does not belong to the certificate`);

  const pkcs8 = nodeKey.export({ format: 'der', type: 'pkcs8' });
  let importAlg: EcKeyImportParams | RsaHashedImportParams;
  let signingAlgorithm: EcdsaParams | RsaHashedImportParams;
  const details = nodeKey.asymmetricKeyDetails;
  if (nodeKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') {
    importAlg = { name: 'ECDSA', namedCurve: 'P-256' };
    signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
  } else if (nodeKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1') {
    importAlg = { name: 'ECDSA', namedCurve: 'P-384' };
    signingAlgorithm = { name: 'ECDSA', hash: 'SHA-384' };
  } else if (nodeKey.asymmetricKeyType === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    signingAlgorithm = importAlg;
  } else {
    const curve = details?.namedCurve ? ` (${details.namedCurve})` : '';
    throw new Error(
      `${source}: unsupported key type ${nodeKey.asymmetricKeyType}${curve}; use ECDSA P-256, P-384 or RSA`,
    );
  }
  const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski ? ski.keyId : keyIdentifier(nodeCert.publicKey);
  return { certPem: cert.toString('pem'), keyPem, cert, signingKey, signingAlgorithm, keyId };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a key behind. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await rename(tmp, path);
}

/**
 * The CA in `dir` (ca.crt and ca.key, PEM): created on first call, reused afterwards so that
 * every kubeconfig issued before a restart keeps working. The key file is mode 0600.
 */
export async function loadOrCreateCA(dir: string, commonName: string): Promise<CertificateAuthority> {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem !== undefined && keyPem !== undefined) {
    const ca = await parseCA(certPem, keyPem, `CA in ${dir}`);
    const notAfter = ca.cert.notAfter;
    if (notAfter.getTime() <= Date.now()) {
      throw new Error(
        `CA certificate ${certPath} expired on ${notAfter.toISOString()}; ` +
          `remove ${CA_CERT_FILE} and ${CA_KEY_FILE} to create a new CA (existing kubeconfigs will stop working)`,
      );
    }
    return ca;
  }
  if (certPem !== undefined || keyPem !== undefined) {
    const [have, missing] = certPem !== undefined ? [certPath, keyPath] : [keyPath, certPath];
    throw new Error(
      `${have} exists but ${missing} is missing; restore it, or remove both to create a new CA ` +
        '(existing kubeconfigs will stop working)',
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await createCA(commonName);
  // Key first: a crash between the two renames leaves a key without a certificate, which the
  // check above reports instead of silently replacing.
  await writeAtomic(keyPath, ca.keyPem, 0o600);
  await writeAtomic(certPath, ca.certPem, 0o644);
  return ca;
}

interface LeafParams {
  subject: x509.JsonName;
  extensions: x509.Extension[];
  extendedKeyUsage: x509.ExtendedKeyUsage;
}

async function issueLeaf(ca: CertificateAuthority, params: LeafParams): Promise<IssuedCertificate> {
  // The leaf's key never signs anything here, so it is made with node:crypto synchronously and
  // handed to the library as SPKI bytes: two webcrypto round trips fewer per certificate.
  const leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = new x509.PublicKey(leafKey.publicKey.export({ format: 'der', type: 'spki' }));
  const { notBefore, notAfter } = validity(LEAF_VALIDITY_DAYS);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: params.subject,
      issuer: ca.cert.subjectName,
      notBefore,
      notAfter,
      publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm: ca.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([params.extendedKeyUsage], false),
        new x509.AuthorityKeyIdentifierExtension(ca.keyId, false),
        ...params.extensions,
      ],
    },
    crypto,
  );
  return {
    certPem: cert.toString('pem'),
    keyPem: leafKey.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}

/** localhost, 127.0.0.1 and ::1 plus the given hosts, without duplicates, in that order. */
export function servingHosts(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of [...DEFAULT_SERVING_HOSTS, ...hosts]) {
    const host = h.trim();
    if (!host) throw new Error('serving certificate: empty host name');
    // A URL's bracketed IPv6 form is accepted too.
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (
      !isIP(bare) &&
      !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(bare)
    ) {
      throw new Error(`serving certificate: "${host}" is neither an IP address nor a DNS name`);
    }
    const key = bare.toLowerCase();
    if (!out.some((o) => o.toLowerCase() === key)) out.push(bare);
  }
  return out;
}

/**
 * The API server's certificate, with DNS and IP subject alternative names for localhost,
 * 127.0.0.1, ::1 and `hosts` (names or addresses), usable for TLS server authentication only.
 */
export async function issueServingCertificate(
  ca: CertificateAuthority,
  opts: { hosts: readonly string[]; commonName?: string },
): Promise<IssuedCertificate> {
  const names = servingHosts(opts.hosts).map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h }) as const);
  return issueLeaf(ca, {
    subject: distinguishedName([['CN', opts.commonName ?? 'kube-apiserver']]),
    extendedKeyUsage: x509.ExtendedKeyUsage.serverAuth,
    extensions: [new x509.SubjectAlternativeNameExtension(names, false)],
  });
}

/**
 * A client certificate the API server maps to a user: CN = user name, one O per group
 * (e.g. groups ["system:masters"] for an administrator), usable for TLS client authentication only.
 */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  opts: { user: string; groups?: readonly string[] },
): Promise<IssuedCertificate> {
  if (!opts.user) throw new Error('client certificate: user must not be empty');
  const groups = opts.groups ?? [];
  if (groups.some((g) => !g)) throw new Error('client certificate: groups must not contain an empty name');
  return issueLeaf(ca, {
    subject: distinguishedName([['CN', opts.user], ...groups.map((g): [string, string] => ['O', g])]),
    extendedKeyUsage: x509.ExtendedKeyUsage.clientAuth,
    extensions: [],
  });
}

/** The DNS names and IP addresses a certificate is valid for (its subject alternative names). */
export function subjectAlternativeNames(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!san) return [];
  return san.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
}

function canonicalIP(ip: string): string {
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  return new SocketAddress({ address: ip, family }).address;
}

function sameHost(a: string, b: string): boolean {
  // Addresses compare by value, not spelling ("::1" and "0:0:0:0:0:0:0:1" are one address).
  if (isIP(a) && isIP(b)) return canonicalIP(a) === canonicalIP(b);
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The serving certificate in `dir` (apiserver.crt / apiserver.key): reused when it was issued by
 * `ca`, covers every requested host and is not within RENEW_BEFORE_DAYS of expiry; otherwise a
 * new one is issued and stored (key mode 0600). A new one keeps the names of the one it replaces
 * (when `ca` issued it), so that servers sharing the folder on different addresses (hubs started
 * with one --data-dir) are all covered.
 */
export async function loadOrIssueServingCertificate(
  dir: string,
  ca: CertificateAuthority,
  opts: { hosts: readonly string[] },
): Promise<IssuedCertificate & { reissued: boolean }> {
  const certPath = join(dir, SERVING_CERT_FILE);
  const keyPath = join(dir, SERVING_KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (
    certPem !== undefined &&
    keyPem !== undefined &&
    servingCertificateUsable(certPem, keyPem, ca, opts.hosts)
  ) {
    return { certPem, keyPem, reissued: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const kept = certPem !== undefined ? namesIssuedBy(certPem, ca) : [];
  const issued = await issueServingCertificate(ca, { hosts: [...kept, ...opts.hosts] });
  await writeAtomic(keyPath, issued.keyPem, 0o600);
  await writeAtomic(certPath, issued.certPem, 0o644);
  return { ...issued, reissued: true };
}

/** The DNS names and addresses of a certificate `ca` issued; none for any other certificate. */
function namesIssuedBy(certPem: string, ca: CertificateAuthority): string[] {
  try {
    const caCert = new NodeX509(ca.certPem);
    if (!new NodeX509(certPem).verify(caCert.publicKey)) return [];
    return subjectAlternativeNames(new x509.X509Certificate(certPem));
  } catch {
    return [];
  }
}

function servingCertificateUsable(
  certPem: string,
  keyPem: string,
  ca: CertificateAuthority,
  hosts: readonly string[],
): boolean {
  try {
    const nodeCert = new NodeX509(certPem);
    const caCert = new NodeX509(ca.certPem);
    if (!nodeCert.checkIssued(caCert) || !nodeCert.verify(caCert.publicKey)) return false;
    if (new Date(nodeCert.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
    const certSpki = nodeCert.publicKey.export({ format: 'der', type: 'spki' });
    const keySpki = createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' });
    if (!certSpki.equals(keySpki)) return false;
    const have = subjectAlternativeNames(new x509.X509Certificate(certPem));
    return servingHosts(hosts).every((h) => have.some((n) => sameHost(n, h)));
  } catch {
    return false;
  }
}

/**
 * Options for node:https createServer: serve `serving`, ask clients for a certificate and verify
 * it against the CA, but let requests without one through so that bearer tokens still work
 * (the authenticator decides; an unverified certificate authenticates nobody).
 */
export function tlsServerOptions(
  ca: Pick<CertificateAuthority, 'certPem'>,
  serving: IssuedCertificate,
): {
  key: string;
  cert: string;
  ca: string;
  requestCert: true;
  rejectUnauthorized: false;
  minVersion: 'TLSv1.2';
} {
  return {
    key: serving.keyPem,
    cert: serving.certPem,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  };
}
