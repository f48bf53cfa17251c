// When a CronJob schedule fires next, as the cron library Kubernetes uses computes it: the first
// whole second strictly after a time whose wall clock (in the schedule's time zone) matches the
// month, day (day-of-month OR day-of-week, AND when either is "*"), hour and minute fields;
// "@every <duration>" fires that long after. Times are ms since the epoch; zones are IANA names.

import { type CronField, type CronSchedule, parseCronSchedule } from '../../apiserver/kinds/cron.js';

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
  let zone = timeZone || 'UTC';
  const m = /^(?:CRON_)?TZ=(\S+)\s/.exec(text);
  if (m) zone = m[1]!;
  const schedule = parseCronSchedule(text);
  return { schedule, zone, next: (after) => nextScheduleTime(schedule, after, zone) };
}
