// kubeconfig files (clientcmd v1 Config), as kubectl and client-go read and write them: building
// one for a cluster and a user, parsing one, and resolving a context to the server and the
// credentials to use. Pure: paths to CA, certificate, key and token files are returned as paths
// for the caller to read, relative to the kubeconfig's folder (see client/kubeconfig-file.ts).

import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface KubeconfigCluster {
  server: string;
  'certificate-authority'?: string;
  /** Base64 of the PEM CA bundle. */
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
}

export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  /** Base64 of the PEM certificate. */
  'client-certificate-data'?: string;
  'client-key'?: string;
  /** Base64 of the PEM private key. */
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: Record<string, unknown>;
  'auth-provider'?: Record<string, unknown>;
}

export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

export interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: { name: string; cluster: KubeconfigCluster }[];
  users: { name: string; user: KubeconfigUser }[];
  contexts: { name: string; context: KubeconfigContext }[];
  'current-context': string;
  preferences?: Record<string, unknown>;
}

/** A bad kubeconfig: the message names the field or entry that is wrong. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

export type KubeconfigCredentials = { token: string } | { certPem: string; keyPem: string };

export interface BuildKubeconfigOptions {
  /** Names the cluster, and by default the user and the context. */
  name: string;
  /** https://host:port */
  server: string;
  /** PEM CA bundle that signs the server's certificate. */
  caPem?: string;
  user: KubeconfigCredentials;
  userName?: string;
  contextName?: string;
  namespace?: string;
  tlsServerName?: string;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The YAML of a kubeconfig with one cluster, one user and one context, which is current. */
export function buildKubeconfig(opts: BuildKubeconfigOptions): string {
  if (!opts.name) throw new KubeconfigError('kubeconfig: name must not be empty');
  checkServer(opts.server, 'server');
  const userName = opts.userName ?? opts.name;
  const contextName = opts.contextName ?? opts.name;
  const cluster: KubeconfigCluster = { server: opts.server };
  if (opts.caPem) cluster['certificate-authority-data'] = b64(opts.caPem);
  if (opts.tlsServerName) cluster['tls-server-name'] = opts.tlsServerName;
  const user: KubeconfigUser = {};
  if ('token' in opts.user) {
    if (!opts.user.token) throw new KubeconfigError('kubeconfig: user token must not be empty');
    user.token = opts.user.token;
  } else {
    if (!opts.user.certPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KubeconfigError('kubeconfig: user certPem is not a PEM certificate');
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(opts.user.keyPem)) {
      throw new KubeconfigError('kubeconfig: user keyPem is not a PEM private key');
    }
    user['client-certificate-data'] = b64(opts.user.certPem);
    user['client-key-data'] = b64(opts.user.keyPem);
  }
  const context: KubeconfigContext = { cluster: opts.name, user: userName };
  if (opts.namespace) context.namespace = opts.namespace;
  // Keys in the order kubectl writes them.
  const cfg: Kubeconfig = {
    apiVersion: 'v1',
    clusters: [{ cluster, name: opts.name }],
    contexts: [{ context, name: contextName }],
    'current-context': contextName,
    kind: 'Config',
    preferences: {},
    users: [{ name: userName, user }],
  };
  return stringifyKubeconfig(cfg);
}

/** YAML text of a kubeconfig, long base64 values kept on one line. */
export function stringifyKubeconfig(cfg: Kubeconfig): string {
  return stringifyYaml(cfg, { lineWidth: 0 });
}

/** The schemes client-go takes in proxy-url. */
export const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'];

/** A proxy URL as client-go accepts it: http, https or socks5 with a host. */
export function checkProxyUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KubeconfigError(`kubeconfig: ${field} ${value} is not a valid URL`);
  }
  if (!PROXY_SCHEMES.includes(url.protocol) || url.hostname === '') {
    throw new KubeconfigError(
      `kubeconfig: ${field} ${value} must be an http, https or socks5 URL with a host`,
    );
  }
  return value;
}

