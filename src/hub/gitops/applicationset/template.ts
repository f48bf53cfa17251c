// Rendering an ApplicationSet's template with a generator's parameters, in both of Argo CD's
// syntaxes. fasttemplate (the default): `{{name}}` and `{{metadata.labels.region}}` replaced by
// the flattened parameter of that name, unknown ones left as written. goTemplate: Go's
// text/template over the nested parameters: fields (`.path.basename`), `index`, pipelines and
// the functions Argo CD's templates use (Sprig's lower, upper, default, replace, trunc, trim*,
// quote, join, printf; Argo CD's normalize and slugify); `missingkey=error` turns an unknown field
// into an error, otherwise it renders "<no value>" as Go does. Every string of the template is
// rendered; the rest is kept.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type Params = Record<string, unknown>;

/** fasttemplate: `{{ key }}` replaced by the flat parameter `key` (a string), unknown keys kept. */
export function renderFast(text: string, flat: Record<string, string>): string {
  return text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, key: string) => (key in flat ? flat[key]! : whole));
}

/** Argo CD's parameters flattened for fasttemplate: nested keys joined with dots, lists indexed `[i]`. */
export function flattenParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, key: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Params)) walk(x, key ? `${key}.${k}` : k);
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${key}[${i}]`);
      out[key] = v.join('/');
      return;
    }
    out[key] = v === null || v === undefined ? '' : String(v);
  };
  for (const [k, v] of Object.entries(params)) {
    // A flat parameter with dots stays as given (fasttemplate generators produce them so).
    walk(v, k);
  }
  return out;
}

/** Argo CD's normalize: a DNS-1123 subdomain made of the text (lower case, [^a-z0-9.-] -> '-'). */
export function normalizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

function slugify(text: string, max = 50, smartTruncate = true): string {
  let s = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (s.length > max) {
    s = s.slice(0, max);
    if (smartTruncate && s.includes('-')) s = s.slice(0, s.lastIndexOf('-'));
  }
  return s;
}

// --- a small Go text/template --------------------------------------------------------------

type Token =
  | { kind: 'field'; path: string[] }
  | { kind: 'dollar'; path: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'ident'; name: string }
  | { kind: 'pipe' }
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'bool'; value: boolean };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      out.push({ kind: 'pipe' });
      i++;
    } else if (c === '(') {
      out.push({ kind: 'open' });
      i++;
    } else if (c === ')') {
      out.push({ kind: 'close' });
      i++;
    } else if (c === '"' || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c) {
        if (c === '"' && src[j] === '\\' && j + 1 < src.length) {
          const n = src[j + 1]!;
          value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          j += 2;
        } else {
          value += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new TemplateError(`unterminated string in "${src}"`);
      out.push({ kind: 'string', value });
      i = j + 1;
    } else if (c === '.' || c === '$') {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_.]/.test(src[j]!)) j++;
      const text = src.slice(c === '$' ? i + 1 : i, j);
      const path = text.split('.').filter(Boolean);
      out.push(c === '$' ? { kind: 'dollar', path } : { kind: 'field', path });
      i = j;
    } else if (/[-0-9]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[0-9.]/.test(src[j]!)) j++;
      out.push({ kind: 'number', value: Number(src.slice(i, j)) });
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const name = src.slice(i, j);
      out.push(
        name === 'true' || name === 'false'
          ? { kind: 'bool', value: name === 'true' }
          : { kind: 'ident', name },
      );
      i = j;
    } else {
      throw new TemplateError(`unexpected "${c}" in "${src}"`);
    }
  }
  return out;
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  title: (s) => str(s).replace(/\b\w/g, (m) => m.toUpperCase()),
  trim: (s) => str(s).trim(),
  trimPrefix: (p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimSuffix: (p, s) => (str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  replace: (o, n, s) => str(s).split(str(o)).join(str(n)),
  trunc: (n, s) => {
    const k = Number(n);
    return k >= 0 ? str(s).slice(0, k) : str(s).slice(k);
  },
  default: (d, v) =>
    v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0) ? d : v,
  quote: (...a) => a.map((x) => JSON.stringify(str(x))).join(' '),
  join: (sep, list) => (Array.isArray(list) ? list.map(str).join(str(sep)) : str(list)),
  toJson: (v) => JSON.stringify(v),
  normalize: (s) => normalizeName(str(s)),
  slugify: (...a) => (a.length >= 3 ? slugify(str(a[2]), Number(a[0]), a[1] === true) : slugify(str(a[0]))),
  printf: (fmt, ...args) => {
    let i = 0;
    return str(fmt).replace(/%[sdvq%]/g, (m) =>
      m === '%%' ? '%' : m === '%q' ? JSON.stringify(str(args[i++])) : str(args[i++]),
    );
  },
  index: (coll, ...keys) => {
    let v: unknown = coll;
    for (const k of keys) {
      if (v === null || v === undefined) throw new TemplateError(`index of a missing value with ${str(k)}`);
      v = (v as Record<string, unknown>)[typeof k === 'number' ? k : str(k)];
    }
    return v;
  },
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  not: (a) => !a,
  len: (a) =>
    Array.isArray(a) || typeof a === 'string'
      ? a.length
      : a && typeof a === 'object'
        ? Object.keys(a).length
        : 0,
};

const NO_VALUE = Symbol('no value');

class Evaluator {
  constructor(
    private readonly data: Params,
    private readonly missingKeyError: boolean,
  ) {}

  private field(path: string[], root: unknown): unknown {
    let v: unknown = root;
    for (const p of path) {
      if (v === null || v === undefined || typeof v !== 'object' || !(p in (v as object))) {
        if (this.missingKeyError) throw new TemplateError(`map has no entry for key "${p}"`);
        return NO_VALUE;
      }
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  }

  pipeline(tokens: Token[]): unknown {
    const commands: Token[][] = [[]];
    let depth = 0;
    for (const t of tokens) {
      if (t.kind === 'open') depth++;
      if (t.kind === 'close') depth--;
      if (t.kind === 'pipe' && depth === 0) commands.push([]);
      else commands[commands.length - 1]!.push(t);
    }
    let value: unknown = NO_VALUE;
    let first = true;
    for (const cmd of commands) {
      value = this.command(cmd, first ? undefined : value);
      first = false;
    }
    return value;
  }

  private operands(tokens: Token[]): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'open') {
        let depth = 1;
        let j = i + 1;
        for (; j < tokens.length && depth > 0; j++) {
          if (tokens[j]!.kind === 'open') depth++;
          if (tokens[j]!.kind === 'close') depth--;
        }
        out.push(this.pipeline(tokens.slice(i + 1, j - 1)));
        i = j - 1;
      } else {
        out.push(this.operand(t));
      }
    }
    return out;
  }

  private operand(t: Token): unknown {
    switch (t.kind) {
      case 'field':
        return this.field(t.path, this.data);
      case 'dollar':
        return this.field(t.path, this.data);
      case 'string':
      case 'number':
      case 'bool':
        return t.value;
      case 'ident':
        throw new TemplateError(`function "${t.name}" used as a value`);
      default:
        throw new TemplateError('unexpected token');
    }
  }

  private command(tokens: Token[], piped: unknown): unknown {
    if (tokens.length === 0) throw new TemplateError('missing value for command');
    const head = tokens[0]!;
    if (head.kind === 'ident') {
      const fn = FUNCS[head.name];
      if (!fn) throw new TemplateError(`function "${head.name}" not defined`);
      const args = this.operands(tokens.slice(1)).map((a) => (a === NO_VALUE ? undefined : a));
      if (piped !== undefined) args.push(piped === NO_VALUE ? undefined : piped);
      return fn(...args);
    }
    if (tokens.length > 1 && head.kind !== 'open')
      throw new TemplateError(`can't give argument to non-function`);
    return this.operands(tokens)[0];
  }
}

