// How the hub reaches a member: a Cluster (spec.apiEndpoint, insecureSkipTLSVerification,
// proxyURL and proxyHeader) and the Secret its spec.secretRef names (Karmada's layout: `token` and `caBundle`;
// for members joined with a client certificate also `tls.crt` and `tls.key`) make one connection.
// Pure: the caller fetches the Secret; every controller that reaches members uses this, so that
// they all read a Cluster the same way.

import type { ResolvedKubeconfig } from '../../../../machinery/kubeconfig.js';
import type { KubeObject } from '../../../../machinery/object.js';
import { type Cluster, SECRET_CA_BUNDLE_KEY, SECRET_TOKEN_KEY } from './types.js';

/** Keys of a cluster Secret holding a client certificate and its key (PEM), as in kubernetes.io/tls. */
export const SECRET_CERT_KEY = 'tls.crt';
export const SECRET_KEY_KEY = 'tls.key';

/** The Cluster or its Secret does not say how to reach the member; the message says what is missing. */
export class ClusterConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterConnectionError';
  }
}

/** The server URL of an apiEndpoint: a URL as it is, a bare host or host:port as https. */
export function apiEndpointURL(apiEndpoint: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(apiEndpoint) ? apiEndpoint : `https://${apiEndpoint}`;
}

/** A value of a Secret's data (base64 on the wire) or stringData, as text; undefined if absent. */
export function secretValue(secret: KubeObject, key: string): string | undefined {
  const data = secret.data as Record<string, unknown> | undefined;
  const encoded = data?.[key];
  if (typeof encoded === 'string' && encoded !== '') return Buffer.from(encoded, 'base64').toString('utf8');
  const plain = (secret.stringData as Record<string, unknown> | undefined)?.[key];
  return typeof plain === 'string' && plain !== '' ? plain : undefined;
}

/**
 * The connection to a member, as the HTTPS client takes it. Throws ClusterConnectionError when
 * the Cluster has no endpoint or Secret, the Secret (undefined: not found) lacks a credential or
 * the CA.
 */
export function clusterConnection(cluster: Cluster, secret: KubeObject | undefined): ResolvedKubeconfig {
  const name = cluster.metadata.name ?? '';
  const { apiEndpoint, secretRef, insecureSkipTLSVerification, proxyURL, proxyHeader } = cluster.spec ?? {};
  if (!apiEndpoint) throw new ClusterConnectionError(`cluster ${name} has no spec.apiEndpoint`);
  if (!secretRef?.name) throw new ClusterConnectionError(`cluster ${name} has no spec.secretRef`);
  const where = `secret ${secretRef.namespace}/${secretRef.name} of cluster ${name}`;
  if (!secret) throw new ClusterConnectionError(`${where} was not found`);
  const server = apiEndpointURL(apiEndpoint);
  if (!server.startsWith('https://')) {
    throw new ClusterConnectionError(`cluster ${name}: spec.apiEndpoint ${apiEndpoint} is not an https URL`);
  }
  const out: ResolvedKubeconfig = {
    contextName: name,
    clusterName: name,
    userName: `cluster ${name}`,
    server,
  };
  if (proxyURL) {
    out.proxyUrl = proxyURL;
    if (proxyHeader && Object.keys(proxyHeader).length > 0) out.proxyHeaders = proxyHeader;
  }
  const token = secretValue(secret, SECRET_TOKEN_KEY)?.trim();
  const certPem = secretValue(secret, SECRET_CERT_KEY);
  const keyPem = secretValue(secret, SECRET_KEY_KEY);
  if (token) out.token = token;
  if (certPem && keyPem) {
    out.certPem = certPem;
    out.keyPem = keyPem;
  } else if (certPem || keyPem) {
    throw new ClusterConnectionError(`${where} needs both ${SECRET_CERT_KEY} and ${SECRET_KEY_KEY}`);
  }
  if (!out.token && !out.certPem) {
    throw new ClusterConnectionError(
      `${where} holds no credential: it needs ${SECRET_TOKEN_KEY}, or ${SECRET_CERT_KEY} and ${SECRET_KEY_KEY}`,
    );
  }
  if (insecureSkipTLSVerification) {
    out.insecure = true;
  } else {
    const ca = secretValue(secret, SECRET_CA_BUNDLE_KEY);
    if (!ca) {
      throw new ClusterConnectionError(
        `${where} has no ${SECRET_CA_BUNDLE_KEY} (needed unless spec.insecureSkipTLSVerification is true)`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ClusterConnectionError(`${where}: ${SECRET_CA_BUNDLE_KEY} is not a PEM certificate bundle`);
    }
    out.caPem = ca;
  }
  return out;
}
