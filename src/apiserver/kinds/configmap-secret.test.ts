import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { configMapStrategy, secretStrategy } from './configmap-secret.js';

const now = new Date('2026-03-01T12:00:00Z');
const b64 = (s: string) => Buffer.from(s).toString('base64');

function configMap(data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app', namespace: 'default', creationTimestamp: '2026-03-01T11:59:00Z' },
    data,
    ...extra,
  };
}

function secret(extra: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'default', creationTimestamp: '2026-03-01T11:59:00Z' },
    ...extra,
  };
}

const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

describe('ConfigMap', () => {
  it('accepts file-like keys and refuses others', () => {
    expect(
      configMapStrategy.validate!(configMap({ 'app.properties': 'a=b', KEY_NAME: 'x', 'key-name': 'y' })),
    ).toEqual([]);
    expect(messages(configMapStrategy.validate!(configMap({ 'a/b': 'x', '..hidden': 'y' })))).toEqual([
      `data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..hidden]: Invalid value: "..hidden": must not start with '..'`,
    ]);
  });

  it('refuses more than 1 MiB of data and keys in both data and binaryData', () => {
    expect(messages(configMapStrategy.validate!(configMap({ big: 'x'.repeat(1024 * 1024 + 1) })))).toEqual([
      'Too long: may not be more than 1048576 bytes',
    ]);
    expect(
      messages(configMapStrategy.validate!(configMap({ a: 'x' }, { binaryData: { a: b64('y') } }))),
    ).toEqual(['data[a]: Invalid value: "a": duplicate of key present in binaryData']);
  });

  it('refuses changes to an immutable ConfigMap', () => {
    const old = configMap({ a: '1' }, { immutable: true });
    const next = configMap({ a: '2' }, { immutable: false });
    expect(messages(configMapStrategy.validateUpdate!(next, old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    const mutable = configMap({ a: '1' });
    expect(configMapStrategy.validateUpdate!(configMap({ a: '2' }), mutable)).toEqual([]);
  });

  it('prints DATA as the number of keys', () => {
    expect(
      configMapStrategy.table!.cells(configMap({ a: '1', b: '2' }, { binaryData: { c: b64('3') } }), now),
    ).toEqual(['app', 3, '60s']);
  });
});

describe('Secret', () => {
  it('defaults to Opaque and folds stringData into data', () => {
    const s = secret({ data: { user: b64('admin') }, stringData: { password: 's3cret', user: 'root' } });
    secretStrategy.applyDefaults!(s);
    expect(s.type).toBe('Opaque');
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ user: b64('root'), password: b64('s3cret') });
    expect(secretStrategy.validate!(s)).toEqual([]);
  });

  it('requires the keys of its type', () => {
    const tls = secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('cert') } });
    expect(messages(secretStrategy.validate!(tls))).toEqual(['data[tls.key]: Required value']);
    const docker = secret({
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('{not json') },
    });
    expect(secretStrategy.validate!(docker)[0]).toMatchObject({
      field: 'data[.dockerconfigjson]',
      badValue: '<secret contents redacted>',
    });
    const token = secret({ type: 'kubernetes.io/service-account-token' });
    expect(messages(secretStrategy.validate!(token))).toEqual([
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
  });

  it('refuses values that are not base64', () => {
    expect(messages(secretStrategy.validate!(secret({ data: { a: 'not base64!' } })))).toEqual([
      'data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3',
    ]);
  });

  it('never changes type, and an immutable secret never changes data', () => {
    const old = secret({ type: 'Opaque', data: { a: b64('1') }, immutable: true });
    const next = secret({ type: 'kubernetes.io/basic-auth', data: { a: b64('2') }, immutable: true });
    expect(messages(secretStrategy.validateUpdate!(next, old))).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  it('prints TYPE and DATA and is selectable by type', () => {
    const s = secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c'), 'tls.key': b64('k') } });
    expect(secretStrategy.table!.cells(s, now)).toEqual(['creds', 'kubernetes.io/tls', 2, '60s']);
    expect(secretStrategy.selectableFields!(s)).toEqual({ type: 'kubernetes.io/tls' });
  });
});
