// Cluster API's v1beta1 conditions (status.conditions with severity), kept as its `conditions`
// package keeps them: one entry per type, Ready first and the rest sorted by type, and a
// lastTransitionTime that moves whenever status, reason, severity or message change. Ready is a
// summary of the others: the worst False (Error before Warning before Info), else Unknown, else True.

import type { Condition } from '../apis/cluster-api/index.js';

export type Severity = 'Error' | 'Warning' | 'Info';

/** The RFC 3339 time (seconds) Kubernetes writes. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

function sameState(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    (a.reason ?? '') === (b.reason ?? '') &&
    (a.severity ?? '') === (b.severity ?? '') &&
    (a.message ?? '') === (b.message ?? '')
  );
}

function order(a: Condition, b: Condition): number {
  if (a.type === 'Ready') return b.type === 'Ready' ? 0 : -1;
  if (b.type === 'Ready') return 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

/** The conditions with `next` in place of the one of its type. A new array. */
export function setV1Beta1Condition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const old = list.find((c) => c.type === next.type);
  const entry: Condition = {
    type: next.type,
    status: next.status,
    ...(next.severity ? { severity: next.severity } : {}),
    ...(next.reason ? { reason: next.reason } : {}),
    ...(next.message ? { message: next.message } : {}),
    lastTransitionTime: old && sameState(old, next as Condition) ? old.lastTransitionTime : timestamp(now),
  };
  return [...list.filter((c) => c.type !== next.type), entry].sort(order);
}

/** A mutable condition list with Cluster API's mark helpers. */
export class Conditions {
  private list: Condition[];

  constructor(
    initial: readonly Condition[] | undefined,
    private readonly now: Date,
  ) {
    this.list = [...(initial ?? [])];
  }

  get(type: string): Condition | undefined {
    return this.list.find((c) => c.type === type);
  }

  isTrue(type: string): boolean {
    return this.get(type)?.status === 'True';
  }

  markTrue(type: string): this {
    this.list = setV1Beta1Condition(this.list, { type, status: 'True' }, this.now);
    return this;
  }

  markFalse(type: string, reason: string, severity: Severity, message = ''): this {
    this.list = setV1Beta1Condition(
      this.list,
      { type, status: 'False', reason, severity, message },
      this.now,
    );
    return this;
  }

  markUnknown(type: string, reason: string, message = ''): this {
    this.list = setV1Beta1Condition(this.list, { type, status: 'Unknown', reason, message }, this.now);
    return this;
  }

  /** Sets Ready from the given condition types (all others when none are named). */
  summarize(types?: readonly string[]): this {
    const parts = this.list.filter((c) => c.type !== 'Ready' && (!types || types.includes(c.type)));
    const rank = { Error: 0, Warning: 1, Info: 2, '': 3 } as const;
    const falses = parts
      .filter((c) => c.status === 'False')
      .sort((a, b) => rank[a.severity ?? ''] - rank[b.severity ?? '']);
    const worst = falses[0];
    if (worst) {
      return this.markFalse(
        'Ready',
        worst.reason ?? '',
        (worst.severity || 'Info') as Severity,
        falses.length > 1
          ? `${worst.message ?? ''} (and ${falses.length - 1} more)`.trim()
          : (worst.message ?? ''),
      );
    }
    const unknown = parts.find((c) => c.status === 'Unknown');
    if (unknown) return this.markUnknown('Ready', unknown.reason ?? '', unknown.message ?? '');
    return this.markTrue('Ready');
  }

  toArray(): Condition[] {
    return this.list;
  }
}

// Conditions as values, for reconcilers that gather them from several steps before writing.

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** The conditions with `next` in place of its type (its lastTransitionTime is the time of the change). */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition): Condition[] {
  return setV1Beta1Condition(conditions, next, new Date(next.lastTransitionTime));
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

/** Another object's condition of `sourceType` under the name `type` (or `fallback` when it has none). */
export function mirrorCondition(
  type: string,
  source: readonly Condition[] | undefined,
  sourceType: string,
  fallback: Condition,
): Condition {
  const c = getCondition(source, sourceType);
  return c ? { ...c, type } : fallback;
}

/** Ready as the summary of `types`, as Conditions.summarize gives it. */
export function summary(
  conditions: readonly Condition[] | undefined,
  types: readonly string[],
  now: string,
): Condition {
  const ready = new Conditions(conditions, new Date(now)).summarize(types).get('Ready');
  return ready ?? trueCondition('Ready', now);
}
