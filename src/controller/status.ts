// Status writes shared by controllers: through the status subresource, with one retry on a
// conflict against a freshly read object (as Kubernetes' controllers retry status updates).

import type { Client, ResourceRef } from '../client/client.js';
import type { KubeObject } from '../machinery/object.js';
import { isConflict } from '../machinery/status.js';

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
    if (!isConflict(err)) throw err;
    const fresh = await client.get<T>(ref, obj.metadata.name ?? '', { namespace: obj.metadata.namespace });
    const retry = { ...fresh, status: recompute ? recompute(fresh) : status } as T;
    return client.update<T>(ref, retry, { subresource: 'status', namespace: obj.metadata.namespace });
  }
}
