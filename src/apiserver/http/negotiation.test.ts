import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../machinery/status.js';
import { decodeBody } from './negotiation.js';

const APPLY = 'application/apply-patch+yaml';
const body = (text: string) => Buffer.from(text, 'utf8');

function decodeError(text: string, contentType: string): ApiError {
  try {
    decodeBody(body(text), contentType, 'apply');
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the body to be refused');
}

describe('request bodies of server-side apply (application/apply-patch+yaml)', () => {
  it('reads a JSON body, as clients send it', () => {
    expect(decodeBody(body(' {"kind":"ConfigMap","data":{"a":"1","n":"007"}}'), APPLY, 'apply')).toEqual({
      kind: 'ConfigMap',
      data: { a: '1', n: '007' },
    });
  });

  it('reads YAML, block style and flow style', () => {
    expect(decodeBody(body('kind: ConfigMap\ndata:\n  a: "1"\n'), APPLY, 'apply')).toEqual({
      kind: 'ConfigMap',
      data: { a: '1' },
    });
    expect(decodeBody(body('{kind: ConfigMap, data: {a: "1"}}'), APPLY, 'apply')).toEqual({
      kind: 'ConfigMap',
      data: { a: '1' },
    });
  });

  it('answers a broken body with a 400 that says what is wrong', () => {
    const broken = decodeError('{"kind": "ConfigMap", "data": {', APPLY);
    expect(broken.code).toBe(400);
    expect(broken.message).toMatch(/^error decoding YAML: /);
    const twice = decodeError('kind: ConfigMap\nkind: Secret\n', APPLY);
    expect(twice.code).toBe(400);
    expect(twice.message).toMatch(/unique/);
  });
});
