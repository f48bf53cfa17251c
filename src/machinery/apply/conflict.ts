// The 409 an apply gets when it would change fields another manager owns, worded as the API
// server words it so that kubectl prints its usual advice.

import { ApiError, type StatusCause } from '../status.js';
import { pathToString } from './fieldpath.js';
import { describeManager } from './managed-fields.js';
import type { Conflict } from './ownership.js';

/** The StatusCause reason of a field-manager conflict. */
export const FIELD_MANAGER_CONFLICT = 'FieldManagerConflict';

function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${describeManager(c.owner)}: ${pathToString(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const who = describeManager(c.owner);
    const paths = byManager.get(who) ?? [];
    paths.push(pathToString(c.path));
    byManager.set(who, paths);
  }
  const lines: string[] = [];
  for (const who of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${who}:`);
    for (const p of byManager.get(who)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** 409 Conflict with one FieldManagerConflict cause per conflicting field. */
export function applyConflictError(conflicts: readonly Conflict[]): ApiError {
  // Causes in the message's order: by manager, then by path.
  const sorted = [...conflicts].sort((a, b) => {
    const x = describeManager(a.owner);
    const y = describeManager(b.owner);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const causes: StatusCause[] = sorted.map((c) => ({
    reason: FIELD_MANAGER_CONFLICT,
    message: `conflict with ${describeManager(c.owner)}`,
    field: pathToString(c.path),
  }));
  return new ApiError(409, 'Conflict', conflictMessage(sorted), { causes });
}
