// Field paths and field sets: how server-side apply names the parts of an object a manager owns.
//
// A path is a list of elements, each one of:
//   field  `f:name`                  a field of a struct or a key of a map
//   key    `k:{"name":"nginx"}`      an item of a map-list, by its key fields (sorted by name)
//   value  `v:"example.com/x"`       an item of a set-list, by its value
//   index  `i:0`                     an item of a list by position (rare)
// A FieldSet is a trie of such paths, and `fieldsV1` is its JSON form in metadata.managedFields,
// where `".": {}` marks a node that is itself a member and also has members below it.

import type { JsonObject, JsonValue } from '../object.js';
import { compareStrings, compareValues, goJson, goJsonString, isMap, valueToString } from './value.js';

export type KeyField = readonly [name: string, value: JsonValue];

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'key'; readonly fields: readonly KeyField[] }
  | { readonly kind: 'value'; readonly value: JsonValue }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export function fieldElement(name: string): PathElement {
  return { kind: 'field', name };
}

/** A map-list item's key; the fields are kept sorted by name, as the API server sorts them. */
export function keyElement(fields: Readonly<Record<string, JsonValue>> | readonly KeyField[]): PathElement {
  const list: KeyField[] = Array.isArray(fields)
    ? [...(fields as readonly KeyField[])]
    : Object.entries(fields as Record<string, JsonValue>).filter(([, v]) => v !== undefined);
  list.sort((a, b) => compareStrings(a[0], b[0]));
  return { kind: 'key', fields: list };
}

export function valueElement(value: JsonValue): PathElement {
  return { kind: 'value', value };
}

export function indexElement(index: number): PathElement {
  return { kind: 'index', index };
}

/** Builds a path from field names and elements: `path('spec', 'replicas')`. */
export function path(...parts: (string | number | PathElement)[]): Path {
  return parts.map((p) =>
    typeof p === 'string' ? fieldElement(p) : typeof p === 'number' ? indexElement(p) : p,
  );
}

const rank = { field: 0, key: 1, value: 2, index: 3 } as const;

/** The order of elements within a set: fields, then keys, then values, then indexes. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return rank[a.kind] < rank[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareStrings(a.name, (b as typeof a).name);
    case 'key': {
      const x = a.fields;
      const y = (b as typeof a).fields;
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareStrings(x[i]![0], y[i]![0]) || compareValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index': {
      const y = (b as typeof a).index;
      return a.index < y ? -1 : a.index > y ? 1 : 0;
    }
  }
}

/** How conflicts print an element: `.image`, `[name="nginx"]`, `[="x"]`, `[0]`. */
export function elementToString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `.${pe.name}`;
    case 'key':
      return `[${pe.fields.map(([k, v]) => `${k}=${valueToString(v)}`).join(',')}]`;
    case 'value':
      return `[=${valueToString(pe.value)}]`;
    case 'index':
      return `[${pe.index}]`;
  }
}

/** `.spec.template.spec.containers[name="nginx"].image`, the form of StatusCause.field. */
export function pathToString(p: Path): string {
  let s = '';
  for (const pe of p) s += elementToString(pe);
  return s;
}

