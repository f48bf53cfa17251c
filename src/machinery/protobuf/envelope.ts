// The frame around every Kubernetes protobuf object: the four bytes "k8s\0", then a runtime.Unknown
// message (k8s.io/apimachinery pkg/runtime):
//   1 typeMeta {1 apiVersion, 2 kind}, 2 raw (the object's own message),
//   3 contentEncoding, 4 contentType.

import { errors } from '../status.js';
import { malformed, WireReader, WireType, wireTypeName } from './wire.js';

export const PROTOBUF_MAGIC: readonly number[] = [0x6b, 0x38, 0x73, 0x00];

export interface Envelope {
  apiVersion: string;
  kind: string;
  /** The object's message, a view into the body. */
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** True when `body` starts with the "k8s\0" prefix of a Kubernetes protobuf object. */
export function hasProtobufMagic(body: Uint8Array): boolean {
  return body.length >= 4 && PROTOBUF_MAGIC.every((b, i) => body[i] === b);
}

function expectBytes(field: string, wireType: number): void {
  if (wireType !== WireType.LengthDelimited) {
    throw malformed(
      `runtime.Unknown ${field} has wire type ${wireTypeName(wireType)}, expected length-delimited`,
    );
  }
}

/**
 * Opens the envelope of a protobuf body. Missing prefix, apiVersion or kind and broken framing are
 * a 400 (as Kubernetes answers for a body it cannot decode); a compressed or non-protobuf payload
 * is a 415. Unknown fields of the frame itself are skipped, as apimachinery skips them: they carry
 * no object data.
 */
export function readEnvelope(body: Uint8Array): Envelope {
  if (!hasProtobufMagic(body)) throw malformed('missing the "k8s\\0" prefix');
  const out: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new WireReader(body, 4);
  while (!r.done) {
    const key = r.key();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    switch (field) {
      case 1: {
        expectBytes('typeMeta', wireType);
        const outer = r.enter();
        while (!r.done) {
          const k = r.key();
          const f = Math.floor(k / 8);
          const wt = k & 7;
          if (f === 1 || f === 2) {
            expectBytes(f === 1 ? 'typeMeta.apiVersion' : 'typeMeta.kind', wt);
            if (f === 1) out.apiVersion = r.string();
            else out.kind = r.string();
          } else r.skip(wt, f);
        }
        r.leave(outer);
        break;
      }
      case 2:
        expectBytes('raw', wireType);
        out.raw = r.bytes();
        break;
      case 3:
        expectBytes('contentEncoding', wireType);
        out.contentEncoding = r.string();
        break;
      case 4:
        expectBytes('contentType', wireType);
        out.contentType = r.string();
        break;
      default:
        r.skip(wireType, field);
    }
  }
  if (!out.kind) throw errors.badRequest("Object 'Kind' is missing in the protobuf body");
  if (!out.apiVersion)
    throw errors.badRequest(`Object 'apiVersion' is missing in the protobuf body (kind ${out.kind})`);
  if (out.contentEncoding) {
    throw errors.unsupportedMediaType(
      `application/vnd.kubernetes.protobuf (content encoding "${out.contentEncoding}" is not supported)`,
    );
  }
  const type = out.contentType.split(';')[0]!.trim().toLowerCase();
  if (type && type !== 'application/vnd.kubernetes.protobuf') {
    throw errors.unsupportedMediaType(
      `application/vnd.kubernetes.protobuf (the object inside is "${out.contentType}", not protobuf)`,
    );
  }
  return out;
}
