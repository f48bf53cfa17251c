// The REST operations a served resource offers, as the Kubernetes API server lists them in its
// OpenAPI documents: one entry per path and method, with the action kubectl reads
// (x-kubernetes-action), the kind it acts on, the query parameters it takes and the bodies it
// consumes and produces. Rendered into OpenAPI v3 by document.ts and into Swagger 2.0 by v2.ts.

import type { GroupVersionKind } from '../../machinery/gvk.js';
import { CUSTOM_PATCH_MEDIA_TYPES, PATCH_MEDIA_TYPES } from '../../machinery/patch/patch-type.js';
import type { JsonSchema } from './supplement.js';

/** A subresource served beside the resource (status, scale, eviction, binding...). */
export interface ServedSubresource {
  name: string;
  /** Kind of the subresource's body; defaults to the resource's own kind (status). */
  group?: string;
  version?: string;
  kind?: string;
  /** Discovery verbs: get, update, patch for status and scale; create for eviction and binding. */
  verbs: string[];
}

/** A resource as the API server serves it: what the OpenAPI documents are built from. */
export interface ServedResource {
  group: string;
  version: string;
  /** Plural, lower case: "deployments". */
  resource: string;
  kind: string;
  /** Defaults to kind + "List". */
  listKind?: string;
  namespaced: boolean;
  /** Discovery verbs: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  subresources?: ServedSubresource[];
  /**
   * Custom resources only: the openAPIV3Schema of this CRD version (absent or null when the CRD
   * declares none). Built-in kinds take their definition from the generated definitions instead.
   */
  customResource?: { schema?: JsonSchema | null };
}

export type Action =
  | 'get'
  | 'list'
  | 'watch'
  | 'watchlist'
  | 'post'
  | 'put'
  | 'patch'
  | 'delete'
  | 'deletecollection';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Parameter {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'boolean' | 'integer';
  description: string;
  required?: boolean;
}

export interface Operation {
  method: Method;
  action: Action;
  operationId: string;
  description: string;
  gvk: GroupVersionKind;
  parameters: Parameter[];
  /** Definition name of the request body and the media types it may come in. */
  request?: { definition: string; mediaTypes: string[]; required: boolean };
  /** Status code -> definition name of the response body (undefined: no body). */
  responses: Record<string, { description: string; definition?: string }>;
  /** Media types of the responses. */
  produces: string[];
}

export interface PathItem {
  path: string;
  /** Parameters shared by every method of the path (namespace, name, pretty). */
  parameters: Parameter[];
  operations: Operation[];
}

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml'];
const STREAM_MEDIA_TYPES = ['application/json', 'application/json;stream=watch', 'application/yaml'];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const STATUS_DEFINITION = `${META}Status`;
export const DELETE_OPTIONS_DEFINITION = `${META}DeleteOptions`;
export const PATCH_DEFINITION = `${META}Patch`;
export const WATCH_EVENT_DEFINITION = `${META}WatchEvent`;
export const API_RESOURCE_LIST_DEFINITION = `${META}APIResourceList`;

const q = (name: string, type: Parameter['type'], description: string): Parameter => ({
  name,
  in: 'query',
  type,
  description,
});

