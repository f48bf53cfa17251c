// Cluster API's v1beta1 conditions (clusterv1.Condition): one entry per type, a severity when a
// condition is False, lastTransitionTime moving only when the status changes, and Ready as the
// summary of the others: True when all are True, else the reason and message of the worst one
// (False before Unknown, Error before Warning before Info), in the order the caller gives.

import type { Condition } from '../apis/cluster-api/index.js';

export type Severity = 'Error' | 'Warning' | 'Info';

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** The conditions with `next` in place of its type; the transition time stays when nothing but time changed. */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  const list = conditions ?? [];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const entry: Condition = { ...next };
  if (!entry.severity) delete entry.severity;
  if (!entry.reason) delete entry.reason;
  if (!entry.message) delete entry.message;
  if (old && old.status === next.status && old.severity === entry.severity && old.reason === entry.reason) {
    entry.lastTransitionTime = old.lastTransitionTime;
  }
  const out = list.filter((c) => c.type !== next.type);
  out.push(entry);
  // Ready first, then the rest by type, as Cluster API sorts them.
  return out.sort((a, b) =>
    a.type === 'Ready' ? -1 : b.type === 'Ready' ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0,
  );
}

export function trueCondition(type: string, now: string): Condition {
  return { type, status: 'True', lastTransitionTime: now };
}

export function falseCondition(
  type: string,
  reason: string,
  severity: Severity,
  message: string,
  now: string,
): Condition {
  return { type, status: 'False', severity, reason, message, lastTransitionTime: now };
}

export function unknownCondition(type: string, reason: string, message: string, now: string): Condition {
  return { type, status: 'Unknown', reason, message, lastTransitionTime: now };
}

/** A condition copied from another object's condition of `sourceType` (or `fallback` when it has none). */
export function mirrorCondition(
  type: string,
  source: readonly Condition[] | undefined,
  sourceType: string,
  fallback: Condition,
): Condition {
  const c = getCondition(source, sourceType);
  if (!c) return fallback;
  return { ...c, type };
}

const rank = (c: Condition): number => {
  if (c.status === 'False') return c.severity === 'Error' ? 0 : c.severity === 'Warning' ? 1 : 2;
  if (c.status === 'Unknown') return 3;
  return 4;
};

/** Ready as the summary of `types` (those present), as Cluster API's conditions.SetSummary. */
export function summary(
  conditions: readonly Condition[] | undefined,
  types: readonly string[],
  now: string,
): Condition {
  const present = types
    .map((t) => getCondition(conditions, t))
    .filter((c): c is Condition => c !== undefined);
  if (present.length === 0 || present.every((c) => c.status === 'True')) return trueCondition('Ready', now);
  let worst = present[0]!;
  for (const c of present) if (rank(c) < rank(worst)) worst = c;
  const ready: Condition = {
    type: 'Ready',
    status: worst.status,
    lastTransitionTime: now,
    ...(worst.reason ? { reason: worst.reason } : {}),
    ...(worst.message ? { message: worst.message } : {}),
  };
  if (worst.status === 'False' && worst.severity) ready.severity = worst.severity;
  return ready;
}
