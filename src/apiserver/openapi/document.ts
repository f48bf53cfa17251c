// The OpenAPI v3 documents the API server serves: /openapi/v3 lists one document per
// group/version with a content hash in its URL, and /openapi/v3/apis/<group>/<version> is an
// OpenAPI 3.0 document with a path per operation and the closure of the definitions they use.
// kubectl reads them for explain, for strategic merge patch metadata in client-side apply, and
// to learn that PATCH takes fieldValidation (then it validates on the server instead of
// downloading /openapi/v2). Built once per set of served resources and shared process-wide.

import { createHash } from 'node:crypto';
import type { GroupVersionKind } from '../../machinery/gvk.js';
import { isJsonObject } from '../../machinery/object.js';
import {
  customResourceDefinitions,
  listDefinition,
  type StandardTexts,
  standardTextsFrom,
} from './custom-resource.js';
import { type BuiltinDefinitions, builtinDefinitions } from './definitions.js';
import {
  API_RESOURCE_LIST_DEFINITION,
  customResourceDefinitionName,
  DELETE_OPTIONS_DEFINITION,
  groupIdentifier,
  groupVersionPrefix,
  type KindDefinitions,
  operationTag,
  type PathItem,
  resourcePaths,
  type ServedResource,
  WATCH_EVENT_DEFINITION,
} from './operations.js';
import { type JsonSchema, SCHEMA_REF_PREFIX } from './supplement.js';

export type { ServedResource, ServedSubresource } from './operations.js';

/** A built document with what caching needs. */
export interface BuiltDocument {
  body: JsonSchema;
  /** SHA-512 of the serialized body, upper-case hex, as Kubernetes puts in ?hash=. */
  hash: string;
  /** The strong ETag: the hash in quotes. */
  etag: string;
}

/** "api/v1" for the core group, "apis/apps/v1" otherwise: the keys of /openapi/v3. */
export function groupVersionKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function contentHash(serialized: string): string {
  return createHash('sha512').update(serialized).digest('hex').toUpperCase();
}

export function builtDocument(body: JsonSchema): BuiltDocument {
  const hash = contentHash(JSON.stringify(body));
  return { body, hash, etag: `"${hash}"` };
}

/** Whether an If-None-Match header names this ETag (a list, `*`, or weak forms). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const want = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === want;
  });
}

const gvkKey = (gvk: GroupVersionKind) => `${gvk.group}/${gvk.version}/${gvk.kind}`;

function collectRefs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const v of node) collectRefs(v, into);
  } else if (isJsonObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF_PREFIX)) {
        into.add(v.slice(SCHEMA_REF_PREFIX.length));
      } else if (typeof v === 'object') {
        collectRefs(v, into);
      }
    }
  }
}

function sortedObject<T>(entries: [string, T][]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

/** What each group/version contributes: its paths and the definitions it names. */
export interface GroupVersionContent {
  group: string;
  version: string;
  paths: PathItem[];
  /** Definitions this group/version introduces (custom resources, fallbacks). */
  ownDefinitions: Record<string, JsonSchema>;
  /** Definitions its operations name directly; their closure goes into the document. */
  roots: Set<string>;
}

/**
 * All documents for one set of served resources. Documents are built on first request and kept;
 * a new set (a CRD added or changed) makes new documents.
 */
export class OpenAPIDocumentSet {
  readonly groupVersions: ReadonlyMap<string, GroupVersionContent>;
  /** Resources that had to be published without a schema (kind unknown to the built-ins). */
  readonly untyped: readonly string[];
  private readonly defs: BuiltinDefinitions;
  private readonly texts: StandardTexts;
  private readonly docs = new Map<string, BuiltDocument>();
  private rootDoc: BuiltDocument | undefined;