// The query parameters of the Kubernetes API, described in our words.
const P = {
  pretty: q('pretty', 'string', "If 'true', the output is pretty printed."),
  dryRun: q(
    'dryRun',
    'string',
    'When present, the request is processed but nothing is persisted. The only valid value is All.',
  ),
  fieldManager: q(
    'fieldManager',
    'string',
    'Name of the actor making the change, recorded in managedFields. Required for apply patches; ' +
      'at most 128 printable characters.',
  ),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'How the server treats unknown or duplicate fields in the body: Ignore drops them silently, Warn ' +
      '(the default) drops them and answers with a warning per field, Strict refuses the request.',
  ),
  force: q(
    'force',
    'boolean',
    'Apply patches only: take over the fields that other managers own instead of failing with a ' +
      'conflict. Must be unset for other patch types.',
  ),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'integer',
    'Seconds before the object is deleted; zero deletes at once. Unset uses the default of the kind.',
  ),
  orphanDependents: q(
    'orphanDependents',
    'boolean',
    'Deprecated, use propagationPolicy. Whether dependents are orphaned instead of garbage collected.',
  ),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    'How dependents are garbage collected: Orphan, Background (after the owner is gone) or Foreground ' +
      '(before the owner is removed).',
  ),
  allowWatchBookmarks: q(
    'allowWatchBookmarks',
    'boolean',
    'Ask for BOOKMARK watch events, which carry only a resourceVersion. Ignored unless watching.',
  ),
  continue: q(
    'continue',
    'string',
    'The continue token of a previous list answer, to fetch the next chunk of results. A token that has ' +
      'expired gets 410 Gone.',
  ),
  fieldSelector: q(
    'fieldSelector',
    'string',
    'Restrict the returned objects by their fields. Defaults to everything.',
  ),
  labelSelector: q(
    'labelSelector',
    'string',
    'Restrict the returned objects by their labels. Defaults to everything.',
  ),
  limit: q(
    'limit',
    'integer',
    'The most items a list answer returns; when more exist the answer carries a continue token.',
  ),
  resourceVersion: q(
    'resourceVersion',
    'string',
    'Constrains which resource version the answer is served from; for a watch, the version to start after.',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'string',
    'How resourceVersion applies to a list: Exact or NotOlderThan.',
  ),
  sendInitialEvents: q(
    'sendInitialEvents',
    'boolean',
    'With watch=true and resourceVersionMatch=NotOlderThan, start the watch with the current objects ' +
      'followed by a bookmark.',
  ),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Time limit of the list or watch call, whatever happens.'),
  watch: q(
    'watch',
    'boolean',
    'Watch for changes to the described resources: a stream of ADDED, MODIFIED and DELETED events.',
  ),
} satisfies Record<string, Parameter>;

const LIST_PARAMETERS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMETERS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMETERS = [...WRITE_PARAMETERS, P.force];
const DELETE_PARAMETERS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const DELETECOLLECTION_PARAMETERS = [
  P.continue,
  P.dryRun,
  P.fieldSelector,
  P.gracePeriodSeconds,
  P.labelSelector,
  P.limit,
  P.orphanDependents,
  P.propagationPolicy,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
];

const pathParam = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  type: 'string',
  description,
  required: true,
});

const NAMESPACE_PARAM = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

/** "rbac.authorization.k8s.io" -> "RbacAuthorization", "" -> "Core", "stable.example.com" -> "StableExampleCom". */
export function groupIdentifier(group: string): string {
  if (group === '') return 'Core';
  const trimmed = group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  return trimmed
    .split(/[.-]/)
    .filter((s) => s !== '')
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}

/** The tag Kubernetes files operations under: "apps_v1", "core_v1", "rbacAuthorization_v1". */
export function operationTag(group: string, version: string): string {
  const id = groupIdentifier(group);
  return `${id.charAt(0).toLowerCase()}${id.slice(1)}_${version}`;
}

/** "/api/v1" or "/apis/apps/v1". */
export function groupVersionPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/**
 * Definition names of a custom resource and its list, as Kubernetes publishes them: the group
 * reversed, then version and kind ("stable.example.com" v1 CronTab -> com.example.stable.v1.CronTab).
 */
export function customResourceDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

export interface KindDefinitions {
  /** Definition name of the kind, e.g. io.k8s.api.apps.v1.Deployment. */
  kind: string;
  list: string;
}

/**
 * The paths and operations of one resource. `defs` names the definitions of its kind and list;
 * `definitionOf` those of other kinds its subresources take (autoscaling/v1 Scale, policy/v1
 * Eviction). A subresource whose kind has no definition is left out.
 */
