// Writes the networking controllers make to the hub and to members: create-or-update of an object
// they own, delete that tolerates the object being gone already, and the comparisons they use to
// write only what changed.

import type { Client, ResourceRef } from '../../client/client.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError } from '../../machinery/status.js';

export const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/** Creates or updates `obj` so that its spec-like fields (all but metadata and status) and labels match. */
export async function upsert<T extends KubeObject>(
  client: Client,
  ref: ResourceRef,
  current: T | undefined,
  wanted: T,
  differs: (current: T) => boolean,
): Promise<T | undefined> {
  const namespace = wanted.metadata.namespace;
  const opts = namespace ? { namespace } : {};
  if (!current) {
    try {
      return await client.create<T>(ref, wanted, opts);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      current = await client.get<T>(ref, wanted.metadata.name!, opts);
    }
  }
  if (!differs(current)) return current;
  const { status: _status, ...rest } = wanted as T & { status?: unknown };
  return client.update<T>(
    ref,
    {
      ...current,
      ...rest,
      metadata: {
        ...current.metadata,
        ...wanted.metadata,
        resourceVersion: current.metadata.resourceVersion,
      },
    } as T,
    opts,
  );
}

export async function remove(
  client: Client,
  ref: ResourceRef,
  name: string,
  namespace?: string,
): Promise<void> {
  await client.delete(ref, name, namespace ? { namespace } : {}).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
}
