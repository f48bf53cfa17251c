// Field selectors as Kubernetes reads `?fieldSelector=` and `kubectl --field-selector`
// (k8s.io/apimachinery/pkg/fields): terms `field=value`, `field==value`, `field!=value`, joined by
// commas (AND); `\,` `\=` `\\` escape those characters inside a value. Matching is against the
// flat set of selectable fields a kind exposes (metadata.name, spec.nodeName, status.phase...).

import { ApiError, errors } from './status.js';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

/** The selectable fields of one object, as its kind exposes them. */
export type FieldSet = Readonly<Record<string, string>>;

function get(fields: FieldSet | undefined | null, field: string): string {
  return fields && Object.hasOwn(fields, field) ? (fields[field] ?? '') : '';
}

/** `\` `,` `=` escaped so that the value can be embedded in a selector string. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** The inverse of escapeValue; throws ApiError 400 for a bad escape or an unescaped `,` or `=`. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      // Kubernetes prints the character's code point here.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw errors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** A parsed field selector: terms ANDed together. */
export class FieldSelector {
  readonly terms: readonly FieldRequirement[];
  readonly matchesNothing: boolean;

  constructor(terms: readonly FieldRequirement[] = [], matchesNothing = false) {
    this.terms = matchesNothing ? [] : terms;
    this.matchesNothing = matchesNothing;
  }

  /** A field missing from the set counts as "" (so `a!=x` matches an object without `a`). */
  matches(fields: FieldSet | undefined | null): boolean {
    if (this.matchesNothing) return false;
    for (const t of this.terms) {
      const actual = get(fields, t.field);
      if (t.operator === '!=' ? actual === t.value : actual !== t.value) return false;
    }
    return true;
  }

  empty(): boolean {
    return !this.matchesNothing && this.terms.length === 0;
  }

  /** Same as empty(). */
  isEmpty(): boolean {
    return this.empty();
  }

  /** The requirements, so that a server can check which fields a selector uses. */
  requirements(): FieldRequirement[] {
    return this.terms.map((t) => ({ ...t }));
  }

  /** The value a field must have for this selector to match, if one term pins it. */
  requiresExactMatch(field: string): string | undefined {
    for (const t of this.terms) if (t.field === field && t.operator !== '!=') return t.value;
    return undefined;
  }

  /**
   * Rewrites every term (e.g. to map a legacy field label to its current name, or to refuse an
   * unsupported one by throwing). A term mapped to an empty field and value is dropped.
   */
  transform(fn: (field: string, value: string) => { field: string; value: string }): FieldSelector {
    if (this.matchesNothing) return this;
    const out: FieldRequirement[] = [];
    for (const t of this.terms) {
      const r = fn(t.field, t.value);
      if (r.field === '' && r.value === '') continue;
      out.push({ field: r.field, operator: t.operator, value: r.value });
    }
    return new FieldSelector(out);
  }

  toString(): string {
    return this.terms
      .map((t) => `${t.field}${t.operator === '!=' ? '!=' : '='}${escapeValue(t.value)}`)
      .join(',');
  }
}

export function everything(): FieldSelector {
  return new FieldSelector();
}

export function nothing(): FieldSelector {
  return new FieldSelector([], true);
}

/** A selector requiring exactly these field values. */
export function selectorFromSet(set: FieldSet): FieldSelector {
  return new FieldSelector(
    Object.entries(set).map(([field, value]) => ({ field, operator: '=' as const, value })),
  );
}

// Terms are split at commas that are not escaped.
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// The first operator found from the left wins; at one position "!=" and "==" before "=".
function splitTerm(term: string): { lhs: string; op: FieldOperator; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * Parses a field selector string. Empty terms are ignored, terms are sorted (as Kubernetes does,
 * which makes the string form canonical). Throws ApiError 400 with Kubernetes' message on bad syntax.
 */
export function parse(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const terms: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push({ field: t.lhs, operator: t.op, value: unescapeValue(t.rhs) });
  }
  return new FieldSelector(terms);
}

/** parse under the name callers holding both kinds of selector use. */
export const parseFieldSelector = parse;

/** Like parse, but returns the error instead of throwing it. */
export function tryParse(selector: string): { selector: FieldSelector } | { error: ApiError } {
  try {
    return { selector: parse(selector) };
  } catch (e) {
    if (e instanceof ApiError) return { error: e };
    throw e;
  }
}

/** `matches(selector, fields)`. */
export function matches(selector: FieldSelector, fields: FieldSet | undefined | null): boolean {
  return selector.matches(fields);
}

/** The canonical string form (also `selector.toString()`). */
export function fieldSelectorToString(selector: FieldSelector): string {
  return selector.toString();
}

/** The requirements of a selector (which fields it uses, with which operator and value). */
export function requirements(selector: FieldSelector): FieldRequirement[] {
  return selector.requirements();
}

/** The 400 Kubernetes returns for a field the resource cannot be selected by. */
export function fieldLabelNotSupported(field: string): ApiError {
  return errors.badRequest(`field label not supported: ${field}`);
}

/**
 * Refuses a selector that uses a field outside `supported` (the kind's selectable fields),
 * with Kubernetes' message for the first such field.
 */
export function checkSupportedFields(selector: FieldSelector, supported: Iterable<string>): void {
  const allowed = new Set(supported);
  for (const t of selector.terms) if (!allowed.has(t.field)) throw fieldLabelNotSupported(t.field);
}
