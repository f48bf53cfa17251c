// The decoder on bodies built field by field (field numbers from k8s.io/api 1.33), covering what
// kubectl's own requests (kubectl.test.ts) do not: special types at their edges, presence rules,
// merging, packed lists, and every way a body can be wrong.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, envelope, type ProtoField } from '../../../test/support/protobuf-writer.js';
import { formatGoDuration } from '../duration.js';
import { ApiError } from '../status.js';
import { decodeKubernetesProtobuf, decodeProtobufMessage, isProtobufContentType } from './decode.js';

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

/** ObjectMeta as Go writes it: every non-pointer field present, zero or not. */
function goMeta(name: string, extra: ProtoField[] = []): ProtoField[] {
  return [[1, name], [2, ''], [3, ''], [4, ''], [5, ''], [6, ''], [7, 0], [8, []], ...extra];
}

const podSpec: ProtoField[] = [
  [
    2,
    [
      [1, 'app'],
      [2, 'nginx'],
      [6, [[3, 80]]],
      [8, []],
      [16, false],
    ],
  ],
];

const deployment = envelope('apps/v1', 'Deployment', [
  [
    1,
    goMeta('web', [
      [
        11,
        [
          [1, 'app'],
          [2, 'web'],
        ],
      ],
    ]),
  ],
  [
    2,
    [
      [1, 3],
      [
        2,
        [
          [
            1,
            [
              [1, 'app'],
              [2, 'web'],
            ],
          ],
        ],
      ],
      [
        3,
        [
          [1, goMeta('')],
          [2, podSpec],
        ],
      ],
      [
        4,
        [
          [1, 'RollingUpdate'],
          [
            2,
            [
              [
                1,
                [
                  [1, 0],
                  [2, 1],
                ],
              ],
              [
                2,
                [
                  [1, 1],
                  [3, '25%'],
                ],
              ],
            ],
          ],
        ],
      ],
      [5, 0],
      [7, false],
    ],
  ],
  [
    3,
    [
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 0],
      [7, 0],
    ],
  ],
]);

