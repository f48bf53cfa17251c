import { describe, expect, it } from 'vitest';
import { FieldSet } from './fieldpath.js';
import {
  capUpdateManagers,
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  formatTime,
  isResetRequest,
  type ManagedEntry,
  type Managers,
  managerKey,
  validateFieldManager,
} from './managed-fields.js';

const entry = (over: Partial<ManagedEntry>): ManagedEntry => ({
  manager: 'm',
  operation: 'Update',
  apiVersion: 'apps/v1',
  set: FieldSet.of(['spec', 'replicas']),
  ...over,
});
const managers = (...es: ManagedEntry[]): Managers => new Map(es.map((e) => [managerKey(e), e]));

describe('decoding metadata.managedFields', () => {
  it('reads every entry with its identity, time and fields', () => {
    const { managers: m, errors } = decodeManagedFields([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2024-05-01T10:00:01Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': { 'f:replicas': {} } },
        subresource: 'status',
      },
    ]);
    expect(errors).toEqual([]);
    expect([...m.values()].map((e) => [e.manager, e.operation, e.subresource, e.set.toString()])).toEqual([
      ['kubectl', 'Apply', undefined, '.spec.replicas'],
      ['kube-controller-manager', 'Update', 'status', '.status.replicas'],
    ]);
  });

  it('keys appliers without their apiVersion and updaters with it', () => {
    expect(managerKey({ manager: 'a', operation: 'Apply', apiVersion: 'v1' })).toBe(
      managerKey({ manager: 'a', operation: 'Apply', apiVersion: 'v2' }),
    );
    expect(managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v1' })).not.toBe(
      managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v2' }),
    );
    expect(
      managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v1', subresource: 'status' }),
    ).not.toBe(managerKey({ manager: 'a', operation: 'Update', apiVersion: 'v1' }));
  });

  it('reports each bad entry under metadata.managedFields with what is wrong', () => {
    const { managers: m, errors } = decodeManagedFields([
      { manager: 'ok', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} },
      { manager: 'a', operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' },
      { manager: 'b', operation: 'Update', fieldsType: 'FieldsV2' },
      {
        manager: 'c\u0007',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:a': 1 },
      },
      { operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', time: 'yesterday' },
      'not an entry',
    ]);
    expect(m.size).toBe(1);
    expect(errors.map((e) => [e.field, e.type, e.detail])).toEqual([
      [
        'metadata.managedFields[1].operation',
        'FieldValueNotSupported',
        'supported values: "Apply", "Update"',
      ],
      ['metadata.managedFields[2].apiVersion', 'FieldValueRequired', 'must not be empty'],
      ['metadata.managedFields[2].fieldsType', 'FieldValueInvalid', 'must be `FieldsV1`'],
      ['metadata.managedFields[3].manager', 'FieldValueInvalid', 'invalid character U+0007 (at position 1)'],
      ['metadata.managedFields[3].fieldsV1', 'FieldValueInvalid', 'the value of "f:a" must be a JSON object'],
      ['metadata.managedFields[4].time', 'FieldValueInvalid', 'must be an RFC 3339 time'],
      ['metadata.managedFields[5]', 'FieldValueTypeInvalid', 'must be an object'],
    ]);
    expect(decodeManagedFields({}).errors[0]!.field).toBe('metadata.managedFields');
  });

  it('recognises the requests that reset tracking', () => {
    expect(isResetRequest([])).toBe(true);
    expect(isResetRequest([{}])).toBe(true);
    expect(isResetRequest(undefined)).toBe(false);
    expect(isResetRequest([{ manager: 'x' }])).toBe(false);
  });
});

describe('encoding metadata.managedFields', () => {
  it('orders Apply before Update, then by time, manager, apiVersion and subresource', () => {
    const out = encodeManagedFields(
      managers(
        entry({ manager: 'z', time: '2024-05-01T10:00:00Z' }),
        entry({ manager: 'b', time: '2024-05-01T10:00:05Z' }),
        entry({ manager: 'a', time: '2024-05-01T10:00:05Z', subresource: 'status' }),
        entry({ manager: 'a', time: '2024-05-01T10:00:05Z', apiVersion: 'apps/v1beta2' }),
        entry({ manager: 'a', time: '2024-05-01T10:00:05Z' }),
        entry({ manager: 'y', operation: 'Apply', time: '2024-05-01T11:00:00Z' }),
      ),
    )!;
    expect(out.map((e) => `${e.operation} ${e.manager} ${e.apiVersion} ${e.subresource ?? '-'}`)).toEqual([
      'Apply y apps/v1 -',
      'Update z apps/v1 -',
      'Update a apps/v1 -',
      'Update a apps/v1 status',
      'Update a apps/v1beta2 -',
      'Update b apps/v1 -',
    ]);
  });

  it('writes entries in metav1 field order, drops empty ones and says nothing when none are left', () => {
    const out = encodeManagedFields(
      managers(
        entry({ time: '2024-05-01T10:00:00Z', subresource: 'scale' }),
        entry({ manager: 'n', set: FieldSet.empty }),
      ),
    );
    expect(JSON.stringify(out)).toBe(
      '[{"manager":"m","operation":"Update","apiVersion":"apps/v1","time":"2024-05-01T10:00:00Z",' +
        '"fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}},"subresource":"scale"}]',
    );
    expect(encodeManagedFields(managers(entry({ set: FieldSet.empty })))).toBeUndefined();
  });

  it('formats times as metav1.Time does', () => {
    expect(formatTime(new Date('2024-05-01T10:00:00.789Z'))).toBe('2024-05-01T10:00:00Z');
    expect(formatTime('2024-05-01T12:00:00+02:00')).toBe('2024-05-01T10:00:00Z');
  });
});

describe('managers', () => {
  it('are described in conflicts as the API server prints them', () => {
    expect(describeManager({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1' })).toBe(
      '"kubectl"',
    );
    expect(
      describeManager({ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1' }),
    ).toBe('"kubectl-client-side-apply" using apps/v1');
    expect(
      describeManager({
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'apps/v1',
        subresource: 'scale',
      }),
    ).toBe('"kubectl" with subresource "scale" using apps/v1');
  });

  it('are limited to ten updaters, the oldest folded into ancient-changes', () => {
    const m: Managers = new Map();
    for (let i = 0; i < 12; i++) {
      const e = entry({
        manager: `c${i}`,
        time: `2024-05-01T10:00:${String(10 + i)}Z`,
        set: FieldSet.of(['f', `x${i}`]),
      });
      m.set(managerKey(e), e);
    }
    const applier = entry({ manager: 'kubectl', operation: 'Apply' });
    m.set(managerKey(applier), applier);
    capUpdateManagers(m);
    const updaters = [...m.values()].filter((e) => e.operation === 'Update');
    expect(updaters).toHaveLength(10);
    const ancient = updaters.find((e) => e.manager === 'ancient-changes')!;
    expect(ancient.set.toString()).toBe('.f.x0\n.f.x1\n.f.x2');
    expect(ancient.time).toBe('2024-05-01T10:00:12Z');
    expect(m.has(managerKey(applier))).toBe(true);
  });

  it('must have printable names of at most 128 bytes', () => {
    expect(validateFieldManager('kubectl', 'fieldManager')).toEqual([]);
    expect(validateFieldManager('é'.repeat(65), 'fieldManager')).toEqual([
      { type: 'FieldValueTooLong', field: 'fieldManager', detail: 'may not be more than 128 bytes' },
    ]);
    expect(validateFieldManager('a\tb', 'fieldManager')[0]!.detail).toBe(
      'invalid character U+0009 (at position 1)',
    );
  });
});