/** Renders Go template text over `data`. */
export function renderGo(text: string, data: Params, opts: { missingKeyError?: boolean } = {}): string {
  if (!text.includes('{{')) return text;
  const ev = new Evaluator(data, opts.missingKeyError === true);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    let literal = text.slice(i, open);
    let start = open + 2;
    if (text[start] === '-' && /\s/.test(text[start + 1] ?? '')) {
      literal = literal.replace(/\s+$/, '');
      start++;
    }
    out += literal;
    const close = text.indexOf('}}', start);
    if (close < 0) throw new TemplateError(`unclosed action in "${text}"`);
    let end = close;
    let trimAfter = false;
    if (text[close - 1] === '-' && /\s/.test(text[close - 2] ?? '')) {
      end = close - 1;
      trimAfter = true;
    }
    const action = text.slice(start, end).trim();
    i = close + 2;
    if (trimAfter) while (i < text.length && /\s/.test(text[i]!)) i++;
    if (action.startsWith('/*')) continue;
    if (/^(if|else|end|range|with|define|template|block)\b/.test(action)) {
      throw new TemplateError(`template action "${action.split(/\s/)[0]}" is not supported in "${text}"`);
    }
    const value = ev.pipeline(tokenize(action));
    out += value === NO_VALUE ? '<no value>' : str(value);
  }
  return out;
}

/** Every string of `template` rendered with the parameters, in the ApplicationSet's syntax. */
export function renderTemplate<T>(
  template: T,
  params: Params,
  opts: { goTemplate?: boolean; goTemplateOptions?: readonly string[] },
): T {
  const missingKeyError = (opts.goTemplateOptions ?? []).includes('missingkey=error');
  const flat = opts.goTemplate ? {} : flattenParams(params);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return opts.goTemplate ? renderGo(v, params, { missingKeyError }) : renderFast(v, flat);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(template) as T;
}
