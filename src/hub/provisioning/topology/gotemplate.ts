// The part of Go's text/template (with the sprig functions) that ClusterClass patches use in
// valueFrom.template and enabledIf: {{ .a.b }} lookups, "strings", numbers, booleans, function
// calls, pipelines (`x | replace "+" "_"`), {{ if }} / {{ else }} / {{ end }} and the whitespace
// trimming markers. What it does not know it refuses with an error naming it, never guessing.

type Value = unknown;

interface Token {
  kind: 'text' | 'action';
  value: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', value: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && src[start + 1] === ' ') {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    const close = src.indexOf('}}', start);
    if (close < 0) throw new Error('template: unclosed action');
    let body = src.slice(start, close);
    let next = close + 2;
    if (body.endsWith(' -')) {
      body = body.slice(0, -2);
      const m = /^\s*/.exec(src.slice(next));
      next += m?.[0].length ?? 0;
    }
    if (text) out.push({ kind: 'text', value: text });
    out.push({ kind: 'action', value: body.trim() });
    i = next;
  }
  return out;
}

function splitArgs(expr: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < expr.length) {
    if (/\s/.test(expr[i] ?? '')) {
      i++;
      continue;
    }
    if (expr[i] === '"') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== '"') j += expr[j] === '\\' ? 2 : 1;
      args.push(expr.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (expr[i] === '(') {
      let depth = 0;
      let j = i;
      for (; j < expr.length; j++) {
        if (expr[j] === '(') depth++;
        if (expr[j] === ')' && --depth === 0) break;
      }
      args.push(expr.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < expr.length && !/\s/.test(expr[j] ?? '')) j++;
    args.push(expr.slice(i, j));
    i = j;
  }
  return args;
}

function lookup(data: Value, path: string): Value {
  if (path === '.') return data;
  let cur: Value = data;
  for (const part of path.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Value>)[part];
  }
  return cur;
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function semver(v: string): number[] {
  return v
    .replace(/^v/, '')
    .split(/[.+-]/)
    .slice(0, 3)
    .map((p) => Number.parseInt(p, 10) || 0);
}

function compareVersions(a: string, b: string): number {
  const x = semver(a);
  const y = semver(b);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** sprig's semverCompare for one constraint ("< v1.25", ">=1.24.0", "1.2.3"). */
function semverCompare(constraint: string, version: string): boolean {
  return constraint.split(',').every((part) => {
    const m = /^\s*(<=|>=|<|>|=|!=)?\s*(\S+)\s*$/.exec(part);
    if (!m) throw new Error(`template: semverCompare: bad constraint "${constraint}"`);
    const c = compareVersions(version, m[2] ?? '');
    switch (m[1] ?? '=') {
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '!=':
        return c !== 0;
      default:
        return c === 0;
    }
  });
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  not: (a) => !truthy(a),
  and: (...xs) => xs.reduce((acc, x) => (truthy(acc) ? x : acc)),
  or: (...xs) => xs.find((x) => truthy(x)) ?? xs[xs.length - 1],
  replace: (old, neu, s) => String(s).split(String(old)).join(String(neu)),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  trim: (s) => String(s).trim(),
  quote: (s) => JSON.stringify(String(s ?? '')),
  default: (d, v) => (truthy(v) ? v : d),
  semverCompare: (c, v) => semverCompare(String(c), String(v)),
  toJson: (v) => JSON.stringify(v),
};

function evalArg(arg: string, data: Value): Value {
  if (arg.startsWith('"')) return JSON.parse(arg);
  if (arg.startsWith('(')) return evalPipeline(arg.slice(1, -1), data);
  if (arg.startsWith('.')) return lookup(data, arg);
  if (arg === 'true' || arg === 'false') return arg === 'true';
  if (/^-?\d+(\.\d+)?$/.test(arg)) return Number(arg);
  throw new Error(`template: function "${arg}" not defined`);
}

function evalCommand(cmd: string, data: Value, piped?: { value: Value }): Value {
  const args = splitArgs(cmd);
  const head = args[0] ?? '';
  const fn = FUNCTIONS[head];
  if (fn) {
    const values = args.slice(1).map((a) => evalArg(a, data));
    if (piped) values.push(piped.value);
    return fn(...values);
  }
  if (!/^[."(\d-]|^(true|false)$/.test(head)) throw new Error(`template: function "${head}" not defined`);
  if (args.length !== 1 || piped) throw new Error(`template: can't give argument to non-function ${head}`);
  return evalArg(head, data);
}

function evalPipeline(expr: string, data: Value): Value {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let last = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '"' && expr[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === '|' && depth === 0) {
      parts.push(expr.slice(last, i));
      last = i + 1;
    }
  }
  parts.push(expr.slice(last));
  let value: { value: Value } | undefined;
  for (const part of parts) value = { value: evalCommand(part.trim(), data, value) };
  return value?.value;
}

function print(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Renders a template with `data` as its dot. */
export function renderTemplate(src: string, data: Value): string {
  const tokens = tokenize(src);
  let pos = 0;
  function block(until: string[]): { out: string; end: string } {
    let out = '';
    while (pos < tokens.length) {
      const t = tokens[pos++] as Token;
      if (t.kind === 'text') {
        out += t.value;
        continue;
      }
      if (until.includes(t.value) || (until.includes('else') && t.value.startsWith('else')))
        return { out, end: t.value };
      if (t.value.startsWith('if ')) {
        const cond = truthy(evalPipeline(t.value.slice(3), data));
        const then = block(['else', 'end']);
        let other = '';
        if (then.end === 'else') other = block(['end']).out;
        out += cond ? then.out : other;
        continue;
      }
      if (t.value.startsWith('/*')) continue;
      out += print(evalPipeline(t.value, data));
    }
    if (until.length > 0) throw new Error(`template: unexpected EOF, missing {{ ${until.join(' or ')} }}`);
    return { out, end: '' };
  }
  return block([]).out;
}