describe('decodeKubernetesProtobuf', () => {
  it('reads a Deployment as Go writes it into the JSON kubectl would have sent', () => {
    expect(decodeKubernetesProtobuf(deployment)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: {},
          spec: {
            containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }],
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      },
      status: {},
    });
  });

  it('keeps zero values of pointers and of fields without omitempty, drops the others', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('apps/v1', 'Deployment', [
        [
          2,
          [
            [1, 0], // replicas *int32: 0 is a value
            [6, 0], // revisionHistoryLimit *int32
            [5, 0], // minReadySeconds int32,omitempty: unset
            [
              3,
              [
                [
                  2,
                  [
                    [
                      2,
                      [
                        [1, ''],
                        [6, [[3, 0]]],
                      ],
                    ],
                  ],
                ],
              ],
            ], // container name "" and containerPort 0 have no omitempty
          ],
        ],
      ]),
    );
    expect(obj.spec).toEqual({
      replicas: 0,
      revisionHistoryLimit: 0,
      template: { spec: { containers: [{ name: '', ports: [{ containerPort: 0 }] }] } },
    });
  });

  it('takes apiVersion and kind from the envelope', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'ConfigMap', [
        [1, [[1, 'c']]],
        [
          2,
          [
            [1, 'k'],
            [2, 'v'],
          ],
        ],
      ]),
    );
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } });
    expect(Object.keys(obj).slice(0, 2)).toEqual(['apiVersion', 'kind']);
  });

  it('reads bytes as base64 and strings as UTF-8', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'Secret', [
        [1, [[1, 'résumé-ключ']]],
        [
          2,
          [
            [1, 'bin'],
            [2, Uint8Array.from([0, 255, 1])],
          ],
        ],
        [
          2,
          [
            [1, 'empty'],
            [2, new Uint8Array()],
          ],
        ],
        [3, 'Opaque'],
      ]),
    );
    expect(obj).toMatchObject({
      metadata: { name: 'résumé-ключ' },
      data: { bin: 'AP8B', empty: '' },
      type: 'Opaque',
    });
  });

  it('merges a message field sent twice and lets the last scalar win, even a zero', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'Namespace', [
        [
          1,
          [
            [1, 'a'],
            [
              11,
              [
                [1, 'x'],
                [2, '1'],
              ],
            ],
          ],
        ],
        [
          1,
          [
            [3, 'ns'],
            [
              11,
              [
                [1, 'y'],
                [2, '2'],
              ],
            ],
            [
              11,
              [
                [1, 'x'],
                [2, '3'],
              ],
            ],
          ],
        ],
        [1, [[3, '']]],
      ]),
    );
    expect(obj.metadata).toEqual({ name: 'a', labels: { x: '3', y: '2' } });
  });

  it('keeps a map key named __proto__ as data, as JSON.parse does', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'ConfigMap', [
        [
          2,
          [
            [1, '__proto__'],
            [2, 'x'],
          ],
        ],
      ]),
    );
    const json = JSON.parse('{"__proto__":"x"}');
    expect(obj.data).toEqual(json);
    expect(Object.keys(obj.data as object)).toEqual(['__proto__']);
    // An object value (here a list) is where the prototype would otherwise be replaced.
    const extra = decodeProtobufMessage(
      'authorization.v1.SubjectAccessReviewSpec',
      encode([
        [
          5,
          [
            [1, '__proto__'],
            [2, [[1, 'a']]],
          ],
        ],
      ]),
    ).extra as Record<string, unknown>;
    expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    expect(Object.keys(extra)).toEqual(['__proto__']);
  });

  it('fills a map entry without a value with the zero value', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'ConfigMap', [
        [2, [[1, 'k']]],
        [2, [[2, 'no-key']]],
      ]),
    );
    expect(obj.data).toEqual({ k: '', '': 'no-key' });
  });

  it('reads repeated int32 packed and unpacked alike', () => {
    const rule = (values: ProtoField[]): ProtoField[] => [
      [1, 'FailJob'],
      [2, [[2, 'In'], ...values]],
    ];
    const obj = decodeKubernetesProtobuf(
      envelope('batch/v1', 'Job', [
        [
          2,
          [
            [
              11,
              [
                [1, rule([[3, { packed: [1, 2, 42] }]])],
                [
                  1,
                  rule([
                    [3, 3],
                    [3, -1],
                    [3, { packed: [7] }],
                  ]),
                ],
              ],
            ],
          ],
        ],
      ]),
    );
    expect(obj.spec).toEqual({
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 2, 42] } },
          { action: 'FailJob', onExitCodes: { operator: 'In', values: [3, -1, 7] } },
        ],
      },
    });
  });

  it('inlines embedded messages (Volume.volumeSource, EphemeralContainer common fields)', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('v1', 'Pod', [
        [
          2,
          [
            [
              1,
              [
                [1, 'data'],
                [2, [[2, [[1, 'Memory']]]]],
              ],
            ],
            [
              1,
              [
                [1, 'cfg'],
                [
                  2,
                  [
                    [
                      19,
                      [
                        [1, [[1, 'settings']]],
                        [3, 420],
                      ],
                    ],
                  ],
                ],
              ],
            ],
            [
              34,
              [
                [
                  1,
                  [
                    [1, 'debugger'],
                    [2, 'busybox'],
                  ],
                ],
                [2, 'app'],
              ],
            ],
          ],
        ],
      ]),
    );
    expect(obj.spec).toEqual({
      volumes: [
        { name: 'data', emptyDir: { medium: 'Memory' } },
        { name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } },
      ],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox', targetContainerName: 'app' }],
    });
  });

  it('reads a StatefulSet with claim templates, retention policy and ordinals', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('apps/v1', 'StatefulSet', [
        [1, goMeta('db')],
        [
          2,
          [
            [1, 3],
            [
              4,
              [
                [1, goMeta('data')],
                [
                  2,
                  [
                    [1, 'ReadWriteOnce'],
                    [
                      2,
                      [
                        [
                          2,
                          [
                            [1, 'storage'],
                            [2, [[1, '10Gi']]],
                          ],
                        ],
                      ],
                    ],
                    [3, ''],
                    [5, ''],
                  ],
                ],
                [3, []],
              ],
            ],
            [5, ''],
            [
              10,
              [
                [1, 'Retain'],
                [2, 'Delete'],
              ],
            ],
            [11, [[1, 0]]],
          ],
        ],
      ]),
    );
    expect(obj.spec).toEqual({
      replicas: 3,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          // storageClassName is a pointer: "" (no class) differs from unset and is kept.
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '10Gi' } },
            storageClassName: '',
          },
          status: {},
        },
      ],
      // serviceName has no omitempty in 1.33; ordinals.start neither.
      serviceName: '',
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
      ordinals: { start: 0 },
    });
  });

  it('reads named lists (authorization ExtraValue) as arrays', () => {
    const obj = decodeKubernetesProtobuf(
      envelope('authorization.k8s.io/v1', 'SubjectAccessReview', [
        [
          2,
          [
            [3, 'alice'],
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
            [
              5,
              [
                [1, 'none'],
                [2, []],
              ],
            ],
          ],
        ],
      ]),
    );
    expect(obj.spec).toEqual({ user: 'alice', extra: { scopes: ['a', 'b'], none: [] } });
  });

  it('reads DeleteOptions under whatever group version the client used', () => {
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      const obj = decodeKubernetesProtobuf(
        envelope(apiVersion, 'DeleteOptions', [
          [1, 0],
          [
            2,
            [
              [1, 'uid-1'],
              [2, ''],
            ],
          ],
          [4, 'Foreground'],
          [5, 'All'],
        ]),
      );
      expect(obj).toEqual({
        apiVersion,
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1', resourceVersion: '' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      });
    }
  });
});

