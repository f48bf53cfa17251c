// /openapi/v2 as protobuf: the gnostic openapi_v2.Document message
// (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto), which is what client-go's
// discovery client asks for (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf)
// and parses, whatever the server answers. Vendor extensions and defaults travel as YAML text, as
// gnostic writes them.

import { stringify as toYaml } from 'yaml';
import { isJsonObject } from '../../machinery/object.js';
import type { JsonSchema } from './supplement.js';

/** The content type of the answer; the `@` form clients send in Accept is not a valid media type. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const utf8 = new TextEncoder();

/** A protobuf message being written: fields in the order they are added, into one growing buffer. */
class Message {
  private buf = new Uint8Array(32);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private push(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private varint(value: number): void {
    this.reserve(10);
    if (value >= 0 && value <= 0x7fffffff) {
      let v = value;
      while (v > 0x7f) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return;
    }
    // Large and negative int64 values: two's complement over 64 bits.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  private key(field: number, wire: 0 | 1 | 2): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, value: Uint8Array): void {
    this.key(field, 2);
    this.varint(value.length);
    this.push(value);
  }

  /** proto3 scalars: the zero value is not written. */
  string(field: number, value: unknown): void {
    if (typeof value === 'string' && value !== '') this.bytes(field, utf8.encode(value));
  }

  strings(field: number, values: unknown): void {
    if (!Array.isArray(values)) return;
    for (const v of values) if (typeof v === 'string') this.bytes(field, utf8.encode(v));
  }

  bool(field: number, value: unknown): void {
    if (value === true) {
      this.key(field, 0);
      this.varint(1);
    }
  }

  /** A bool inside a oneof is written even when false: its presence is the point. */
  oneofBool(field: number, value: boolean): void {
    this.key(field, 0);
    this.varint(value ? 1 : 0);
  }

  int64(field: number, value: unknown): void {
    if (typeof value === 'number' && Number.isInteger(value) && value !== 0) {
      this.key(field, 0);
      this.varint(value);
    }
  }

  double(field: number, value: unknown): void {
    if (typeof value !== 'number' || value === 0) return;
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.push(b);
  }

  message(field: number, m: Message | undefined): void {
    if (m) this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

const obj = (v: unknown): JsonSchema | undefined => (isJsonObject(v) ? (v as JsonSchema) : undefined);

// The same few extension values recur thousands of times (patch strategies, list types).
const yamlCache = new Map<string, string>();

function yamlOf(value: unknown): string {
  const key = JSON.stringify(value) ?? 'null';
  let text = yamlCache.get(key);
  if (text === undefined) {
    text = toYaml(value);
    if (yamlCache.size < 10_000) yamlCache.set(key, text);
  }
  return text;
}

function any(value: unknown): Message {
  const m = new Message();
  m.string(2, yamlOf(value));
  return m;
}

function namedAny(name: string, value: unknown): Message {
  const m = new Message();
  m.string(1, name);
  m.message(2, any(value));
  return m;
}

function vendorExtensions(m: Message, field: number, node: JsonSchema): void {
  for (const [k, v] of Object.entries(node)) if (k.startsWith('x-')) m.message(field, namedAny(k, v));
}

function schema(s: JsonSchema): Message {
  const m = new Message();
  m.string(1, s.$ref);
  m.string(2, s.format);
  m.string(3, s.title);
  m.string(4, s.description);
  if (s.default !== undefined) m.message(5, any(s.default));
  m.double(6, s.multipleOf);
  m.double(7, s.maximum);
  m.bool(8, s.exclusiveMaximum);
  m.double(9, s.minimum);
  m.bool(10, s.exclusiveMinimum);
  m.int64(11, s.maxLength);
  m.int64(12, s.minLength);
  m.string(13, s.pattern);
  m.int64(14, s.maxItems);
  m.int64(15, s.minItems);
  m.bool(16, s.uniqueItems);
  m.int64(17, s.maxProperties);
  m.int64(18, s.minProperties);
  m.strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) m.message(20, any(e));
  if (typeof s.additionalProperties === 'boolean') {
    const ap = new Message();
    ap.oneofBool(2, s.additionalProperties);
    m.message(21, ap);
  } else if (obj(s.additionalProperties)) {
    const ap = new Message();
    ap.message(1, schema(obj(s.additionalProperties)!));
    m.message(21, ap);
  }
  if (s.type !== undefined) {
    const t = new Message();
    t.strings(1, Array.isArray(s.type) ? s.type : [s.type]);
    m.message(22, t);
  }
  if (s.items !== undefined) {
    const items = new Message();
    for (const i of Array.isArray(s.items) ? s.items : [s.items])
      if (obj(i)) items.message(1, schema(obj(i)!));
    m.message(23, items);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) if (obj(a)) m.message(24, schema(obj(a)!));
  if (obj(s.properties)) {
    const props = new Message();
    for (const [name, p] of Object.entries(obj(s.properties)!)) {
      if (!obj(p)) continue;
      const named = new Message();
      named.string(1, name);
      named.message(2, schema(obj(p)!));
      props.message(1, named);
    }
    m.message(25, props);
  }
  m.string(26, s.discriminator);
  m.bool(27, s.readOnly);
  if (s.example !== undefined) m.message(30, any(s.example));
  vendorExtensions(m, 31, s);
  return m;
}

function parameter(p: JsonSchema): Message {
  const item = new Message();
  if (typeof p.$ref === 'string') {
    const ref = new Message();
    ref.string(1, p.$ref);
    ref.string(2, p.description);
    item.message(2, ref);
    return item;
  }
  const param = new Message();
  if (p.in === 'body') {
    const body = new Message();
    body.string(1, p.description);
    body.string(2, p.name);
    body.string(3, p.in);
    body.bool(4, p.required);
    if (obj(p.schema)) body.message(5, schema(obj(p.schema)!));
    vendorExtensions(body, 6, p);
    param.message(1, body);
  } else {
    const sub = new Message();
    if (p.in === 'query') {
      // QueryParameterSubSchema
      sub.bool(1, p.required);
      sub.string(2, p.in);
      sub.string(3, p.description);
      sub.string(4, p.name);
      sub.bool(5, p.allowEmptyValue);
      sub.string(6, p.type);
      sub.string(7, p.format);
      sub.string(9, p.collectionFormat);
      sub.bool(20, p.uniqueItems);
      vendorExtensions(sub, 23, p);
    } else {
      // PathParameterSubSchema (and header parameters, which share its leading fields)
      sub.bool(1, p.required);
      sub.string(2, p.in);
      sub.string(3, p.description);
      sub.string(4, p.name);
      sub.string(5, p.type);
      sub.string(6, p.format);
      sub.string(8, p.collectionFormat);
      sub.bool(19, p.uniqueItems);
      vendorExtensions(sub, 22, p);
    }
    const nonBody = new Message();
    nonBody.message(p.in === 'query' ? 3 : p.in === 'header' ? 1 : p.in === 'formData' ? 2 : 4, sub);
    param.message(2, nonBody);
  }
  item.message(1, param);
  return item;
}

function operation(op: JsonSchema): Message {
  const m = new Message();
  m.strings(1, op.tags);
  m.string(2, op.summary);
  m.string(3, op.description);
  m.string(5, op.operationId);
  m.strings(6, op.produces);
  m.strings(7, op.consumes);
  if (Array.isArray(op.parameters))
    for (const p of op.parameters) if (obj(p)) m.message(8, parameter(obj(p)!));
  if (obj(op.responses)) {
    const responses = new Message();
    for (const [code, value] of Object.entries(obj(op.responses)!)) {
      const r = obj(value);
      if (code.startsWith('x-') || !r) continue;
      const resp = new Message();
      resp.string(1, r.description);
      if (obj(r.schema)) {
        const item = new Message();
        item.message(1, schema(obj(r.schema)!));
        resp.message(2, item);
      }
      vendorExtensions(resp, 5, r);
      const responseValue = new Message();
      responseValue.message(1, resp);
      const named = new Message();
      named.string(1, code);
      named.message(2, responseValue);
      responses.message(1, named);
    }
    vendorExtensions(responses, 2, obj(op.responses)!);
    m.message(9, responses);
  }
  m.strings(10, op.schemes);
  m.bool(11, op.deprecated);
  vendorExtensions(m, 13, op);
  return m;
}

const METHOD_FIELDS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
];

function pathItem(item: JsonSchema): Message {
  const m = new Message();
  m.string(1, item.$ref);
  for (const [method, field] of METHOD_FIELDS)
    if (obj(item[method])) m.message(field, operation(obj(item[method])!));
  if (Array.isArray(item.parameters))
    for (const p of item.parameters) if (obj(p)) m.message(9, parameter(obj(p)!));
  vendorExtensions(m, 10, item);
  return m;
}

/** Encodes a Swagger 2.0 document (as built by v2.ts) as a gnostic openapi_v2.Document. */
export function encodeOpenAPIV2(doc: JsonSchema): Uint8Array {
  const m = new Message();
  m.string(1, doc.swagger);
  if (obj(doc.info)) {
    const info = new Message();
    info.string(1, obj(doc.info)!.title);
    info.string(2, obj(doc.info)!.version);
    info.string(3, obj(doc.info)!.description);
    vendorExtensions(info, 7, obj(doc.info)!);
    m.message(2, info);
  }
  m.string(3, doc.host);
  m.string(4, doc.basePath);
  m.strings(5, doc.schemes);
  m.strings(6, doc.consumes);
  m.strings(7, doc.produces);
  if (obj(doc.paths)) {
    const paths = new Message();
    vendorExtensions(paths, 1, obj(doc.paths)!);
    for (const [path, item] of Object.entries(obj(doc.paths)!)) {
      if (path.startsWith('x-') || !obj(item)) continue;
      const named = new Message();
      named.string(1, path);
      named.message(2, pathItem(obj(item)!));
      paths.message(2, named);
    }
    m.message(8, paths);
  }
  if (obj(doc.definitions)) {
    const defs = new Message();
    for (const [name, s] of Object.entries(obj(doc.definitions)!)) {
      if (!obj(s)) continue;
      const named = new Message();
      named.string(1, name);
      named.message(2, schema(obj(s)!));
      defs.message(1, named);
    }
    m.message(9, defs);
  }
  if (Array.isArray(doc.security)) {
    for (const req of doc.security) {
      if (!obj(req)) continue;
      const r = new Message();
      for (const [name, scopes] of Object.entries(obj(req)!)) {
        const arr = new Message();
        arr.strings(1, scopes);
        const named = new Message();
        named.string(1, name);
        named.message(2, arr);
        r.message(1, named);
      }
      m.message(12, r);
    }
  }
  if (obj(doc.securityDefinitions)) {
    const defs = new Message();
    for (const [name, value] of Object.entries(obj(doc.securityDefinitions)!)) {
      const d = obj(value);
      if (d?.type !== 'apiKey') continue;
      const key = new Message();
      key.string(1, d.type);
      key.string(2, d.name);
      key.string(3, d.in);
      key.string(4, d.description);
      const item = new Message();
      item.message(2, key);
      const named = new Message();
      named.string(1, name);
      named.message(2, item);
      defs.message(1, named);
    }
    m.message(13, defs);
  }
  vendorExtensions(m, 16, doc);
  return m.finish();
}
