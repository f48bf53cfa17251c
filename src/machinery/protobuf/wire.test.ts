import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, varint } from '../../../test/support/protobuf-writer.js';
import { ApiError } from '../status.js';
import { WireReader, WireType } from './wire.js';

function reader(bytes: number[] | Uint8Array): WireReader {
  return new WireReader(Uint8Array.from(bytes));
}

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('varints', () => {
  it('reads unsigned values up to 2^53 - 1 exactly', () => {
    for (const v of [
      0,
      1,
      127,
      128,
      300,
      16_383,
      16_384,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 35 + 7,
      2 ** 53 - 1,
    ]) {
      expect(reader(varint(v)).uint64()).toBe(v);
    }
  });

  it('reads int64 as two’s complement, negative values included', () => {
    expect(reader(varint(-1)).int64()).toBe(-1);
    expect(reader(varint(-(2 ** 53 - 1))).int64()).toBe(-(2 ** 53 - 1));
    expect(reader(varint(-300)).int64()).toBe(-300);
    expect(reader(varint(1_700_000_000)).int64()).toBe(1_700_000_000);
  });

  it('reads int32 from the low 32 bits, as Go does (negatives arrive sign-extended to 10 bytes)', () => {
    expect(varint(-5)).toHaveLength(10);
    expect(reader(varint(-5)).int32()).toBe(-5);
    expect(reader(varint(2 ** 31 - 1)).int32()).toBe(2 ** 31 - 1);
    expect(reader(varint(2 ** 32 + 3)).int32()).toBe(3);
  });

  it('reads bools as any non-zero value', () => {
    expect(reader([0]).bool()).toBe(false);
    expect(reader([1]).bool()).toBe(true);
    expect(reader(varint(2 ** 40)).bool()).toBe(true);
  });

  it('refuses integers a JSON number cannot hold exactly rather than rounding them', () => {
    expect(failure(() => reader(varint(2n ** 53n)).uint64()).message).toBe(
      'the body of the request is not valid Kubernetes protobuf: integer 9007199254740992 is too large for a JSON number',
    );
    expect(failure(() => reader(varint(-(2n ** 60n))).int64()).message).toContain(
      'integer -1152921504606846976 is too large',
    );
    // int64Big has no such limit (durations are formatted, not stored).
    expect(reader(varint(-(2n ** 63n))).int64Big()).toBe(-(2n ** 63n));
  });

  it('refuses truncated and overlong varints', () => {
    expect(failure(() => reader([0x80, 0x80]).uint64())).toMatchObject({
      code: 400,
      message: 'the body of the request is not valid Kubernetes protobuf: truncated varint',
    });
    const eleven = [...Array(10).fill(0xff), 0x01];
    expect(failure(() => reader(eleven).uint64()).message).toContain('varint overflows 64 bits');
    expect(failure(() => reader([...Array(9).fill(0xff), 0x02]).uint64()).message).toContain(
      'overflows 64 bits',
    );
  });

  it('round-trips any 64-bit value through int64Big and, where exact, int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        expect(reader(varint(v)).int64Big()).toBe(v);
        const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
        if (safe) expect(reader(varint(v)).int64()).toBe(Number(v));
        else expect(() => reader(varint(v)).int64()).toThrow(ApiError);
      }),
    );
  });
});

