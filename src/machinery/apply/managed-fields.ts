// metadata.managedFields: decoding, validating and encoding the entries, one per manager.
//
// An entry is identified by (manager, operation, subresource) and, for Update entries, the
// apiVersion it wrote with: an applier keeps one entry whatever version it applies with, while an
// updater gets one entry per version. Entries are written in the API server's order: Apply before
// Update, then oldest first, then by manager, apiVersion and subresource.

import type { ManagedFieldsEntry } from '../object.js';
import type { FieldError } from '../status.js';
import { metaTime } from '../time.js';
import { FieldSet } from './fieldpath.js';
import { compareStrings, goQuote, isMap } from './value.js';

export type Operation = 'Apply' | 'Update';

/** Who made a change: the fieldManager, how (Apply or Update), with which apiVersion, where. */
export interface ManagerIdentity {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
}

/** A decoded entry: the fields a manager owns. */
export interface ManagedEntry extends ManagerIdentity {
  /** RFC 3339, seconds precision, UTC: "2024-05-01T12:00:00Z". */
  time?: string;
  set: FieldSet;
}

/** Entries by identity (see managerKey). */
export type Managers = Map<string, ManagedEntry>;

export const FIELD_MANAGER_MAX_LENGTH = 128;
export const SUBRESOURCE_MAX_LENGTH = 256;
/** Update managers kept apart before the oldest are folded into "ancient-changes". */
export const MAX_UPDATE_MANAGERS = 10;

/** The identity of an entry: an applier's apiVersion is not part of it. */
export function managerKey(id: ManagerIdentity): string {
  return JSON.stringify([
    id.manager,
    id.operation,
    id.operation === 'Update' ? id.apiVersion : '',
    id.subresource ?? '',
  ]);
}

/** How conflicts name a manager: `"kubectl"`, `"kube-controller-manager" with subresource "status" using apps/v1`. */
export function describeManager(id: ManagerIdentity): string {
  let s = goQuote(id.manager);
  if (id.subresource) s += ` with subresource ${goQuote(id.subresource)}`;
  if (id.operation === 'Update') s += ` using ${id.apiVersion}`;
  return s;
}

