// The hub's work queues over a run, from its /metrics exposition (clusters summed): items added,
// mean wait in the queue, mean time worked per item, retries. The latency benchmark reads its
// in-process registry, the steady-state benchmark the hub process's /metrics.

export interface QueueFigures {
  adds: number;
  queueMeanMs: number;
  workMeanMs: number;
  retries: number;
}

const round = (n: number) => Number(n.toFixed(1));
const SAMPLE = /^(\w+)\{([^}]*)\} (\S+)$/;
const NAME_LABEL = /(?:^|,)name="([^"]*)"/;

/** The queues that saw items, busiest first, from a Prometheus text exposition. */
export function queueFigures(exposition: string): Record<string, QueueFigures> {
  const queues = new Map<string, QueueFigures & { sums: Record<'queue' | 'work', [number, number]> }>();
  for (const line of exposition.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m?.[1].startsWith('workqueue_')) continue;
    const name = NAME_LABEL.exec(m[2]!)?.[1];
    if (!name) continue;
    const value = Number(m[3]);
    let q = queues.get(name);
    if (!q) {
      q = { adds: 0, queueMeanMs: 0, workMeanMs: 0, retries: 0, sums: { queue: [0, 0], work: [0, 0] } };
      queues.set(name, q);
    }
    const metric = m[1];
    if (metric === 'workqueue_adds_total') q.adds += value;
    else if (metric === 'workqueue_retries_total') q.retries += value;
    for (const field of ['queue', 'work'] as const) {
      if (metric === `workqueue_${field}_duration_seconds_sum`) q.sums[field][0] += value;
      if (metric === `workqueue_${field}_duration_seconds_count`) q.sums[field][1] += value;
    }
  }
  const mean = ([sum, count]: [number, number]) => round(count ? (1000 * sum) / count : 0);
  return Object.fromEntries(
    [...queues]
      .filter(([, q]) => q.adds > 0)
      .sort((a, b) => b[1].adds - a[1].adds)
      .map(([name, { sums, ...q }]) => [
        name,
        { ...q, queueMeanMs: mean(sums.queue), workMeanMs: mean(sums.work) },
      ]),
  );
}
