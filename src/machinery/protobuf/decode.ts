// Kubernetes protobuf bodies as the JSON objects they stand for. The typed clients of client-go
// 1.32+ (kubectl create, auth can-i, drain, ...) send built-in kinds only as
// application/vnd.kubernetes.protobuf; this reads them into exactly what the same request would
// have carried as JSON, so the rest of the server sees no difference.
//
// Reading is strict where leniency would lose data: a field number the tables do not know is a
// 415 naming the message and the field, never silently dropped.

import type { JsonObject, JsonValue, KubeObject } from '../object.js';
import { errors } from '../status.js';
import { readEnvelope } from './envelope.js';
import { ALL_PACKAGES } from './messages/index.js';
import {
  compileSchema,
  type FieldDescriptor,
  type MessageDescriptor,
  type ProtobufSchema,
} from './schema.js';
import { readSpecial, SPECIAL_MESSAGE_NAMES } from './special.js';
import { MalformedProtobufError, malformed, WireReader, WireType, wireTypeName } from './wire.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** Nesting deeper than any built-in kind needs is refused rather than followed. */
const MAX_DEPTH = 100;

let schema: ProtobufSchema | undefined;

/** The compiled tables of every covered package, built on first use. */
export function kubernetesProtobufSchema(): ProtobufSchema {
  schema ??= compileSchema(ALL_PACKAGES);
  return schema;
}

/** True for a Content-Type naming Kubernetes protobuf (parameters allowed). */
export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

/** A field the tables do not know: the data it holds would be lost, so the request is refused. */
class UnknownFieldError extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** Carries the JSON path of a failure up to where it is reported. */
class AtPath extends Error {
  constructor(
    readonly inner: Error,
    readonly path: string[],
  ) {
    super(inner.message);
  }
}

function unknownField(
  message: MessageDescriptor | string,
  field: number,
  wireType: number,
): UnknownFieldError {
  const name = typeof message === 'string' ? message : message.name;
  return new UnknownFieldError(
    `field ${field} (${wireTypeName(wireType)}) of ${name} is not known to this server`,
  );
}

function withPath(err: unknown, segment: string): unknown {
  if (err instanceof AtPath) {
    err.path.push(segment);
    return err;
  }
  if (err instanceof UnknownFieldError || err instanceof MalformedProtobufError)
    return new AtPath(err, [segment]);
  return err;
}

function pathText(path: string[]): string {
  let out = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i]!;
    out += seg.startsWith('[') || out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Turns an internal failure into the ApiError a client sees. */
function toApiError(err: unknown): unknown {
  let path: string[] = [];
  let cause = err;
  if (err instanceof AtPath) {
    path = err.path;
    cause = err.inner;
  }
  const where = path.length > 0 ? pathText(path) : '';
  if (cause instanceof UnknownFieldError) {
    return errors.unsupportedMediaType(
      `${PROTOBUF_CONTENT_TYPE} (${where ? `${where}: ` : ''}${cause.detail})`,
    );
  }
  if (cause instanceof MalformedProtobufError) {
    return where ? new MalformedProtobufError(cause.detail, where) : cause;
  }
  return cause;
}