/** The element's key in fieldsV1: `f:name`, `k:{"name":"nginx"}`, `v:"x"`, `i:0`. */
export function serializeElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key': {
      let s = 'k:{';
      for (let i = 0; i < pe.fields.length; i++) {
        const [k, v] = pe.fields[i]!;
        s += `${i > 0 ? ',' : ''}${goJsonString(k)}:${goJson(v)}`;
      }
      return `${s}}`;
    }
    case 'value':
      return `v:${goJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

/**
 * Parses a fieldsV1 key. Returns undefined for an element type this version does not know (the
 * API server drops those rather than fail); throws for a malformed one.
 */
export function parseElement(s: string): PathElement | undefined {
  if (s.length < 2) throw new Error(`key must be 2 characters long: ${JSON.stringify(s)}`);
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return fieldElement(body);
    case 'v':
      return valueElement(parseJson(body, s));
    case 'k': {
      const v = parseJson(body, s);
      if (!isMap(v)) throw new Error(`expected a JSON object after "k:" in ${s}`);
      return keyElement(v as Record<string, JsonValue>);
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(body)) throw new Error(`invalid index in ${s}`);
      return indexElement(Number.parseInt(body, 10));
    }
    default:
      return undefined;
  }
}

function parseJson(text: string, key: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new Error(`invalid JSON in ${key}: ${(err as Error).message}`);
  }
}

interface SetNode {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

function search<T>(items: readonly T[], pe: PathElement, get: (t: T) => PathElement): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareElements(get(items[mid]!), pe);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const nodeElement = (n: SetNode): PathElement => n.pe;
const self = (pe: PathElement): PathElement => pe;

/**
 * An immutable set of field paths, kept as a trie with sorted levels so that union, intersection
 * and difference are linear merges. A path may be a member and also have members below it (a
 * map-list item is owned as a whole and field by field).
 */
export class FieldSet {
  static readonly empty: FieldSet = new FieldSet([], []);

  /** Sorted; paths that end at this level. */
  readonly members: readonly PathElement[];
  /** Sorted; never holds an empty set. */
  readonly children: readonly SetNode[];

  /** The fieldsV1 form once made (or as read from a stored entry): sets never change. */
  private encoded: JsonObject | undefined;

  private constructor(members: readonly PathElement[], children: readonly SetNode[]) {
    this.members = members;
    this.children = children;
  }

  /** @internal Arrays must already be sorted and free of empty children. */
  static fromSorted(members: readonly PathElement[], children: readonly SetNode[]): FieldSet {
    return members.length === 0 && children.length === 0 ? FieldSet.empty : new FieldSet(members, children);
  }

  /** A set of the given paths; strings are field names: `FieldSet.of(['spec', 'replicas'])`. */
  static of(...paths: readonly (string | number | PathElement)[][]): FieldSet {
    const b = new FieldSetBuilder();
    for (const p of paths) b.insert(path(...p));
    return b.build();
  }

  static fromPaths(paths: Iterable<Path>): FieldSet {
    const b = new FieldSetBuilder();
    for (const p of paths) b.insert(p);
    return b.build();
  }

  isEmpty(): boolean {
    return this.members.length === 0 && this.children.length === 0;
  }

  /** Number of member paths. */
  size(): number {
    let n = this.members.length;
    for (const c of this.children) n += c.set.size();
    return n;
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) {
      const c = s.child(p[i]!);
      if (!c) return false;
      s = c;
    }
    return search(s.members, p[p.length - 1]!, self) >= 0;
  }

  hasMember(pe: PathElement): boolean {
    return search(this.members, pe, self) >= 0;
  }

  /** The subset below an element, if any. */
  child(pe: PathElement): FieldSet | undefined {
    const i = search(this.children, pe, nodeElement);
    return i < 0 ? undefined : this.children[i]!.set;
  }

  /** The paths below `pe`, without the prefix. */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? FieldSet.empty;
  }

  union(o: FieldSet): FieldSet {
    if (o.isEmpty()) return this;
    if (this.isEmpty()) return o;
    const members = mergeSorted(this.members, o.members, self, (a) => a);
    const children = mergeSorted(this.children, o.children, nodeElement, (a, b) => {
      const set = a.set.union(b.set);
      return set === a.set ? a : { pe: a.pe, set };
    });
    // Nothing new (o was already inside): the same set, which keeps its encoding.
    if (this.sameAs(members, children)) return this;
    return FieldSet.fromSorted(members, children);
  }

  /** Whether these arrays hold exactly this set's own members and child nodes. */
  private sameAs(members: readonly PathElement[], children: readonly SetNode[]): boolean {
    if (members.length !== this.members.length || children.length !== this.children.length) return false;
    for (let i = 0; i < children.length; i++) if (children[i] !== this.children[i]) return false;
    return true;
  }

  intersection(o: FieldSet): FieldSet {
    if (this.isEmpty() || o.isEmpty()) return FieldSet.empty;
    const members = intersectSorted(this.members, o.members, self, (a) => a);
    const children = intersectSorted(this.children, o.children, nodeElement, (a, b) => {
      const set = a.set.intersection(b.set);
      return set.isEmpty() ? undefined : { pe: a.pe, set };
    });
    return FieldSet.fromSorted(members, children);
  }

  /**
   * Paths of this set that are not in `o`. Only exact paths are taken away: a member of `o` does
   * not remove the paths below it (see recursiveDifference).
   */
  difference(o: FieldSet): FieldSet {
    if (this.isEmpty() || o.isEmpty()) return this;
    const members = subtractSorted(this.members, o.members, self, () => undefined);
    const children = subtractSorted(this.children, o.children, nodeElement, (a, b) => {
      const set = a.set.difference(b.set);
      if (set === a.set) return a;
      return set.isEmpty() ? undefined : { pe: a.pe, set };
    });
    // Nothing taken away: the same set, which keeps its encoding.
    if (this.sameAs(members, children)) return this;
    return FieldSet.fromSorted(members, children);
  }

  /** Paths of this set that are neither in `o` nor below a member of `o`. */
  recursiveDifference(o: FieldSet): FieldSet {
    if (this.isEmpty() || o.isEmpty()) return this;
    const members = subtractSorted(this.members, o.members, self, () => undefined);
    const children: SetNode[] = [];
    for (const c of this.children) {
      if (o.hasMember(c.pe)) continue;
      const oc = o.child(c.pe);
      if (!oc) {
        children.push(c);
        continue;
      }
      const set = c.set.recursiveDifference(oc);
      if (set === c.set) children.push(c);
      else if (!set.isEmpty()) children.push({ pe: c.pe, set });
    }
    if (this.sameAs(members, children)) return this;
    return FieldSet.fromSorted(members, children);
  }

  /** Paths of this set that are in `prefixes` or below one of its members. */
  under(prefixes: FieldSet): FieldSet {
    if (this.isEmpty() || prefixes.isEmpty()) return FieldSet.empty;
    const members = this.members.filter((m) => prefixes.hasMember(m));
    const children: SetNode[] = [];
    for (const c of this.children) {
      if (prefixes.hasMember(c.pe)) {
        children.push(c);
        continue;
      }
      const pc = prefixes.child(c.pe);
      if (!pc) continue;
      const set = c.set.under(pc);
      if (!set.isEmpty()) children.push({ pe: c.pe, set });
    }
    return FieldSet.fromSorted(members, children);
  }

  /** The members that have no members below them. */
  leaves(): FieldSet {
    const members = this.members.filter((m) => search(this.children, m, nodeElement) < 0);
    const children = this.children
      .map((c) => ({ pe: c.pe, set: c.set.leaves() }))
      .filter((c) => !c.set.isEmpty());
    return FieldSet.fromSorted(members, children);
  }

  equals(o: FieldSet): boolean {
    if (this === o) return true;
    if (this.members.length !== o.members.length || this.children.length !== o.children.length) return false;
    for (let i = 0; i < this.members.length; i++) {
      if (compareElements(this.members[i]!, o.members[i]!) !== 0) return false;
    }
    for (let i = 0; i < this.children.length; i++) {
      const a = this.children[i]!;
      const b = o.children[i]!;
      if (compareElements(a.pe, b.pe) !== 0 || !a.set.equals(b.set)) return false;
    }
    return true;
  }

  /** Every member path, depth first: the members of a level, then the levels below it. */
  *paths(prefix: Path = []): Generator<Path> {
    for (const m of this.members) yield [...prefix, m];
    for (const c of this.children) yield* c.set.paths([...prefix, c.pe]);
  }

  toString(): string {
    return [...this.paths()].map(pathToString).join('\n');
  }

  /** The fieldsV1 form, keys in the API server's order. */
  toFieldsV1(): JsonObject {
    this.encoded ??= emit(this, false);
    return this.encoded;
  }

  /**
   * Reads a fieldsV1 object. Unknown element types are dropped (as the API server does);
   * anything malformed throws an Error whose message says what was wrong.
   */
  static fromFieldsV1(v: unknown, opts: { canonical?: boolean } = {}): FieldSet {
    if (v === null || v === undefined) return FieldSet.empty;
    if (!isMap(v)) throw new Error('fieldsV1 must be a JSON object');
    const set = read(v).set ?? FieldSet.empty;
    // Entries this code wrote itself are already in canonical form: an unchanged set is written
    // back as it was read instead of being encoded again.
    if (opts.canonical && set !== FieldSet.empty) set.encoded = v;
    return set;
  }
}

function emit(s: FieldSet, includeSelf: boolean): JsonObject {
  const out: JsonObject = {};
  if (includeSelf && !s.isEmpty()) out['.'] = {};
  let mi = 0;
  let ci = 0;
  const { members, children } = s;
  while (mi < members.length || ci < children.length) {
    const c =
      mi >= members.length ? 1 : ci >= children.length ? -1 : compareElements(members[mi]!, children[ci]!.pe);
    if (c < 0) {
      out[serializeElement(members[mi]!)] = {};
      mi++;
    } else if (c > 0) {
      out[serializeElement(children[ci]!.pe)] = emit(children[ci]!.set, false);
      ci++;
    } else {
      out[serializeElement(children[ci]!.pe)] = emit(children[ci]!.set, true);
      mi++;
      ci++;
    }
  }
  return out;
}

function read(obj: JsonObject): { set: FieldSet | undefined; isMember: boolean } {
  let isMember = false;
  let members: PathElement[] = [];
  let children: SetNode[] = [];
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (key === '.') {
      isMember = true;
      continue;
    }
    const pe = parseElement(key);
    if (!pe) continue;
    if (v !== null && v !== undefined && !isMap(v)) {
      throw new Error(`the value of ${JSON.stringify(key)} must be a JSON object`);
    }
    const sub = v ? read(v) : { set: undefined, isMember: true };
    if (sub.isMember) members.push(pe);
    if (sub.set) children.push({ pe, set: sub.set });
  }
  if (members.length === 0 && children.length === 0) return { set: undefined, isMember: true };
  // The API server writes keys in order; anything else is sorted (and merged) here.
  if (!strictlySorted(members, self)) members = normalize(members, self, (a) => a);
  if (!strictlySorted(children, nodeElement)) {
    children = normalize(children, nodeElement, (a, b) => ({ pe: a.pe, set: a.set.union(b.set) }));
  }
  return { set: FieldSet.fromSorted(members, children), isMember };
}

function strictlySorted<T>(items: readonly T[], pe: (t: T) => PathElement): boolean {
  for (let i = 1; i < items.length; i++)
    if (compareElements(pe(items[i - 1]!), pe(items[i]!)) >= 0) return false;
  return true;
}

function normalize<T>(items: T[], pe: (t: T) => PathElement, both: (a: T, b: T) => T): T[] {
  const sorted = [...items].sort((a, b) => compareElements(pe(a), pe(b)));
  const out: T[] = [];
  for (const item of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && compareElements(pe(last), pe(item)) === 0)
      out[out.length - 1] = both(last, item);
    else out.push(item);
  }
  return out;
}

function mergeSorted<T>(
  a: readonly T[],
  b: readonly T[],
  pe: (t: T) => PathElement,
  both: (x: T, y: T) => T,
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = compareElements(pe(a[i]!), pe(b[j]!));
    if (c < 0) out.push(a[i++]!);
    else if (c > 0) out.push(b[j++]!);
    else out.push(both(a[i++]!, b[j++]!));
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

function intersectSorted<T>(
  a: readonly T[],
  b: readonly T[],
  pe: (t: T) => PathElement,
  both: (x: T, y: T) => T | undefined,
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = compareElements(pe(a[i]!), pe(b[j]!));
    if (c < 0) i++;
    else if (c > 0) j++;
    else {
      const r = both(a[i++]!, b[j++]!);
      if (r !== undefined) out.push(r);
    }
  }
  return out;
}

function subtractSorted<T>(
  a: readonly T[],
  b: readonly T[],
  pe: (t: T) => PathElement,
  both: (x: T, y: T) => T | undefined,
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = compareElements(pe(a[i]!), pe(b[j]!));
    if (c < 0) out.push(a[i++]!);
    else if (c > 0) j++;
    else {
      const r = both(a[i++]!, b[j++]!);
      if (r !== undefined) out.push(r);
    }
  }
  while (i < a.length) out.push(a[i++]!);
  return out;
}

/**
 * Builds a FieldSet in any order and sorts each level once at the end, so that walking a list of
 * n items costs n log n rather than n² sorted insertions.
 */
export class FieldSetBuilder {
  // Created on first use: most levels of a walk hold only one of the two.
  private members: Map<string, PathElement> | undefined;
  private kids: Map<string, { pe: PathElement; b: FieldSetBuilder }> | undefined;

  member(pe: PathElement, key: string = serializeElement(pe)): this {
    this.members ??= new Map();
    if (!this.members.has(key)) this.members.set(key, pe);
    return this;
  }

  child(pe: PathElement, key: string = serializeElement(pe)): FieldSetBuilder {
    this.kids ??= new Map();
    let n = this.kids.get(key);
    if (!n) {
      n = { pe, b: new FieldSetBuilder() };
      this.kids.set(key, n);
    }
    return n.b;
  }

  /** Adds a path; the empty path (the whole object) is never tracked. */
  insert(p: Path): this {
    if (p.length === 0) return this;
    let b: FieldSetBuilder = this;
    for (let i = 0; i < p.length - 1; i++) b = b.child(p[i]!);
    b.member(p[p.length - 1]!);
    return this;
  }

  /** Adds every path of a set at this level. */
  addSet(s: FieldSet): this {
    for (const m of s.members) this.member(m);
    for (const c of s.children) this.child(c.pe).addSet(c.set);
    return this;
  }

  build(): FieldSet {
    const members = this.members ? [...this.members.values()].sort(compareElements) : [];
    const children: SetNode[] = [];
    if (this.kids) {
      for (const { pe, b } of this.kids.values()) {
        const set = b.build();
        if (!set.isEmpty()) children.push({ pe, set });
      }
      children.sort((x, y) => compareElements(x.pe, y.pe));
    }
    return FieldSet.fromSorted(members, children);
  }
}
