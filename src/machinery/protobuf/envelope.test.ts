import { describe, expect, it } from 'vitest';
import { encode, envelope } from '../../../test/support/protobuf-writer.js';
import { ApiError } from '../status.js';
import { hasProtobufMagic, readEnvelope } from './envelope.js';

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('readEnvelope', () => {
  it('opens the k8s\\0 + runtime.Unknown frame', () => {
    const body = envelope(
      'apps/v1',
      'Deployment',
      [[1, [[1, 'web']]]],
      [[4, 'application/vnd.kubernetes.protobuf']],
    );
    expect(hasProtobufMagic(body)).toBe(true);
    const env = readEnvelope(body);
    expect(env).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      contentEncoding: '',
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect([...env.raw]).toEqual([...encode([[1, [[1, 'web']]]])]);
  });

  it('skips frame fields it does not know (they carry no object data)', () => {
    const body = envelope('v1', 'ConfigMap', [], [[9, 'future']]);
    expect(readEnvelope(body).kind).toBe('ConfigMap');
  });

  it('refuses a body without the prefix', () => {
    expect(failure(() => readEnvelope(Buffer.from('{"kind":"Pod"}')))).toMatchObject({
      code: 400,
      message: 'the body of the request is not valid Kubernetes protobuf: missing the "k8s\\0" prefix',
    });
    expect(hasProtobufMagic(Uint8Array.from([0x6b, 0x38, 0x73]))).toBe(false);
  });

  it('refuses a frame without kind or apiVersion', () => {
    expect(failure(() => readEnvelope(envelope('v1', '', []))).message).toContain("Object 'Kind' is missing");
    expect(failure(() => readEnvelope(envelope('', 'Pod', []))).message).toContain(
      "Object 'apiVersion' is missing",
    );
  });

  it('answers 415 for a compressed or non-protobuf payload', () => {
    const gzip = failure(() => readEnvelope(envelope('v1', 'Pod', [], [[3, 'gzip']])));
    expect(gzip.code).toBe(415);
    expect(gzip.message).toContain('content encoding "gzip" is not supported');
    const json = failure(() => readEnvelope(envelope('v1', 'Pod', [], [[4, 'application/json']])));
    expect(json.code).toBe(415);
    expect(json.message).toContain('"application/json", not protobuf');
  });

  it('refuses broken framing with a 400', () => {
    const body = envelope('v1', 'Pod', [[1, [[1, 'x']]]]);
    expect(failure(() => readEnvelope(body.subarray(0, body.length - 3))).code).toBe(400);
    // typeMeta sent as a varint
    expect(failure(() => readEnvelope(Uint8Array.from([0x6b, 0x38, 0x73, 0, 0x08, 0x01]))).message).toContain(
      'runtime.Unknown typeMeta has wire type varint',
    );
  });
});
