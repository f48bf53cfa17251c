// Who is calling: bearer tokens from a static tokens file (Kubernetes' --token-auth-file format)
// and client certificates issued by the cluster CA (CN = user name, O = groups). A request that
// carries only bad credentials authenticates nobody: the server answers 401. One that carries
// none is system:anonymous when anonymous requests are allowed (kube-apiserver's default), else
// nobody as well.
//
// Service account tokens are the next authenticator: anything implementing TokenAuthenticator
// can be passed in `tokenAuthenticators`, after the static tokens.

import { hash, X509Certificate as NodeX509, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';

/** user.Info: the identity every authorizer decision is about. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
/** Members are allowed everything, whatever the RBAC objects say. */
export const GROUP_MASTERS = 'system:masters';
export const GROUP_SERVICE_ACCOUNTS = 'system:serviceaccounts';
export const USER_ANONYMOUS = 'system:anonymous';
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

/** "system:serviceaccount:<namespace>:<name>", the user name a service account acts as. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

/** The groups a service account belongs to: all service accounts, and those of its namespace. */
export function serviceAccountGroups(namespace: string): string[] {
  return [GROUP_SERVICE_ACCOUNTS, `${GROUP_SERVICE_ACCOUNTS}:${namespace}`];
}

/** Who a request without any credential is, when anonymous requests are allowed. */
export function anonymousUser(): UserInfo {
  return { username: USER_ANONYMOUS, groups: [GROUP_UNAUTHENTICATED] };
}

/** Adds system:authenticated (once) to an authenticated user, as the API server does. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === USER_ANONYMOUS || user.groups.includes(GROUP_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, GROUP_AUTHENTICATED] };
}

/**
 * The status of a SelfSubjectReview (authentication.k8s.io/v1, `kubectl auth whoami`): the
 * requester as the server sees them.
 */
export function selfSubjectReviewStatus(user: UserInfo): { userInfo: UserInfo } {
  const userInfo: UserInfo = { username: user.username, groups: [...user.groups] };
  if (user.uid) userInfo.uid = user.uid;
  if (user.extra) userInfo.extra = structuredClone(user.extra);
  return { userInfo };
}

/** Turns a bearer token into a user, or null when the token is not one it knows. */
export interface TokenAuthenticator {
  authenticateToken(token: string): UserInfo | null;
}

// ---------------------------------------------------------------------------------------------
// Static tokens file

/** One line of a tokens file: `token,user,uid,"group1,group2"`. */
export interface TokenEntry {
  token: string;
  user: string;
  uid: string;
  groups: string[];
}

export const TOKENS_FILE = 'tokens.csv';

/**
 * Parses CSV as Go's encoding/csv does for Kubernetes' token file: quoted fields may hold commas,
 * newlines and doubled quotes; blank lines are skipped; a stray quote is an error.
 */
function parseCsv(text: string, source: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    // A record made only of a line ending is a blank line.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n)
            throw new Error(`${source}: line ${quoteLine}: extraneous or missing " in quoted-field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          throw new Error(`${source}: line ${line}: extraneous or missing " in quoted-field`);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new Error(`${source}: line ${line}: bare " in non-quoted-field`);
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      if (i < n) {
        i += text[i] === '\r' ? 2 : 1;
        line++;
      }
      break;
    }
    records.push({ fields, line: startLine });
  }
  return records;
}

/**
 * The entries of a tokens file. Records need at least three columns (token, user name, uid);
 * the fourth, when present, is a comma-separated group list. Records with an empty token are
 * skipped and a later duplicate token wins, as in kube-apiserver.
 */
export function parseTokenFile(text: string, source = 'tokens file'): TokenEntry[] {
  const byToken = new Map<string, TokenEntry>();
  for (const { fields, line } of parseCsv(text, source)) {
    if (fields.length < 3) {
      throw new Error(
        `${source}: line ${line}: must have at least 3 columns (token, user name, user uid), found ${fields.length}`,
      );
    }
    const [token, user, uid, groups] = fields as [string, string, string, string | undefined];
    if (token === '') continue;
    byToken.delete(token);
    byToken.set(token, { token, user, uid, groups: groups === undefined ? [] : groups.split(',') });
  }
  return [...byToken.values()];
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value.startsWith(' ') ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The text of a tokens file, one `token,user,uid,"groups"` line per entry. */
export function formatTokenFile(entries: readonly TokenEntry[]): string {
  return entries
    .map((e) => {
      const cols = [e.token, e.user, e.uid];
      if (e.groups.length > 0) cols.push(e.groups.join(','));
      return `${cols.map(csvField).join(',')}\n`;
    })
    .join('');
}

/** A fresh random bearer token: 256 bits, base64url (no characters a CSV or header would mangle). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The tokens file in `dir`, created on first call with one administrator (group system:masters)
 * holding a random token. The file is mode 0600. Returns its path, its entries and the token of
 * the first member of system:masters.
 */
export async function loadOrCreateTokenFile(
  dir: string,
  admin: { user?: string; uid?: string } = {},
): Promise<{ path: string; entries: TokenEntry[]; adminToken: string | undefined }> {
  const path = join(dir, TOKENS_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let entries: TokenEntry[];
  if (text === undefined) {
    entries = [
      {
        token: generateToken(),
        user: admin.user ?? 'kubernetes-admin',
        uid: admin.uid ?? 'kubernetes-admin',
        groups: [GROUP_MASTERS],
      },
    ];
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, formatTokenFile(entries), { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } else {
    entries = parseTokenFile(text, path);
  }
  const adminToken = entries.find((e) => e.groups.includes(GROUP_MASTERS))?.token;
  return { path, entries, adminToken };
}

function tokenDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/**
 * Static bearer tokens. Tokens are kept as SHA-256 digests and looked up by digest, then compared
 * with timingSafeEqual: the time taken does not depend on how much of a guess was right.
 */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly byDigest = new Map<string, { digest: Buffer; user: UserInfo }>();

  constructor(entries: readonly TokenEntry[]) {
    for (const e of entries) {
      const digest = tokenDigest(e.token);
      const user: UserInfo = { username: e.user, groups: [...e.groups] };
      if (e.uid) user.uid = e.uid;
      this.byDigest.set(digest.toString('base64'), { digest, user });
    }
  }

  static async fromFile(path: string): Promise<StaticTokenAuthenticator> {
    return new StaticTokenAuthenticator(parseTokenFile(await readFile(path, 'utf8'), path));
  }

  get size(): number {
    return this.byDigest.size;
  }

  authenticateToken(token: string): UserInfo | null {
    const digest = tokenDigest(token);
    const found = this.byDigest.get(digest.toString('base64'));
    if (!found || !timingSafeEqual(found.digest, digest)) return null;
    return { ...found.user, groups: [...found.user.groups] };
  }
}

// ---------------------------------------------------------------------------------------------
// Client certificates

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

/**
 * Client certificates signed by the cluster CA: CN is the user name and every O a group, as
 * Kubernetes' x509 authenticator reads them. A certificate must be within its validity period
 * and allowed for client authentication; one with an empty CN authenticates nobody.
 */
export class ClientCertificateAuthenticator {
  private readonly caCerts: NodeX509[];

  /** `caPem`: one or more PEM CA certificates whose signatures are trusted. */
  constructor(caPem: string) {
    const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0)
      throw new Error('client certificate authenticator: no PEM certificate in the CA bundle');
    this.caCerts = blocks.map((b) => new NodeX509(b));
  }

  /** The user a certificate (DER, PEM or parsed) names, or null when it is not trusted. */
  authenticateCertificate(cert: Buffer | string | NodeX509, now: Date = new Date()): UserInfo | null {
    let parsed: NodeX509;
    try {
      parsed = cert instanceof NodeX509 ? cert : new NodeX509(cert);
    } catch {
      return null;
    }
    const issuer = this.caCerts.find((ca) => parsed.checkIssued(ca) && parsed.verify(ca.publicKey));
    if (!issuer) return null;
    const t = now.getTime();
    if (t < Date.parse(parsed.validFrom) || t > Date.parse(parsed.validTo)) return null;
    const eku = parsed.keyUsage;
    // No extended key usage extension means any usage; otherwise client auth must be listed.
    if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH_EKU) && !eku.includes(ANY_EKU)) return null;
    // The subject is read from its ASN.1, not from a printed form that escapes "," and "+".
    const subject = new x509.X509Certificate(new Uint8Array(parsed.raw)).subjectName.toJSON();
    let username = '';
    const groups: string[] = [];
    for (const rdn of subject) {
      for (const [type, values] of Object.entries(rdn)) {
        // Like Go's pkix.Name: the last CN counts, every O is a group.
        if (type === 'CN') username = values[values.length - 1] ?? '';
        if (type === 'O') groups.push(...values);
      }
    }
    if (username === '') return null;
    return { username, groups };
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

/** The parts of an incoming request authentication reads. */
export interface AuthenticationRequest {
  headers: IncomingHttpHeaders;
  /** For HTTPS requests, the TLS socket: its verified peer certificate is a credential. */
  socket?: unknown;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or null. The scheme is case-insensitive;
 * an empty token is no token.
 */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const raw = headers.authorization;
  if (typeof raw !== 'string') return null;
  const parts = raw.trim().split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return null;
  const token = parts[1]!;
  return token === '' ? null : token;
}

function isTlsSocket(socket: unknown): socket is TLSSocket {
  return (
    typeof socket === 'object' &&
    socket !== null &&
    'encrypted' in socket &&
    (socket as { encrypted?: unknown }).encrypted === true &&
    typeof (socket as { getPeerX509Certificate?: unknown }).getPeerX509Certificate === 'function'
  );
}

export interface AuthenticatorOptions {
  /** Static tokens (e.g. from loadOrCreateTokenFile). */
  tokens?: readonly TokenEntry[];
  /** Further bearer token authenticators, asked in order after the static tokens. */
  tokenAuthenticators?: readonly TokenAuthenticator[];
  /** PEM CA bundle that signs client certificates; absent: certificates are not accepted. */
  clientCA?: string;
  /**
   * A request with no credential at all is system:anonymous in system:unauthenticated (RBAC
   * decides what it may do), as kube-apiserver's --anonymous-auth; false: it gets 401.
   */
  anonymous?: boolean;
}

/**
 * Every way a request can prove who it is. A verified client certificate is tried first, then the
 * bearer token; the first that names a user wins (a valid certificate with a wrong token still
 * authenticates, as in kube-apiserver). Returns null when the request carries only bad
 * credentials (answer 401); a request that carries none is anonymous if allowed, else null too.
 */
export class Authenticator {
  private readonly tokenAuthenticators: TokenAuthenticator[];
  private readonly certificates: ClientCertificateAuthenticator | undefined;
  private readonly anonymous: boolean;
  /**
   * The certificate of a connection is verified once, not on every request it carries; only its
   * validity period is looked at again.
   */
  private readonly bySocket = new WeakMap<
    object,
    { user: UserInfo | null; presented: boolean; notBefore: number; notAfter: number }
  >();

  constructor(opts: AuthenticatorOptions) {
    this.tokenAuthenticators = [];
    if (opts.tokens && opts.tokens.length > 0)
      this.tokenAuthenticators.push(new StaticTokenAuthenticator(opts.tokens));
    this.tokenAuthenticators.push(...(opts.tokenAuthenticators ?? []));
    this.certificates = opts.clientCA ? new ClientCertificateAuthenticator(opts.clientCA) : undefined;
    this.anonymous = opts.anonymous === true;
  }

  authenticate(req: AuthenticationRequest): UserInfo | null {
    const cert = this.certificates ? this.authenticateSocket(req.socket) : { user: null, presented: false };
    if (cert.user) return withAuthenticatedGroup(cert.user);
    const token = bearerToken(req.headers);
    if (token !== null) return this.authenticateToken(token);
    // Only a request that tried no credential is anonymous: a rejected one is refused outright.
    if (cert.presented || !this.anonymous) return null;
    return anonymousUser();
  }

  /** The user a bearer token names, or null (never anonymous): also what a TokenReview asks. */
  authenticateToken(token: string): UserInfo | null {
    for (const a of this.tokenAuthenticators) {
      const user = a.authenticateToken(token);
      if (user) return withAuthenticatedGroup(user);
    }
    return null;
  }

  private authenticateSocket(socket: unknown): { user: UserInfo | null; presented: boolean } {
    if (!isTlsSocket(socket)) return { user: null, presented: false };
    const now = Date.now();
    const cached = this.bySocket.get(socket);
    if (cached !== undefined) {
      const valid = now >= cached.notBefore && now <= cached.notAfter;
      return { user: valid ? cached.user : null, presented: cached.presented };
    }
    // `authorized` means OpenSSL verified the chain against the server's CA list; the
    // authenticator checks again against its own CA, so a server configured with a wider
    // trust list still cannot let foreign certificates in.
    const peer = socket.getPeerX509Certificate();
    if (!peer || !socket.authorized || !this.certificates) {
      const entry = {
        user: null,
        presented: peer !== undefined,
        notBefore: 0,
        notAfter: Number.POSITIVE_INFINITY,
      };
      this.bySocket.set(socket, entry);
      return entry;
    }
    const user = this.certificates.authenticateCertificate(peer, new Date(now));
    const entry = {
      user,
      presented: true,
      notBefore: Date.parse(peer.validFrom),
      notAfter: Date.parse(peer.validTo),
    };
    this.bySocket.set(socket, entry);
    return entry;
  }
}
