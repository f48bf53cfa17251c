// A protobuf writer for tests: messages written field by field, so that tests can build exactly
// the bytes a Go client sends (or a broken variant of them) without the decoder's own tables.

export type ProtoValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | ProtoField[]
  | { fixed32: number }
  | { fixed64: bigint }
  | { double: number }
  | { packed: Array<number | bigint> };

/** [field number, value]: strings, bytes and nested fields are length-delimited, numbers varints. */
export type ProtoField = [field: number, value: ProtoValue];

/** A varint of any 64-bit value; negative numbers as two's complement (10 bytes), as Go writes int32/int64. */
export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function key(field: number, wireType: number): number[] {
  return varint(BigInt(field) * 8n + BigInt(wireType));
}

function lengthDelimited(field: number, bytes: ArrayLike<number>): number[] {
  return [...key(field, 2), ...varint(bytes.length), ...Array.from(bytes)];
}

export function encode(fields: ProtoField[]): Uint8Array {
  const out: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'string') out.push(...lengthDelimited(field, Buffer.from(value, 'utf8')));
    else if (value instanceof Uint8Array) out.push(...lengthDelimited(field, value));
    else if (typeof value === 'number' || typeof value === 'bigint')
      out.push(...key(field, 0), ...varint(value));
    else if (typeof value === 'boolean') out.push(...key(field, 0), value ? 1 : 0);
    else if (Array.isArray(value)) out.push(...lengthDelimited(field, encode(value)));
    else if ('fixed32' in value) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(value.fixed32 >>> 0);
      out.push(...key(field, 5), ...b);
    } else if ('fixed64' in value) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, value.fixed64));
      out.push(...key(field, 1), ...b);
    } else if ('double' in value) {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(value.double);
      out.push(...key(field, 1), ...b);
    } else {
      out.push(
        ...lengthDelimited(
          field,
          value.packed.flatMap((v) => varint(v)),
        ),
      );
    }
  }
  return Uint8Array.from(out);
}

/** A Kubernetes protobuf body: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}. */
export function envelope(
  apiVersion: string,
  kind: string,
  object: ProtoField[] | Uint8Array,
  extra: ProtoField[] = [],
): Uint8Array {
  const raw = object instanceof Uint8Array ? object : encode(object);
  const unknown = encode([
    [
      1,
      [
        [1, apiVersion],
        [2, kind],
      ],
    ],
    [2, raw],
    ...extra,
  ]);
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}
