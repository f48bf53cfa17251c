// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): keys, varints,
// fixed-width numbers and length-delimited payloads, read from a byte array without copying.
// Every read checks its bounds, so a broken body is a 400 that says what was wrong, never a crash
// and never a loop that does not advance.

import { ApiError } from '../status.js';

/** The wire types of a field key (groups are obsolete but must still be skippable). */
export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

export function wireTypeName(wireType: number): string {
  return WIRE_TYPE_NAMES[wireType] ?? `invalid wire type ${wireType}`;
}

/** The largest field number protobuf allows (2^29 - 1). */
export const MAX_FIELD_NUMBER = 0x1fffffff;

/** How deeply groups may nest when skipped; real encoders never nest them at all. */
const MAX_GROUP_DEPTH = 64;

const TWO_32 = 0x100000000;

/**
 * A 400 for a body that is not valid protobuf. `detail` is the problem alone, so that a caller
 * who knows where it happened can say so.
 */
export class MalformedProtobufError extends ApiError {
  constructor(
    readonly detail: string,
    readonly where = '',
  ) {
    super(
      400,
      'BadRequest',
      `the body of the request is not valid Kubernetes protobuf: ${where ? `${where}: ` : ''}${detail}`,
    );
    this.name = 'MalformedProtobufError';
  }
}

