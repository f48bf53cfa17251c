// The Swagger 2.0 document of /openapi/v2, built from the same operations and definitions as the
// v3 documents. kubectl 1.27 downloads it (as protobuf, see v2-protobuf.ts) before `create`,
// `apply`, `edit` and `explain` run, and fails when it cannot; kubectl 1.33 only falls back to it.

import { isJsonObject } from '../../machinery/object.js';
import { customSchemaForV2 } from './custom-resource.js';
import { type BuiltDocument, builtDocument, type OpenAPIDocumentSet } from './document.js';
import { operationTag, type Parameter } from './operations.js';
import { type JsonSchema, SCHEMA_REF_PREFIX } from './supplement.js';

const V2_REF_PREFIX = '#/definitions/';

/**
 * A v3 schema in v2 terms: references point into #/definitions/ and keep their siblings (v2
 * has no allOf wrapper), and the int-or-string and quantity unions become strings as
 * Kubernetes publishes them in v2.
 */
export function schemaToV2(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(schemaToV2);
  if (!isJsonObject(node)) return node;
  const out: JsonSchema = {};
  const allOf = node.allOf;
  const single = Array.isArray(allOf) && allOf.length === 1 && isJsonObject(allOf[0]) ? allOf[0] : undefined;
  if (single && typeof single.$ref === 'string') {
    out.$ref = v2Ref(single.$ref);
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === 'allOf' && single) continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v2Ref(v);
    else if (
      k === 'oneOf' &&
      Array.isArray(v) &&
      v.every((s) => isJsonObject(s) && typeof s.type === 'string')
    ) {
      // {integer|string} and {string|number}: a string, as in Kubernetes' v2 document.
      out.type = 'string';
    } else if (k === 'properties' && isJsonObject(v)) {
      const props: JsonSchema = {};
      for (const [name, p] of Object.entries(v)) props[name] = schemaToV2(p);
      out.properties = props;
    } else if (k === 'enum' || k === 'default' || k === 'example' || k.startsWith('x-')) {
      out[k] = v;
    } else {
      out[k] = schemaToV2(v);
    }
  }
  return out;
}

function v2Ref(ref: string): string {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? V2_REF_PREFIX + ref.slice(SCHEMA_REF_PREFIX.length) : ref;
}

function parameterV2(p: Parameter): JsonSchema {
  return {
    description: p.description,
    in: p.in,
    name: p.name,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function sorted(entries: [string, unknown][]): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

/** Builds the v2 document. `version` is the server's gitVersion, as Kubernetes puts in info. */
export function buildOpenAPIV2(set: OpenAPIDocumentSet, version: string): JsonSchema {
  const paths: [string, unknown][] = [];
  const definitions = new Map<string, unknown>();
  for (const gv of set.groupVersions.values()) {
    const custom = new Set(Object.keys(gv.ownDefinitions));
    for (const [name, schema] of Object.entries(set.definitionsFor(gv))) {
      if (definitions.has(name)) continue;
      definitions.set(name, schemaToV2(custom.has(name) ? customSchemaForV2(schema) : schema));
    }
    const tag = operationTag(gv.group, gv.version);
    for (const item of gv.paths) {
      const entry: JsonSchema = {};
      for (const op of item.operations) {
        const parameters: JsonSchema[] = [];
        if (op.request) {
          parameters.push({
            in: 'body',
            name: 'body',
            ...(op.request.required ? { required: true } : {}),
            schema: { $ref: V2_REF_PREFIX + op.request.definition },
          });
        }
        parameters.push(...op.parameters.map(parameterV2));
        const responses: JsonSchema = {};
        for (const [code, r] of Object.entries(op.responses)) {
          responses[code] = r.definition
            ? { description: r.description, schema: { $ref: V2_REF_PREFIX + r.definition } }
            : { description: r.description };
        }
        const o: JsonSchema = {
          consumes: op.request ? op.request.mediaTypes : ['*/*'],
          description: op.description,
          operationId: op.operationId,
          produces: op.produces,
          responses,
          schemes: ['https'],
          tags: [tag],
          'x-kubernetes-action': op.action,
          'x-kubernetes-group-version-kind': {
            group: op.gvk.group,
            kind: op.gvk.kind,
            version: op.gvk.version,
          },
        };
        if (parameters.length > 0) o.parameters = parameters;
        entry[op.method] = sorted(Object.entries(o));
      }
      if (item.parameters.length > 0) entry.parameters = item.parameters.map(parameterV2);
      paths.push([item.path, entry]);
    }
  }
  return {
    definitions: sorted([...definitions.entries()]),
    info: { title: 'Kubernetes', version },
    paths: sorted(paths),
    security: [{ BearerToken: [] }],
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        in: 'header',
        name: 'authorization',
        type: 'apiKey',
      },
    },
    swagger: '2.0',
  };
}

const v2Docs = new WeakMap<OpenAPIDocumentSet, Map<string, BuiltDocument>>();

/** The v2 document of a document set, built once per set and server version. */
export function openAPIV2(set: OpenAPIDocumentSet, version: string): BuiltDocument {
  let byVersion = v2Docs.get(set);
  if (!byVersion) {
    byVersion = new Map();
    v2Docs.set(set, byVersion);
  }
  let doc = byVersion.get(version);
  if (!doc) {
    doc = builtDocument(buildOpenAPIV2(set, version));
    byVersion.set(version, doc);
  }
  return doc;
}
