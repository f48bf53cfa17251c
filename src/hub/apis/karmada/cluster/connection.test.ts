import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { apiEndpointURL, ClusterConnectionError, clusterConnection } from './connection.js';
import type { Cluster } from './types.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function cluster(spec: Partial<Cluster['spec']> = {}): Cluster {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'east' },
    spec: {
      syncMode: 'Push',
      apiEndpoint: 'https://127.0.0.1:6443',
      secretRef: { namespace: 'karmada-cluster', name: 'east' },
      ...spec,
    },
  };
}

function secret(data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'east', namespace: 'karmada-cluster' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterConnectionError);
    return (err as Error).message;
  }
  throw new Error('expected a ClusterConnectionError');
}

describe('clusterConnection', () => {
  it("reads Karmada's Secret layout: token and caBundle", () => {
    expect(clusterConnection(cluster(), secret({ token: 'tok\n', caBundle: CA }))).toEqual({
      contextName: 'east',
      clusterName: 'east',
      userName: 'cluster east',
      server: 'https://127.0.0.1:6443',
      token: 'tok',
      caPem: CA,
    });
  });

  it('takes a client certificate from tls.crt and tls.key', () => {
    const conn = clusterConnection(cluster(), secret({ 'tls.crt': 'CERT', 'tls.key': 'KEY', caBundle: CA }));
    expect(conn).toMatchObject({ certPem: 'CERT', keyPem: 'KEY', caPem: CA });
    expect(conn.token).toBeUndefined();
  });

  it('skips the CA with insecureSkipTLSVerification, and reads a bare host:port as https', () => {
    const conn = clusterConnection(
      cluster({ apiEndpoint: '10.0.0.1:6443', insecureSkipTLSVerification: true }),
      secret({ token: 't' }),
    );
    expect(conn).toMatchObject({ server: 'https://10.0.0.1:6443', insecure: true, token: 't' });
    expect(conn.caPem).toBeUndefined();
    expect(apiEndpointURL('member.example')).toBe('https://member.example');
  });

  it('carries spec.proxyURL and spec.proxyHeader to the connection', () => {
    const c = clusterConnection(
      cluster({ proxyURL: 'http://127.0.0.1:3128', proxyHeader: { 'Proxy-Authorization': 'Basic dTpw' } }),
      secret({ token: 't', caBundle: CA }),
    );
    expect(c.proxyUrl).toBe('http://127.0.0.1:3128');
    expect(c.proxyHeaders).toEqual({ 'Proxy-Authorization': 'Basic dTpw' });
    expect(clusterConnection(cluster(), secret({ token: 't', caBundle: CA })).proxyUrl).toBeUndefined();
  });

  it('says what is missing', () => {
    expect(refusal(() => clusterConnection(cluster({ apiEndpoint: '' }), secret({})))).toBe(
      'cluster east has no spec.apiEndpoint',
    );
    expect(refusal(() => clusterConnection(cluster({ secretRef: undefined }), undefined))).toBe(
      'cluster east has no spec.secretRef',
    );
    expect(refusal(() => clusterConnection(cluster(), undefined))).toBe(
      'secret karmada-cluster/east of cluster east was not found',
    );
    expect(refusal(() => clusterConnection(cluster(), secret({ caBundle: CA })))).toBe(
      'secret karmada-cluster/east of cluster east holds no credential: it needs token, or tls.crt and tls.key',
    );
    expect(refusal(() => clusterConnection(cluster(), secret({ token: 't' })))).toBe(
      'secret karmada-cluster/east of cluster east has no caBundle (needed unless spec.insecureSkipTLSVerification is true)',
    );
    expect(refusal(() => clusterConnection(cluster(), secret({ token: 't', caBundle: 'not a pem' })))).toBe(
      'secret karmada-cluster/east of cluster east: caBundle is not a PEM certificate bundle',
    );
    expect(refusal(() => clusterConnection(cluster(), secret({ 'tls.crt': 'C', caBundle: CA })))).toBe(
      'secret karmada-cluster/east of cluster east needs both tls.crt and tls.key',
    );
    expect(
      refusal(() => clusterConnection(cluster({ apiEndpoint: 'http://plain:80' }), secret({ token: 't' }))),
    ).toBe('cluster east: spec.apiEndpoint http://plain:80 is not an https URL');
  });
});