function zeroOmitted(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

class Decoder {
  constructor(
    private readonly r: WireReader,
    private depth = 0,
  ) {}

  /** Reads fields up to the reader's limit into `target`. */
  message(desc: MessageDescriptor, target: JsonObject): JsonObject {
    const r = this.r;
    if (++this.depth > MAX_DEPTH) throw malformed(`messages nested more than ${MAX_DEPTH} deep`);
    while (!r.done) {
      const key = r.key();
      const number = Math.floor(key / 8);
      const wireType = key & 7;
      if (wireType > 5) throw malformed(`invalid wire type ${wireType} (field ${number} of ${desc.name})`);
      const field = desc.fields[number];
      if (!field) throw unknownField(desc, number, wireType);
      if (field.cardinality === 'inline') {
        // Inlined fields sit in the parent's JSON object: no path segment of their own.
        this.field(field, wireType, target);
        continue;
      }
      try {
        this.field(field, wireType, target);
      } catch (err) {
        throw withPath(err, field.jsonName);
      }
    }
    this.depth--;
    return target;
  }

  private expect(field: FieldDescriptor, wireType: number, expected: number): void {
    if (wireType !== expected) {
      throw malformed(
        `field ${field.number} has wire type ${wireTypeName(wireType)}, expected ${wireTypeName(expected)}`,
      );
    }
  }

  private field(field: FieldDescriptor, wireType: number, target: JsonObject): void {
    const value = field.value;
    switch (field.cardinality) {
      case 'single': {
        if (value.kind === 'scalar') {
          this.expect(field, wireType, value.wireType);
          const v = this.scalar(value.scalar);
          if (field.presence === 'omitempty' && zeroOmitted(v)) {
            // A later occurrence wins, even when it is the zero value.
            if (field.jsonName in target) delete target[field.jsonName];
          } else {
            target[field.jsonName] = v;
          }
          return;
        }
        this.expect(field, wireType, WireType.LengthDelimited);
        if (value.kind === 'special') {
          const v = this.special(value.special);
          if (v === undefined) delete target[field.jsonName];
          else target[field.jsonName] = v;
          return;
        }
        if (value.message.list) {
          target[field.jsonName] = this.listMessage(value.message);
          return;
        }
        // A message field seen twice merges, as protobuf specifies.
        const existing = target[field.jsonName];
        const into = existing && typeof existing === 'object' && !Array.isArray(existing) ? existing : {};
        target[field.jsonName] = this.nested(value.message, into);
        return;
      }
      case 'inline':
        this.expect(field, wireType, WireType.LengthDelimited);
        if (value.kind === 'message') this.nested(value.message, target);
        return;
      case 'repeated': {
        let list = target[field.jsonName] as JsonValue[] | undefined;
        if (!Array.isArray(list)) {
          list = [];
          target[field.jsonName] = list;
        }
        try {
          this.element(field, wireType, list);
        } catch (err) {
          throw withPath(err, `[${list.length}]`);
        }
        // An empty packed run is no element at all: nothing to show, as for a nil slice.
        if (list.length === 0) delete target[field.jsonName];
        return;
      }
      case 'map': {
        this.expect(field, wireType, WireType.LengthDelimited);
        let map = target[field.jsonName] as JsonObject | undefined;
        if (!map || typeof map !== 'object') {
          map = {};
          target[field.jsonName] = map;
        }
        this.mapEntry(field, map);
        return;
      }
    }
  }

  private element(field: FieldDescriptor, wireType: number, list: JsonValue[]): void {
    const value = field.value;
    if (value.kind === 'scalar') {
      if (value.wireType !== WireType.LengthDelimited && wireType === WireType.LengthDelimited) {
        // Packed: a run of values in one payload.
        const outer = this.r.enter();
        while (!this.r.done) list.push(this.scalar(value.scalar));
        this.r.leave(outer);
        return;
      }
      this.expect(field, wireType, value.wireType);
      list.push(this.scalar(value.scalar));
      return;
    }
    this.expect(field, wireType, WireType.LengthDelimited);
    if (value.kind === 'special') {
      list.push(this.special(value.special) ?? null);
      return;
    }
    list.push(value.message.list ? this.listMessage(value.message) : this.nested(value.message, {}));
  }

  private mapEntry(field: FieldDescriptor, map: JsonObject): void {
    const r = this.r;
    const outer = r.enter();
    let key = '';
    let v: JsonValue | undefined;
    const value = field.value;
    const entryName = `map entry of ${field.jsonName}`;
    while (!r.done) {
      const k = r.key();
      const number = Math.floor(k / 8);
      const wireType = k & 7;
      if (number === 1) {
        if (wireType !== WireType.LengthDelimited) {
          throw malformed(`map key has wire type ${wireTypeName(wireType)}, expected length-delimited`);
        }
        key = r.string();
      } else if (number === 2) {
        try {
          if (value.kind === 'scalar') {
            if (wireType !== value.wireType) {
              throw malformed(
                `map value has wire type ${wireTypeName(wireType)}, expected ${wireTypeName(value.wireType)}`,
              );
            }
            v = this.scalar(value.scalar);
          } else {
            if (wireType !== WireType.LengthDelimited) {
              throw malformed(`map value has wire type ${wireTypeName(wireType)}, expected length-delimited`);
            }
            if (value.kind === 'special') v = this.special(value.special) ?? null;
            else v = value.message.list ? this.listMessage(value.message) : this.nested(value.message, {});
          }
        } catch (err) {
          throw withPath(err, key);
        }
      } else {
        throw unknownField(entryName, number, wireType);
      }
    }
    r.leave(outer);
    const entry = v ?? this.zero(field);
    // A key named __proto__ must become a property, as JSON.parse makes it, not a prototype.
    if (key === '__proto__') {
      Object.defineProperty(map, key, { value: entry, enumerable: true, writable: true, configurable: true });
    } else {
      map[key] = entry;
    }
  }

  /** The value of a map entry that carried no value: the zero value of its type. */
  private zero(field: FieldDescriptor): JsonValue {
    const value = field.value;
    if (value.kind === 'scalar') {
      if (value.scalar === 'string' || value.scalar === 'bytes') return '';
      return value.scalar === 'bool' ? false : 0;
    }
    if (value.kind === 'special') {
      if (value.special === 'Quantity') return '0';
      if (value.special === 'IntOrString') return 0;
      if (value.special === 'Duration') return '0s';
      return null;
    }
    return value.message.list ? [] : {};
  }

  private nested(desc: MessageDescriptor, into: JsonObject): JsonObject {
    const outer = this.r.enter();
    this.message(desc, into);
    this.r.leave(outer);
    return into;
  }

  private listMessage(desc: MessageDescriptor): JsonValue[] {
    const r = this.r;
    const outer = r.enter();
    const out: JsonValue[] = [];
    const field: FieldDescriptor = {
      number: 1,
      jsonName: 'items',
      cardinality: 'repeated',
      value: desc.list!,
      presence: 'omitempty',
    };
    while (!r.done) {
      const key = r.key();
      const number = Math.floor(key / 8);
      const wireType = key & 7;
      if (number !== 1) throw unknownField(desc, number, wireType);
      try {
        this.element(field, wireType, out);
      } catch (err) {
        throw withPath(err, `[${out.length}]`);
      }
    }
    r.leave(outer);
    return out;
  }

  private special(type: Parameters<typeof readSpecial>[1]): JsonValue | undefined {
    const outer = this.r.enter();
    const v = readSpecial(
      this.r,
      type,
      (field, wireType) => unknownField(SPECIAL_MESSAGE_NAMES[type], field, wireType),
      (bytes) => decodeKubernetesProtobufInner(bytes, this.depth) as unknown as JsonValue,
    );
    this.r.leave(outer);
    return v;
  }

  private scalar(type: string): string | number | boolean {
    const r = this.r;
    switch (type) {
      case 'string':
        return r.string();
      case 'int32':
        return r.int32();
      case 'int64':
        return r.int64();
      case 'bool':
        return r.bool();
      case 'bytes':
        return base64(r.bytes());
      case 'double': {
        const v = r.double();
        if (!Number.isFinite(v)) throw malformed(`${v} cannot be written as JSON`);
        return v;
      }
      default:
        throw new Error(`protobuf: no reader for scalar type ${type}`);
    }
  }
}

/**
 * Reads one message of the tables from its bare bytes (no envelope). `name` is a table name such
 * as `apps.v1.Deployment`.
 */
export function decodeProtobufMessage(name: string, bytes: Uint8Array): JsonObject {
  const desc = kubernetesProtobufSchema().message(name);
  if (!desc) throw new Error(`protobuf: no table for message ${name}`);
  try {
    return new Decoder(new WireReader(bytes)).message(desc, {});
  } catch (err) {
    throw toApiError(err);
  }
}

function decodeKubernetesProtobufInner(bytes: Uint8Array, depth: number): KubeObject {
  if (depth > MAX_DEPTH) throw malformed(`objects nested more than ${MAX_DEPTH} deep`);
  const envelope = readEnvelope(bytes);
  const desc = kubernetesProtobufSchema().kind(envelope.apiVersion, envelope.kind);
  if (!desc) {
    throw errors.unsupportedMediaType(
      `${PROTOBUF_CONTENT_TYPE} (kind ${envelope.kind} of ${envelope.apiVersion} cannot be read as protobuf by this server; send it as JSON)`,
    );
  }
  const obj = { apiVersion: envelope.apiVersion, kind: envelope.kind } as KubeObject;
  new Decoder(new WireReader(envelope.raw), depth).message(desc, obj as unknown as JsonObject);
  // The envelope's typeMeta is the authority, whatever the message held.
  obj.apiVersion = envelope.apiVersion;
  obj.kind = envelope.kind;
  return obj;
}

/**
 * A Kubernetes protobuf body (`k8s\0` + runtime.Unknown) as the JSON object the same request would
 * have carried: apiVersion and kind from the envelope, then the object's fields. Options kinds
 * (DeleteOptions, ...) have no metadata, as in JSON. Broken bodies are a 400; kinds or fields the
 * tables do not cover a 415, with the message, field number and JSON path.
 */
export function decodeKubernetesProtobuf(bytes: Uint8Array): KubeObject {
  try {
    return decodeKubernetesProtobufInner(bytes, 0);
  } catch (err) {
    throw toApiError(err);
  }
}
