// Durations as Kubernetes users write and read them: Go's time.Duration syntax ("2s", "500ms",
// "1m30s") in annotations and flags, and Go's String() form in the messages the kubelet writes
// ("back-off 1m20s restarting failed container").

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Milliseconds of a Go duration ("1.5s", "2m30s", "250ms"); a bare number counts as
 * milliseconds. Throws an Error naming what was wrong.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new Error('empty duration');
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) {
      throw new Error(
        `invalid duration "${text}": expected a number with a unit (ms, s, m, h), like "2s" or "1m30s"`,
      );
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return total;
}

/** Go's Duration.String() for whole milliseconds: "0s", "500ms", "10s", "1m20s", "5m0s", "1h0m0s". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds - hours * 3600 - minutes * 60;
  const sec = Number.isInteger(seconds) ? String(seconds) : String(Number(seconds.toFixed(3)));
  if (hours > 0) return `${hours}h${minutes}m${sec}s`;
  if (minutes > 0) return `${minutes}m${sec}s`;
  return `${sec}s`;
}
