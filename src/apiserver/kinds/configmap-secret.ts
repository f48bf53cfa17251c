// ConfigMaps and Secrets: valid keys, at most 1 MiB of data, `immutable: true` objects that refuse
// data changes, Secret type Opaque by default (and never changed), stringData folded into data,
// the keys each well-known Secret type requires, and the DATA / TYPE tables.

import { keyPath } from '../../machinery/field-path.js';
import { utf8Length } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { forbidden, immutable, invalid, regexMessage, required, tooLong } from './field-errors.js';
import { asObject, asString, semanticEqual } from './values.js';

/** core.MaxSecretSize, which applies to ConfigMaps as well. */
export const MAX_DATA_SIZE = 1024 * 1024;
const KEY_FORMAT = '[-._a-zA-Z0-9]+';
const KEY_MESSAGE = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const REDACTED = '<secret contents redacted>';

/** validation.IsConfigMapKey. */
export function configMapKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push(regexMessage(KEY_MESSAGE, KEY_FORMAT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** The decoded size of a base64 value, or the error Go's decoder would give. */
function decodedSize(value: unknown): { size: number } | { error: string } {
  if (typeof value !== 'string') return { size: 0 };
  const bad = value.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return { error: `illegal base64 data at input byte ${bad}` };
  const pad = value.indexOf('=');
  if (value.length % 4 !== 0 || (pad >= 0 && (pad < value.length - 2 || /[^=]/.test(value.slice(pad))))) {
    return {
      error: `illegal base64 data at input byte ${pad >= 0 ? pad : value.length - (value.length % 4)}`,
    };
  }
  return { size: Buffer.from(value, 'base64').length };
}

function validateKeys(map: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(asObject(map) ?? {})) {
    for (const m of configMapKeyErrors(key)) errs.push(invalid(keyPath(field, key), key, m));
  }
  return errs;
}

function validateConfigMap(obj: KubeObject): FieldError[] {
  const errs = validateKeys(obj.data, 'data');
  const data = asObject(obj.data) ?? {};
  const binary = asObject(obj.binaryData) ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    if (key in binary)
      errs.push(invalid(keyPath('data', key), key, 'duplicate of key present in binaryData'));
    total += utf8Length(asString(value));
  }
  errs.push(...validateKeys(obj.binaryData, 'binaryData'));
  for (const [key, value] of Object.entries(binary)) {
    const d = decodedSize(value);
    if ('error' in d) errs.push(invalid(keyPath('binaryData', key), '', d.error));
    else total += d.size;
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('', MAX_DATA_SIZE));
  return errs;
}

/** An object marked immutable keeps its data (and its mark) forever. */
function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!semanticEqual(obj[f], old[f])) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

function dataCount(obj: KubeObject, ...fields: string[]): number {
  return fields.reduce((n, f) => n + Object.keys(asObject(obj[f]) ?? {}).length, 0);
}

export const configMapStrategy: Strategy = {
  validate: validateConfigMap,
  validateUpdate: (obj, old) => validateImmutableData(obj, old, ['data', 'binaryData']),
  table: {
    columns: [nameColumn, column('Data', 'string', 'Data contains the configuration data.'), ageColumn],
    cells: (obj, now) => [obj.metadata.name, dataCount(obj, 'data', 'binaryData'), objectAge(obj, now)],
  },
};

const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

/** The keys each well-known Secret type must carry. */
function validateSecretType(obj: KubeObject, data: Record<string, unknown>): FieldError[] {
  const has = (k: string) => data[k] !== undefined;
  const decoded = (k: string) =>
    typeof data[k] === 'string' ? Buffer.from(data[k] as string, 'base64') : Buffer.alloc(0);
  const json = (k: string): FieldError[] => {
    if (!has(k)) return [required(keyPath('data', k))];
    try {
      JSON.parse(decoded(k).toString('utf8'));
      return [];
    } catch (e) {
      return [invalid(keyPath('data', k), REDACTED, (e as Error).message)];
    }
  };
  switch (asString(obj.type)) {
    case 'kubernetes.io/service-account-token':
      return obj.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]
        ? []
        : [required(keyPath('metadata.annotations', SERVICE_ACCOUNT_NAME_ANNOTATION))];
    case 'kubernetes.io/dockercfg':
      return json('.dockercfg');
    case 'kubernetes.io/dockerconfigjson':
      return json('.dockerconfigjson');
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password')
        ? []
        : [required('data[username]'), required('data[password]')];
    case 'kubernetes.io/ssh-auth':
      return decoded('ssh-privatekey').length > 0 ? [] : [required('data[ssh-privatekey]')];
    case 'kubernetes.io/tls': {
      const errs: FieldError[] = [];
      if (!has('tls.crt')) errs.push(required('data[tls.crt]'));
      if (!has('tls.key')) errs.push(required('data[tls.key]'));
      return errs;
    }
    default:
      return [];
  }
}

function validateSecret(obj: KubeObject): FieldError[] {
  const errs = validateKeys(obj.data, 'data');
  const data = asObject(obj.data) ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    const d = decodedSize(value);
    if ('error' in d) errs.push(invalid(keyPath('data', key), REDACTED, d.error));
    else total += d.size;
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  errs.push(...validateSecretType(obj, data));
  return errs;
}

export const secretStrategy: Strategy = {
  // stringData is a write-only convenience: its entries replace data's, base64-encoded.
  applyDefaults(obj) {
    if (asString(obj.type) === '') obj.type = 'Opaque';
    const stringData = asObject(obj.stringData);
    if (stringData) {
      const data = { ...(asObject(obj.data) ?? {}) };
      for (const [k, v] of Object.entries(stringData))
        data[k] = Buffer.from(asString(v), 'utf8').toString('base64');
      obj.data = data;
    }
    if (obj.stringData !== undefined) delete obj.stringData;
  },
  validate: validateSecret,
  validateUpdate: (obj, old) => [
    ...immutable('type', obj.type, old.type),
    ...validateImmutableData(obj, old, ['data']),
  ],
  selectableFields: (obj) => ({ type: asString(obj.type) }),
  table: {
    columns: [
      nameColumn,
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'string', 'Data contains the secret data.'),
      ageColumn,
    ],
    cells: (obj, now) => [obj.metadata.name, asString(obj.type), dataCount(obj, 'data'), objectAge(obj, now)],
  },
};
