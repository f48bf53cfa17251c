// Durations as Kubernetes users write and read them: Go's time.Duration syntax ("2s", "500ms",
// "1m30s") in schedules, annotations and flags; Go's String() form in the messages the kubelet
// writes ("back-off 1m20s restarting failed container"); and ages as kubectl prints them ("45s",
// "3m20s", "5h", "12d"), coarser the older the object.

/** A human-readable duration with Kubernetes' rounding rules. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  // Clocks of different machines disagree a little: up to a second in the future counts as now.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Age of an object created at an RFC 3339 timestamp, as of `now`. */
export function age(creationTimestamp: string | undefined, now: Date): string {
  if (!creationTimestamp) return '<unknown>';
  const t = Date.parse(creationTimestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

const GO_DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's time.ParseDuration, in milliseconds: what a metav1.Duration field ("10s", "1m30s",
 * "1.5h", "0") must hold. Throws an Error in Go's words for anything else.
 */
export function parseGoDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  const re = /([0-9]*(?:\.[0-9]*)?)([^0-9.]*)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    const number = m?.[1] ?? '';
    if (!m || number === '' || number === '.')
      throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
    const unit = m[2] ?? '';
    if (unit === '') throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = GO_DURATION_UNIT_MS[unit];
    if (scale === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    }
    total += Number(number) * scale;
    pos = re.lastIndex;
  }
  return sign * total;
}

/**
 * A duration as users write it in annotations and flags: a Go duration (parseGoDuration), or
 * with bareMilliseconds a plain number of milliseconds.
 */
export function parseDuration(text: string, opts: { bareMilliseconds?: boolean } = {}): number {
  if (text === '') throw new Error('empty duration');
  if (opts.bareMilliseconds && /^\d+(\.\d+)?$/.test(text)) return Number(text);
  return parseGoDuration(text);
}

/** Go's time.Duration.String(): "0s", "1.5s", "1h0m0s", "2m30s", "150ms", "3µs", "-1m0s". */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  let u = negative ? -nanoseconds : nanoseconds;
  const sign = negative ? '-' : '';
  const fraction = (value: bigint, digits: number): [string, bigint] => {
    // The fractional part of value / 10^digits without trailing zeros, and the integer part.
    const scale = 10n ** BigInt(digits);
    const frac = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
    return [frac ? `.${frac}` : '', value / scale];
  };
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    const [frac, whole, unit] =
      u < 1_000_000n ? [...fraction(u, 3), 'µs'] : ([...fraction(u, 6), 'ms'] as const);
    return `${sign}${whole}${frac}${unit}`;
  }
  const [frac, secondsTotal] = fraction(u, 9);
  u = secondsTotal;
  let out = `${u % 60n}${frac}s`;
  u /= 60n;
  if (u > 0n) {
    out = `${u % 60n}m${out}`;
    u /= 60n;
    if (u > 0n) out = `${u}h${out}`;
  }
  return `${sign}${out}`;
}

/** Go's Duration.String() of a number of milliseconds (negative reads as 0s). */
export function formatDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(Math.max(0, ms) * 1_000_000)));
}
