// slowStartBatch: call fn `count` times in batches of 1, 2, 4, 8 ... (each batch concurrent),
// stopping after the first batch with a failure. A quota or admission problem then costs one
// failed request instead of hundreds. Returns how many calls succeeded and the first error.

export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: (index: number) => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let index = 0;
  for (let size = Math.min(remaining, initialBatchSize); size > 0; size = Math.min(2 * size, remaining)) {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < size; i++) calls.push(fn(index++));
    const results = await Promise.allSettled(calls);
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= size;
  }
  return { successes };
}