export function resourcePaths(
  r: ServedResource,
  defs: KindDefinitions,
  definitionOf: (gvk: GroupVersionKind) => string | undefined,
): PathItem[] {
  const prefix = groupVersionPrefix(r.group, r.version);
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const id = `${groupIdentifier(r.group)}${r.version.charAt(0).toUpperCase()}${r.version.slice(1)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const custom = r.customResource !== undefined;
  const verbs = new Set(r.verbs);
  const items: PathItem[] = [];
  const objectProduces = OBJECT_MEDIA_TYPES;
  const ok = (definition: string) => ({ '200': { description: 'OK', definition } });
  const patchMedia = [...(custom ? CUSTOM_PATCH_MEDIA_TYPES : PATCH_MEDIA_TYPES)];
  const collectionPath = r.namespaced
    ? `${prefix}/namespaces/{namespace}/${r.resource}`
    : `${prefix}/${r.resource}`;
  const objectPath = `${collectionPath}/{name}`;
  const scopeParams = r.namespaced ? [NAMESPACE_PARAM] : [];
  const nameParam = (what: string) => pathParam('name', `name of the ${what}`);

  // Collection: list (and watch=true), create, deletecollection.
  const collection: Operation[] = [];
  if (verbs.has('list')) {
    collection.push({
      method: 'get',
      action: 'list',
      operationId: `list${id}${ns}${r.kind}`,
      description: `list or watch objects of kind ${r.kind}`,
      gvk,
      parameters: LIST_PARAMETERS,
      responses: { ...ok(defs.list), '401': { description: 'Unauthorized' } },
      produces: STREAM_MEDIA_TYPES,
    });
  }
  if (verbs.has('create')) {
    collection.push({
      method: 'post',
      action: 'post',
      operationId: `create${id}${ns}${r.kind}`,
      description: `create ${article(r.kind)} ${r.kind}`,
      gvk,
      parameters: WRITE_PARAMETERS,
      request: { definition: defs.kind, mediaTypes: ['*/*'], required: true },
      responses: {
        ...ok(defs.kind),
        '201': { description: 'Created', definition: defs.kind },
        '202': { description: 'Accepted', definition: defs.kind },
        '401': { description: 'Unauthorized' },
      },
      produces: objectProduces,
    });
  }
  if (verbs.has('deletecollection')) {
    collection.push({
      method: 'delete',
      action: 'deletecollection',
      operationId: `delete${id}Collection${ns}${r.kind}`,
      description: `delete collection of ${r.kind}`,
      gvk,
      parameters: DELETECOLLECTION_PARAMETERS,
      request: { definition: DELETE_OPTIONS_DEFINITION, mediaTypes: ['*/*'], required: false },
      responses: { ...ok(STATUS_DEFINITION), '401': { description: 'Unauthorized' } },
      produces: objectProduces,
    });
  }
  if (collection.length > 0)
    items.push({ path: collectionPath, parameters: [...scopeParams, P.pretty], operations: collection });

  // The object: get, replace, patch, delete.
  const object: Operation[] = [];
  if (verbs.has('get')) {
    object.push({
      method: 'get',
      action: 'get',
      operationId: `read${id}${ns}${r.kind}`,
      description: `read the specified ${r.kind}`,
      gvk,
      parameters: [],
      responses: { ...ok(defs.kind), '401': { description: 'Unauthorized' } },
      produces: objectProduces,
    });
  }
  if (verbs.has('update')) {
    object.push({
      method: 'put',
      action: 'put',
      operationId: `replace${id}${ns}${r.kind}`,
      description: `replace the specified ${r.kind}`,
      gvk,
      parameters: WRITE_PARAMETERS,
      request: { definition: defs.kind, mediaTypes: ['*/*'], required: true },
      responses: {
        ...ok(defs.kind),
        '201': { description: 'Created', definition: defs.kind },
        '401': { description: 'Unauthorized' },
      },
      produces: objectProduces,
    });
  }
  if (verbs.has('patch')) {
    object.push({
      method: 'patch',
      action: 'patch',
      operationId: `patch${id}${ns}${r.kind}`,
      description: `partially update the specified ${r.kind}`,
      gvk,
      parameters: PATCH_PARAMETERS,
      request: { definition: PATCH_DEFINITION, mediaTypes: patchMedia, required: true },
      responses: {
        ...ok(defs.kind),
        '201': { description: 'Created', definition: defs.kind },
        '401': { description: 'Unauthorized' },
      },
      produces: objectProduces,
    });
  }
  if (verbs.has('delete')) {
    object.push({
      method: 'delete',
      action: 'delete',
      operationId: `delete${id}${ns}${r.kind}`,
      description: `delete ${article(r.kind)} ${r.kind}`,
      gvk,
      parameters: DELETE_PARAMETERS,
      request: { definition: DELETE_OPTIONS_DEFINITION, mediaTypes: ['*/*'], required: false },
      responses: {
        ...ok(STATUS_DEFINITION),
        '202': { description: 'Accepted', definition: STATUS_DEFINITION },
        '401': { description: 'Unauthorized' },
      },
      produces: objectProduces,
    });
  }
  if (object.length > 0) {
    items.push({
      path: objectPath,
      parameters: [nameParam(r.kind), ...scopeParams, P.pretty],
      operations: object,
    });
  }

  // Subresources.
  for (const sub of r.subresources ?? []) {
    const subVerbs = new Set(sub.verbs);
    const subGvk = {
      group: sub.group ?? r.group,
      version: sub.version ?? r.version,
      kind: sub.kind ?? r.kind,
    };
    const sameKind = subGvk.group === r.group && subGvk.version === r.version && subGvk.kind === r.kind;
    const body = sameKind ? defs.kind : definitionOf(subGvk);
    if (!body) continue;
    const suffix = sub.name.charAt(0).toUpperCase() + sub.name.slice(1);
    const ops: Operation[] = [];
    if (subVerbs.has('get')) {
      ops.push({
        method: 'get',
        action: 'get',
        operationId: `read${id}${ns}${r.kind}${suffix}`,
        description: `read ${sub.name} of the specified ${r.kind}`,
        gvk: subGvk,
        parameters: [],
        responses: { ...ok(body), '401': { description: 'Unauthorized' } },
        produces: objectProduces,
      });
    }
    if (subVerbs.has('update')) {
      ops.push({
        method: 'put',
        action: 'put',
        operationId: `replace${id}${ns}${r.kind}${suffix}`,
        description: `replace ${sub.name} of the specified ${r.kind}`,
        gvk: subGvk,
        parameters: WRITE_PARAMETERS,
        request: { definition: body, mediaTypes: ['*/*'], required: true },
        responses: {
          ...ok(body),
          '201': { description: 'Created', definition: body },
          '401': { description: 'Unauthorized' },
        },
        produces: objectProduces,
      });
    }
    if (subVerbs.has('patch')) {
      ops.push({
        method: 'patch',
        action: 'patch',
        operationId: `patch${id}${ns}${r.kind}${suffix}`,
        description: `partially update ${sub.name} of the specified ${r.kind}`,
        gvk: subGvk,
        parameters: PATCH_PARAMETERS,
        request: { definition: PATCH_DEFINITION, mediaTypes: patchMedia, required: true },
        responses: {
          ...ok(body),
          '201': { description: 'Created', definition: body },
          '401': { description: 'Unauthorized' },
        },
        produces: objectProduces,
      });
    }
    if (subVerbs.has('create')) {
      ops.push({
        method: 'post',
        action: 'post',
        operationId: `create${id}${ns}${r.kind}${suffix}`,
        description: `create ${sub.name} of ${article(r.kind)} ${r.kind}`,
        gvk: subGvk,
        parameters: WRITE_PARAMETERS,
        request: { definition: body, mediaTypes: ['*/*'], required: true },
        responses: {
          ...ok(body),
          '201': { description: 'Created', definition: body },
          '202': { description: 'Accepted', definition: body },
          '401': { description: 'Unauthorized' },
        },
        produces: objectProduces,
      });
    }
    if (ops.length > 0) {
      items.push({
        path: `${objectPath}/${sub.name}`,
        parameters: [nameParam(r.kind), ...scopeParams, P.pretty],
        operations: ops,
      });
    }
  }

  // Listing across namespaces, and the deprecated watch paths that older clients still use.
  if (verbs.has('list') && r.namespaced) {
    items.push({
      path: `${prefix}/${r.resource}`,
      parameters: [...LIST_PARAMETERS, P.pretty],
      operations: [
        {
          method: 'get',
          action: 'list',
          operationId: `list${id}${r.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${r.kind}`,
          gvk,
          parameters: [],
          responses: { ...ok(defs.list), '401': { description: 'Unauthorized' } },
          produces: STREAM_MEDIA_TYPES,
        },
      ],
    });
  }
  if (verbs.has('watch')) {
    const watchOp = (action: Action, operationId: string, description: string): Operation => ({
      method: 'get',
      action,
      operationId,
      description,
      gvk,
      parameters: [],
      responses: { ...ok(WATCH_EVENT_DEFINITION), '401': { description: 'Unauthorized' } },
      produces: STREAM_MEDIA_TYPES,
    });
    const watchPrefix = `${prefix}/watch`;
    const watchCollection = r.namespaced
      ? `${watchPrefix}/namespaces/{namespace}/${r.resource}`
      : `${watchPrefix}/${r.resource}`;
    const deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
    items.push({
      path: watchCollection,
      parameters: [...LIST_PARAMETERS.filter((p) => p.name !== 'watch'), ...scopeParams, P.pretty, P.watch],
      operations: [
        watchOp(
          'watchlist',
          `watch${id}${ns}${r.kind}List`,
          `watch individual changes to a list of ${r.kind}. ${deprecated}.`,
        ),
      ],
    });
    items.push({
      path: `${watchCollection}/{name}`,
      parameters: [
        ...LIST_PARAMETERS.filter((p) => p.name !== 'watch'),
        nameParam(r.kind),
        ...scopeParams,
        P.pretty,
        P.watch,
      ],
      operations: [
        watchOp(
          'watch',
          `watch${id}${ns}${r.kind}`,
          `watch changes to an object of kind ${r.kind}. ${deprecated}, filtered to a single item with the 'fieldSelector' parameter.`,
        ),
      ],
    });
    if (r.namespaced) {
      items.push({
        path: `${watchPrefix}/${r.resource}`,
        parameters: [...LIST_PARAMETERS.filter((p) => p.name !== 'watch'), P.pretty, P.watch],
        operations: [
          watchOp(
            'watchlist',
            `watch${id}${r.kind}ListForAllNamespaces`,
            `watch individual changes to a list of ${r.kind}. ${deprecated}.`,
          ),
        ],
      });
    }
  }
  return items;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

/** The shape the API server's resource registry describes a resource in (ResourceInfo fits it). */
export interface ResourceDescription {
  group: string;
  version: string;
  resource: string;
  kind: string;
  listKind?: string;
  namespaced: boolean;
  verbs: string[];
  /** A status subresource is served. */
  status?: boolean;
  /** A scale subresource is served (its details do not matter here). */
  scale?: unknown;
  extraSubresources?: { name: string; group: string; version: string; kind: string; verbs: string[] }[];
}

const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

/**
 * A registry entry as a ServedResource. Pass `customSchema` for custom resources: the CRD
 * version's openAPIV3Schema, or null when it has none.
 */
export function servedResource(info: ResourceDescription, customSchema?: JsonSchema | null): ServedResource {
  const subresources: ServedSubresource[] = [];
  if (info.status) subresources.push({ name: 'status', verbs: SUBRESOURCE_VERBS });
  if (info.scale) {
    subresources.push({
      name: 'scale',
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: SUBRESOURCE_VERBS,
    });
  }
  for (const s of info.extraSubresources ?? []) subresources.push({ ...s, verbs: [...s.verbs] });
  const r: ServedResource = {
    group: info.group,
    version: info.version,
    resource: info.resource,
    kind: info.kind,
    namespaced: info.namespaced,
    verbs: [...info.verbs],
    subresources,
  };
  if (info.listKind) r.listKind = info.listKind;
  if (customSchema !== undefined) r.customResource = { schema: customSchema };
  return r;
}
