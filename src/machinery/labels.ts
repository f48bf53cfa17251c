// Label selectors exactly as Kubernetes reads them: the string form of `?labelSelector=` and
// `kubectl -l` (k8s.io/apimachinery/pkg/labels), and metav1.LabelSelector as found in
// Deployment.spec.selector (matchLabels + matchExpressions). Parse errors are 400s whose text
// matches the Kubernetes API server's.

import { childPath, indexPath, keyPath } from './field-path.js';
import { isQualifiedName, isValidLabelValue, validateLabelName, validateLabels } from './names.js';
import type { LabelSelector, LabelSelectorRequirement } from './object.js';
import { ApiError, errors, type FieldError } from './status.js';

/** Requirement operators, spelled as Kubernetes' selection.Operator values. */
export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and unique when parsed from a string; as given when built from a LabelSelector. */
  values: string[];
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

const BINARY_OPERATORS: Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

function has(labels: Labels, key: string): labels is Readonly<Record<string, string>> {
  return !!labels && Object.hasOwn(labels, key);
}

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64.
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** Whether one requirement holds for a label set. */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(labels, r.key) && r.values.includes(labels[r.key]!);
    case 'notin':
    case '!=':
      return !has(labels, r.key) || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels[r.key]!);
      const bound = parseInt64(r.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

function sortedCopy(values: string[]): string[] {
  for (let i = 1; i < values.length; i++) if (values[i - 1]! > values[i]!) return [...values].sort();
  return values;
}

/** The string form of one requirement: `a=b`, `a in (x,y)`, `!a`, `a>1`. */
export function requirementToString(r: Requirement): string {
  let out = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case '=':
    case '==':
    case '!=':
      out += r.operator;
      break;
    case 'in':
    case 'notin':
      out += ` ${r.operator} `;
      break;
    case 'gt':
      out += '>';
      break;
    case 'lt':
      out += '<';
      break;
    default:
      return out;
  }
  const values = r.values.length === 1 ? r.values[0]! : sortedCopy(r.values).join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${out}(${values})` : `${out}${values}`;
}

/**
 * A parsed label selector: requirements ANDed together, sorted by key. The "nothing" selector
 * (from a null metav1.LabelSelector) matches no object at all; an empty one matches every object.
 */
export class Selector {
  readonly requirements: readonly Requirement[];
  readonly matchesNothing: boolean;

  constructor(requirements: readonly Requirement[] = [], matchesNothing = false) {
    this.requirements = matchesNothing ? [] : stableSortByKey(requirements);
    this.matchesNothing = matchesNothing;
  }

  matches(labels: Labels): boolean {
    if (this.matchesNothing) return false;
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }

  /** True when the selector does not restrict anything (matches every object). */
  empty(): boolean {
    return !this.matchesNothing && this.requirements.length === 0;
  }

  /** Same as empty(). */
  isEmpty(): boolean {
    return this.empty();
  }

  /** The canonical string form; "" for both everything and nothing (check matchesNothing). */
  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }

  /** A new selector with more requirements. */
  add(...reqs: Requirement[]): Selector {
    if (this.matchesNothing) return this;
    return new Selector([...this.requirements, ...reqs]);
  }

  /** The value a label must have for this selector to match, if the selector pins one. */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) {
        return r.values[0];
      }
      return undefined;
    }
    return undefined;
  }
}

function stableSortByKey(reqs: readonly Requirement[]): Requirement[] {
  return reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map((x) => x.r);
}

export function everything(): Selector {
  return new Selector();
}

export function nothing(): Selector {
  return new Selector([], true);
}

/** `matches(selector, labels)`: whether an object's labels satisfy the selector. */
export function matches(selector: Selector, labels: Labels): boolean {
  return selector.matches(labels);
}

/** The canonical string form, as Kubernetes prints it (also `selector.toString()`). */
export function selectorToString(selector: Selector): string {
  return selector.toString();
}

/** A selector requiring exactly these labels (no validation, as labels.SelectorFromSet). */
export function selectorFromSet(set: Labels): Selector {
  if (!set) return everything();
  return new Selector(Object.entries(set).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}

// --- requirement construction and its errors --------------------------------------------------

/** How Go prints a bad value in a field error: strings quoted, string lists as Go literals. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
  return JSON.stringify(v);
}

/** One field error as Go's field.Error prints it; a missing path prints as `<nil>`. */
function fieldErrorText(path: string | undefined, badValue: unknown, detail: string): string {
  return `${path ?? '<nil>'}: Invalid value: ${goValue(badValue)}: ${detail}`;
}

/** Several errors the way utilerrors.Aggregate prints them: one alone, else `[a, b]`, duplicates once. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

function child(path: string | undefined, name: string): string {
  return path === undefined ? name : childPath(path, name);
}

function keyError(key: string, path: string | undefined): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length === 0 ? undefined : fieldErrorText(path, key, errs.join('; '));
}

/**
 * Builds a requirement with Kubernetes' checks (labels.NewRequirement): a qualified-name key,
 * the right number of values for the operator, integers for gt/lt, valid label values.
 * Returns the error text instead of throwing so callers can phrase it.
 */
function newRequirement(
  key: string,
  operator: Operator,
  values: string[],
  path: string | undefined,
): { req: Requirement; error?: string } {
  const errs: string[] = [];
  const ke = keyError(key, child(path, 'key'));
  if (ke) errs.push(ke);
  const valuePath = child(path, 'values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(
          fieldErrorText(valuePath, values, "for 'in', 'notin' operators, values set can't be empty"),
        );
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errs.push(fieldErrorText(valuePath, values, 'exact-match compatibility requires one single value'));
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(
          fieldErrorText(valuePath, values, 'values set must be empty for exists and does not exist'),
        );
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(
          fieldErrorText(valuePath, values, "for 'Gt', 'Lt' operators, exactly one value is required"),
        );
      }
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(
            fieldErrorText(
              indexPath(valuePath, i),
              v,
              "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
          );
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length > 0) errs.push(fieldErrorText(keyPath(indexPath(valuePath, i), key), v, ve.join('; ')));
  });
  const req = { key, operator, values };
  return errs.length === 0 ? { req } : { req, error: aggregate(errs) };
}

/** A validated requirement, or ApiError 400 naming what is wrong. */
export function requirement(key: string, operator: Operator, values: string[] = []): Requirement {
  const { req, error } = newRequirement(key, operator, [...values], undefined);
  if (error) throw errors.badRequest(error);
  return req;
}

// --- the string syntax ------------------------------------------------------------------------

type TokenKind =
  | 'end'
  | 'identifier'
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | '<'
  | '!='
  | '('
  | 'in'
  | 'notin';

interface Token {
  kind: TokenKind;
  literal: string;
}

const SYMBOL_TOKENS = new Set(['(', ')', ',', '!', '==', '=', '>', '<', '!=']);
const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) =>
  c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

function lex(s: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      out.push({ kind: 'end', literal: '' });
      return out;
    }
    if (isSpecial(s[pos]!)) {
      // Longest run of symbol characters that still forms an operator: "!=" but "=" then "(".
      let buf = '';
      let last = '';
      while (pos < s.length && isSpecial(s[pos]!)) {
        const next = buf + s[pos]!;
        if (SYMBOL_TOKENS.has(next)) {
          buf = next;
          last = next;
          pos++;
        } else if (last !== '') break;
        else {
          buf = next;
          pos++;
        }
      }
      out.push({ kind: last as TokenKind, literal: last });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) pos++;
    const word = s.slice(start, pos);
    out.push({ kind: word === 'in' || word === 'notin' ? word : 'identifier', literal: word });
  }
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly path: string | undefined,
  ) {}

  // In value position the keywords "in" and "notin" are ordinary words: `a in (in,notin)`.
  private lookahead(values: boolean): Token {
    const t = this.tokens[this.pos]!;
    return values && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'identifier', literal: t.literal } : t;
  }

  private consume(values: boolean): Token {
    const t = this.lookahead(values);
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.lookahead(true);
      if (t.kind === 'identifier' || t.kind === '!') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof SyntaxProblem)
            throw new SyntaxProblem(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        reqs.push(r);
        const after = this.consume(true);
        if (after.kind === 'end') return reqs;
        if (after.kind === ',') {
          const next = this.lookahead(true);
          if (next.kind !== 'identifier' && next.kind !== '!') {
            throw new SyntaxProblem(`found '${next.literal}', expected: identifier after ','`);
          }
          continue;
        }
        throw new SyntaxProblem(`found '${after.literal}', expected: ',' or 'end of string'`);
      }
      if (t.kind === 'end') return reqs;
      throw new SyntaxProblem(`found '${t.literal}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let t = this.consume(true);
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = this.consume(true);
    }
    if (t.kind !== 'identifier') throw new SyntaxProblem(`found '${t.literal}', expected: identifier`);
    const key = t.literal;
    const ke = keyError(key, this.path);
    if (ke) throw new SyntaxProblem(ke);
    const next = this.lookahead(true);
    if (negated || next.kind === 'end' || next.kind === ',') {
      return this.build(key, negated ? '!' : 'exists', []);
    }
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return this.build(key, op, [...new Set(values)].sort());
  }

  private build(key: string, op: Operator, values: string[]): Requirement {
    const { req, error } = newRequirement(key, op, values, this.path);
    if (error) throw new SyntaxProblem(error);
    return req;
  }

  private parseOperator(): Operator {
    const t = this.consume(false);
    switch (t.kind) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new SyntaxProblem(`found '${t.literal}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.kind !== '(') throw new SyntaxProblem(`found '${open.literal}' expected: '('`);
    const t = this.lookahead(true);
    if (t.kind === ')') {
      this.consume(true);
      return [''];
    }
    if (t.kind !== 'identifier' && t.kind !== ',') {
      throw new SyntaxProblem(`found '${t.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.parseIdentifiersList();
    this.consume(true); // the closing parenthesis, which parseIdentifiersList has seen
    return values;
  }

  // A comma-separated list where empty entries stand for the empty value: "(a,,b)", "(,a)", "(a,)".
  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.consume(true);
      if (t.kind === 'identifier') {
        values.push(t.literal);
        const next = this.lookahead(true);
        if (next.kind === ',') continue;
        if (next.kind === ')') return values;
        throw new SyntaxProblem(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (t.kind === ',') {
        if (values.length === 0) values.push('');
        const next = this.lookahead(true);
        if (next.kind === ')') {
          values.push('');
          return values;
        }
        if (next.kind === ',') {
          this.consume(true);
          values.push('');
        }
        continue;
      }
      throw new SyntaxProblem(`found '${t.literal}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const t = this.lookahead(true);
    if (t.kind === 'end' || t.kind === ',') return [''];
    const v = this.consume(true);
    if (v.kind === 'identifier') return [v.literal];
    throw new SyntaxProblem(`found '${v.literal}', expected: identifier`);
  }
}

class SyntaxProblem extends Error {}

/**
 * Parses the string form (`a=b,c in (x,y),!d,e>1`). An empty string selects everything.
 * Throws ApiError 400 with Kubernetes' message on bad syntax, keys or values. `path`, when
 * given, prefixes field errors the way a field of an object would (e.g. `spec.selector`).
 */
export function parse(selector: string, path?: string): Selector {
  try {
    return new Selector(new Parser(lex(selector), path).parse());
  } catch (e) {
    if (e instanceof SyntaxProblem) throw errors.badRequest(e.message);
    throw e;
  }
}

/** parse under the name callers holding both kinds of selector use. */
export const parseLabelSelector = parse;

/** Like parse, but returns the error instead of throwing it. */
export function tryParse(selector: string): { selector: Selector } | { error: ApiError } {
  try {
    return { selector: parse(selector) };
  } catch (e) {
    if (e instanceof ApiError) return { error: e };
    throw e;
  }
}

// --- metav1.LabelSelector ---------------------------------------------------------------------

const EXPRESSION_OPERATORS: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: null or undefined selects nothing, `{}` selects everything,
 * otherwise matchLabels and matchExpressions ANDed. Throws ApiError 400 for a selector that
 * validation would have refused (bad operator, key or value).
 */
export function fromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing();
  if (typeof ls !== 'object' || Array.isArray(ls))
    throw errors.badRequest('a label selector must be an object');
  const matchLabels = ls.matchLabels ?? {};
  const matchExpressions = ls.matchExpressions ?? [];
  if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
    throw errors.badRequest('matchLabels must be a map of label keys to values');
  }
  if (!Array.isArray(matchExpressions)) throw errors.badRequest('matchExpressions must be a list');
  const keys = Object.keys(matchLabels).sort();
  if (keys.length + matchExpressions.length === 0) return everything();
  const reqs: Requirement[] = [];
  for (const k of keys) {
    const { req, error } = newRequirement(k, '=', [String(matchLabels[k])], undefined);
    if (error) throw errors.badRequest(error);
    reqs.push(req);
  }
  for (const expr of matchExpressions as LabelSelectorRequirement[]) {
    const op = EXPRESSION_OPERATORS[String(expr?.operator)];
    if (!op)
      throw errors.badRequest(
        `${JSON.stringify(String(expr?.operator ?? ''))} is not a valid label selector operator`,
      );
    const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
    const { req, error } = newRequirement(String(expr.key ?? ''), op, values, undefined);
    if (error) throw errors.badRequest(error);
    reqs.push(req);
  }
  return new Selector(reqs);
}

/** fromLabelSelector under the name of Kubernetes' LabelSelectorAsSelector callers. */
export const selectorFromLabelSelector = fromLabelSelector;

/** Whether labels satisfy a metav1.LabelSelector (null matches nothing, `{}` everything). */
export function labelSelectorMatches(ls: LabelSelector | null | undefined, labels: Labels): boolean {
  return fromLabelSelector(ls).matches(labels);
}

/**
 * The string form of a metav1.LabelSelector, for `?labelSelector=` in list and watch calls.
 * Takes a non-null selector: a null one selects nothing and has no string form (listing with ""
 * would select everything), so callers must handle that case themselves.
 */
export function labelSelectorToString(ls: LabelSelector): string {
  return fromLabelSelector(ls).toString();
}

/** How kubectl prints a selector in `describe` and wide output: `<none>` when empty or null, `<error>` if invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  try {
    const s = fromLabelSelector(ls).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

export interface LabelSelectorValidationOptions {
  /** Accept invalid label values in expressions (for objects stored before the rule existed). */
  allowInvalidLabelValueInSelector?: boolean;
}

/**
 * Validation of a metav1.LabelSelector in an object being admitted (e.g. `spec.selector`).
 * Returns field errors with paths like `spec.selector.matchExpressions[0].values`.
 */
export function validateLabelSelector(
  ls: unknown,
  path: string,
  opts: LabelSelectorValidationOptions = {},
): FieldError[] {
  const errs: FieldError[] = [];
  if (ls === null || ls === undefined) return errs;
  if (typeof ls !== 'object' || Array.isArray(ls)) {
    return [{ type: 'FieldValueTypeInvalid', field: path, badValue: ls, detail: 'must be an object' }];
  }
  const sel = ls as Record<string, unknown>;
  const matchLabels = sel.matchLabels;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
      errs.push({
        type: 'FieldValueTypeInvalid',
        field: childPath(path, 'matchLabels'),
        badValue: matchLabels,
        detail: 'must be a map of label keys to values',
      });
    } else {
      errs.push(...validateLabels(matchLabels as Record<string, string>, childPath(path, 'matchLabels')));
    }
  }
  const exprs = sel.matchExpressions;
  if (exprs === undefined || exprs === null) return errs;
  if (!Array.isArray(exprs)) {
    errs.push({
      type: 'FieldValueTypeInvalid',
      field: childPath(path, 'matchExpressions'),
      badValue: exprs,
      detail: 'must be a list',
    });
    return errs;
  }
  exprs.forEach((raw, i) => {
    const p = indexPath(childPath(path, 'matchExpressions'), i);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errs.push({ type: 'FieldValueTypeInvalid', field: p, badValue: raw, detail: 'must be an object' });
      return;
    }
    const expr = raw as Record<string, unknown>;
    const values = expr.values;
    if (values !== undefined && values !== null && !Array.isArray(values)) {
      errs.push({
        type: 'FieldValueTypeInvalid',
        field: childPath(p, 'values'),
        badValue: values,
        detail: 'must be a list',
      });
      return;
    }
    const list = (values ?? []) as unknown[];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (list.length === 0) {
          errs.push({
            type: 'FieldValueRequired',
            field: childPath(p, 'values'),
            detail: "must be specified when `operator` is 'In' or 'NotIn'",
          });
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (list.length > 0) {
          errs.push({
            type: 'FieldValueForbidden',
            field: childPath(p, 'values'),
            detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          });
        }
        break;
      default:
        errs.push({
          type: 'FieldValueInvalid',
          field: childPath(p, 'operator'),
          badValue: expr.operator ?? '',
          detail: 'not a valid selector operator',
        });
    }
    errs.push(...validateLabelName(typeof expr.key === 'string' ? expr.key : '', childPath(p, 'key')));
    if (!opts.allowInvalidLabelValueInSelector) {
      list.forEach((v, j) => {
        const vp = indexPath(childPath(p, 'values'), j);
        if (typeof v !== 'string') {
          errs.push({ type: 'FieldValueTypeInvalid', field: vp, badValue: v, detail: 'must be a string' });
          return;
        }
        for (const msg of isValidLabelValue(v))
          errs.push({ type: 'FieldValueInvalid', field: vp, badValue: v, detail: msg });
      });
    }
  });
  return errs;
}
