// CustomResourceDefinitions (apiextensions.k8s.io/v1): names defaulted (singular, listKind) and
// validated, a group with a dot, the name plural.group, exactly one storage version and at least
// one served, a structural schema for every version, printer columns and subresources; the
// stored versions recorded in status; group, plural (and, once established, kind and scope)
// fixed; printed as NAME / CREATED AT.

import { childPath, indexPath, keyPath } from '../../machinery/field-path.js';
import { isDNS1035Label, isDNS1123Subdomain } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { createdAtTable } from './columns.js';
import { validateStructuralSchema } from './crd-schema.js';
import {
  eachInvalid,
  forbidden,
  immutable,
  invalid,
  nonNegative,
  notSupported,
  required,
} from './field-errors.js';
import { asArray, asObject, asString, child, defaultString, type Json, objectItems, path } from './values.js';

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';

function specOf(obj: KubeObject): Json {
  return asObject(obj.spec) ?? {};
}

function versions(spec: Json): [Json, number][] {
  return objectItems(spec.versions);
}

/** The version objects are stored in, if exactly one is marked. */
export function storageVersion(spec: Json): string | undefined {
  const storage = versions(spec).filter(([v]) => v.storage === true);
  return storage.length === 1 ? asString(storage[0]![0].name) : undefined;
}

function dns1035(field: string, value: string, prefix = ''): FieldError[] {
  const msgs = isDNS1035Label(value);
  return msgs.length > 0 ? [invalid(field, value, prefix + msgs.join(','))] : [];
}

function validateNames(names: Json): FieldError[] {
  const errs: FieldError[] = [];
  const field = 'spec.names';
  const plural = asString(names.plural);
  const singular = asString(names.singular);
  const kind = asString(names.kind);
  const listKind = asString(names.listKind);
  if (plural !== '') errs.push(...dns1035(`${field}.plural`, plural));
  if (singular !== '') errs.push(...dns1035(`${field}.singular`, singular));
  const mixed = 'may have mixed case, but should otherwise match: ';
  if (kind !== '')
    errs.push(...dns1035(`${field}.kind`, kind.toLowerCase(), mixed).map((e) => ({ ...e, badValue: kind })));
  if (listKind !== '') {
    errs.push(
      ...dns1035(`${field}.listKind`, listKind.toLowerCase(), mixed).map((e) => ({
        ...e,
        badValue: listKind,
      })),
    );
  }
  asArray(names.shortNames).forEach((s, i) => {
    errs.push(...dns1035(indexPath(`${field}.shortNames`, i), asString(s)));
  });
  if (kind !== '' && kind === listKind)
    errs.push(invalid(`${field}.listKind`, listKind, 'kind and listKind may not be the same'));
  asArray(names.categories).forEach((c, i) => {
    errs.push(...dns1035(indexPath(`${field}.categories`, i), asString(c)));
  });
  for (const key of ['plural', 'singular', 'kind', 'listKind']) {
    if (asString(names[key]) === '') errs.push(required(`${field}.${key}`));
  }
  return errs;
}

/** validateSimpleJSONPath. */
function simpleJSONPath(value: string, field: string): FieldError[] {
  if (value === '') return [invalid(field, value, 'must be non-empty')];
  if (!value.startsWith('.')) return [invalid(field, value, 'must be a simple json path starting with .')];
  return [];
}

function validateColumns(columns: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [col, i] of objectItems(columns)) {
    const p = indexPath(field, i);
    if (asString(col.name) === '') errs.push(required(childPath(p, 'name')));
    const type = asString(col.type);
    if (type === '') errs.push(required(childPath(p, 'type'), `must be one of ${COLUMN_TYPES.join(',')}`));
    else if (!COLUMN_TYPES.includes(type))
      errs.push(invalid(childPath(p, 'type'), type, `must be one of ${COLUMN_TYPES.join(',')}`));
    const format = asString(col.format);
    if (format !== '' && !COLUMN_FORMATS.includes(format)) {
      errs.push(invalid(childPath(p, 'format'), format, `must be one of ${COLUMN_FORMATS.join(',')}`));
    }
    const jsonPath = asString(col.jsonPath);
    if (jsonPath === '') errs.push(required(childPath(p, 'JSONPath')));
    else errs.push(...simpleJSONPath(jsonPath, childPath(p, 'JSONPath')));
    errs.push(...nonNegative(childPath(p, 'priority'), col.priority));
  }
  return errs;
}