describe('special types', () => {
  const meta = (fields: ProtoField[]) => decodeProtobufMessage('meta.v1.ObjectMeta', encode(fields));

  it('Time: RFC 3339 in whole seconds; the zero time is left out', () => {
    expect(
      meta([
        [
          8,
          [
            [1, 1_700_000_000],
            [2, 999_999_999],
          ],
        ],
      ]),
    ).toEqual({ creationTimestamp: '2023-11-14T22:13:20Z' });
    expect(meta([[8, [[1, 0]]]])).toEqual({ creationTimestamp: '1970-01-01T00:00:00Z' });
    expect(meta([[8, [[1, -1]]]])).toEqual({ creationTimestamp: '1969-12-31T23:59:59Z' });
    expect(meta([[8, []]])).toEqual({});
    // Go's zero time (0001-01-01) written as seconds is still the zero time.
    expect(meta([[9, [[1, -62135596800]]]])).toEqual({});
    expect(meta([[8, [[1, 253402300799]]]])).toEqual({ creationTimestamp: '9999-12-31T23:59:59Z' });
    expect(failure(() => meta([[8, [[1, 253402300800]]]])).message).toContain(
      'outside the years 0000 to 9999',
    );
  });

  it('MicroTime: microseconds, normalising out-of-range nanoseconds as Go does', () => {
    const lease = (acquire: ProtoField[]) =>
      decodeProtobufMessage('coordination.v1.LeaseSpec', encode([[3, acquire]])).acquireTime;
    expect(
      lease([
        [1, 1_700_000_000],
        [2, 123_456_789],
      ]),
    ).toBe('2023-11-14T22:13:20.123456Z');
    expect(lease([[1, 1_700_000_000]])).toBe('2023-11-14T22:13:20.000000Z');
    expect(
      lease([
        [1, 1_700_000_000],
        [2, -1_000],
      ]),
    ).toBe('2023-11-14T22:13:19.999999Z');
    expect(
      lease([
        [1, 1_700_000_000],
        [2, 1_500_000_000],
      ]),
    ).toBe('2023-11-14T22:13:21.500000Z');
    expect(lease([])).toBeUndefined();
  });

  it('Duration: Go duration text', () => {
    expect(formatGoDuration(0n)).toBe('0s');
    expect(formatGoDuration(999n)).toBe('999ns');
    expect(formatGoDuration(1_500n)).toBe('1.5µs');
    expect(formatGoDuration(2_000_000n)).toBe('2ms');
    expect(formatGoDuration(1_500_000_000n)).toBe('1.5s');
    expect(formatGoDuration(90_000_000_000n)).toBe('1m30s');
    expect(formatGoDuration(3_600_000_000_000n)).toBe('1h0m0s');
    expect(formatGoDuration(-90_000_000_000n)).toBe('-1m30s');
    expect(formatGoDuration(2n ** 63n - 1n)).toBe('2562047h47m16.854775807s');
    expect(formatGoDuration(-(2n ** 63n))).toBe('-2562047h47m16.854775808s');
  });

  it('Quantity: its string; "0" when the message is empty', () => {
    const limits = decodeProtobufMessage(
      'core.v1.ResourceRequirements',
      encode([
        [
          1,
          [
            [1, 'cpu'],
            [2, [[1, '500m']]],
          ],
        ],
        [
          1,
          [
            [1, 'memory'],
            [2, []],
          ],
        ],
      ]),
    );
    expect(limits).toEqual({ limits: { cpu: '500m', memory: '0' } });
  });

  it('IntOrString: a number for type 0, a string for type 1, an error otherwise', () => {
    const rolling = (v: ProtoField[]) =>
      decodeProtobufMessage('apps.v1.RollingUpdateDeployment', encode([[2, v]])).maxSurge;
    expect(
      rolling([
        [1, 0],
        [2, 3],
        [3, ''],
      ]),
    ).toBe(3);
    expect(
      rolling([
        [1, 1],
        [2, 0],
        [3, '25%'],
      ]),
    ).toBe('25%');
    expect(rolling([])).toBe(0);
    expect(failure(() => rolling([[1, 2]])).message).toContain('IntOrString.type 2');
  });

  it('RawExtension: the JSON it holds, or a nested protobuf object', () => {
    const revision = (data: ProtoField[]) =>
      decodeKubernetesProtobuf(
        envelope('apps/v1', 'ControllerRevision', [
          [2, data],
          [3, 4],
        ]),
      );
    expect(revision([[1, '{"spec":{"replicas":2}}']])).toMatchObject({
      data: { spec: { replicas: 2 } },
      revision: 4,
    });
    expect(revision([])).toEqual({ apiVersion: 'apps/v1', kind: 'ControllerRevision', revision: 4 });
    const nested = envelope('v1', 'ConfigMap', [
      [
        2,
        [
          [1, 'a'],
          [2, 'b'],
        ],
      ],
    ]);
    expect(revision([[1, nested]]).data).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
    expect(failure(() => revision([[1, '{not json']])).message).toMatch(
      /^the body of the request is not valid Kubernetes protobuf: data: RawExtension does not hold JSON/,
    );
  });

  it('FieldsV1 and the times of managedFields', () => {
    const obj = meta([
      [
        17,
        [
          [1, 'kubectl'],
          [2, 'Apply'],
          [3, 'v1'],
          [4, [[1, 1_700_000_000]]],
          [6, 'FieldsV1'],
          [7, [[1, '{"f:data":{"f:a":{}}}']]],
          [8, ''],
        ],
      ],
    ]);
    expect(obj).toEqual({
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Apply',
          apiVersion: 'v1',
          time: '2023-11-14T22:13:20Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { 'f:a': {} } },
        },
      ],
    });
  });
});