export function malformed(detail: string): MalformedProtobufError {
  return new MalformedProtobufError(detail);
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads protobuf wire format from `buf`. `limit` bounds every read: decoders of nested messages
 * narrow it to the message's end (see `enter`), so a length that points past its parent is caught.
 */
export class WireReader {
  pos: number;
  limit: number;
  private view: DataView | undefined;
  // The two 32-bit halves of the last 64-bit varint or fixed64, unsigned.
  private lo = 0;
  private hi = 0;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('WireReader: bad range');
    this.pos = start;
    this.limit = end;
  }

  /** True when the current message (up to `limit`) has been read completely. */
  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** Reads a field key; split it with `fieldNumberOf` / `wireTypeOf`. */
  key(): number {
    const key = this.uint64();
    if (key > 0xffffffff) throw malformed(`field key ${key} is out of range`);
    const field = Math.floor(key / 8);
    if (field === 0) throw malformed('field number 0 is not allowed');
    if (field > MAX_FIELD_NUMBER) throw malformed(`field number ${field} is out of range`);
    return key;
  }

  private byte(): number {
    if (this.pos >= this.limit) throw malformed('truncated varint');
    return this.buf[this.pos++]!;
  }

  /** Reads a varint of up to 64 bits into `lo`/`hi`. */
  private varint64(): void {
    let b = this.byte();
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      return;
    }
    let lo = b & 0x7f;
    let hi = 0;
    for (let shift = 7; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    // The fifth byte straddles the halves: 4 bits for lo, 3 for hi.
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (let shift = 3; shift < 31; shift += 7) {
        b = this.byte();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      if (b >= 0x80) {
        // The tenth byte carries only bit 63.
        b = this.byte();
        if (b > 1) throw malformed('varint overflows 64 bits');
        hi |= b << 31;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** The last 64-bit value as an unsigned number; an error when it is beyond 2^53 - 1. */
  private unsignedNumber(): number {
    if (this.hi > 0x1fffff) throw malformed(`integer ${this.unsignedBig()} is too large for a JSON number`);
    return this.hi * TWO_32 + this.lo;
  }

  private unsignedBig(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The last 64-bit value as two's complement, as a number; an error when it is not exact. */
  private signedNumber(): number {
    if ((this.hi & 0x80000000) === 0) return this.unsignedNumber();
    const lo = (~this.lo + 1) >>> 0;
    const hi = (~this.hi + (lo === 0 ? 1 : 0)) >>> 0;
    if (hi > 0x1fffff)
      throw malformed(`integer ${BigInt.asIntN(64, this.unsignedBig())} is too large for a JSON number`);
    return -(hi * TWO_32 + lo);
  }

  /** uint64 (and any varint read as unsigned), exact up to 2^53 - 1. */
  uint64(): number {
    this.varint64();
    return this.unsignedNumber();
  }

  /** int64, exact within ±(2^53 - 1); larger magnitudes are refused rather than rounded. */
  int64(): number {
    this.varint64();
    return this.signedNumber();
  }

  /** int64 of any size, for values that are formatted rather than stored (durations). */
  int64Big(): bigint {
    this.varint64();
    return BigInt.asIntN(64, this.unsignedBig());
  }

  /** int32: the low 32 bits of the varint, signed (negative values arrive sign-extended to 64). */
  int32(): number {
    this.varint64();
    return this.lo | 0;
  }

  uint32(): number {
    this.varint64();
    return this.lo;
  }

  bool(): boolean {
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  private need(n: number, what: string): void {
    if (this.limit - this.pos < n) throw malformed(`truncated ${what}`);
  }

  private dataView(): DataView {
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.view;
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const v = this.dataView().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  sfixed32(): number {
    return this.fixed32() | 0;
  }

  float(): number {
    this.need(4, 'fixed32');
    const v = this.dataView().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private fixed64Parts(): void {
    this.need(8, 'fixed64');
    const view = this.dataView();
    this.lo = view.getUint32(this.pos, true);
    this.hi = view.getUint32(this.pos + 4, true);
    this.pos += 8;
  }

  fixed64(): number {
    this.fixed64Parts();
    return this.unsignedNumber();
  }

  sfixed64(): number {
    this.fixed64Parts();
    return this.signedNumber();
  }

  double(): number {
    this.need(8, 'fixed64');
    const v = this.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns where the payload ends; `pos` is then at its start. */
  lengthDelimited(): number {
    const len = this.uint64();
    if (len > this.limit - this.pos) throw malformed('length beyond the end of the message');
    return this.pos + len;
  }

  /** A length-delimited payload, as a view into the buffer. */
  bytes(): Uint8Array {
    const end = this.lengthDelimited();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** A length-delimited payload as UTF-8 text (invalid sequences become U+FFFD, as Go's JSON writes them). */
  string(): string {
    const end = this.lengthDelimited();
    const start = this.pos;
    this.pos = end;
    if (end - start < 48) {
      // Short ASCII strings (names, labels) are most of what Kubernetes objects hold.
      let s = '';
      for (let i = start; i < end; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return utf8.decode(this.buf.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(this.buf.subarray(start, end));
  }

  /**
   * Narrows reading to a length-delimited payload: returns the limit to restore with `leave`
   * once `done` is true.
   */
  enter(): number {
    const end = this.lengthDelimited();
    const outer = this.limit;
    this.limit = end;
    return outer;
  }

  leave(outer: number): void {
    this.pos = this.limit;
    this.limit = outer;
  }

  /** Skips the value of a field whose key has just been read. */
  skip(wireType: number, fieldNumber: number, depth = 0): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64();
        return;
      case WireType.Fixed64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.pos = this.lengthDelimited();
        return;
      case WireType.Fixed32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      case WireType.StartGroup: {
        if (depth >= MAX_GROUP_DEPTH) throw malformed('groups nested too deeply');
        for (;;) {
          if (this.done) throw malformed(`group ${fieldNumber} has no end`);
          const key = this.key();
          const field = Math.floor(key / 8);
          const wt = key & 7;
          if (wt === WireType.EndGroup) {
            if (field !== fieldNumber) throw malformed(`group ${fieldNumber} ended by end-group ${field}`);
            return;
          }
          this.skip(wt, field, depth + 1);
        }
      }
      case WireType.EndGroup:
        throw malformed(`end-group ${fieldNumber} without a start-group`);
      default:
        throw malformed(`invalid wire type ${wireType} (field ${fieldNumber})`);
    }
  }

  /**
   * Reads the values of a repeated scalar field: one value for the unpacked encoding, all of the
   * payload for the packed one (a length-delimited run of values).
   */
  repeated<T>(wireType: number, elementWireType: number, read: (r: WireReader) => T): T[] {
    if (wireType === WireType.LengthDelimited && elementWireType !== WireType.LengthDelimited) {
      const outer = this.enter();
      const out: T[] = [];
      while (!this.done) out.push(read(this));
      this.leave(outer);
      return out;
    }
    if (wireType !== elementWireType) {
      throw malformed(`${wireTypeName(wireType)} where ${wireTypeName(elementWireType)} was expected`);
    }
    return [read(this)];
  }
}

export function fieldNumberOf(key: number): number {
  return Math.floor(key / 8);
}

export function wireTypeOf(key: number): number {
  return key & 7;
}