/** A timestamp as metav1.Time writes it. */
export function formatTime(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new TypeError(`invalid time: ${String(t)}`);
  return metaTime(d);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The checks the API server makes on a fieldManager: at most 128 bytes, printable characters. */
export function validateFieldManager(name: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (utf8Length(name) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({
      type: 'FieldValueTooLong',
      field,
      detail: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`,
    });
  }
  let pos = 0;
  for (const ch of name) {
    if (!printable.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push({
        type: 'FieldValueInvalid',
        field,
        badValue: name,
        detail: `invalid character U+${code} (at position ${pos})`,
      });
    }
    pos += utf8Length(ch);
  }
  return errs;
}

export interface DecodedManagedFields {
  managers: Managers;
  /** Problems with the entries, with paths under `field`; the bad entries are left out. */
  errors: FieldError[];
}

/**
 * Decodes metadata.managedFields. Every problem is reported (operation, apiVersion, fieldsType,
 * manager, subresource, time, an unreadable fieldsV1) and the entry skipped; two entries with the
 * same identity: the last one wins.
 */
export function decodeManagedFields(
  entries: unknown,
  field = 'metadata.managedFields',
  opts: { stored?: boolean } = {},
): DecodedManagedFields {
  const managers: Managers = new Map();
  const errors: FieldError[] = [];
  if (entries === undefined || entries === null) return { managers, errors };
  if (!Array.isArray(entries)) {
    errors.push({
      type: 'FieldValueTypeInvalid',
      field,
      badValue: entries,
      detail: 'must be a list of entries',
    });
    return { managers, errors };
  }
  entries.forEach((raw: unknown, i) => {
    const at = `${field}[${i}]`;
    const before = errors.length;
    if (!isMap(raw)) {
      errors.push({ type: 'FieldValueTypeInvalid', field: at, badValue: raw, detail: 'must be an object' });
      return;
    }
    const e = raw as Record<string, unknown>;
    const str = (name: string): string | undefined => {
      const v = e[name];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string') return v;
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: `${at}.${name}`,
        badValue: v,
        detail: 'must be a string',
      });
      return undefined;
    };
    const manager = str('manager') ?? '';
    const operation = str('operation') ?? '';
    const apiVersion = str('apiVersion') ?? '';
    const time = str('time');
    const fieldsType = str('fieldsType') ?? '';
    const subresource = str('subresource') ?? '';

    if (operation === '') {
      errors.push({ type: 'FieldValueRequired', field: `${at}.operation`, detail: 'must not be empty' });
    } else if (operation !== 'Apply' && operation !== 'Update') {
      errors.push({
        type: 'FieldValueNotSupported',
        field: `${at}.operation`,
        badValue: operation,
        detail: 'supported values: "Apply", "Update"',
      });
    }
    if (apiVersion === '') {
      errors.push({ type: 'FieldValueRequired', field: `${at}.apiVersion`, detail: 'must not be empty' });
    }
    if (fieldsType === '') {
      errors.push({ type: 'FieldValueRequired', field: `${at}.fieldsType`, detail: 'must be `FieldsV1`' });
    } else if (fieldsType !== 'FieldsV1') {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${at}.fieldsType`,
        badValue: fieldsType,
        detail: 'must be `FieldsV1`',
      });
    }
    errors.push(...validateFieldManager(manager, `${at}.manager`));
    if (subresource.length > SUBRESOURCE_MAX_LENGTH) {
      errors.push({
        type: 'FieldValueTooLong',
        field: `${at}.subresource`,
        detail: `may not be more than ${SUBRESOURCE_MAX_LENGTH} bytes`,
      });
    }
    if (time !== undefined && !(rfc3339.test(time) && !Number.isNaN(Date.parse(time)))) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${at}.time`,
        badValue: time,
        detail: 'must be an RFC 3339 time',
      });
    }
    let set = FieldSet.empty;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1, { canonical: opts.stored === true });
    } catch (err) {
      errors.push({
        type: 'FieldValueInvalid',
        field: `${at}.fieldsV1`,
        badValue: e.fieldsV1,
        detail: (err as Error).message,
      });
    }
    if (errors.length > before) return;

    const entry: ManagedEntry = { manager, operation: operation as Operation, apiVersion, set };
    if (subresource) entry.subresource = subresource;
    if (time !== undefined) entry.time = formatTime(time);
    managers.set(managerKey(entry), entry);
  });
  return { managers, errors };
}

/** Entries that ask the server to stop tracking: `[]` or `[{}]`. */
export function isResetRequest(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  if (entries.length !== 1 || !isMap(entries[0])) return false;
  return Object.values(entries[0] as Record<string, unknown>).every((v) => v === undefined);
}

function compareEntries(p: ManagedEntry, q: ManagedEntry): number {
  if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
  const ps = seconds(p.time);
  const qs = seconds(q.time);
  if (ps !== qs) return ps < qs ? -1 : 1;
  return (
    compareStrings(p.manager, q.manager) ||
    compareStrings(p.apiVersion, q.apiVersion) ||
    compareStrings(p.subresource ?? '', q.subresource ?? '')
  );
}

/** The wire form, in the API server's order; undefined when nobody owns anything. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] | undefined {
  const entries = [...managers.values()].filter((e) => !e.set.isEmpty()).sort(compareEntries);
  if (entries.length === 0) return undefined;
  return entries.map((e) => {
    const out: ManagedFieldsEntry = {};
    if (e.manager !== '') out.manager = e.manager;
    out.operation = e.operation;
    out.apiVersion = e.apiVersion;
    if (e.time !== undefined) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = e.set.toFieldsV1();
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

/**
 * Keeps at most `max` Update entries: the oldest beyond that are folded, per apiVersion, into an
 * "ancient-changes" entry, so that objects written by many controllers do not grow without bound.
 */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= max) return;
  updaters.sort(([ka, a], [kb, b]) => {
    const sa = seconds(a.time);
    const sb = seconds(b.time);
    return sa !== sb ? (sa < sb ? -1 : 1) : compareStrings(ka, kb);
  });
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [key, e] of updaters) {
    if (length <= max) break;
    const bucketId: ManagerIdentity = {
      manager: 'ancient-changes',
      operation: 'Update',
      apiVersion: e.apiVersion,
    };
    const bucketKey = managerKey(bucketId);
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, key);
      continue;
    }
    let bucket = managers.get(bucketKey);
    if (!bucket) {
      // The first entry of this version becomes the bucket.
      const f = managers.get(first)!;
      managers.delete(first);
      bucket = { ...bucketId, set: f.set };
      if (f.time !== undefined) bucket.time = f.time;
      managers.set(bucketKey, bucket);
    }
    bucket.set = e.set.union(bucket.set);
    if (e.time !== undefined) bucket.time = e.time;
    else delete bucket.time;
    managers.delete(key);
    length--;
  }
}
