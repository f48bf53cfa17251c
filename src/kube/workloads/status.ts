// Status writes shared by the workload controllers: through the status subresource, with one
// retry on a conflict against a freshly read object (as Kubernetes' controllers retry status
// updates), and conditions kept the way the API's helpers keep them.

import type { Client, ResourceRef } from '../../client/client.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';

/**
 * Writes `status` onto obj through the status subresource. On a conflict, reads the object again
 * and retries once with `recompute(fresh)` (default: the same status).
 */
export async function updateStatus<T extends KubeObject>(
  client: Client,
  ref: ResourceRef,
  obj: T,
  status: unknown,
  recompute?: (fresh: T) => unknown,
): Promise<T> {
  const next = { ...obj, status } as T;
  try {
    return await client.update<T>(ref, next, { subresource: 'status', namespace: obj.metadata.namespace });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'Conflict')) throw err;
    const fresh = await client.get<T>(ref, obj.metadata.name ?? '', { namespace: obj.metadata.namespace });
    const retry = { ...fresh, status: recompute ? recompute(fresh) : status } as T;
    return client.update<T>(ref, retry, { subresource: 'status', namespace: obj.metadata.namespace });
  }
}

export function findCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

export function withoutCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Drops zero and empty fields, as Go's omitempty does on the wire. */
export function omitEmpty<T extends Record<string, unknown>>(obj: T, keep: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (keep.includes(k)) {
      out[k] = v ?? 0;
      continue;
    }
    if (v === undefined || v === null || v === 0 || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as T;
}