function validateScale(scale: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, prefix, message] of [
    ['specReplicasPath', '.spec.', 'should be a json path under .spec'],
    ['statusReplicasPath', '.status.', 'should be a json path under .status'],
  ] as const) {
    const value = asString(scale[key]);
    const p = `${field}.scale.${key}`;
    if (value === '') errs.push(required(p));
    else {
      const bad = simpleJSONPath(value, p);
      if (bad.length > 0) errs.push(...bad);
      else if (!value.startsWith(prefix)) errs.push(invalid(p, value, message));
    }
  }
  const selectorPath = asString(scale.labelSelectorPath);
  if (selectorPath !== '') {
    const p = `${field}.scale.labelSelectorPath`;
    const bad = simpleJSONPath(selectorPath, p);
    if (bad.length > 0) errs.push(...bad);
    else if (!selectorPath.startsWith('.spec.') && !selectorPath.startsWith('.status.')) {
      errs.push(invalid(p, selectorPath, 'should be a json path under either .spec or .status'));
    }
  }
  return errs;
}

function validateVersions(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const list = versions(spec);
  const seen = new Set<string>();
  let unique = true;
  let storage = 0;
  for (const [v, i] of list) {
    const p = indexPath('spec.versions', i);
    const name = asString(v.name);
    if (v.storage === true) storage++;
    if (seen.has(name)) unique = false;
    seen.add(name);
    errs.push(...dns1035(childPath(p, 'name'), name));
    errs.push(
      ...validateStructuralSchema(
        path(v, 'schema', 'openAPIV3Schema'),
        childPath(p, 'schema', 'openAPIV3Schema'),
      ),
    );
    errs.push(...validateColumns(v.additionalPrinterColumns, childPath(p, 'additionalPrinterColumns')));
    const scale = asObject(path(v, 'subresources', 'scale'));
    if (scale) errs.push(...validateScale(scale, childPath(p, 'subresources')));
  }
  const all = asArray(spec.versions);
  if (!unique) errs.push(invalid('spec.versions', all, 'must contain unique version names'));
  if (storage !== 1)
    errs.push(invalid('spec.versions', all, 'must have exactly one version marked as storage version'));
  if (all.length < 1) errs.push(required('spec.versions', 'must have at least one version'));
  else if (!list.some(([v]) => v.served === true)) {
    errs.push(invalid('spec.versions', all, 'must have at least one version marked as served'));
  }
  return errs;
}

