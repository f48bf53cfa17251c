// What changed between two versions of an object, as three field sets: added, modified, removed.
// Ownership follows from it: whoever writes a change owns what it added or modified, and nobody
// keeps owning what it removed.

import type { JsonObject } from '../object.js';
import { fieldSetOf } from './field-set-of.js';
import {
  type FieldSet,
  FieldSetBuilder,
  fieldElement,
  type PathElement,
  serializeElement,
} from './fieldpath.js';
import { itemElement } from './list-items.js';
import { atomFor, deduced, isStruct, type ListType, type MapType, type TypeNode } from './types.js';
import { isMap, valuesEqual } from './value.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export interface CompareOptions {
  /**
   * Compare as the API server compares its typed (built-in) objects, where a struct field is
   * present as `{}` and a required field as null even when nobody set them: an absent one of
   * those under a present parent is not "added" or "removed" by itself. Off for custom resources.
   */
  implicitStructs?: boolean;
}

const implicitEmpty: JsonObject = Object.freeze({}) as JsonObject;

/** Compares `lhs` (before) with `rhs` (after); `undefined` on either side means absent. */
export function compare(lhs: unknown, rhs: unknown, type: TypeNode, opts: CompareOptions = {}): Comparison {
  const w = new CompareWalker(opts.implicitStructs === true);
  if (lhs !== undefined || rhs !== undefined) w.node(lhs, rhs, type);
  return { added: w.added.build(), modified: w.modified.build(), removed: w.removed.build() };
}

/**
 * The builders of one result set along the walker's current path: builders[i] is the builder of
 * the path's first i elements. Kept while the walk goes down, so that recording a path costs a
 * step, not a descent from the root.
 */
class BuilderChain {
  readonly builders: FieldSetBuilder[];
  /** How many leading entries of `builders` belong to the current path. */
  valid = 1;

  constructor(readonly root: FieldSetBuilder) {
    this.builders = [root];
  }

  /** The builder of the first `depth` elements of `path`. */
  at(path: readonly PathElement[], depth: number): FieldSetBuilder {
    for (let i = this.valid; i <= depth; i++) this.builders[i] = this.builders[i - 1]!.child(path[i - 1]!);
    if (this.valid <= depth) this.valid = depth + 1;
    return this.builders[depth]!;
  }

  /** Records the whole path (the root itself is never a member). */
  insert(path: readonly PathElement[]): void {
    if (path.length === 0) return;
    this.at(path, path.length - 1).member(path[path.length - 1]!);
  }
}

class CompareWalker {
  readonly added = new FieldSetBuilder();
  readonly modified = new FieldSetBuilder();
  readonly removed = new FieldSetBuilder();
  private readonly addedChain = new BuilderChain(this.added);
  private readonly modifiedChain = new BuilderChain(this.modified);
  private readonly removedChain = new BuilderChain(this.removed);
  private readonly path: PathElement[] = [];

  constructor(private readonly implicitStructs: boolean) {}

  node(l: unknown, r: unknown, t: TypeNode): void {
    // The same value on both sides (an unchanged part shared between versions): nothing changed below.
    if (l === r && l !== undefined) return;
    let inLeaf = false;
    const leaf = (): void => {
      inLeaf = true;
      if (l === undefined) this.addedChain.insert(this.path);
      else if (r === undefined) this.removedChain.insert(this.path);
      else if (!valuesEqual(l, r)) this.modifiedChain.insert(this.path);
    };
    const aL = l === undefined ? undefined : atomFor(t, l);
    const aR = r === undefined ? undefined : atomFor(t, r);
    if (aL !== undefined && aR !== undefined && aL !== aR) {
      // The value changed shape (a scalar became a map...): the node changed, and so did
      // everything below it on either side.
      this.modifiedChain.insert(this.path);
      if (this.path.length > 0) {
        this.removedChain.at(this.path, this.path.length).addSet(fieldSetOf(l, t));
        this.addedChain.at(this.path, this.path.length).addSet(fieldSetOf(r, t));
      }
      return;
    }
    switch (aR ?? aL) {
      case 'list': {
        const ll = Array.isArray(l) ? l : undefined;
        const rl = Array.isArray(r) ? r : undefined;
        // Both empty or null: compare as a leaf, which keeps [] and null apart.
        if (t.list!.atomic || ((ll?.length ?? 0) === 0 && (rl?.length ?? 0) === 0)) leaf();
        else if (!this.items(ll ?? [], rl ?? [], t.list!)) leaf();
        break;
      }
      case 'map': {
        const lm = isMap(l) ? l : undefined;
        const rm = isMap(r) ? r : undefined;
        if (t.map!.atomic || (isEmpty(lm) && isEmpty(rm))) leaf();
        else this.fields(lm, rm, t.map!);
        break;
      }
      default:
        leaf();
    }
    if (!inLeaf) {
      if (l === undefined) this.addedChain.insert(this.path);
      else if (r === undefined) this.removedChain.insert(this.path);
    }
  }