describe('fixed-width values and payloads', () => {
  it('reads fixed32, fixed64, float and double little-endian', () => {
    const b = Buffer.alloc(28);
    b.writeUInt32LE(0xdeadbeef, 0);
    b.writeBigUInt64LE(2n ** 40n + 5n, 4);
    b.writeFloatLE(1.5, 12);
    b.writeDoubleLE(-2.25, 16);
    b.writeInt32LE(-7, 24);
    const r = reader(b);
    expect(r.fixed32()).toBe(0xdeadbeef);
    expect(r.fixed64()).toBe(2 ** 40 + 5);
    expect(r.float()).toBe(1.5);
    expect(r.double()).toBe(-2.25);
    expect(r.sfixed32()).toBe(-7);
    expect(r.done).toBe(true);
    expect(failure(() => reader([1, 2, 3]).fixed32()).message).toContain('truncated fixed32');
  });

  it('reads strings (UTF-8) and bytes, and refuses lengths past the end', () => {
    const r = reader([...varint(5), ...Buffer.from('héé'), 3, 1, 2, 3]);
    expect(r.string()).toBe('héé');
    expect([...r.bytes()]).toEqual([1, 2, 3]);
    expect(failure(() => reader([5, 1, 2]).bytes()).message).toContain(
      'length beyond the end of the message',
    );
    // A long string takes the decoder path; invalid UTF-8 becomes U+FFFD as in Go's JSON output.
    const long = 'x'.repeat(100);
    expect(reader([...varint(100), ...Buffer.from(long)]).string()).toBe(long);
    expect(reader([2, 0xff, 0x41]).string()).toBe('\ufffdA');
  });

  it('keeps reads of a nested payload inside it', () => {
    // A nested message claims a 2-byte string but holds only 1 byte: the parent's bytes must not be read.
    const r = reader([0x0a, 0x02, 0x0a, 0x02, 0x41, 0x42]);
    r.key();
    const outer = r.enter();
    r.key();
    expect(failure(() => r.string()).message).toContain('length beyond the end');
    r.leave(outer);
  });
});

describe('keys and skipping', () => {
  it('splits keys and refuses field number 0', () => {
    const r = reader([0x08, 0x96, 0x01]);
    const key = r.key();
    expect(Math.floor(key / 8)).toBe(1);
    expect(key & 7).toBe(WireType.Varint);
    expect(failure(() => reader([0x00]).key()).message).toContain('field number 0');
  });

  it('skips every wire type, groups included', () => {
    const bytes = Uint8Array.from([
      ...encode([
        [1, 300],
        [2, 'abc'],
        [3, { fixed32: 7 }],
        [4, { fixed64: 9n }],
      ]),
      // group 5 holding a varint field 1 and a nested group 6
      0x2b,
      0x08,
      0x01,
      0x33,
      0x34,
      0x2c,
      ...encode([[7, 'end']]),
    ]);
    const r = new WireReader(bytes);
    const seen: number[] = [];
    while (!r.done) {
      const key = r.key();
      seen.push(Math.floor(key / 8));
      if (Math.floor(key / 8) === 7) expect(r.string()).toBe('end');
      else r.skip(key & 7, Math.floor(key / 8));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 7]);
  });

  it('refuses invalid wire types and unbalanced groups', () => {
    expect(failure(() => reader([0x0e]).skip(6, 1)).message).toContain('invalid wire type 6');
    expect(failure(() => reader([]).skip(WireType.EndGroup, 1)).message).toContain('without a start-group');
    expect(failure(() => reader([0x08, 0x01]).skip(WireType.StartGroup, 1)).message).toContain('has no end');
    expect(failure(() => reader([0x14]).skip(WireType.StartGroup, 1)).message).toContain(
      'ended by end-group 2',
    );
    // Deeply nested groups are refused, not followed.
    const deep = reader(Array(200).fill(0x0b));
    expect(failure(() => deep.skip(WireType.StartGroup, 1)).message).toContain('nested too deeply');
  });

  it('reads repeated scalars packed and unpacked', () => {
    const packed = reader(encode([[1, { packed: [1, 2, 300, -1] }]]));
    const key = packed.key();
    expect(packed.repeated(key & 7, WireType.Varint, (r) => r.int32())).toEqual([1, 2, 300, -1]);
    const unpacked = reader(encode([[1, 42]]));
    const key2 = unpacked.key();
    expect(unpacked.repeated(key2 & 7, WireType.Varint, (r) => r.int32())).toEqual([42]);
    const wrong = reader(encode([[1, { fixed32: 1 }]]));
    const key3 = wrong.key();
    expect(failure(() => wrong.repeated(key3 & 7, WireType.Varint, (r) => r.int32())).message).toContain(
      'fixed32 where varint was expected',
    );
  });
});

describe('arbitrary bytes', () => {
  it('either read to the end or fail with a 400, always advancing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = new WireReader(bytes);
        try {
          while (!r.done) {
            const before = r.pos;
            const key = r.key();
            r.skip(key & 7, Math.floor(key / 8));
            expect(r.pos).toBeGreaterThan(before);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).code).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
