import { describe, expect, it } from 'vitest';
import {
  annotationsSize,
  generateName,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  MAX_GENERATED_NAME_PREFIX_LENGTH,
  nameIsDNSSubdomain,
  utf8Length,
  validateAnnotations,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './names.js';
import type { ObjectMeta } from './object.js';
import { errors, fieldErrorMessage } from './status.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('DNS names', () => {
  it('accepts and refuses subdomains as Kubernetes does, with its message', () => {
    for (const ok of ['a', 'ab', 'a-b', 'a.b', 'example.com', '0', '1.2.3.4', 'a'.repeat(253)]) {
      expect(isDNS1123Subdomain(ok), ok).toEqual([]);
    }
    expect(isDNS1123Subdomain('Web')).toEqual([SUBDOMAIN_MSG]);
    for (const bad of ['', '-a', 'a-', '.a', 'a.', 'a..b', 'a_b', 'a b', 'é']) {
      expect(isDNS1123Subdomain(bad), bad).toEqual([SUBDOMAIN_MSG]);
    }
    expect(isDNS1123Subdomain('a'.repeat(254))).toEqual(['must be no more than 253 characters']);
  });

  it('tells a label that only its dots are wrong', () => {
    expect(isDNS1123Label('my-name')).toEqual([]);
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(isDNS1123Label('A')[0]).toContain(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
    );
    expect(isDNS1123Label('A')[0]).toContain("(e.g. 'my-name',  or '123-abc', regex used for validation is");
  });

  it('requires DNS-1035 labels to start with a letter', () => {
    expect(isDNS1035Label('web-1')).toEqual([]);
    expect(isDNS1035Label('1web')[0]).toMatch(
      /^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
  });

  it('counts bytes, not characters, against length limits', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    // 32 two-byte characters are 64 bytes: over the 63 limit although only 32 characters long.
    expect(isValidLabelValue('é'.repeat(32))).toContain('must be no more than 63 characters');
  });
});