function checkServer(server: unknown, field: string): asserts server is string {
  if (typeof server !== 'string' || server === '')
    throw new KubeconfigError(`kubeconfig: ${field} must not be empty`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(`kubeconfig: ${field} "${server}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeconfigError(`kubeconfig: ${field} "${server}" must be an http or https URL`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const clusterFields: Record<string, 'string' | 'boolean'> = {
  server: 'string',
  'certificate-authority': 'string',
  'certificate-authority-data': 'string',
  'insecure-skip-tls-verify': 'boolean',
  'tls-server-name': 'string',
  'proxy-url': 'string',
  'disable-compression': 'boolean',
};

const userFields: Record<string, 'string' | 'object'> = {
  token: 'string',
  tokenFile: 'string',
  'client-certificate': 'string',
  'client-certificate-data': 'string',
  'client-key': 'string',
  'client-key-data': 'string',
  username: 'string',
  password: 'string',
  exec: 'object',
  'auth-provider': 'object',
};

function checkFields(
  obj: Record<string, unknown>,
  types: Record<string, 'string' | 'boolean' | 'object'>,
  path: string,
): void {
  for (const [key, want] of Object.entries(types)) {
    const v = obj[key];
    if (v === undefined || v === null) {
      delete obj[key];
      continue;
    }
    const ok = want === 'object' ? isObject(v) : typeof v === want;
    if (!ok) throw new KubeconfigError(`kubeconfig: ${path}.${key} must be a ${want}`);
  }
}

function namedList<T>(
  doc: Record<string, unknown>,
  list: 'clusters' | 'users' | 'contexts',
  inner: 'cluster' | 'user' | 'context',
  check: (value: Record<string, unknown>, path: string) => T,
): { name: string; [k: string]: unknown }[] {
  const raw = doc[list];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new KubeconfigError(`kubeconfig: ${list} must be a list`);
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const path = `${list}[${i}]`;
    if (!isObject(entry)) throw new KubeconfigError(`kubeconfig: ${path} must be a mapping`);
    const name = entry.name;
    if (typeof name !== 'string' || name === '')
      throw new KubeconfigError(`kubeconfig: ${path}.name must be a non-empty string`);
    if (seen.has(name)) throw new KubeconfigError(`kubeconfig: duplicate name "${name}" in ${list}`);
    seen.add(name);
    const value = entry[inner] ?? {};
    if (!isObject(value)) throw new KubeconfigError(`kubeconfig: ${path}.${inner} must be a mapping`);
    return { name, [inner]: check({ ...value }, `${path}.${inner}`) };
  });
}

/**
 * Parses kubeconfig YAML (or JSON). Checks the shape of what it reads; whether a context is
 * usable is decided by resolveContext.
 */
export function parseKubeconfig(text: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw new KubeconfigError('kubeconfig: the document must be a mapping');
  const kind = doc.kind ?? 'Config';
  if (kind !== 'Config')
    throw new KubeconfigError(`kubeconfig: kind must be "Config", not "${String(kind)}"`);
  const apiVersion = doc.apiVersion ?? 'v1';
  if (apiVersion !== 'v1')
    throw new KubeconfigError(`kubeconfig: apiVersion must be "v1", not "${String(apiVersion)}"`);
  const current = doc['current-context'] ?? '';
  if (typeof current !== 'string') throw new KubeconfigError('kubeconfig: current-context must be a string');
  const clusters = namedList(doc, 'clusters', 'cluster', (c, path) => {
    checkFields(c, clusterFields, path);
    return c as unknown as KubeconfigCluster;
  });
  const users = namedList(doc, 'users', 'user', (u, path) => {
    checkFields(u, userFields, path);
    return u as KubeconfigUser;
  });
  const contexts = namedList(doc, 'contexts', 'context', (c, path) => {
    checkFields(c, { cluster: 'string', user: 'string', namespace: 'string' }, path);
    return c as unknown as KubeconfigContext;
  });
  const cfg: Kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters as Kubeconfig['clusters'],
    users: users as Kubeconfig['users'],
    contexts: contexts as Kubeconfig['contexts'],
    'current-context': current,
  };
  if (isObject(doc.preferences)) cfg.preferences = doc.preferences;
  return cfg;
}

/** What a context resolves to. `*File` paths are as written in the kubeconfig (maybe relative). */
export interface ResolvedKubeconfig {
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  namespace?: string;
  caPem?: string;
  caFile?: string;
  tlsServerName?: string;
  insecure?: boolean;
  token?: string;
  tokenFile?: string;
  certPem?: string;
  certFile?: string;
  keyPem?: string;
  keyFile?: string;
  /** The proxy to reach the server through (kubeconfig proxy-url; http, https or socks5). */
  proxyUrl?: string;
  /** Headers of the proxy's CONNECT request (a Karmada Cluster's spec.proxyHeader). */
  proxyHeaders?: Record<string, string>;
}

function decodeData(value: string, what: string, pemPattern: RegExp, pemKind: string): string {
  const compact = value.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new KubeconfigError(`kubeconfig: ${what} is not valid base64`);
  }
  const text = Buffer.from(compact, 'base64').toString('utf8');
  if (!pemPattern.test(text)) throw new KubeconfigError(`kubeconfig: ${what} does not hold a PEM ${pemKind}`);
  return text;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * The server and credentials of `context` (default: current-context), checked as client-go
 * checks a context before using it. Errors name the context, cluster, user or field at fault.
 */
export function resolveContext(cfg: Kubeconfig, context?: string): ResolvedKubeconfig {
  const contextName = context || cfg['current-context'];
  if (!contextName) throw new KubeconfigError('kubeconfig: no context chosen: current-context is not set');
  const ctx = cfg.contexts.find((c) => c.name === contextName)?.context;
  if (!ctx)
    throw new KubeconfigError(`kubeconfig: context was not found for specified context: ${contextName}`);
  if (!ctx.cluster)
    throw new KubeconfigError(`kubeconfig: cluster was not specified for context "${contextName}"`);
  if (!ctx.user) throw new KubeconfigError(`kubeconfig: user was not specified for context "${contextName}"`);
  const cluster = cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster)
    throw new KubeconfigError(
      `kubeconfig: cluster "${ctx.cluster}" was not found for context "${contextName}"`,
    );
  const user = cfg.users.find((u) => u.name === ctx.user)?.user;
  if (!user)
    throw new KubeconfigError(`kubeconfig: user "${ctx.user}" was not found for context "${contextName}"`);

  if (!cluster.server) throw new KubeconfigError(`kubeconfig: no server found for cluster "${ctx.cluster}"`);
  checkServer(cluster.server, `server of cluster "${ctx.cluster}"`);
  const out: ResolvedKubeconfig = {
    contextName,
    clusterName: ctx.cluster,
    userName: ctx.user,
    server: cluster.server,
  };
  if (ctx.namespace) out.namespace = ctx.namespace;
  // As in client-go, inline data wins over a file when both are given.
  if (cluster['certificate-authority-data']) {
    out.caPem = decodeData(
      cluster['certificate-authority-data'],
      `certificate-authority-data of cluster "${ctx.cluster}"`,
      PEM_CERT,
      'certificate',
    );
  } else if (cluster['certificate-authority']) {
    out.caFile = cluster['certificate-authority'];
  }
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  if (cluster['proxy-url'])
    out.proxyUrl = checkProxyUrl(cluster['proxy-url'], `proxy-url of cluster "${ctx.cluster}"`);
  if (cluster['insecure-skip-tls-verify']) {
    if (out.caPem || out.caFile) {
      throw new KubeconfigError(
        `kubeconfig: cluster "${ctx.cluster}": specifying a root certificates file with the insecure flag is not allowed`,
      );
    }
    out.insecure = true;
  }

  if (user.exec)
    throw new KubeconfigError(`kubeconfig: user "${ctx.user}": exec credential plugins are not supported`);
  if (user['auth-provider']) {
    throw new KubeconfigError(`kubeconfig: user "${ctx.user}": auth-provider plugins are not supported`);
  }
  const methods: string[] = [];
  if (user.token || user.tokenFile) methods.push('token');
  if (user.username || user.password) methods.push('basicAuth');
  if (methods.length > 1) {
    throw new KubeconfigError(
      `kubeconfig: more than one authentication method found for ${ctx.user}; found [${methods.join(' ')}], only one is allowed`,
    );
  }
  if (methods.includes('basicAuth')) {
    throw new KubeconfigError(`kubeconfig: user "${ctx.user}": basic authentication is not supported`);
  }
  if (user.token) out.token = user.token;
  else if (user.tokenFile) out.tokenFile = user.tokenFile;

  const hasCert = Boolean(user['client-certificate-data'] || user['client-certificate']);
  const hasKey = Boolean(user['client-key-data'] || user['client-key']);
  if (hasCert && !hasKey) {
    throw new KubeconfigError(
      `kubeconfig: client-key-data or client-key must be specified for ${ctx.user} to use the clientCert authentication method.`,
    );
  }
  if (hasKey && !hasCert) {
    throw new KubeconfigError(
      `kubeconfig: client-certificate-data or client-certificate must be specified for ${ctx.user} along with its client key`,
    );
  }
  if (user['client-certificate-data']) {
    out.certPem = decodeData(
      user['client-certificate-data'],
      `client-certificate-data of user "${ctx.user}"`,
      PEM_CERT,
      'certificate',
    );
  } else if (user['client-certificate']) {
    out.certFile = user['client-certificate'];
  }
  if (user['client-key-data']) {
    out.keyPem = decodeData(
      user['client-key-data'],
      `client-key-data of user "${ctx.user}"`,
      PEM_KEY,
      'private key',
    );
  } else if (user['client-key']) {
    out.keyFile = user['client-key'];
  }
  return out;
}
