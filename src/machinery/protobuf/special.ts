// Kubernetes types whose protobuf message and JSON form differ, read the way apimachinery reads
// and then writes them as JSON:
//   meta/v1 Time       {seconds = 1, nanos = 2} -> RFC 3339 in seconds (nanos are dropped, as
//                      Kubernetes drops them); an empty message is the zero time -> absent
//   meta/v1 MicroTime  the same with microseconds: "2025-01-02T03:04:05.123456Z"
//   meta/v1 Duration   {duration = 1 (nanoseconds)} -> Go's duration text: "1h2m3.5s"
//   resource.Quantity  {string = 1} -> the string ("0" when absent)
//   intstr.IntOrString {type = 1, intVal = 2, strVal = 3} -> a number or a string
//   runtime.RawExtension {raw = 1} -> the JSON value the raw bytes hold
//   meta/v1 FieldsV1   {Raw = 1} -> the JSON object the raw bytes hold

import { formatGoDuration } from '../duration.js';
import type { JsonValue } from '../object.js';
import type { SpecialType } from './schema.js';
import { malformed, type WireReader, WireType, wireTypeName } from './wire.js';

/** Seconds of 0001-01-01T00:00:00Z, Go's zero time. */
const GO_ZERO_TIME_SECONDS = -62135596800;
/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years RFC 3339 can write. */
const MIN_RFC3339_SECONDS = -62167219200;
const MAX_RFC3339_SECONDS = 253402300799;

/** Reads the fields of a special message; unknown fields are refused like any other. */
type FieldReader = (r: WireReader, field: number, wireType: number) => boolean;
type UnknownField = (field: number, wireType: number) => Error;

/** The protobuf names of the special types, for messages about them. */
export const SPECIAL_MESSAGE_NAMES: Record<SpecialType, string> = {
  Time: 'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  MicroTime: 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  Duration: 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  FieldsV1: 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  Quantity: 'k8s.io.apimachinery.pkg.api.resource.Quantity',
  IntOrString: 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  RawExtension: 'k8s.io.apimachinery.pkg.runtime.RawExtension',
};

function readFields(r: WireReader, read: FieldReader, unknown: UnknownField): void {
  while (!r.done) {
    const key = r.key();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (!read(r, field, wireType)) throw unknown(field, wireType);
  }
}

function expectWire(actual: number, expected: number, what: string): void {
  if (actual !== expected) {
    throw malformed(`${what} has wire type ${wireTypeName(actual)}, expected ${wireTypeName(expected)}`);
  }
}

function timestamp(r: WireReader, type: string, unknown: UnknownField) {
  let seconds = 0;
  let nanos = 0;
  readFields(
    r,
    (rr, field, wt) => {
      if (field === 1) {
        expectWire(wt, WireType.Varint, `${type}.seconds`);
        seconds = rr.int64();
      } else if (field === 2) {
        expectWire(wt, WireType.Varint, `${type}.nanos`);
        nanos = rr.int32();
      } else return false;
      return true;
    },
    unknown,
  );
  return { seconds, nanos };
}

function isoSeconds(seconds: number, type: string): string {
  if (seconds < MIN_RFC3339_SECONDS || seconds > MAX_RFC3339_SECONDS) {
    throw malformed(`${type} of ${seconds} seconds is outside the years 0000 to 9999`);
  }
  // toISOString writes years 0000-9999 with four digits, as RFC 3339 wants.
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

function parseRawJson(bytes: Uint8Array, type: string): JsonValue {
  const text = new TextDecoder('utf-8').decode(bytes);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw malformed(`${type} does not hold JSON: ${(err as Error).message}`);
  }
}

/**
 * Reads a special type's message from `r` (positioned at its payload, limit at its end). Returns
 * undefined where the JSON form is null (the zero time; an empty RawExtension or FieldsV1), which
 * the caller leaves out.
 * `decodeNested` reads a RawExtension that holds a protobuf object of its own (the k8s\0 prefix).
 */
export function readSpecial(
  r: WireReader,
  type: SpecialType,
  unknown: UnknownField,
  decodeNested: (bytes: Uint8Array) => JsonValue,
): JsonValue | undefined {
  switch (type) {
    case 'Time': {
      if (r.done) return undefined;
      const { seconds } = timestamp(r, type, unknown);
      if (seconds === GO_ZERO_TIME_SECONDS) return undefined;
      return `${isoSeconds(seconds, type)}Z`;
    }
    case 'MicroTime': {
      if (r.done) return undefined;
      let { seconds, nanos } = timestamp(r, type, unknown);
      // Go's time.Unix normalizes nanoseconds outside [0, 1e9).
      seconds += Math.floor(nanos / 1e9);
      nanos = ((nanos % 1e9) + 1e9) % 1e9;
      if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return undefined;
      const micros = String(Math.floor(nanos / 1000)).padStart(6, '0');
      return `${isoSeconds(seconds, type)}.${micros}Z`;
    }
    case 'Duration': {
      let ns = 0n;
      readFields(
        r,
        (rr, field, wt) => {
          if (field !== 1) return false;
          expectWire(wt, WireType.Varint, 'Duration.duration');
          ns = rr.int64Big();
          return true;
        },
        unknown,
      );
      return formatGoDuration(ns);
    }
    case 'Quantity': {
      let text = '0';
      readFields(
        r,
        (rr, field, wt) => {
          if (field !== 1) return false;
          expectWire(wt, WireType.LengthDelimited, 'Quantity.string');
          text = rr.string();
          return true;
        },
        unknown,
      );
      return text;
    }
    case 'IntOrString': {
      let kind = 0;
      let intVal = 0;
      let strVal = '';
      readFields(
        r,
        (rr, field, wt) => {
          if (field === 1) {
            expectWire(wt, WireType.Varint, 'IntOrString.type');
            kind = rr.int64();
          } else if (field === 2) {
            expectWire(wt, WireType.Varint, 'IntOrString.intVal');
            intVal = rr.int32();
          } else if (field === 3) {
            expectWire(wt, WireType.LengthDelimited, 'IntOrString.strVal');
            strVal = rr.string();
          } else return false;
          return true;
        },
        unknown,
      );
      if (kind === 0) return intVal;
      if (kind === 1) return strVal;
      throw malformed(`IntOrString.type ${kind} is neither 0 (int) nor 1 (string)`);
    }
    case 'RawExtension':
    case 'FieldsV1': {
      let raw: Uint8Array | undefined;
      readFields(
        r,
        (rr, field, wt) => {
          if (field !== 1) return false;
          expectWire(wt, WireType.LengthDelimited, `${type}.raw`);
          raw = rr.bytes();
          return true;
        },
        unknown,
      );
      if (!raw || raw.length === 0) return undefined;
      if (type === 'RawExtension' && raw[0] === 0x6b && raw[1] === 0x38 && raw[2] === 0x73 && raw[3] === 0) {
        return decodeNested(raw);
      }
      return parseRawJson(raw, type);
    }
  }
}
