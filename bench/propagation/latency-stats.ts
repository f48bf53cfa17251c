// Latency figures of the propagation benchmarks: percentiles of times in milliseconds.

const percentile = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;

/** To a tenth (of a millisecond, of a second). */
export const round = (n: number) => Number(n.toFixed(1));

/** p50, p90 and p99 of the values, and how many there were (NaN for none). */
export const stats = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return { p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: Number.NaN, n: 0 };
  return {
    p50Ms: round(percentile(s, 50)),
    p90Ms: round(percentile(s, 90)),
    p99Ms: round(percentile(s, 99)),
    n: s.length,
  };
};
