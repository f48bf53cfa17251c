// Reads the declaration files that kubernetes-models generates from Kubernetes' OpenAPI
// document: one interface (or type alias) per definition, JSDoc descriptions, `?` for optional
// fields, string-literal unions for enums, and an export line that carries the definition's
// mangled name (IoK8sApiAppsV1DeploymentSpec). Only that regular subset of TypeScript is parsed.

/** A field type as written in a declaration file. */
export type DtsType =
  | { kind: 'string' | 'number' | 'boolean' | 'unknown' }
  | { kind: 'literal'; values: string[] }
  | { kind: 'ref'; name: string }
  | { kind: 'array'; items: DtsType }
  | { kind: 'map'; values: DtsType }
  | { kind: 'object'; members: DtsMember[] }
  | { kind: 'union'; types: DtsType[] };

export interface DtsMember {
  name: string;
  optional: boolean;
  description?: string;
  type: DtsType;
}

export interface DtsDeclaration {
  /** The local name: IDeploymentSpec. */
  localName: string;
  /** The exported mangled name of the interface: IIoK8sApiAppsV1DeploymentSpec. */
  exportedName?: string;
  description?: string;
  /** Interfaces only. */
  members?: DtsMember[];
  /** Type aliases only (Quantity, IntOrString, Time...). */
  alias?: DtsType;
  extendsTypeMeta: boolean;
}

export interface DtsFile {
  declarations: DtsDeclaration[];
  /** Interface names imported from other files: IIoK8sApiAppsV1DeploymentStrategy. */
  imports: string[];
}

export class DtsParseError extends Error {
  override name = 'DtsParseError';
}

/** Turns a JSDoc block into the description text Kubernetes publishes. */
export function jsDocText(block: string): string {
  const inner = block.replace(/^\/\*\*/, '').replace(/\*\/$/, '');
  const lines = inner.split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\*\\\//g, '*/');
}

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly where: string,
  ) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }

  take(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.take(s)) this.fail(`expected ${JSON.stringify(s)}`);
  }

  identifier(): string {
    this.skipSpace();
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected an identifier');
    this.pos += m[0].length;
    return m[0];
  }

  quoted(): string {
    this.skipSpace();
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a string literal');
    this.pos += m[0].length;
    return JSON.parse(`"${m[1]}"`) as string;
  }

  jsDoc(): string | undefined {
    if (!this.peek('/**')) return undefined;
    const end = this.text.indexOf('*/', this.pos);
    if (end < 0) this.fail('unterminated comment');
    const block = this.text.slice(this.pos, end + 2);
    this.pos = end + 2;
    return jsDocText(block);
  }

  fail(what: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new DtsParseError(`${this.where}:${line}: ${what}`);
  }
}

function parseType(c: Cursor): DtsType {
  const types: DtsType[] = [parsePostfix(c)];
  while (c.take('|')) types.push(parsePostfix(c));
  if (types.length === 1) return types[0]!;
  if (types.every((t) => t.kind === 'literal')) {
    return { kind: 'literal', values: types.flatMap((t) => (t.kind === 'literal' ? t.values : [])) };
  }
  return { kind: 'union', types };
}

function parsePostfix(c: Cursor): DtsType {
  let t = parsePrimary(c);
  for (;;) {
    if (c.peek('[]')) {
      c.expect('[]');
      t = { kind: 'array', items: t };
    } else if (c.peek('["')) {
      // IDeployment["kind"]: an indexed access to a literal member; only found in class bodies
      // and in a few interfaces of meta kinds, always a string.
      c.expect('[');
      c.quoted();
      c.expect(']');
      t = { kind: 'string' };
    } else {
      return t;
    }
  }
}

function parsePrimary(c: Cursor): DtsType {
  if (c.peek('"')) return { kind: 'literal', values: [c.quoted()] };
  if (c.take('(')) {
    const t = parseType(c);
    c.expect(')');
    return t;
  }
  if (c.peek('{')) return parseObjectType(c);
  const id = c.identifier();
  switch (id) {
    case 'string':
    case 'number':
    case 'boolean':
      return { kind: id };
    case 'any':
    case 'unknown':
    case 'object':
      return { kind: 'unknown' };
    case 'Array': {
      c.expect('<');
      const items = parseType(c);
      c.expect('>');
      return { kind: 'array', items };
    }
    case 'Record': {
      c.expect('<');
      c.identifier();
      c.expect(',');
      const values = parseType(c);
      c.expect('>');
      return { kind: 'map', values };
    }
    default:
      return { kind: 'ref', name: id };
  }
}

function parseObjectType(c: Cursor): DtsType {
  c.expect('{');
  if (c.peek('[')) {
    c.expect('[');
    c.identifier();
    c.expect(':');
    c.identifier();
    c.expect(']');
    c.expect(':');
    const values = parseType(c);
    c.take(';');
    c.expect('}');
    return { kind: 'map', values };
  }
  const members = parseMembers(c);
  return { kind: 'object', members };
}

/** Members up to and including the closing brace. */
function parseMembers(c: Cursor): DtsMember[] {
  const members: DtsMember[] = [];
  let description: string | undefined;
  for (;;) {
    if (c.take('}')) return members;
    const doc = c.jsDoc();
    if (doc !== undefined) {
      description = doc;
      continue;
    }
    const name = c.peek('"') ? c.quoted() : c.identifier();
    const optional = c.take('?');
    c.expect(':');
    const type = parseType(c);
    c.take(';');
    const member: DtsMember = { name, optional, type };
    if (description) member.description = description;
    members.push(member);
    description = undefined;
  }
}

/** Parses one declaration file of kubernetes-models. */
export function parseDtsFile(text: string, where = '<d.ts>'): DtsFile {
  const imports: string[] = [];
  for (const m of text.matchAll(/^import \{([^}]*)\} from "[^"]*";$/gm)) {
    for (const name of m[1]!.split(',')) {
      const n = name.trim();
      if (n.startsWith('IIoK8s')) imports.push(n);
    }
  }

  const exported = new Map<string, string>();
  for (const m of text.matchAll(/^export \{([^}]*)\};$/gm)) {
    for (const part of m[1]!.split(',')) {
      const pm = /^\s*(\w+) as (\w+)\s*$/.exec(part);
      if (pm) exported.set(pm[1]!, pm[2]!);
    }
  }

  const declarations: DtsDeclaration[] = [];
  const c = new Cursor(text, where);
  const declRe = /(?:(\/\*\*(?:[^*]|\*(?!\/))*\*\/)\s*)?^export (interface|declare type) (\w+)/gm;
  for (const m of text.matchAll(declRe)) {
    const localName = m[3]!;
    const decl: DtsDeclaration = { localName, extendsTypeMeta: false };
    const exportedName = exported.get(localName);
    if (exportedName) decl.exportedName = exportedName;
    if (m[1]) decl.description = jsDocText(m[1]);
    c.pos = m.index + m[0].length;
    if (m[2] === 'interface') {
      if (c.take('extends')) {
        const base = c.identifier();
        decl.extendsTypeMeta = base === 'TypeMeta';
      }
      c.expect('{');
      decl.members = parseMembers(c);
    } else {
      c.expect('=');
      decl.alias = parseType(c);
    }
    declarations.push(decl);
  }
  return { declarations, imports };
}
