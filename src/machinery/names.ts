// The name and metadata rules every Kubernetes object obeys: DNS-1123 / DNS-1035 names,
// qualified names (label and annotation keys), label values, annotation size, generateName,
// and ObjectMeta validation on create and update. Messages use Kubernetes' wording so that
// users and tools recognise them (k8s.io/apimachinery pkg/util/validation, pkg/api/validation).

import { childPath, indexPath } from './field-path.js';
import type { ManagedFieldsEntry, ObjectMeta, OwnerReference } from './object.js';
import type { FieldError } from './status.js';

// --- message builders -------------------------------------------------------------------------

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

/** `<msg> (e.g. 'a' or 'b', regex used for validation is '<re>')`, as Kubernetes phrases it. */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  // Kubernetes joins the examples as "'a',  or 'b', " (two spaces); kept so messages compare equal.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

/** Length in bytes of the UTF-8 encoding: Kubernetes' limits count bytes, not characters. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

// --- DNS names --------------------------------------------------------------------------------

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1035_LABEL_MAX_LENGTH = 63;

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123LabelRegexp = new RegExp(`^${dns1123LabelFmt}$`);

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainRegexp = new RegExp(`^${dns1123SubdomainFmt}$`);

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1035LabelRegexp = new RegExp(`^${dns1035LabelFmt}$`);

/** A DNS label (RFC 1123): what namespace names and most label-like names must be. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRegexp.test(value)) {
    // A valid subdomain that is not a valid label can only be wrong because of its dots.
    if (dns1123SubdomainRegexp.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

/** A DNS subdomain (RFC 1123): what most object names must be. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRegexp.test(value)) {
    errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  }
  return errs;
}

/** A DNS label (RFC 1035), starting with a letter: Service names, port names' cousins. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRegexp.test(value)) {
    errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  }
  return errs;
}

// --- qualified names and label values --------------------------------------------------------

export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);

/**
 * A qualified name: `name` or `prefix/name`, the prefix a DNS subdomain. Label keys,
 * annotation keys (case-insensitively) and finalizers are qualified names.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (utf8Length(name) > QUALIFIED_NAME_MAX_LENGTH)
    errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!qualifiedNameRegexp.test(name)) {
    errs.push(
      `name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errs;
}

/** A label value: empty, or up to 63 alphanumerics with '-', '_', '.' inside. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRegexp.test(value)) {
    errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

// --- path segments (every name ends up in a URL) ----------------------------------------------

/** Any name must be safe as a URL path segment and a storage key segment. */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return isValidPathSegmentPrefix(name);
}

/** A generateName prefix: a suffix will follow, so '.' and '..' alone are fine. */
export function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

// --- name rules for objects -------------------------------------------------------------------

/**
 * Checks a name for one kind of object. `prefix` is true for a generateName, to which a random
 * suffix will be appended (so a trailing '-' is fine). Returns the problems, empty when valid.
 */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** The name rules kinds use: most are subdomains, namespaces and some others labels, Services DNS-1035. */
export type NameRule = 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label' | 'pathSegment' | NameValidator;

/**
 * What Kubernetes does before checking a generateName: the suffix will make a trailing '-' legal,
 * so the end is replaced by something that is. (It drops two characters and adds one, as upstream
 * does; the generated name is validated again in full afterwards.)
 */
function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith('-')) return `${name.slice(0, name.length - 2)}a`;
  return name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

export const nameIsDNSLabel: NameValidator = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);

export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

export const nameIsPathSegment: NameValidator = (name, prefix) =>
  prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name);

/** Namespace names are DNS labels. */
export const validateNamespaceName: NameValidator = nameIsDNSLabel;

export function nameValidator(rule: NameRule): NameValidator {
  if (typeof rule === 'function') return rule;
  switch (rule) {
    case 'dns1123Subdomain':
      return nameIsDNSSubdomain;
    case 'dns1123Label':
      return nameIsDNSLabel;
    case 'dns1035Label':
      return nameIsDNS1035Label;
    case 'pathSegment':
      return nameIsPathSegment;
  }
}

// --- generateName -----------------------------------------------------------------------------

/** Longest name a generated one may have, and how much of it is random. */
export const MAX_NAME_LENGTH = 63;
export const GENERATED_SUFFIX_LENGTH = 5;
export const MAX_GENERATED_NAME_PREFIX_LENGTH = MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH;

// No vowels, so that generated names never spell words; no 0/1/3 (look like letters).
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The name Kubernetes makes from a generateName: the prefix (cut to 58 characters) plus five
 * random characters. `random` returns numbers in [0, 1), as Math.random does.
 */
export function generateName(base: string, random: () => number = Math.random): string {
  let out =
    base.length > MAX_GENERATED_NAME_PREFIX_LENGTH ? base.slice(0, MAX_GENERATED_NAME_PREFIX_LENGTH) : base;
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) {
    const idx = Math.min(SUFFIX_ALPHABET.length - 1, Math.floor(random() * SUFFIX_ALPHABET.length));
    out += SUFFIX_ALPHABET[idx];
  }
  return out;
}

