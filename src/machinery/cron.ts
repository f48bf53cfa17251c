// Cron schedules as CronJobs accept them: five fields (minute hour day-of-month month
// day-of-week) with ranges, lists, steps and names, or a descriptor (@hourly, @daily, @every 1h...),
// optionally after a TZ= or CRON_TZ= zone. Errors read like those of the parser Kubernetes uses,
// so a bad schedule gets a familiar message.
//
// When a CronJob schedule fires next, as the cron library Kubernetes uses computes it: the first
// whole second strictly after a time whose wall clock (in the schedule's time zone) matches the
// month, day (day-of-month OR day-of-week, AND when either is "*"), hour and minute fields;
// "@every <duration>" fires that long after. Times are ms since the epoch; zones are IANA names.

import { parseGoDuration } from './duration.js';

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

/** A TZ= or CRON_TZ= prefix's zone, and the schedule after it. */
function splitTimeZone(spec: string): { zone?: string; rest: string } {
  if (!spec.startsWith('TZ=') && !spec.startsWith('CRON_TZ=')) return { rest: spec };
  const space = spec.indexOf(' ');
  const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
  return { zone, rest: space < 0 ? '' : spec.slice(space).trim() };
}

/** Parses a CronJob schedule; throws CronParseError with the parser's message when invalid. */
export function parseCronSchedule(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) throw new CronParseError('empty spec string');
  const prefixed = splitTimeZone(spec);
  if (prefixed.zone !== undefined) {
    if (!isKnownTimeZone(prefixed.zone))
      throw new CronParseError(`provided bad location ${prefixed.zone}: unknown time zone ${prefixed.zone}`);
    spec = prefixed.rest;
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const d = spec.slice('@every '.length);
      let seconds: number;
      try {
        seconds = parseGoDuration(d) / 1000;
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

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC (ms) at an instant. */
export function zoneOffset(zone: string, instant: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const parts: Record<string, number> = {};
  for (const p of formatFor(zone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** Wall-clock time in the zone, as ms of a UTC date with those fields. */
function toWall(instant: number, zone: string): number {
  return instant + zoneOffset(zone, instant);
}

/** The instant a wall-clock time in the zone stands for (a time skipped by DST lands an hour later). */
function fromWall(wall: number, zone: string): number {
  const first = wall - zoneOffset(zone, wall);
  return wall - zoneOffset(zone, first);
}

function has(field: CronField, v: number): boolean {
  return field.values.has(v);
}

function dayMatches(s: Extract<CronSchedule, { kind: 'fields' }>, d: Date): boolean {
  const dom = has(s.dom, d.getUTCDate());
  const dow = has(s.dow, d.getUTCDay());
  return s.dom.star || s.dow.star ? dom && dow : dom || dow;
}

/** The next firing strictly after `after` (ms), or undefined when none within five years. */
export function nextScheduleTime(schedule: CronSchedule, after: number, zone = 'UTC'): number | undefined {
  if (schedule.kind === 'every') return Math.floor(after / 1000) * 1000 + schedule.seconds * 1000;
  const s = schedule;
  // Work on the wall clock of the zone, from the next whole second.
  const t = new Date(Math.floor(toWall(after, zone) / 1000) * 1000 + 1000);
  const yearLimit = t.getUTCFullYear() + 5;
  let added = false;
  wrap: for (;;) {
    if (t.getUTCFullYear() > yearLimit) return undefined;
    while (!has(s.month, t.getUTCMonth() + 1)) {
      if (!added) {
        added = true;
        t.setUTCDate(1);
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCMonth(t.getUTCMonth() + 1);
      if (t.getUTCMonth() === 0) continue wrap;
    }
    while (!dayMatches(s, t)) {
      if (!added) {
        added = true;
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCDate(t.getUTCDate() + 1);
      if (t.getUTCDate() === 1) continue wrap;
    }
    while (!has(s.hour, t.getUTCHours())) {
      if (!added) {
        added = true;
        t.setUTCMinutes(0, 0, 0);
      }
      t.setUTCHours(t.getUTCHours() + 1);
      if (t.getUTCHours() === 0) continue wrap;
    }
    while (!has(s.minute, t.getUTCMinutes())) {
      if (!added) {
        added = true;
        t.setUTCSeconds(0, 0);
      }
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      if (t.getUTCMinutes() === 0) continue wrap;
    }
    // Standard schedules fire at second 0.
    if (t.getUTCSeconds() !== 0) {
      t.setUTCSeconds(0, 0);
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      added = true;
      continue;
    }
    return fromWall(t.getTime(), zone);
  }
}

/** A parsed CronJob schedule in its time zone: the zone from spec.timeZone, a TZ= prefix, or UTC. */
export interface ZonedSchedule {
  schedule: CronSchedule;
  zone: string;
  next(after: number): number | undefined;
}

export function parseZonedSchedule(text: string, timeZone?: string): ZonedSchedule {
  const schedule = parseCronSchedule(text);
  const zone = splitTimeZone(text).zone ?? (timeZone || 'UTC');
  return { schedule, zone, next: (after) => nextScheduleTime(schedule, after, zone) };
}
