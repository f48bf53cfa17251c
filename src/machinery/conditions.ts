// Status conditions as Kubernetes' API helpers (apimeta) keep them: one entry per type; setting a
// condition replaces the entry of its type, and its lastTransitionTime moves only when the status
// changes, so that readers can tell how long a state has held.

import type { Condition } from './object.js';

/** The condition of this type, if any. */
export function findCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition of this type has status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** The conditions without the one of this type (a new array). */
export function withoutCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/**
 * The conditions with `next` in place of the one of its type (appended when there is none).
 * When the status is unchanged the old lastTransitionTime is kept; otherwise it is next's, or
 * `now` when next has none. Returns a new array; the inputs are not changed.
 */
export function setCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  next: C,
  now: string,
): C[] {
  const list = conditions ?? [];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const transition =
    old && old.status === next.status && old.lastTransitionTime
      ? old.lastTransitionTime
      : (next.lastTransitionTime ?? now);
  const entry = { ...next, lastTransitionTime: transition };
  if (i < 0) return [...list, entry];
  const out = list.slice();
  out[i] = entry;
  return out;
}