// --- labels, annotations, finalizers, owners ---------------------------------------------------

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

/** A label key (qualified name). */
export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(path, name, msg));
}

/** Every key and value of a label map. Errors point at the map itself, as Kubernetes reports them. */
export function validateLabels(
  labels: Record<string, string> | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    if (typeof v !== 'string') {
      errs.push({ type: 'FieldValueTypeInvalid', field: path, badValue: v, detail: 'must be a string' });
      continue;
    }
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/** Total bytes of keys and values, the figure the 256 KiB limit applies to. */
export function annotationsSize(annotations: Record<string, string> | undefined | null): number {
  let total = 0;
  if (!annotations) return total;
  for (const [k, v] of Object.entries(annotations)) total += utf8Length(k) + utf8Length(String(v ?? ''));
  return total;
}

/** Annotation keys are qualified names (case does not matter); all of them together at most 256 KiB. */
export function validateAnnotations(
  annotations: Record<string, string> | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    if (typeof v !== 'string') {
      errs.push({
        type: 'FieldValueTypeInvalid',
        field: `${path}[${k}]`,
        badValue: v,
        detail: 'must be a string',
      });
    }
  }
  if (annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errs.push({
      type: 'FieldValueTooLong',
      field: path,
      detail: `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT_BYTES} bytes`,
    });
  }
  return errs;
}

export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

/** Finalizers are qualified names, and an object cannot both orphan and foreground-delete. */
export function validateFinalizers(finalizers: string[] | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!finalizers) return errs;
  for (const f of finalizers) {
    if (typeof f !== 'string') {
      errs.push({ type: 'FieldValueTypeInvalid', field: path, badValue: f, detail: 'must be a string' });
      continue;
    }
    for (const msg of isQualifiedName(f)) errs.push(invalid(path, f, msg));
  }
  if (finalizers.includes(FINALIZER_ORPHAN_DEPENDENTS) && finalizers.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errs.push(
      invalid(
        path,
        finalizers,
        `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`,
      ),
    );
  }
  return errs;
}

