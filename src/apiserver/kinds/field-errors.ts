// Field errors in the shapes k8s.io/apimachinery's field package builds them, plus the checks
// every kind repeats (non-negative numbers, immutable fields, ports, percentages, IPs).

import { isIP } from 'node:net';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
} from '../../machinery/names.js';
import type { FieldError } from '../../machinery/status.js';
import { semanticEqual } from './values.js';

export function required(field: string, detail = ''): FieldError {
  return detail ? { type: 'FieldValueRequired', field, detail } : { type: 'FieldValueRequired', field };
}

export function invalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

/** `Unsupported value: "x": supported values: "A", "B"`, values listed in the order given. */
export function notSupported(field: string, badValue: unknown, supported: readonly string[]): FieldError {
  const detail =
    supported.length > 0 ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue, detail };
}

export function duplicate(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

export function notFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return {
    type: 'FieldValueTooLong',
    field,
    detail: `may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`,
  };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, badValue: actual, detail: `must have at most ${max} items` };
}

/** ValidateImmutableField: the new value must equal the old one (semantically). */
export function immutable(field: string, next: unknown, old: unknown): FieldError[] {
  return semanticEqual(next, old) ? [] : [invalid(field, next ?? null, 'field is immutable')];
}

/** ValidateNonnegativeField, for a field that is set. */
export function nonNegative(field: string, value: unknown): FieldError[] {
  return typeof value === 'number' && value < 0
    ? [invalid(field, value, 'must be greater than or equal to 0')]
    : [];
}

/** A message list turned into one Invalid error each (the way most name checks report). */
export function eachInvalid(field: string, value: unknown, messages: string[]): FieldError[] {
  return messages.map((m) => invalid(field, value, m));
}

export function dns1123Label(field: string, value: string): FieldError[] {
  return eachInvalid(field, value, isDNS1123Label(value));
}

export function dns1123Subdomain(field: string, value: string): FieldError[] {
  return eachInvalid(field, value, isDNS1123Subdomain(value));
}

export function dns1035Label(field: string, value: string): FieldError[] {
  return eachInvalid(field, value, isDNS1035Label(value));
}

export function qualifiedName(field: string, value: string): FieldError[] {
  return eachInvalid(field, value, isQualifiedName(value));
}

/** validation.IsValidPortNum. */
export function portNumErrors(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? []
    : ['must be between 1 and 65535, inclusive'];
}

/** validation.IsValidPortName: an IANA_SVC_NAME. */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-')))
    errs.push('must not begin or end with a hyphen');
  return errs;
}

/** ValidatePortNumOrName: an int port number or a named port. */
export function portNumOrName(field: string, value: unknown): FieldError[] {
  if (typeof value === 'number') return eachInvalid(field, value, portNumErrors(value));
  if (typeof value === 'string') return eachInvalid(field, value, portNameErrors(value));
  return [];
}

const PERCENT_FORMAT = '[0-9]+%';

/** validation.RegexError, word for word: `msg (e.g. 'a',  or 'b', regex used for validation is 're')`. */
export function regexMessage(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

/** validation.IsValidPercent. */
export function percentErrors(value: string): string[] {
  if (/^[0-9]+%$/.test(value)) return [];
  return [
    regexMessage(
      "a valid percent string must be a numeric string followed by an ending '%'",
      PERCENT_FORMAT,
      '1%',
      '93%',
    ),
  ];
}

/** The value of an int-or-percent ("25%" is 25, 3 is 3); 0 for anything unparseable. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v);
  return 0;
}

/** apps ValidatePositiveIntOrPercent. */
export function positiveIntOrPercent(field: string, v: unknown): FieldError[] {
  if (typeof v === 'string') return eachInvalid(field, v, percentErrors(v));
  if (typeof v === 'number') return nonNegative(field, v);
  if (v === undefined || v === null) return [];
  return [invalid(field, v, "must be an integer or percentage (e.g '5%')")];
}

/** apps IsNotMoreThan100Percent. */
export function notMoreThan100Percent(field: string, v: unknown): FieldError[] {
  if (typeof v === 'string' && /^[0-9]+%$/.test(v) && Number(v.slice(0, -1)) > 100) {
    return [invalid(field, v, 'must not be greater than 100%')];
  }
  return [];
}

export const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const CIDR_ERROR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

export function isValidIP(value: string): boolean {
  return isIP(value) !== 0;
}

export function isValidCIDR(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^[0-9]+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
