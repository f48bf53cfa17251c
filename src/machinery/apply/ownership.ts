// Field ownership bookkeeping shared by updates and applies: who loses what when a write changes
// the object, which fields nobody may own, the fields an endpoint resets, and the pruning of
// fields an applier stopped applying.

import type { Comparison } from './compare.js';
import { fieldSetOf } from './field-set-of.js';
import { FieldSet, type Path, type PathElement } from './fieldpath.js';
import type { ManagedEntry, Managers } from './managed-fields.js';
import { removeFields } from './remove.js';
import type { TypeNode } from './types.js';

/** Identity and server-set metadata: tracked for nobody. */
export const untrackedFields: FieldSet = FieldSet.of(
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
);

/**
 * Fields an endpoint does not let its caller change (and so never gives them): either paths
 * removed with everything below them (`[['status']]` on the main resource, or a FieldSet), or
 * everything except the given paths (`{allExcept: FieldSet.of(['status'])}`).
 */
export type ResetFields = FieldSet | readonly (readonly string[])[] | { readonly allExcept: FieldSet };

/** The reset fields in one of their two forms: paths to drop, or paths to keep. */
export function normalizeResetFields(
  reset: ResetFields | undefined,
): FieldSet | { readonly allExcept: FieldSet } | undefined {
  if (reset === undefined) return undefined;
  if (reset instanceof FieldSet) return reset.isEmpty() ? undefined : reset;
  if ('allExcept' in reset) return reset;
  const set = FieldSet.of(...reset.map((p) => [...p]));
  return set.isEmpty() ? undefined : set;
}

export function withoutResetFields(set: FieldSet, reset: ResetFields | undefined): FieldSet {
  const r = normalizeResetFields(reset);
  if (!r) return set;
  return r instanceof FieldSet ? set.recursiveDifference(r) : set.under(r.allExcept);
}

export function comparisonWithoutResetFields(c: Comparison, reset: ResetFields | undefined): Comparison {
  if (!reset) return c;
  return {
    added: withoutResetFields(c.added, reset),
    modified: withoutResetFields(c.modified, reset),
    removed: withoutResetFields(c.removed, reset),
  };
}

export interface Conflict {
  owner: ManagedEntry;
  path: Path;
}

/**
 * Hands the changes of a write to the writer: every other manager loses the fields the write
 * added or modified (a conflict unless `force`) and the fields it removed. Managers left with
 * nothing are dropped. Returns the conflicts and changes nothing when there are some and `force`
 * is off.
 */
export function transferOwnership(
  cmp: Comparison,
  managers: Managers,
  writerKey: string,
  force: boolean,
): Conflict[] {
  const changed = cmp.modified.union(cmp.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [key, e] of managers) {
    if (key === writerKey) continue;
    const c = e.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(key, c);
  }
  if (!force && conflicts.size > 0) {
    const out: Conflict[] = [];
    for (const [key, set] of conflicts)
      for (const p of set.paths()) out.push({ owner: managers.get(key)!, path: p });
    return out;
  }
  for (const [key, e] of managers) {
    if (key === writerKey) continue;
    let set = e.set;
    const c = conflicts.get(key);
    if (c) set = set.difference(c);
    set = set.difference(cmp.removed);
    if (set.isEmpty()) managers.delete(key);
    else e.set = set;
  }
  const writer = managers.get(writerKey);
  if (writer?.set.isEmpty()) managers.delete(writerKey);
  return [];
}

/**
 * Makes the declared fields on the way to each member members themselves, so that removing a
 * set removes a struct field rather than leaving it behind empty.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: TypeNode | undefined): FieldSet {
  if (set.children.length === 0) return set;
  const named: PathElement[] = [];
  const map = type?.map;
  const children = set.children.map((c) => {
    let childType: TypeNode | undefined;
    if (c.pe.kind === 'field' && map) {
      const declared = map.fields.get(c.pe.name);
      if (declared) named.push(c.pe);
      childType = declared ?? map.element;
    } else if (c.pe.kind === 'key') {
      childType = type?.list?.element;
    }
    return { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, childType) };
  });
  // Both lists are sorted, so the union of the member levels is a linear merge.
  const members = FieldSet.fromSorted(set.members, []).union(FieldSet.fromSorted(named, [])).members;
  return FieldSet.fromSorted(members, children);
}

/**
 * Removes what the applier applied last time and no longer applies, unless another manager (or
 * the applier's new configuration) still owns it. `managers` already holds the applier's new set.
 */
export function prune(
  merged: unknown,
  managers: Managers,
  lastApplied: FieldSet | undefined,
  type: TypeNode,
): unknown {
  if (!lastApplied || lastApplied.isEmpty()) return merged;
  const named = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, type);
  const last = named(lastApplied);
  let owned = FieldSet.empty;
  for (const e of managers.values()) owned = owned.union(e.set);
  const ownedNamed = named(owned);
  // Everything applied last time is still owned (the usual re-apply): nothing to prune. Sets
  // built from objects name every ancestor of a path, so this skips no removal.
  if (last.difference(ownedNamed).isEmpty()) return merged;

  let pruned = removeFields(merged, last, type) ?? {};
  // Put back whatever somebody owns.
  const mergedSet = named(fieldSetOf(merged, type));
  pruned =
    removeFields(merged, mergedSet.difference(named(fieldSetOf(pruned, type)).union(ownedNamed)), type) ?? {};

  // Of what was taken away, only remove what the applier applied last time.
  const prunedSet = named(fieldSetOf(pruned, type));
  return removeFields(merged, mergedSet.difference(prunedSet).intersection(last), type) ?? {};
}