/** While an object is being deleted, finalizers may only be removed. */
export function validateNoNewFinalizers(
  newFinalizers: string[] | undefined,
  oldFinalizers: string[] | undefined,
  path: string,
): FieldError[] {
  const old = new Set(oldFinalizers ?? []);
  const extra = [...new Set((newFinalizers ?? []).filter((f) => !old.has(f)))].sort();
  if (extra.length === 0) return [];
  return [
    {
      type: 'FieldValueForbidden',
      field: path,
      detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringList(extra)}`,
    },
  ];
}

function goStringList(items: string[]): string {
  return `[]string{${items.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** Events may not own anything: they are garbage themselves. */
const BANNED_OWNERS = new Set(['v1/Event']);

export function validateOwnerReferences(
  refs: OwnerReference[] | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!refs) return errs;
  let firstController = '';
  for (const ref of refs) {
    const apiVersion = typeof ref?.apiVersion === 'string' ? ref.apiVersion : '';
    const slash = apiVersion.indexOf('/');
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    if (version.length === 0)
      errs.push(invalid(childPath(path, 'apiVersion'), ref?.apiVersion ?? '', 'version must not be empty'));
    if (!ref?.kind) errs.push(invalid(childPath(path, 'kind'), ref?.kind ?? '', 'kind must not be empty'));
    if (!ref?.name) errs.push(invalid(childPath(path, 'name'), ref?.name ?? '', 'name must not be empty'));
    if (!ref?.uid) errs.push(invalid(childPath(path, 'uid'), ref?.uid ?? '', 'uid must not be empty'));
    if (group === '' && BANNED_OWNERS.has(`${version}/${ref?.kind}`)) {
      errs.push(
        invalid(path, ref, `${group}/${version}, Kind=${ref.kind} is disallowed from being an owner`),
      );
    }
    if (ref?.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else firstController = current;
    }
  }
  return errs;
}

export const FIELD_MANAGER_MAX_LENGTH = 128;
export const MAX_SUBRESOURCE_NAME_LENGTH = 256;

/** A field manager name: at most 128 bytes, printable characters only. */
export function validateFieldManager(manager: string | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!manager) return errs;
  if (utf8Length(manager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({
      type: 'FieldValueTooLong',
      field: path,
      detail: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`,
    });
  }
  let pos = 0;
  for (const ch of manager) {
    const cp = ch.codePointAt(0)!;
    if (!isPrintable(cp)) {
      const hex = cp.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(path, manager, `invalid character U+${hex} (at position ${pos})`));
    }
    pos += utf8Length(ch);
  }
  return errs;
}

// Control characters and unassigned/separator code points are not printable (Go's unicode.IsPrint
// also allows only the ASCII space among spaces).
function isPrintable(cp: number): boolean {
  // Printable ASCII without the regular expression: every write checks its managers' names.
  if (cp >= 0x20 && cp < 0x7f) return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(cp));
}

export function validateManagedFields(
  entries: ManagedFieldsEntry[] | undefined | null,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!entries) return errs;
  entries.forEach((entry, i) => {
    const p = indexPath(path, i);
    if (entry?.operation !== 'Apply' && entry?.operation !== 'Update') {
      errs.push(invalid(childPath(p, 'operation'), entry?.operation ?? '', 'must be `Apply` or `Update`'));
    }
    if (entry?.fieldsType && entry.fieldsType !== 'FieldsV1') {
      errs.push(invalid(childPath(p, 'fieldsType'), entry.fieldsType, 'must be `FieldsV1`'));
    }
    errs.push(...validateFieldManager(entry?.manager, childPath(p, 'manager')));
    if (entry?.subresource && utf8Length(entry.subresource) > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push({
        type: 'FieldValueTooLong',
        field: childPath(p, 'subresource'),
        detail: `may not be more than ${MAX_SUBRESOURCE_NAME_LENGTH} bytes`,
      });
    }
  });
  return errs;
}

// --- ObjectMeta -------------------------------------------------------------------------------

export interface ObjectMetaValidationOptions {
  /** The kind lives in a namespace (so metadata.namespace is required) or at cluster scope (forbidden). */
  namespaced: boolean;
  /** How names of this kind are checked; most kinds use dns1123Subdomain. */
  nameRule: NameRule;
  /** Path of the metadata in error messages; "metadata" unless validating an embedded object. */
  path?: string;
}

/**
 * Validates metadata on create, after a generateName has been turned into a name. Returns every
 * problem found, with paths such as `metadata.labels` and Kubernetes' messages.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined | null,
  opts: ObjectMetaValidationOptions,
): FieldError[] {
  const path = opts.path ?? 'metadata';
  const errs: FieldError[] = [];
  const m: ObjectMeta = meta ?? {};
  const validateName = nameValidator(opts.nameRule);

  if (m.generateName) {
    for (const msg of validateName(m.generateName, true))
      errs.push(invalid(childPath(path, 'generateName'), m.generateName, msg));
  }
  if (!m.name) {
    errs.push({
      type: 'FieldValueRequired',
      field: childPath(path, 'name'),
      detail: 'name or generateName is required',
    });
  } else {
    for (const msg of validateName(m.name, false)) errs.push(invalid(childPath(path, 'name'), m.name, msg));
  }
  if (opts.namespaced) {
    if (!m.namespace) {
      errs.push({ type: 'FieldValueRequired', field: childPath(path, 'namespace') });
    } else {
      for (const msg of validateNamespaceName(m.namespace, false)) {
        errs.push(invalid(childPath(path, 'namespace'), m.namespace, msg));
      }
    }
  } else if (m.namespace) {
    errs.push({
      type: 'FieldValueForbidden',
      field: childPath(path, 'namespace'),
      detail: 'not allowed on this type',
    });
  }
  if (typeof m.generation === 'number' && m.generation < 0) {
    errs.push(invalid(childPath(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, childPath(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, childPath(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, childPath(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, childPath(path, 'finalizers')));
  errs.push(...validateManagedFields(m.managedFields, childPath(path, 'managedFields')));
  return errs;
}

export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';

/**
 * Validates metadata on update: identity fields are immutable, a resourceVersion is required,
 * generation never goes back, no new finalizers while deleting, plus the create-time rules that
 * still apply (labels, annotations, owners, managed fields).
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta | undefined | null,
  oldMeta: ObjectMeta | undefined | null,
  opts: { path?: string } = {},
): FieldError[] {
  const path = opts.path ?? 'metadata';
  const n: ObjectMeta = newMeta ?? {};
  const o: ObjectMeta = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    errs.push(...validateNoNewFinalizers(n.finalizers, o.finalizers, childPath(path, 'finalizers')));
  }
  if (!n.resourceVersion) {
    errs.push(
      invalid(childPath(path, 'resourceVersion'), n.resourceVersion ?? '', 'must be specified for an update'),
    );
  }
  if ((n.generation ?? 0) < (o.generation ?? 0)) {
    errs.push(invalid(childPath(path, 'generation'), n.generation ?? 0, 'must not be decremented'));
  }
  const immutable: (keyof ObjectMeta)[] = [
    'name',
    'namespace',
    'uid',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ];
  // Unset and empty are the same to Kubernetes (Go zero values).
  const norm = (v: unknown) => (v === undefined || v === '' ? null : v);
  for (const f of immutable) {
    const nv = norm(n[f]);
    const ov = norm(o[f]);
    if (nv !== ov) errs.push(invalid(childPath(path, f), nv, FIELD_IMMUTABLE_ERROR_MSG));
  }
  errs.push(...validateLabels(n.labels, childPath(path, 'labels')));
  errs.push(...validateAnnotations(n.annotations, childPath(path, 'annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, childPath(path, 'ownerReferences')));
  errs.push(...validateManagedFields(n.managedFields, childPath(path, 'managedFields')));
  return errs;
}