function validateConversion(spec: Json): FieldError[] {
  const conversion = asObject(spec.conversion);
  if (!conversion) return [];
  const strategy = asString(conversion.strategy);
  if (strategy !== 'None' && strategy !== 'Webhook') {
    return [notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook'])];
  }
  const webhook = asObject(conversion.webhook);
  if (strategy === 'Webhook') {
    const errs: FieldError[] = [];
    if (!asObject(webhook?.clientConfig))
      errs.push(required('spec.conversion.webhook.clientConfig', 'required when strategy is set to Webhook'));
    if (asArray(webhook?.conversionReviewVersions).length === 0) {
      errs.push(
        required(
          'spec.conversion.webhook.conversionReviewVersions',
          'must include at least one of v1, v1beta1',
        ),
      );
    }
    return errs;
  }
  return webhook
    ? [forbidden('spec.conversion.webhook', 'should not be set when strategy is not set to Webhook')]
    : [];
}

/** ValidateCustomResourceDefinitionStoredVersions. */
function validateStoredVersions(obj: KubeObject): FieldError[] {
  const field = 'status.storedVersions';
  const stored = asArray(asObject(obj.status)?.storedVersions).map(asString);
  if (stored.length === 0) return [invalid(field, stored, 'must have at least one stored version')];
  const errs: FieldError[] = [];
  const remaining = new Map(stored.map((v, i) => [v, i]));
  for (const [v] of versions(specOf(obj))) {
    const name = asString(v.name);
    if (v.storage === true && !remaining.has(name))
      errs.push(invalid(field, v, `must have the storage version ${name}`));
    remaining.delete(name);
  }
  for (const [v, i] of remaining) errs.push(invalid(indexPath(field, i), v, 'must appear in spec.versions'));
  return errs;
}

/** Groups of the Kubernetes project need an approved API review. */
function isProtectedGroup(group: string): boolean {
  return (
    group === 'k8s.io' ||
    group.endsWith('.k8s.io') ||
    group === 'kubernetes.io' ||
    group.endsWith('.kubernetes.io')
  );
}

function validateCrd(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  const group = asString(spec.group);
  const plural = asString(path(spec, 'names', 'plural'));
  if (obj.metadata.name !== `${plural}.${group}`) {
    errs.push(invalid('metadata.name', obj.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  if (isProtectedGroup(group) && obj.metadata.annotations?.[APPROVAL_ANNOTATION] === undefined) {
    errs.push(
      required(
        keyPath('metadata.annotations', APPROVAL_ANNOTATION),
        `protected groups must have approval annotation "${APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`,
      ),
    );
  }
  if (group === '') errs.push(required('spec.group'));
  else {
    errs.push(...eachInvalid('spec.group', group, isDNS1123Subdomain(group)));
    if (group.split('.').length < 2)
      errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const scope = asString(spec.scope);
  if (scope === '') errs.push(required('spec.scope'));
  else if (!SCOPES.includes(scope)) errs.push(notSupported('spec.scope', scope, SCOPES));
  errs.push(...validateVersions(spec));
  errs.push(...validateNames(asObject(spec.names) ?? {}));
  errs.push(...validateConversion(spec));
  errs.push(...validateStoredVersions(obj));
  return errs;
}

/** Adds the storage version to status.storedVersions, as the API server records on every write. */
function recordStorageVersion(obj: KubeObject): void {
  const storage = storageVersion(specOf(obj));
  if (!storage) return;
  const status = child(obj, 'status');
  if (!status) return;
  const stored = asArray(status.storedVersions).map(asString);
  if (!stored.includes(storage)) status.storedVersions = [...stored, storage];
}

function established(obj: KubeObject): boolean {
  return objectItems(path(obj, 'status', 'conditions')).some(
    ([c]) => c.type === 'Established' && c.status === 'True',
  );
}

export const customResourceDefinitionStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    const names = asObject(spec.names);
    if (names) {
      const kind = asString(names.kind);
      defaultString(names, 'singular', kind.toLowerCase());
      if (kind !== '') defaultString(names, 'listKind', `${kind}List`);
    }
    if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
    const service = asObject(path(spec, 'conversion', 'webhook', 'clientConfig', 'service'));
    if (service && (service.port === undefined || service.port === null)) service.port = 443;
  },

  prepareForCreate(obj) {
    obj.status = {};
    recordStorageVersion(obj);
  },

  prepareForUpdate: (obj) => recordStorageVersion(obj),

  validate: validateCrd,

  validateUpdate(obj, old) {
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    const errs: FieldError[] = [];
    if (established(old)) {
      errs.push(...immutable('spec.scope', spec.scope, oldSpec.scope));
      errs.push(...immutable('spec.names.kind', path(spec, 'names', 'kind'), path(oldSpec, 'names', 'kind')));
    }
    errs.push(...immutable('spec.group', spec.group, oldSpec.group));
    errs.push(
      ...immutable('spec.names.plural', path(spec, 'names', 'plural'), path(oldSpec, 'names', 'plural')),
    );
    return errs;
  },

  table: createdAtTable,
};