describe('qualified names and label values', () => {
  it('accepts keys with and without a prefix', () => {
    for (const ok of [
      'app',
      'App_1',
      'a.b-c',
      'example.com/app',
      'kubernetes.io/metadata.name',
      'a'.repeat(63),
    ]) {
      expect(isQualifiedName(ok), ok).toEqual([]);
    }
  });

  it('names the part that is wrong', () => {
    expect(isQualifiedName('/app')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('Example.com/app')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isQualifiedName('example.com/')).toEqual([
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    expect(isQualifiedName('a'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(isQualifiedName('a/b/c')[0]).toMatch(
      /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
  });

  it('allows empty label values but not leading punctuation', () => {
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('v1.2_3-x')).toEqual([]);
    expect(isValidLabelValue('-x')).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
  });
});

describe('generateName', () => {
  it('appends five characters from the vowel-free alphabet', () => {
    const name = generateName('web-');
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('cuts long prefixes so that the result stays a valid label length', () => {
    const name = generateName('x'.repeat(100), () => 0);
    expect(name).toBe(`${'x'.repeat(MAX_GENERATED_NAME_PREFIX_LENGTH)}bbbbb`);
    expect(name.length).toBe(63);
  });

  it('lets a generateName end in a dash but not start with one', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toHaveLength(1);
    expect(nameIsDNSSubdomain('-web-', true)).toHaveLength(1);
  });
});

describe('annotations', () => {
  it('checks keys case-insensitively and reports the original key', () => {
    expect(validateAnnotations({ 'Example.COM/Key': 'v' }, 'metadata.annotations')).toEqual([]);
    const errs = validateAnnotations({ 'bad key': 'v' }, 'metadata.annotations');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      type: 'FieldValueInvalid',
      field: 'metadata.annotations',
      badValue: 'bad key',
    });
  });

  it('limits the total size to 256 KiB', () => {
    const big = 'x'.repeat(256 * 1024 - 1);
    expect(annotationsSize({ a: big })).toBe(256 * 1024);
    expect(validateAnnotations({ a: big }, 'metadata.annotations')).toEqual([]);
    const errs = validateAnnotations({ ab: big }, 'metadata.annotations');
    expect(errs.map((e) => fieldErrorMessage(e))).toEqual([
      'metadata.annotations: Too long: may not be more than 262144 bytes',
    ]);
  });
});

describe('validateObjectMeta', () => {
  const namespaced = { namespaced: true, nameRule: 'dns1123Subdomain' as const };

  it('accepts a well-formed object', () => {
    const meta: ObjectMeta = {
      name: 'web.v1',
      namespace: 'prod',
      labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
      annotations: { 'example.com/note': 'anything at all: {"json": true}' },
      finalizers: ['example.com/cleanup'],
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true },
      ],
    };
    expect(validateObjectMeta(meta, namespaced)).toEqual([]);
  });

  it('reports each problem at its path, in Kubernetes words', () => {
    const meta: ObjectMeta = {
      name: 'Web',
      labels: { 'bad key!': 'ok', good: '-bad' },
      finalizers: ['orphan', 'foregroundDeletion'],
      generation: -1,
    };
    const messages = validateObjectMeta(meta, namespaced).map((e) => fieldErrorMessage(e));
    expect(messages).toContain(`metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`);
    expect(messages).toContain('metadata.namespace: Required value');
    expect(messages).toContain('metadata.generation: Invalid value: -1: must be greater than or equal to 0');
    expect(
      messages.some((m) =>
        m.startsWith('metadata.labels: Invalid value: "bad key!": name part must consist'),
      ),
    ).toBe(true);
    expect(
      messages.some((m) => m.startsWith('metadata.labels: Invalid value: "-bad": a valid label must be')),
    ).toBe(true);
    expect(messages).toContain(
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    );
  });

  it('requires a name or generateName, and validates the generateName as a prefix', () => {
    expect(validateObjectMeta({ namespace: 'a' }, namespaced)).toEqual([
      { type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' },
    ]);
    const errs = validateObjectMeta({ generateName: 'Web-', name: 'web-abcde', namespace: 'a' }, namespaced);
    expect(errs.map((e) => e.field)).toEqual(['metadata.generateName']);
  });

  it('forbids a namespace on cluster-scoped kinds and checks namespace names as labels', () => {
    const cluster = { namespaced: false, nameRule: 'dns1123Label' as const };
    expect(validateObjectMeta({ name: 'n', namespace: 'x' }, cluster)).toEqual([
      { type: 'FieldValueForbidden', field: 'metadata.namespace', detail: 'not allowed on this type' },
    ]);
    const errs = validateObjectMeta({ name: 'n', namespace: 'a.b' }, namespaced);
    expect(errs).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'metadata.namespace',
        badValue: 'a.b',
        detail: 'must not contain dots',
      },
    ]);
  });

  it('applies the kind name rule, including a custom one', () => {
    expect(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameRule: 'dns1123Label' })).toHaveLength(
      1,
    );
    expect(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameRule: 'pathSegment' })).toEqual([]);
    expect(
      validateObjectMeta({ name: 'a/b' }, { namespaced: false, nameRule: 'pathSegment' })[0],
    ).toMatchObject({
      detail: "may not contain '/'",
    });
    const upperOk = (name: string) => (name === name.toUpperCase() ? [] : ['must be upper case']);
    expect(validateObjectMeta({ name: 'abc' }, { namespaced: false, nameRule: upperOk })[0]).toMatchObject({
      field: 'metadata.name',
      detail: 'must be upper case',
    });
  });

  it('allows only one controller owner and no Event owner', () => {
    const errs = validateObjectMeta(
      {
        name: 'x',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'a', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
          { apiVersion: 'v1', kind: 'Event', name: 'e', uid: '3' },
          { apiVersion: '', kind: '', name: '', uid: '' },
        ],
      },
      { namespaced: false, nameRule: 'dns1123Subdomain' },
    );
    const details = errs.map((e) => `${e.field}: ${e.detail}`);
    expect(details).toContain(
      'metadata.ownerReferences: Only one reference can have Controller set to true. Found "true" in references for Deployment/a and ReplicaSet/b',
    );
    expect(details).toContain('metadata.ownerReferences: /v1, Kind=Event is disallowed from being an owner');
    expect(details).toContain('metadata.ownerReferences.apiVersion: version must not be empty');
    expect(details).toContain('metadata.ownerReferences.uid: uid must not be empty');
  });

  it('checks managed fields entries', () => {
    const errs = validateObjectMeta(
      {
        name: 'x',
        managedFields: [
          { manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' },
          { manager: 'bad\u0001name', operation: 'Patch' as 'Apply' },
        ],
      },
      { namespaced: false, nameRule: 'dns1123Subdomain' },
    );
    expect(errs.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'metadata.managedFields[1].operation: must be `Apply` or `Update`',
      'metadata.managedFields[1].manager: invalid character U+0001 (at position 3)',
    ]);
  });

  it('feeds errors.invalid to make the 422 a client sees', () => {
    const err = errors.invalid(
      'apps',
      'Deployment',
      'Web',
      validateObjectMeta({ name: 'Web', namespace: 'a' }, namespaced),
    );
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      `Deployment.apps "Web" is invalid: metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`,
    );
  });
});

describe('validateObjectMetaUpdate', () => {
  const old: ObjectMeta = {
    name: 'a',
    namespace: 'n',
    uid: 'u',
    resourceVersion: '5',
    generation: 3,
    creationTimestamp: '2024-01-01T00:00:00Z',
    finalizers: ['example.com/f'],
  };

  it('accepts an update that keeps identity', () => {
    expect(validateObjectMetaUpdate({ ...old, labels: { x: 'y' } }, old)).toEqual([]);
  });

  it('refuses changed identity, missing resourceVersion and decremented generation', () => {
    const errs = validateObjectMetaUpdate(
      { ...old, name: 'b', uid: 'v', resourceVersion: '', generation: 2 },
      old,
    );
    expect(errs.map((e) => fieldErrorMessage(e))).toEqual([
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.generation: Invalid value: 2: must not be decremented',
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.uid: Invalid value: "v": field is immutable',
    ]);
  });

  it('forbids new finalizers once deletion started', () => {
    const deleting = { ...old, deletionTimestamp: '2024-02-01T00:00:00Z' };
    const errs = validateObjectMetaUpdate(
      { ...deleting, finalizers: ['example.com/f', 'example.com/g'] },
      deleting,
    );
    expect(errs).toEqual([
      {
        type: 'FieldValueForbidden',
        field: 'metadata.finalizers',
        detail:
          'no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/g"}',
      },
    ]);
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).toEqual([]);
  });
});
