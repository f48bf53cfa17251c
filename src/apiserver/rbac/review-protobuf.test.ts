import { describe, expect, it } from 'vitest';
import { ApiError } from '../../machinery/status.js';
import { decodeEnvelope, decodeReviewProtobuf } from './review-protobuf.js';

// A protobuf writer for the test messages: each field is [number, string | nested fields | varint].
type Field = [number, string | Field[] | bigint];

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function encode(fields: Field[]): number[] {
  const out: number[] = [];
  for (const [n, value] of fields) {
    if (typeof value === 'bigint') {
      out.push(...varint(n * 8), ...varint(value));
      continue;
    }
    const bytes = typeof value === 'string' ? [...Buffer.from(value, 'utf8')] : encode(value);
    out.push(...varint(n * 8 + 2), ...varint(bytes.length), ...bytes);
  }
  return out;
}

function envelope(apiVersion: string, kind: string, object: Field[]): Uint8Array {
  const unknown: Field[] = [
    [
      1,
      [
        [1, apiVersion],
        [2, kind],
      ],
    ],
    [2, object],
    [4, 'application/vnd.kubernetes.protobuf'],
  ];
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...encode(unknown)]);
}

function badRequest(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('decodeReviewProtobuf', () => {
  it('reads a SelfSubjectAccessReview as kubectl auth can-i sends it', () => {
    const body = envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [
      [1, []],
      [
        2,
        [
          [
            1,
            [
              [1, 'web'],
              [2, 'create'],
              [3, 'apps'],
              [5, 'deployments'],
              [6, 'scale'],
              [7, 'site'],
            ],
          ],
        ],
      ],
      [3, [[1, 0n]]],
    ]);
    expect(decodeReviewProtobuf(body)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: 'web',
          verb: 'create',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
          name: 'site',
        },
      },
      // status.allowed has no omitempty: JSON carries `false`, and so does the decoded body.
      status: { allowed: false },
    });
  });

  it('reads a SubjectAccessReview with user, groups, extra and uid, and metadata', () => {
    const body = envelope('authorization.k8s.io/v1', 'SubjectAccessReview', [
      [
        1,
        [
          [1, 'named'],
          [
            11,
            [
              [1, 'k'],
              [2, 'v'],
            ],
          ],
        ],
      ],
      [
        2,
        [
          [
            2,
            [
              [1, '/healthz'],
              [2, 'get'],
            ],
          ],
          [3, 'alice'],
          [4, 'devs'],
          [4, 'ops'],
          [
            5,
            [
              [1, 'scopes'],
              [
                2,
                [
                  [1, 'a'],
                  [1, 'b'],
                ],
              ],
            ],
          ],
          [6, 'uid-1'],
        ],
      ],
    ]);
    expect(decodeReviewProtobuf(body)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: { name: 'named', labels: { k: 'v' } },
      spec: {
        nonResourceAttributes: { path: '/healthz', verb: 'get' },
        user: 'alice',
        groups: ['devs', 'ops'],
        extra: { scopes: ['a', 'b'] },
        uid: 'uid-1',
      },
    });
  });

  it('reads a SelfSubjectRulesReview', () => {
    const body = envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', [[2, [[1, 'default']]]]);
    expect(decodeReviewProtobuf(body).spec).toEqual({ namespace: 'default' });
  });

  it('refuses a field it does not know instead of dropping it', () => {
    const body = envelope('authorization.k8s.io/v1', 'SubjectAccessReview', [[2, [[99, 'lost']]]]);
    const err = badRequest(() => decodeReviewProtobuf(body));
    expect(err.status.code).toBe(415);
    expect(err.message).toContain('field 99');
    expect(err.message).toContain('k8s.io.api.authorization.v1.SubjectAccessReviewSpec');
  });

  it('answers 415 for other kinds and 400 for broken bodies', () => {
    expect(
      badRequest(() => decodeReviewProtobuf(envelope('v1', 'Namespace', [[1, [[1, 'x']]]]))).status,
    ).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
    });
    expect(badRequest(() => decodeEnvelope(new Uint8Array([1, 2, 3, 4, 5]))).status).toMatchObject({
      code: 400,
      message: 'the body of the request is not valid Kubernetes protobuf: missing the "k8s\\0" prefix',
    });
    const truncated = envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [
      [2, [[1, [[2, 'get']]]]],
    ]);
    expect(
      badRequest(() => decodeReviewProtobuf(truncated.subarray(0, truncated.length - 2))).status.code,
    ).toBe(400);
  });
});
