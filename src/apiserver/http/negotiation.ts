// Content negotiation: which representation a client asked for (plain JSON or YAML, a Table for
// `kubectl get`, partial object metadata, aggregated discovery) and how to read its body.

import { parse as parseYaml } from 'yaml';
import {
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  type PatchType,
  patchTypeForMediaType,
  STRATEGIC_MERGE_PATCH,
} from '../../machinery/patch/patch-type.js';
import { decodeKubernetesProtobuf, isProtobufContentType } from '../../machinery/protobuf/index.js';
import { errors } from '../../machinery/status.js';

export type Representation =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' }
  | { kind: 'aggregated-discovery'; version: 'v2' | 'v2beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...rest] = part.trim().split(';');
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: (type ?? '').trim().toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

/** The first representation in the Accept header that the server can produce. */
export function negotiate(accept: string | undefined, opts: { discovery?: boolean } = {}): Representation {
  if (!accept) return { kind: 'json' };
  const ranges = parseAccept(accept);
  for (const m of ranges) {
    const isJson = m.type === 'application/json' || m.type === 'application/*' || m.type === '*/*';
    if (m.type === 'application/yaml') {
      if (!m.params.as) return { kind: 'yaml' };
      continue;
    }
    if (!isJson) continue;
    const as = m.params.as;
    if (as === undefined) return { kind: 'json' };
    const g = m.params.g;
    const v = m.params.v;
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1'))
      return { kind: 'table', version: v };
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      g === 'meta.k8s.io' &&
      (v === 'v1' || v === 'v1beta1')
    ) {
      return { kind: 'metadata', version: v };
    }
    if (
      opts.discovery &&
      as === 'APIGroupDiscoveryList' &&
      g === 'apidiscovery.k8s.io' &&
      (v === 'v2' || v === 'v2beta1')
    ) {
      return { kind: 'aggregated-discovery', version: v };
    }
  }
  throw errors.notAcceptable(
    `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`,
  );
}

export function patchTypeOf(contentType: string | undefined): PatchType {
  const patchType = patchTypeForMediaType(contentType);
  if (!patchType) {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    throw errors.unsupportedMediaType(
      `${type || '(none)'}; accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${APPLY_PATCH}, ${STRATEGIC_MERGE_PATCH}`,
    );
  }
  return patchType;
}

/** Decodes a request body by its Content-Type; malformed input is a 400 that says where. */
export function decodeBody(raw: Buffer, contentType: string | undefined, patchType?: PatchType): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  // kubectl 1.32+ sends built-in objects from its typed clients as Kubernetes protobuf.
  if (isProtobufContentType(type)) return decodeKubernetesProtobuf(raw);
  const text = raw.toString('utf8');
  const yamlish = type === 'application/yaml' || type === 'application/x-yaml' || patchType === 'apply';
  if (type.includes('protobuf') || type === 'application/cbor') throw errors.unsupportedMediaType(type);
  if (!yamlish && !type.endsWith('json') && type !== '*/*' && type !== 'text/plain') {
    throw errors.unsupportedMediaType(type);
  }
  if (yamlish) {
    // JSON is YAML, and what clients send as an apply body is JSON almost always: the JSON parser
    // reads it many times faster. Whatever it refuses goes to the YAML parser, which says why.
    if (/^\s*[{[]/.test(text)) {
      try {
        return JSON.parse(text);
      } catch {
        // Not JSON after all (YAML flow style, or broken): the YAML parser decides.
      }
    }
    try {
      return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, merge: false });
    } catch (err) {
      throw errors.badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(
      `the body of the request could not be decoded as JSON: ${(err as Error).message}`,
    );
  }
}