  constructor(resources: readonly ServedResource[], defs: BuiltinDefinitions = builtinDefinitions()) {
    this.defs = defs;
    this.texts = standardTextsFrom(
      defs.json['io.k8s.api.core.v1.ConfigMap'],
      defs.json['io.k8s.api.core.v1.ConfigMapList'],
    );
    const untyped: string[] = [];
    const byGv = new Map<string, GroupVersionContent>();
    const definitionOf = (gvk: GroupVersionKind) => defs.byKind.get(gvkKey(gvk));
    for (const r of resources) {
      const key = groupVersionKey(r.group, r.version);
      let gv = byGv.get(key);
      if (!gv) {
        gv = { group: r.group, version: r.version, paths: [], ownDefinitions: {}, roots: new Set() };
        byGv.set(key, gv);
      }
      const kindDefs = this.kindDefinitions(r, gv, untyped);
      const paths = resourcePaths(r, kindDefs, definitionOf);
      gv.paths.push(...paths);
      gv.roots.add(kindDefs.kind);
      gv.roots.add(kindDefs.list);
      for (const p of paths) {
        for (const op of p.operations) {
          if (op.request) gv.roots.add(op.request.definition);
          for (const resp of Object.values(op.responses)) if (resp.definition) gv.roots.add(resp.definition);
        }
      }
    }
    for (const gv of byGv.values()) gv.roots.add(API_RESOURCE_LIST_DEFINITION);
    this.groupVersions = new Map([...byGv.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.untyped = untyped;
  }

  private kindDefinitions(r: ServedResource, gv: GroupVersionContent, untyped: string[]): KindDefinitions {
    const listKind = r.listKind ?? `${r.kind}List`;
    if (r.customResource) {
      Object.assign(gv.ownDefinitions, customResourceDefinitions(r, this.texts));
      return {
        kind: customResourceDefinitionName(r.group, r.version, r.kind),
        list: customResourceDefinitionName(r.group, r.version, listKind),
      };
    }
    const kind = this.defs.byKind.get(gvkKey(r));
    if (!kind) {
      // A kind the packages do not know: publish it like a custom resource without a schema.
      untyped.push(gvkKey(r));
      Object.assign(gv.ownDefinitions, customResourceDefinitions({ ...r, customResource: {} }, this.texts));
      return {
        kind: customResourceDefinitionName(r.group, r.version, r.kind),
        list: customResourceDefinitionName(r.group, r.version, listKind),
      };
    }
    const list = this.defs.byKind.get(gvkKey({ group: r.group, version: r.version, kind: listKind }));
    if (list) return { kind, list };
    // Kinds that are only created (reviews) have no list in Kubernetes; one is written when listed.
    const listName = `${kind.slice(0, kind.lastIndexOf('.') + 1)}${listKind}`;
    if (r.verbs.includes('list')) gv.ownDefinitions[listName] = listDefinition(r, kind, this.texts);
    return { kind, list: listName };
  }

  /** The definitions a group/version document holds: the closure of what its operations name. */
  definitionsFor(gv: GroupVersionContent): Record<string, JsonSchema> {
    const found = new Map<string, JsonSchema>();
    const pending = [...gv.roots];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (found.has(name)) continue;
      const schema = gv.ownDefinitions[name] ?? this.defs.json[name];
      if (!schema) continue;
      found.set(name, this.forServedGroups(name, schema));
      const refs = new Set<string>();
      collectRefs(schema, refs);
      for (const r of refs) if (!found.has(r)) pending.push(r);
    }
    return sortedObject([...found.entries()]);
  }

  /** DeleteOptions and WatchEvent are kinds of every group: list the groups served. */
  private forServedGroups(name: string, schema: JsonSchema): JsonSchema {
    if (name !== DELETE_OPTIONS_DEFINITION && name !== WATCH_EVENT_DEFINITION) return schema;
    const kind = name.slice(name.lastIndexOf('.') + 1);
    const gvks = [{ group: '', kind, version: 'v1' }];
    for (const gv of this.groupVersions.values()) {
      if (gv.group !== '') gvks.push({ group: gv.group, kind, version: gv.version });
    }
    return { ...schema, 'x-kubernetes-group-version-kind': gvks };
  }

  /** The OpenAPI 3.0 document of one group/version ("apis/apps/v1"), or undefined if not served. */
  groupVersion(key: string): BuiltDocument | undefined {
    const cached = this.docs.get(key);
    if (cached) return cached;
    const gv = this.groupVersions.get(key);
    if (!gv) return undefined;
    const doc = builtDocument(this.renderV3(gv));
    this.docs.set(key, doc);
    return doc;
  }

  /** /openapi/v3: where each group/version document is, with its hash. */
  root(): BuiltDocument {
    if (!this.rootDoc) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const key of this.groupVersions.keys()) {
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.groupVersion(key)!.hash}` };
      }
      this.rootDoc = builtDocument({ paths });
    }
    return this.rootDoc;
  }

  private renderV3(gv: GroupVersionContent): JsonSchema {
    const tag = operationTag(gv.group, gv.version);
    const prefix = groupVersionPrefix(gv.group, gv.version);
    const ref = (definition: string) => ({ $ref: SCHEMA_REF_PREFIX + definition });
    const content = (mediaTypes: string[], definition: string) =>
      Object.fromEntries(mediaTypes.map((m) => [m, { schema: ref(definition) }]));
    const paths: [string, JsonSchema][] = [
      [
        `${prefix}/`,
        {
          get: {
            description: 'get available resources',
            operationId: `get${groupIdentifier(gv.group)}${gv.version.charAt(0).toUpperCase()}${gv.version.slice(1)}APIResources`,
            responses: {
              '200': {
                content: content(['application/json', 'application/yaml'], API_RESOURCE_LIST_DEFINITION),
                description: 'OK',
              },
              '401': { description: 'Unauthorized' },
            },
            tags: [tag],
          },
        },
      ],
    ];
    for (const item of gv.paths) {
      const entry: JsonSchema = {};
      for (const op of item.operations) {
        const o: JsonSchema = { description: op.description, operationId: op.operationId };
        if (op.parameters.length > 0) o.parameters = op.parameters.map(parameterV3);
        if (op.request) {
          o.requestBody = {
            content: content(op.request.mediaTypes, op.request.definition),
            ...(op.request.required ? { required: true } : {}),
          };
        }
        const responses: JsonSchema = {};
        for (const [code, r] of Object.entries(op.responses)) {
          responses[code] = r.definition
            ? { content: content(op.produces, r.definition), description: r.description }
            : { description: r.description };
        }
        o.responses = responses;
        o.tags = [tag];
        o['x-kubernetes-action'] = op.action;
        o['x-kubernetes-group-version-kind'] = {
          group: op.gvk.group,
          kind: op.gvk.kind,
          version: op.gvk.version,
        };
        entry[op.method] = o;
      }
      if (item.parameters.length > 0) entry.parameters = item.parameters.map(parameterV3);
      paths.push([item.path, entry]);
    }
    return {
      components: {
        schemas: this.definitionsFor(gv),
        securitySchemes: {
          BearerToken: {
            description: 'Bearer Token authentication',
            in: 'header',
            name: 'authorization',
            type: 'apiKey',
          },
        },
      },
      info: { title: 'Kubernetes', version: 'unversioned' },
      openapi: '3.0.0',
      paths: sortedObject(paths),
      security: [{ BearerToken: [] }],
    };
  }
}

function parameterV3(p: {
  name: string;
  in: string;
  type: string;
  description: string;
  required?: boolean;
}): JsonSchema {
  return {
    description: p.description,
    in: p.in,
    name: p.name,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

/** A stable identity of a resource set, for sharing documents between servers that serve the same. */
export function resourceSetFingerprint(resources: readonly ServedResource[]): string {
  const canonical = resources
    .map((r) => canonicalJson(r))
    .sort()
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted, so that equal values serialize equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// Servers in one process that serve the same resources (a thousand simulated clusters with the
// built-in kinds) share one set of documents. A few recent sets are kept.
const SHARED_LIMIT = 16;
const shared = new Map<string, OpenAPIDocumentSet>();

/** The document set for these resources, shared with every server in the process that serves the same. */
export function openAPIDocuments(resources: readonly ServedResource[]): OpenAPIDocumentSet {
  const key = resourceSetFingerprint(resources);
  const hit = shared.get(key);
  if (hit) {
    shared.delete(key);
    shared.set(key, hit);
    return hit;
  }
  const set = new OpenAPIDocumentSet(resources);
  shared.set(key, set);
  while (shared.size > SHARED_LIMIT) shared.delete(shared.keys().next().value!);
  return set;
}