describe('refusals', () => {
  it('a field number the tables do not know is a 415 naming message, field and path', () => {
    const body = envelope('apps/v1', 'Deployment', [
      [
        2,
        [
          [
            3,
            [
              [
                2,
                [
                  [2, [[1, 'a']]],
                  [
                    2,
                    [
                      [1, 'b'],
                      [99, 1],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ]);
    const err = failure(() => decodeKubernetesProtobuf(body));
    expect(err.status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    expect(err.message).toBe(
      'the body of the request was in an unknown format: application/vnd.kubernetes.protobuf ' +
        '(spec.template.spec.containers[1]: field 99 (varint) of k8s.io.api.core.v1.Container is not known to this server)',
    );
  });

  it('unknown fields inside special types and map entries are refused too', () => {
    expect(
      failure(() => decodeProtobufMessage('meta.v1.ObjectMeta', encode([[8, [[3, 1]]]]))).message,
    ).toContain(
      'creationTimestamp: field 3 (varint) of k8s.io.apimachinery.pkg.apis.meta.v1.Time is not known',
    );
    expect(
      failure(() =>
        decodeProtobufMessage(
          'meta.v1.ObjectMeta',
          encode([
            [
              11,
              [
                [1, 'k'],
                [3, 'v'],
              ],
            ],
          ]),
        ),
      ).message,
    ).toContain('labels: field 3 (length-delimited) of map entry of labels is not known');
  });

  it('a kind the tables do not cover is a 415', () => {
    const err = failure(() => decodeKubernetesProtobuf(envelope('storage.k8s.io/v1', 'StorageClass', [])));
    expect(err.code).toBe(415);
    expect(err.message).toContain('kind StorageClass of storage.k8s.io/v1 cannot be read as protobuf');
  });

  it('a field of the wrong wire type is a 400 with its path', () => {
    const err = failure(() =>
      decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', [[2, [[1, 'three']]]])),
    );
    expect(err.code).toBe(400);
    expect(err.message).toBe(
      'the body of the request is not valid Kubernetes protobuf: spec.replicas: field 1 has wire type length-delimited, expected varint',
    );
  });

  it('an integer too large for JSON is a 400 naming the field', () => {
    const err = failure(() => decodeProtobufMessage('meta.v1.ObjectMeta', encode([[7, 2n ** 62n]])));
    expect(err.message).toBe(
      'the body of the request is not valid Kubernetes protobuf: generation: integer 4611686018427387904 is too large for a JSON number',
    );
  });

  it('objects nested without end in RawExtensions are refused, not followed', () => {
    let body = envelope('v1', 'ConfigMap', []);
    for (let i = 0; i < 150; i++) body = envelope('apps/v1', 'ControllerRevision', [[2, [[1, body]]]]);
    expect(failure(() => decodeKubernetesProtobuf(body)).message).toContain('nested more than 100 deep');
  });

  it('truncated and mutated bodies fail with a 400 or 415, never anything else', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: deployment.length - 1 }),
        fc.array(fc.tuple(fc.nat({ max: deployment.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        (cut, flips) => {
          const body = Uint8Array.from(deployment);
          for (const [at, value] of flips) body[at] = value;
          for (const candidate of [body, body.subarray(0, cut)]) {
            try {
              decodeKubernetesProtobuf(candidate);
            } catch (e) {
              expect(e).toBeInstanceOf(ApiError);
              expect([400, 415]).toContain((e as ApiError).code);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bodies behind the prefix fail cleanly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeKubernetesProtobuf(Uint8Array.from([0x6b, 0x38, 0x73, 0, ...bytes]));
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect([400, 415]).toContain((e as ApiError).code);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('isProtobufContentType', () => {
  it('matches the media type with or without parameters', () => {
    expect(isProtobufContentType('application/vnd.kubernetes.protobuf')).toBe(true);
    expect(isProtobufContentType('Application/VND.Kubernetes.Protobuf; charset=utf-8')).toBe(true);
    expect(isProtobufContentType('application/vnd.kubernetes.protobuf;stream=watch')).toBe(true);
    expect(isProtobufContentType('application/json')).toBe(false);
    expect(isProtobufContentType(undefined)).toBe(false);
  });
});
