// Cron schedules as CronJobs accept them: five fields (minute hour day-of-month month
// day-of-week) with ranges, lists, steps and names, or a descriptor (@hourly, @daily, @every 1h...).
// Errors read like those of the parser Kubernetes uses, so a bad schedule gets a familiar message.

export interface CronField {
  /** The allowed values, as a set. */
  values: Set<number>;
  /** Whether the field was "*" or "?" (matters for day-of-month / day-of-week). */
  star: boolean;
}

export type CronSchedule =
  | { kind: 'fields'; minute: CronField; hour: CronField; dom: CronField; month: CronField; dow: CronField }
  | { kind: 'every'; seconds: number };

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DOW_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const BOUNDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronParseError extends Error {}

function parseInt10(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new CronParseError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const n = Number(expr);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? parseInt10(expr);
}

function parseRange(expr: string, b: Bounds, into: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b.names);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseInt10(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronParseError(`too many slashes: ${expr}`);
  }
  if (start < b.min)
    throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end)
    throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.add(v);
  return star;
}

function parseField(field: string, b: Bounds): CronField {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) if (parseRange(part, b, values)) star = true;
  return { values, star };
}

/** Go's time.ParseDuration for the units a schedule uses ("1h30m", "90s", "1.5h"). */
function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  if (s === '') throw new CronParseError(`time: invalid duration ${JSON.stringify(s)}`);
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || pos === 0) throw new CronParseError(`time: invalid duration ${JSON.stringify(s)}`);
  return total;
}

/** Parses a CronJob schedule; throws CronParseError with the parser's message when invalid. */
export function parseCronSchedule(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronParseError('empty spec string');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isKnownTimeZone(zone))
      throw new CronParseError(`provided bad location ${zone}: unknown time zone ${zone}`);
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const d = spec.slice('@every '.length);
      let seconds: number;
      try {
        seconds = parseDuration(d);
      } catch (e) {
        throw new CronParseError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return { kind: 'every', seconds: Math.max(1, Math.floor(seconds)) };
    }
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(f, BOUNDS[i]!)) as [
    CronField,
    CronField,
    CronField,
    CronField,
    CronField,
  ];
  return { kind: 'fields', minute, hour, dom, month, dow };
}

/** The parse error of a schedule, or undefined when it is valid. */
export function cronScheduleError(input: string): string | undefined {
  try {
    parseCronSchedule(input);
    return undefined;
  } catch (e) {
    if (e instanceof CronParseError) return e.message;
    throw e;
  }
}

/** Whether the runtime knows an IANA time zone name. */
export function isKnownTimeZone(zone: string): boolean {
  if (zone === '' || zone === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
