// Test support for the core controllers' tests: waiting on a condition (never on a fixed delay)
// and reading objects that may be gone. For tests only.

import type { Client, ResourceRef } from '../client/client.js';
import type { KubeObject } from '../machinery/object.js';
import { isNotFound } from '../machinery/status.js';

/**
 * Polls `probe` until it returns something other than undefined/null/false, and returns that.
 * Fails after `timeoutMs` (generous by default: this is about correctness, not speed) with what
 * was awaited and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The object, or undefined when it does not exist. */
export async function getOrUndefined<T extends KubeObject = KubeObject>(
  client: Client,
  ref: ResourceRef,
  name: string,
  namespace?: string,
): Promise<T | undefined> {
  try {
    return await client.get<T>(ref, name, { namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
