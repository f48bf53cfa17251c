// Answers the /openapi/... paths from a document set: /openapi/v3 (the index),
// /openapi/v3/<api/v1|apis/group/version> (JSON), and /openapi/v2 as JSON or, for clients that
// ask for it as client-go does, as protobuf.

import { createHash } from 'node:crypto';
import { errors } from '../../machinery/status.js';
import type { BuiltDocument, OpenAPIDocumentSet } from './document.js';
import { openAPIV2 } from './v2.js';
import { encodeOpenAPIV2, OPENAPI_V2_PROTOBUF } from './v2-protobuf.js';

export interface OpenAPIResponse {
  /** A JSON value to serialize, or the protobuf bytes to send as they are. */
  body: unknown;
  etag: string;
  contentType: string;
}

/**
 * Which form of /openapi/v2 an Accept header takes, as Kubernetes chooses: the first acceptable
 * clause by quality, JSON for a wildcard; undefined when none is acceptable (406).
 */
export function negotiateV2(accept: string | undefined): 'json' | 'protobuf' | undefined {
  const clauses = (accept?.trim() ? accept : '*/*')
    .split(',')
    .map((clause, index) => {
      const [type = '', ...params] = clause.split(';').map((s) => s.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { type: type.toLowerCase(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((c) => c.type !== '' && !(c.q <= 0))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of clauses) {
    const [main, sub] = type.split('/');
    if (main !== 'application' && main !== '*') continue;
    if (sub === 'json' || sub === '*') return 'json';
    if (sub === V2_PROTOBUF_SUBTYPE || sub === V2_PROTOBUF_SUBTYPE_DEPRECATED) return 'protobuf';
  }
  return undefined;
}

const V2_PROTOBUF_SUBTYPE = OPENAPI_V2_PROTOBUF.slice('application/'.length);
const V2_PROTOBUF_SUBTYPE_DEPRECATED = 'com.github.proto-openapi.spec.v2@v1.0+protobuf';

const protobufs = new WeakMap<BuiltDocument, { bytes: Uint8Array; etag: string }>();

function v2Protobuf(doc: BuiltDocument): { bytes: Uint8Array; etag: string } {
  let hit = protobufs.get(doc);
  if (!hit) {
    const bytes = encodeOpenAPIV2(doc.body);
    const hash = createHash('sha512').update(bytes).digest('hex').toUpperCase();
    hit = { bytes, etag: `"${hash}"` };
    protobufs.set(doc, hit);
  }
  return hit;
}

/**
 * The response for an /openapi/ path, or undefined when the path names no document.
 * `serverVersion` is the gitVersion published in the v2 document's info. An Accept header that
 * /openapi/v2 cannot satisfy throws a 406 NotAcceptable ApiError.
 */
export function serveOpenAPI(
  set: OpenAPIDocumentSet,
  path: string,
  options: { accept?: string; serverVersion: string },
): OpenAPIResponse | undefined {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '/openapi/v3') {
    const root = set.root();
    return { body: root.body, etag: root.etag, contentType: 'application/json' };
  }
  if (trimmed.startsWith('/openapi/v3/')) {
    // The hash in ?hash= only keys client caches; the current document is served either way.
    const doc = set.groupVersion(trimmed.slice('/openapi/v3/'.length));
    return doc && { body: doc.body, etag: doc.etag, contentType: 'application/json' };
  }
  if (trimmed === '/openapi/v2') {
    const doc = openAPIV2(set, options.serverVersion);
    const form = negotiateV2(options.accept);
    if (form === undefined) {
      throw errors.notAcceptable(
        `only application/json and ${OPENAPI_V2_PROTOBUF} are available for /openapi/v2`,
      );
    }
    if (form === 'protobuf') {
      const pb = v2Protobuf(doc);
      return { body: pb.bytes, etag: pb.etag, contentType: OPENAPI_V2_PROTOBUF };
    }
    return { body: doc.body, etag: doc.etag, contentType: 'application/json' };
  }
  return undefined;
}