  private child(pe: PathElement, l: unknown, r: unknown, t: TypeNode): void {
    this.path.push(pe);
    // Builders below the parent belonged to another child at this depth.
    const depth = this.path.length;
    if (this.addedChain.valid > depth) this.addedChain.valid = depth;
    if (this.modifiedChain.valid > depth) this.modifiedChain.valid = depth;
    if (this.removedChain.valid > depth) this.removedChain.valid = depth;
    this.node(l, r, t);
    this.path.pop();
  }

  /** Records `path + pe` in a chain. */
  private insertBelow(chain: BuilderChain, pe: PathElement): void {
    chain.at(this.path, this.path.length).member(pe);
  }

  private fields(lm: JsonObject | undefined, rm: JsonObject | undefined, map: MapType): void {
    if (lm) for (const k in lm) if (Object.hasOwn(lm, k) && lm[k] !== undefined) this.field(k, lm, rm, map);
    if (rm) {
      for (const k in rm) {
        if (Object.hasOwn(rm, k) && rm[k] !== undefined && (lm === undefined || lm[k] === undefined)) {
          this.field(k, lm, rm, map);
        }
      }
    }
  }

  private field(key: string, lm: JsonObject | undefined, rm: JsonObject | undefined, map: MapType): void {
    const declared = map.fields.get(key);
    let lv: unknown = lm?.[key];
    let rv: unknown = rm?.[key];
    if (this.implicitStructs && declared) {
      const implicit = isStruct(declared) ? implicitEmpty : map.required.has(key) ? null : undefined;
      if (lv === undefined && lm) lv = implicit;
      if (rv === undefined && rm) rv = implicit;
    }
    this.child(fieldElement(key), lv, rv, declared ?? map.element ?? deduced);
  }

  /** Returns false when some item cannot be named: the caller then compares the list whole. */
  private items(ll: unknown[], rl: unknown[], list: ListType): boolean {
    const lIndex = new Map<string, { pe: PathElement; values: unknown[] }>();
    const rIndex = new Map<string, { pe: PathElement; values: unknown[] }>();
    const order: string[] = [];
    for (const [items, index, other] of [
      [ll, lIndex, undefined],
      [rl, rIndex, lIndex],
    ] as const) {
      for (const item of items) {
        const r = itemElement(list, item);
        if (!r.ok) return false;
        const k = serializeElement(r.pe);
        const e = index.get(k);
        if (e) e.values.push(item);
        else {
          index.set(k, { pe: r.pe, values: [item] });
          if (!other?.has(k)) order.push(k);
        }
      }
    }
    for (const k of order) {
      const lv = lIndex.get(k)?.values ?? [];
      const rv = rIndex.get(k)?.values ?? [];
      const pe = (lIndex.get(k) ?? rIndex.get(k))!.pe;
      if (lv.length <= 1 && rv.length <= 1) {
        this.child(pe, lv[0], rv[0], list.element);
      } else if (lv.length >= 2 && rv.length >= 2) {
        // Duplicated before and after: the duplicates are compared as one atomic value.
        if (!valuesEqual(lv, rv)) this.insertBelow(this.modifiedChain, pe);
      } else if (lv.length >= 2) {
        if (rv.length > 0) this.child(pe, undefined, rv[0], list.element);
        this.insertBelow(this.removedChain, pe);
      } else {
        if (lv.length > 0) this.child(pe, lv[0], undefined, list.element);
        this.insertBelow(this.addedChain, pe);
      }
    }
    return true;
  }
}

function isEmpty(m: JsonObject | undefined): boolean {
  if (!m) return true;
  for (const k in m) if (Object.hasOwn(m, k) && m[k] !== undefined) return false;
  return true;
}
