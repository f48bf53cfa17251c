// State preservation of a stateful failover (statePreservation): each rule reads a value from the
// status the member last reported for the resource (a kubectl-style JSONPath such as
// "{ .jobStatus.id }") and carries it, under the rule's aliasLabelName, in the eviction task's
// preservedLabelState. A member that never reported status, or a path that finds nothing, carries
// no state: the failover goes ahead without it rather than wait on a member that is gone.

import { JSONPath } from 'jsonpath-plus';
import type { ResourceBindingStatus, StatePreservation } from '../../apis/karmada/index.js';

function valueAt(status: unknown, path: string): string | undefined {
  const expr = path.trim().replace(/^\{/, '').replace(/\}$/, '').trim();
  const results = JSONPath({
    path: `$${expr.startsWith('.') || expr.startsWith('[') ? '' : '.'}${expr}`,
    json: status as object,
    wrap: true,
  }) as unknown[];
  if (results.length === 0 || results[0] === undefined || results[0] === null) return undefined;
  const v = results[0];
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The labels a failover from `cluster` preserves, as task options (empty when there are none). */
export function preservedState(
  preservation: StatePreservation | undefined,
  status: ResourceBindingStatus | undefined,
  cluster: string,
): { preservedLabelState?: Record<string, string> } {
  const rules = preservation?.rules ?? [];
  if (rules.length === 0) return {};
  const reported = status?.aggregatedStatus?.find((s) => s.clusterName === cluster)?.status;
  if (!reported) return {};
  const state: Record<string, string> = {};
  for (const rule of rules) {
    const v = valueAt(reported, rule.jsonPath);
    if (v !== undefined) state[rule.aliasLabelName] = v;
  }
  return Object.keys(state).length > 0 ? { preservedLabelState: state } : {};
}
